using System.Collections.Immutable;
using System.Composition;
using System.Threading;
using System.Threading.Tasks;
using ConcurrencySafety.Analyzers;
using ConcurrencySafety.Analyzers.Ownership;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CodeActions;
using Microsoft.CodeAnalysis.CodeFixes;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace ConcurrencySafety.CodeFixes;

/// <summary>
/// CSA2013: acquires asynchronously: <c>l.Lock(ct)</c> becomes <c>await l.LockAsync(ct)</c>
/// (<c>Read</c>/<c>Write</c> likewise; the async forms take the same arguments). Not offered
/// for the <c>Try</c> forms, which have no async twin, nor for a conditional call.
/// </summary>
[ExportCodeFixProvider(LanguageNames.CSharp, Name = nameof(CSA2013SyncGuardAcrossAwaitCodeFix))]
[Shared]
public sealed class CSA2013SyncGuardAcrossAwaitCodeFix : CodeFixProvider
{
    public override ImmutableArray<string> FixableDiagnosticIds => ImmutableArray.Create(RuleIdentifiers.SyncGuardAcrossAwait);

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
            if (!diagnostic.Properties.TryGetValue(GuardFlow.AsyncAcquireKey, out var asyncName)
                || asyncName is null
                || root.FindNode(diagnostic.Location.SourceSpan, getInnermostNodeForTie: true) is not InvocationExpressionSyntax { Expression: MemberAccessExpressionSyntax member } call)
            {
                continue;
            }

            context.RegisterCodeFix(
                CodeAction.Create(
                    $"Use await {asyncName}",
                    ct => FixAsync(context.Document, call, member, asyncName, ct),
                    equivalenceKey: RuleIdentifiers.SyncGuardAcrossAwait),
                diagnostic);
        }
    }

    private static async Task<Document> FixAsync(Document document, InvocationExpressionSyntax call, MemberAccessExpressionSyntax member, string asyncName, CancellationToken cancellationToken)
    {
        var root = await document.GetSyntaxRootAsync(cancellationToken).ConfigureAwait(false);
        if (root is null)
        {
            return document;
        }

        var renamed = call.WithoutTrivia().WithExpression(member.WithName(SyntaxFactory.IdentifierName(asyncName)));
        var awaited = SyntaxFactory.AwaitExpression(renamed).WithTriviaFrom(call);
        return document.WithSyntaxRoot(root.ReplaceNode(call, awaited));
    }
}
