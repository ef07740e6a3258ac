using System.Collections.Immutable;
using System.Composition;
using System.Threading;
using System.Threading.Tasks;
using ConcurrencySafety.Analyzers;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CodeActions;
using Microsoft.CodeAnalysis.CodeFixes;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace ConcurrencySafety.CodeFixes;

/// <summary>
/// CSA2010: sends a fresh copy instead of the value the code goes on using:
/// <c>tx.Send(batch)</c> becomes <c>tx.Send(new List&lt;int&gt;(batch))</c>, an array
/// <c>tx.Send(buffer)</c> becomes <c>tx.Send((byte[])buffer.Clone())</c>, a
/// <c>StringBuilder</c> is copied through <c>ToString()</c>. The sending code keeps its own
/// object, so what it does with it afterwards is unchanged; the receiving side gets a value
/// nobody else holds. Offered when the item is a plain variable and its type has such a copy:
/// a single-dimension array, or a collection of <c>System.Collections.Generic</c> with a
/// constructor taking one interface the type implements (<c>IEnumerable&lt;T&gt;</c>,
/// <c>IDictionary&lt;K,V&gt;</c>). A user class gets no fix: whether it can be copied, and how
/// deep, is its author's decision. The copy is shallow, as the send was.
/// </summary>
[ExportCodeFixProvider(LanguageNames.CSharp, Name = nameof(CSA2010ValueUsedAfterSendCodeFix))]
[Shared]
public sealed class CSA2010ValueUsedAfterSendCodeFix : CodeFixProvider
{
    public override ImmutableArray<string> FixableDiagnosticIds => ImmutableArray.Create(RuleIdentifiers.ValueUsedAfterSend);

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
            if (diagnostic.AdditionalLocations.Count == 0
                || !diagnostic.Properties.TryGetValue("VariableName", out var name)
                || root.FindNode(diagnostic.AdditionalLocations[0].SourceSpan, getInnermostNodeForTie: true) is not InvocationExpressionSyntax send
                || send.ArgumentList.Arguments.FirstOrDefault(a => Names(a.Expression, name)) is not { } argument
                || ValueCopies.Copy(argument.Expression, model, context.CancellationToken) is not { } copy)
            {
                continue;
            }

            context.RegisterCodeFix(
                CodeAction.Create(
                    $"Send a copy of '{name}'",
                    ct => ReplaceAsync(context.Document, argument.Expression, copy, ct),
                    equivalenceKey: RuleIdentifiers.ValueUsedAfterSend),
                diagnostic);
        }
    }

    // batch, or this.batch for a field.
    private static bool Names(ExpressionSyntax expression, string? name) => expression switch
    {
        IdentifierNameSyntax identifier => identifier.Identifier.ValueText == name,
        MemberAccessExpressionSyntax { Expression: ThisExpressionSyntax, Name: IdentifierNameSyntax member } => member.Identifier.ValueText == name,
        _ => false,
    };

    private static async Task<Document> ReplaceAsync(Document document, ExpressionSyntax item, ExpressionSyntax copy, CancellationToken cancellationToken)
    {
        var root = await document.GetSyntaxRootAsync(cancellationToken).ConfigureAwait(false);
        return root is null ? document : document.WithSyntaxRoot(root.ReplaceNode(item, copy.WithTriviaFrom(item)));
    }
}
