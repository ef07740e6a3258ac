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
/// CSA2006: <c>Chan.Unbounded&lt;T&gt;()</c> becomes <c>Chan.Bounded&lt;T&gt;(capacity: 64)</c>
/// (its <c>ChanOptions</c>, if any, kept after the capacity)
/// and <c>Channel.CreateUnbounded&lt;T&gt;()</c> becomes <c>Channel.CreateBounded&lt;T&gt;(capacity: 64)</c>.
/// The capacity is a placeholder to fill in; the named argument shows where. Not offered when
/// options are passed (their meaning differs between the two kinds).
/// </summary>
[ExportCodeFixProvider(LanguageNames.CSharp, Name = nameof(CSA2006UnboundedChannelCodeFix))]
[Shared]
public sealed class CSA2006UnboundedChannelCodeFix : CodeFixProvider
{
    /// <summary>The placeholder capacity the fix writes.</summary>
    public const int PlaceholderCapacity = 64;

    public override ImmutableArray<string> FixableDiagnosticIds => ImmutableArray.Create(RuleIdentifiers.UnboundedChannel);

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
            if (!diagnostic.Properties.ContainsKey(CSA2006UnboundedChannelAnalyzer.FixableKey)
                || root.FindNode(diagnostic.Location.SourceSpan, getInnermostNodeForTie: true)?.FirstAncestorOrSelf<InvocationExpressionSyntax>() is not { } invocation
                || Name(invocation) is not GenericNameSyntax { Identifier.ValueText: "Unbounded" or "CreateUnbounded" })
            {
                continue;
            }

            context.RegisterCodeFix(
                CodeAction.Create(
                    "Use a bounded channel (fill in the capacity)",
                    ct => FixAsync(context.Document, invocation, ct),
                    equivalenceKey: FixKeys.Default(RuleIdentifiers.UnboundedChannel)),
                diagnostic);
        }
    }

    private static SimpleNameSyntax? Name(InvocationExpressionSyntax invocation) => invocation.Expression switch
    {
        MemberAccessExpressionSyntax member => member.Name,
        SimpleNameSyntax simple => simple,
        _ => null,
    };

    private static async Task<Document> FixAsync(Document document, InvocationExpressionSyntax invocation, CancellationToken cancellationToken)
    {
        var root = await document.GetSyntaxRootAsync(cancellationToken).ConfigureAwait(false);
        if (root is null || Name(invocation) is not GenericNameSyntax name)
        {
            return document;
        }

        var boundedName = name.Identifier.ValueText == "Unbounded" ? "Bounded" : "CreateBounded";
        var newName = name.WithIdentifier(SyntaxFactory.Identifier(boundedName).WithTriviaFrom(name.Identifier));
        var argument = SyntaxFactory.Argument(SyntaxFactory.LiteralExpression(SyntaxKind.NumericLiteralExpression, SyntaxFactory.Literal(PlaceholderCapacity)))
            .WithNameColon(SyntaxFactory.NameColon("capacity"));
        // Our factory's ChanOptions argument (the only argument the analyzer lets through) stays,
        // after the capacity: Chan.Bounded<T>(capacity: 64, options).
        var arguments = SyntaxFactory.SingletonSeparatedList(argument).AddRange(invocation.ArgumentList.Arguments);
        var newInvocation = invocation
            .ReplaceNode(name, newName)
            .WithArgumentList(SyntaxFactory.ArgumentList(arguments).WithTriviaFrom(invocation.ArgumentList));
        return document.WithSyntaxRoot(root.ReplaceNode(invocation, newInvocation));
    }
}
