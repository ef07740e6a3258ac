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
/// CSA2007: <c>tx.Send(x)</c> becomes <c>await tx.SendAsync(x)</c> (parenthesized when a member
/// is accessed on the result), and <c>foreach</c> over a receiver becomes <c>await foreach</c>.
/// The analyzer already checked that the async twin has the same parameters and that the code
/// is in an async function outside a lock.
/// </summary>
[ExportCodeFixProvider(LanguageNames.CSharp, Name = nameof(CSA2007BlockingChannelOperationInAsyncCodeFix))]
[Shared]
public sealed class CSA2007BlockingChannelOperationInAsyncCodeFix : CodeFixProvider
{
    public override ImmutableArray<string> FixableDiagnosticIds => ImmutableArray.Create(RuleIdentifiers.BlockingChannelOperationInAsync);

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
            if (!diagnostic.Properties.TryGetValue(CSA2007BlockingChannelOperationInAsyncAnalyzer.AsyncNameKey, out var asyncName) || asyncName is null)
            {
                continue;
            }

            var node = root.FindNode(diagnostic.Location.SourceSpan, getInnermostNodeForTie: true);
            if (asyncName == "foreach")
            {
                if (node?.FirstAncestorOrSelf<CommonForEachStatementSyntax>() is { } loop)
                {
                    context.RegisterCodeFix(
                        CodeAction.Create("Use await foreach", ct => Replace(context.Document, loop, AwaitForEach(loop), ct), equivalenceKey: FixKeys.Default(RuleIdentifiers.BlockingChannelOperationInAsync)),
                        diagnostic);
                }
            }
            else if (node?.FirstAncestorOrSelf<InvocationExpressionSyntax>() is { Expression: MemberAccessExpressionSyntax member } invocation)
            {
                context.RegisterCodeFix(
                    CodeAction.Create($"Use await {asyncName}", ct => Replace(context.Document, invocation, AwaitCall(invocation, member, asyncName), ct), equivalenceKey: FixKeys.Default(RuleIdentifiers.BlockingChannelOperationInAsync)),
                    diagnostic);
            }
        }
    }

    private static SyntaxNode AwaitForEach(CommonForEachStatementSyntax loop) =>
        loop.WithAwaitKeyword(SyntaxFactory.Token(SyntaxKind.AwaitKeyword).WithLeadingTrivia(loop.ForEachKeyword.LeadingTrivia).WithTrailingTrivia(SyntaxFactory.Space))
            .WithForEachKeyword(loop.ForEachKeyword.WithLeadingTrivia());

    private static SyntaxNode AwaitCall(InvocationExpressionSyntax invocation, MemberAccessExpressionSyntax member, string asyncName)
    {
        var renamed = invocation.WithExpression(member.WithName(SyntaxFactory.IdentifierName(asyncName).WithTriviaFrom(member.Name))).WithoutLeadingTrivia();
        ExpressionSyntax awaited = SyntaxFactory.AwaitExpression(SyntaxFactory.Token(SyntaxKind.AwaitKeyword).WithTrailingTrivia(SyntaxFactory.Space), renamed);
        if (invocation.Parent is MemberAccessExpressionSyntax or ElementAccessExpressionSyntax or ConditionalAccessExpressionSyntax or PostfixUnaryExpressionSyntax)
        {
            awaited = SyntaxFactory.ParenthesizedExpression(awaited);
        }

        return awaited.WithTriviaFrom(invocation);
    }

    private static async Task<Document> Replace(Document document, SyntaxNode oldNode, SyntaxNode newNode, CancellationToken cancellationToken)
    {
        var root = await document.GetSyntaxRootAsync(cancellationToken).ConfigureAwait(false);
        return root is null ? document : document.WithSyntaxRoot(root.ReplaceNode(oldNode, newNode));
    }
}
