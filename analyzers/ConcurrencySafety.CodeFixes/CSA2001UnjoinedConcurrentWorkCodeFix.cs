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

namespace ConcurrencySafety.CodeFixes;

/// <summary>
/// CSA2001 and its explicit-discard form CSA2009: in an async function, a dropped
/// (<c>Task.Run(...);</c>) or discarded (<c>_ = Task.Run(...);</c>) task is awaited instead.
/// Not offered outside async functions (blocking on the task there is a different trade-off),
/// nor for threads.
/// </summary>
[ExportCodeFixProvider(LanguageNames.CSharp, Name = nameof(CSA2001UnjoinedConcurrentWorkCodeFix))]
[Shared]
public sealed class CSA2001UnjoinedConcurrentWorkCodeFix : CodeFixProvider
{
    public override ImmutableArray<string> FixableDiagnosticIds =>
        ImmutableArray.Create(RuleIdentifiers.UnjoinedConcurrentWork, RuleIdentifiers.DiscardedConcurrentWork);

    public override FixAllProvider GetFixAllProvider() => WellKnownFixAllProviders.BatchFixer;

    public override async Task RegisterCodeFixesAsync(CodeFixContext context)
    {
        var root = await context.Document.GetSyntaxRootAsync(context.CancellationToken).ConfigureAwait(false);
        if (root is null)
        {
            return;
        }

        foreach (var diagnostic in context.Diagnostics)
        {
            if (!diagnostic.Properties.ContainsKey(CSA2001UnjoinedConcurrentWorkAnalyzer.AwaitFixKey)
                || root.FindNode(diagnostic.Location.SourceSpan, getInnermostNodeForTie: true)?.FirstAncestorOrSelf<ExpressionStatementSyntax>() is not { } statement)
            {
                continue;
            }

            var task = statement.Expression is AssignmentExpressionSyntax { Left: IdentifierNameSyntax { Identifier.ValueText: "_" } } discard ? discard.Right : statement.Expression;
            if (task is not InvocationExpressionSyntax)
            {
                continue;
            }

            context.RegisterCodeFix(
                CodeAction.Create(
                    "Await the task",
                    ct => FixAsync(context.Document, statement, task, ct),
                    equivalenceKey: diagnostic.Id + ".Await"),
                diagnostic);
        }
    }

    private static async Task<Document> FixAsync(Document document, ExpressionStatementSyntax statement, ExpressionSyntax task, CancellationToken cancellationToken)
    {
        var root = await document.GetSyntaxRootAsync(cancellationToken).ConfigureAwait(false);
        if (root is null)
        {
            return document;
        }

        var awaited = SyntaxFactory.AwaitExpression(SyntaxFactory.Token(SyntaxKind.AwaitKeyword).WithTrailingTrivia(SyntaxFactory.Space), task.WithoutTrivia())
            .WithTriviaFrom(statement.Expression);
        return document.WithSyntaxRoot(root.ReplaceNode(statement, statement.WithExpression(awaited)));
    }
}
