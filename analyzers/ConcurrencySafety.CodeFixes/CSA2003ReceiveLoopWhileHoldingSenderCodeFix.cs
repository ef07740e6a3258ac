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
/// CSA2003: inserts <c>sender.Dispose();</c> right before the receive loop (foreach, or a while
/// loop that receives until disconnected; or the statement that drains the receiver with LINQ), so that the method's own handle no longer keeps the
/// channel open. Offered when that statement is in a block (not the body of an <c>if</c>
/// without braces).
/// </summary>
[ExportCodeFixProvider(LanguageNames.CSharp, Name = nameof(CSA2003ReceiveLoopWhileHoldingSenderCodeFix))]
[Shared]
public sealed class CSA2003ReceiveLoopWhileHoldingSenderCodeFix : CodeFixProvider
{
    public override ImmutableArray<string> FixableDiagnosticIds => ImmutableArray.Create(RuleIdentifiers.ReceiveLoopWhileHoldingSender);

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
            if (!diagnostic.Properties.TryGetValue(CSA2003ReceiveLoopWhileHoldingSenderAnalyzer.SenderKey, out var sender)
                || sender is null
                || root.FindNode(LoopSpan(diagnostic), getInnermostNodeForTie: true)?.FirstAncestorOrSelf<StatementSyntax>() is not { Parent: BlockSyntax } loop)
            {
                continue;
            }

            context.RegisterCodeFix(
                CodeAction.Create(
                    $"Dispose '{sender}' before the loop",
                    ct => FixAsync(context.Document, loop, sender, ct),
                    equivalenceKey: FixKeys.Default(RuleIdentifiers.ReceiveLoopWhileHoldingSender)),
                diagnostic);
        }
    }

    // The analyzer passes the loop (or the statement with the LINQ call) as an additional
    // location: for a while loop the receiver is reported inside the loop's condition or body.
    private static Microsoft.CodeAnalysis.Text.TextSpan LoopSpan(Diagnostic diagnostic) =>
        diagnostic.AdditionalLocations.Count > 0 ? diagnostic.AdditionalLocations[0].SourceSpan : diagnostic.Location.SourceSpan;

    private static async Task<Document> FixAsync(Document document, StatementSyntax loop, string sender, CancellationToken cancellationToken)
    {
        var root = await document.GetSyntaxRootAsync(cancellationToken).ConfigureAwait(false);
        if (root is null)
        {
            return document;
        }

        var dispose = SyntaxFactory.ExpressionStatement(
                SyntaxFactory.InvocationExpression(
                    SyntaxFactory.MemberAccessExpression(
                        SyntaxKind.SimpleMemberAccessExpression,
                        SyntaxFactory.IdentifierName(sender),
                        SyntaxFactory.IdentifierName("Dispose"))))
            .WithLeadingTrivia(loop.GetLeadingTrivia())
            .WithTrailingTrivia(EndOfLine(loop))
            .WithAdditionalAnnotations(Formatter.Annotation);
        return document.WithSyntaxRoot(root.InsertNodesBefore(loop, new[] { dispose }));
    }

    // The file's own line ending, taken from the end of the loop statement.
    private static SyntaxTrivia EndOfLine(SyntaxNode node)
    {
        foreach (var trivia in node.GetTrailingTrivia())
        {
            if (trivia.IsKind(SyntaxKind.EndOfLineTrivia))
            {
                return trivia;
            }
        }

        return SyntaxFactory.ElasticCarriageReturnLineFeed;
    }
}
