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
/// Outside async functions, a dropped <c>Task.Run(action)</c> can instead run in the library's
/// thread scope, <c>Scope.Run(scope =&gt; scope.Spawn(action))</c>, which joins it (and rethrows its
/// failure) before going on. No fix for threads or for async work outside async functions.
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
            if (diagnostic.Properties.ContainsKey(CSA2001UnjoinedConcurrentWorkAnalyzer.ScopeFixKey)
                && root.FindNode(diagnostic.Location.SourceSpan, getInnermostNodeForTie: true)?.FirstAncestorOrSelf<ExpressionStatementSyntax>() is { Expression: InvocationExpressionSyntax { ArgumentList.Arguments.Count: 1 } runCall } runStatement)
            {
                var work = runCall.ArgumentList.Arguments[0];
                context.RegisterCodeFix(
                    CodeAction.Create(
                        "Run it in a thread scope (joins it before going on)",
                        ct => ScopeAsync(context.Document, runStatement, work.Expression, ct),
                        equivalenceKey: diagnostic.Id + ".Scope"),
                    diagnostic);
                continue;
            }

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

    // Task.Run(work); becomes Scope.Run(scope => scope.Spawn(work)); the thread scope joins the
    // child (and rethrows its failure) before the statement completes.
    private static async Task<Document> ScopeAsync(Document document, ExpressionStatementSyntax statement, ExpressionSyntax work, CancellationToken cancellationToken)
    {
        var root = await document.GetSyntaxRootAsync(cancellationToken).ConfigureAwait(false);
        if (root is null)
        {
            return document;
        }

        var spawn = SyntaxFactory.InvocationExpression(
            SyntaxFactory.MemberAccessExpression(SyntaxKind.SimpleMemberAccessExpression, SyntaxFactory.IdentifierName("scope"), SyntaxFactory.IdentifierName("Spawn")),
            SyntaxFactory.ArgumentList(SyntaxFactory.SingletonSeparatedList(SyntaxFactory.Argument(work.WithoutTrivia()))));
        var run = SyntaxFactory.InvocationExpression(
            SyntaxFactory.MemberAccessExpression(SyntaxKind.SimpleMemberAccessExpression, SyntaxFactory.IdentifierName("Scope"), SyntaxFactory.IdentifierName("Run")),
            SyntaxFactory.ArgumentList(SyntaxFactory.SingletonSeparatedList(SyntaxFactory.Argument(
                SyntaxFactory.SimpleLambdaExpression(SyntaxFactory.Parameter(SyntaxFactory.Identifier("scope")), spawn)))));
        var newRoot = root.ReplaceNode(statement, statement.WithExpression(run.WithTriviaFrom(statement.Expression)));
        return document.WithSyntaxRoot(Imports.Ensure(newRoot, "ConcurrencySafety"));
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
