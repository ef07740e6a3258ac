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
/// CSA2012: takes the write guard instead: <c>Read()</c> becomes <c>Write()</c>,
/// <c>ReadAsync</c> <c>WriteAsync</c>, <c>TryRead</c> <c>TryWrite</c>, at the one call that
/// acquired the guard. Offered only where the analyzer found it mechanical: the guard is not
/// kept in a local, or it is a <c>var</c> local used only through <c>Value</c>,
/// <c>IsHeld</c>, <c>Dispose</c> and <c>using</c> (so its new type fits every use).
/// </summary>
[ExportCodeFixProvider(LanguageNames.CSharp, Name = nameof(CSA2012MutationThroughReadGuardCodeFix))]
[Shared]
public sealed class CSA2012MutationThroughReadGuardCodeFix : CodeFixProvider
{
    public override ImmutableArray<string> FixableDiagnosticIds => ImmutableArray.Create(RuleIdentifiers.MutationThroughReadGuard);

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
            if (!diagnostic.Properties.ContainsKey(GuardFlow.WriteFixKey)
                || diagnostic.AdditionalLocations.Count == 0
                || root.FindNode(diagnostic.AdditionalLocations[0].SourceSpan, getInnermostNodeForTie: true) is not InvocationExpressionSyntax acquisition
                || MethodName(acquisition) is not { } name
                || name.Identifier.ValueText is not ("Read" or "ReadAsync" or "TryRead"))
            {
                continue;
            }

            context.RegisterCodeFix(
                CodeAction.Create(
                    "Take a write guard",
                    ct => RenameAsync(context.Document, name, ct),
                    equivalenceKey: RuleIdentifiers.MutationThroughReadGuard),
                diagnostic);
        }
    }

    private static SimpleNameSyntax? MethodName(InvocationExpressionSyntax invocation) => invocation.Expression switch
    {
        MemberAccessExpressionSyntax member => member.Name,
        MemberBindingExpressionSyntax binding => binding.Name,
        SimpleNameSyntax simple => simple,
        _ => null,
    };

    private static async Task<Document> RenameAsync(Document document, SimpleNameSyntax name, CancellationToken cancellationToken)
    {
        var root = await document.GetSyntaxRootAsync(cancellationToken).ConfigureAwait(false);
        if (root is null)
        {
            return document;
        }

        var written = name.Identifier.ValueText.Replace("Read", "Write");
        return document.WithSyntaxRoot(root.ReplaceToken(name.Identifier, SyntaxFactory.Identifier(written).WithTriviaFrom(name.Identifier)));
    }
}
