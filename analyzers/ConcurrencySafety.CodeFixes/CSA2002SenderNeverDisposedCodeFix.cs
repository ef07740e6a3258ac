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
/// CSA2002: <c>var worker = tx.Clone();</c> becomes <c>using var worker = tx.Clone();</c>, and
/// <c>var ticker = Chan.Tick(...);</c> becomes <c>using var ticker = Chan.Tick(...);</c> (when no
/// lambda reads the ticker: it would outlive the block).
/// Offered only where the analyzer found it safe (a plain local declaration, and no loop of the
/// same function drains the channel after it, which a using declaration would hang: CSA2003).
/// Senders from deconstruction (<c>var (tx, rx) = ...</c>) get no fix: C# has no using
/// deconstruction, and where to dispose depends on who produces.
/// </summary>
[ExportCodeFixProvider(LanguageNames.CSharp, Name = nameof(CSA2002SenderNeverDisposedCodeFix))]
[Shared]
public sealed class CSA2002SenderNeverDisposedCodeFix : CodeFixProvider
{
    public override ImmutableArray<string> FixableDiagnosticIds => ImmutableArray.Create(RuleIdentifiers.SenderNeverDisposed);

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
            if (!diagnostic.Properties.ContainsKey(CSA2002SenderNeverDisposedAnalyzer.UsingFixKey)
                || root.FindToken(diagnostic.Location.SourceSpan.Start).Parent?.FirstAncestorOrSelf<LocalDeclarationStatementSyntax>() is not { } declaration
                || declaration.UsingKeyword.RawKind != 0)
            {
                continue;
            }

            context.RegisterCodeFix(
                CodeAction.Create(
                    diagnostic.Properties.TryGetValue(CSA2002SenderNeverDisposedAnalyzer.KindKey, out var kind) && kind == CSA2002SenderNeverDisposedAnalyzer.TickerKind
                        ? "Declare the ticker with using"
                        : "Declare the sender with using",
                    ct => FixAsync(context.Document, declaration, ct),
                    equivalenceKey: FixKeys.Default(RuleIdentifiers.SenderNeverDisposed)),
                diagnostic);
        }
    }

    private static async Task<Document> FixAsync(Document document, LocalDeclarationStatementSyntax declaration, CancellationToken cancellationToken)
    {
        var root = await document.GetSyntaxRootAsync(cancellationToken).ConfigureAwait(false);
        return root is null ? document : document.WithSyntaxRoot(root.ReplaceNode(declaration, UsingDeclarations.AddUsing(declaration)));
    }
}

/// <summary>Turns a local declaration into a using declaration, keeping its trivia.</summary>
internal static class UsingDeclarations
{
    public static LocalDeclarationStatementSyntax AddUsing(LocalDeclarationStatementSyntax declaration)
    {
        var leading = declaration.GetLeadingTrivia();
        return declaration
            .WithoutLeadingTrivia()
            .WithUsingKeyword(SyntaxFactory.Token(SyntaxKind.UsingKeyword).WithTrailingTrivia(SyntaxFactory.Space))
            .WithLeadingTrivia(leading);
    }
}
