using System.Collections.Immutable;
using System.Composition;
using System.Threading;
using System.Threading.Tasks;
using ConcurrencySafety.Analyzers;
using ConcurrencySafety.Analyzers.Ownership;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CodeActions;
using Microsoft.CodeAnalysis.CodeFixes;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace ConcurrencySafety.CodeFixes;

/// <summary>
/// CSA2011: lets a copy escape instead of the guarded data: <c>return g.Value;</c> becomes
/// <c>return new List&lt;string&gt;(g.Value);</c> (and the same for a value stored in a field
/// or an out parameter). The copy is taken while the guard is held. Offered where the escaping
/// expression is returned or stored directly and its type has a mechanical copy (see
/// <see cref="ValueCopies"/>); not for a local used after the guard was released, nor for a lambda.
/// </summary>
[ExportCodeFixProvider(LanguageNames.CSharp, Name = nameof(CSA2011GuardDataEscapesCodeFix))]
[Shared]
public sealed class CSA2011GuardDataEscapesCodeFix : CodeFixProvider
{
    public override ImmutableArray<string> FixableDiagnosticIds => ImmutableArray.Create(RuleIdentifiers.GuardDataEscapes);

    public override FixAllProvider GetFixAllProvider() => WellKnownFixAllProviders.BatchFixer;

    public override async Task RegisterCodeFixesAsync(CodeFixContext context)
    {
        var root = await context.Document.GetSyntaxRootAsync(context.CancellationToken).ConfigureAwait(false);
        var model = await context.Document.GetSemanticModelAsync(context.CancellationToken).ConfigureAwait(false);
        if (root is null || model is null)
        {
            return;
        }

        foreach (var diagnostic in context.Diagnostics)
        {
            if (!diagnostic.Properties.ContainsKey(GuardFlow.CopyFixKey)
                || root.FindNode(diagnostic.Location.SourceSpan, getInnermostNodeForTie: true) is not ExpressionSyntax escaping
                || ValueCopies.Copy(escaping, model, context.CancellationToken) is not { } copy)
            {
                continue;
            }

            context.RegisterCodeFix(
                CodeAction.Create(
                    "Copy the data while the guard is held",
                    ct => ReplaceAsync(context.Document, escaping, copy, ct),
                    equivalenceKey: RuleIdentifiers.GuardDataEscapes),
                diagnostic);
        }
    }

    private static async Task<Document> ReplaceAsync(Document document, ExpressionSyntax escaping, ExpressionSyntax copy, CancellationToken cancellationToken)
    {
        var root = await document.GetSyntaxRootAsync(cancellationToken).ConfigureAwait(false);
        return root is null ? document : document.WithSyntaxRoot(root.ReplaceNode(escaping, copy.WithTriviaFrom(escaping)));
    }
}
