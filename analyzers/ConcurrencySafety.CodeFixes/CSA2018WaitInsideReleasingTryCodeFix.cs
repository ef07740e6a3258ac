using System.Collections.Immutable;
using System.Composition;
using System.Threading;
using System.Threading.Tasks;
using ConcurrencySafety.Analyzers;
using ConcurrencySafety.Analyzers.Rules;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CodeActions;
using Microsoft.CodeAnalysis.CodeFixes;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Formatting;

namespace ConcurrencySafety.CodeFixes;

/// <summary>
/// CSA2018: the cancellable wait moves out of the <c>try</c> to the statement just before it, so
/// a cancelled wait throws before the <c>finally</c> that releases is entered.
/// </summary>
/// <remarks>
/// Offered only when nothing else changes: the wait is the first statement of the try block
/// (no statement would move after it), the <c>try</c> is a statement of a block, has no
/// <c>catch</c> (a catch of the cancellation would stop seeing it), and its own <c>finally</c>
/// releases the semaphore the wait names (not that of an outer <c>try</c>).
/// </remarks>
[ExportCodeFixProvider(LanguageNames.CSharp, Name = nameof(CSA2018WaitInsideReleasingTryCodeFix))]
[Shared]
public sealed class CSA2018WaitInsideReleasingTryCodeFix : CodeFixProvider
{
    public override ImmutableArray<string> FixableDiagnosticIds => ImmutableArray.Create(RuleIdentifiers.WaitInsideReleasingTry);

    public override FixAllProvider GetFixAllProvider() => DefaultKeyFixAllProvider.Batch;

    public override async Task RegisterCodeFixesAsync(CodeFixContext context)
    {
        var root = await context.Document.GetSyntaxRootAsync(context.CancellationToken).ConfigureAwait(false);
        if (root is null)
        {
            return;
        }

        foreach (var diagnostic in context.Diagnostics)
        {
            // Only a cancellable wait is fixed by moving it: a timed acquire whose answer is
            // ignored would still be ignored before the try.
            if (!diagnostic.Properties.ContainsKey(CSA2018WaitInsideReleasingTryAnalyzer.CancellableKey))
            {
                continue;
            }

            var node = root.FindNode(diagnostic.Location.SourceSpan, getInnermostNodeForTie: true);
            if (node.FirstAncestorOrSelf<InvocationExpressionSyntax>() is { Expression: MemberAccessExpressionSyntax { Expression: { } semaphore } }
                && node.FirstAncestorOrSelf<ExpressionStatementSyntax>() is { Parent: BlockSyntax { Parent: TryStatementSyntax { Catches.Count: 0, Finally.Block: { } finallyBlock, Parent: BlockSyntax } tryStatement } tryBlock } wait
                && tryBlock.Statements.IndexOf(wait) == 0
                && finallyBlock.Statements.Any(s => IsReleaseOf(s, semaphore)))
            {
                context.RegisterCodeFix(
                    CodeAction.Create("Wait before the try", ct => MoveAsync(context.Document, wait, tryStatement, ct), equivalenceKey: FixKeys.Default(RuleIdentifiers.WaitInsideReleasingTry)),
                    diagnostic);
            }
        }
    }

    // semaphore.Release(); — the same receiver, written the same way.
    private static bool IsReleaseOf(StatementSyntax statement, ExpressionSyntax semaphore) =>
        statement is ExpressionStatementSyntax { Expression: InvocationExpressionSyntax { Expression: MemberAccessExpressionSyntax { Name.Identifier.ValueText: "Release" } release } }
        && SyntaxFactory.AreEquivalent(release.Expression, semaphore);

    private static async Task<Document> MoveAsync(Document document, ExpressionStatementSyntax wait, TryStatementSyntax tryStatement, CancellationToken cancellationToken)
    {
        var root = await document.GetSyntaxRootAsync(cancellationToken).ConfigureAwait(false);
        if (root is null)
        {
            return document;
        }

        // The wait takes the try's place and its leading trivia (comments above the try now head
        // the wait and the try together); the try keeps only its indentation. Comments above the
        // wait move with it and are re-indented by the formatter.
        var indentation = tryStatement.GetLeadingTrivia().Reverse().TakeWhile(t => t.IsKind(SyntaxKind.WhitespaceTrivia)).Reverse();
        var waitComments = wait.GetLeadingTrivia().Where(t => !t.IsKind(SyntaxKind.WhitespaceTrivia));
        var moved = wait.WithLeadingTrivia(tryStatement.GetLeadingTrivia().AddRange(waitComments.Any() ? waitComments.Concat(indentation) : Enumerable.Empty<SyntaxTrivia>()))
            .WithAdditionalAnnotations(Formatter.Annotation);
        var rest = tryStatement.WithBlock(tryStatement.Block.WithStatements(tryStatement.Block.Statements.RemoveAt(0)))
            .WithLeadingTrivia(indentation);
        return document.WithSyntaxRoot(root.ReplaceNode(tryStatement, new SyntaxNode[] { moved, rest }));
    }
}
