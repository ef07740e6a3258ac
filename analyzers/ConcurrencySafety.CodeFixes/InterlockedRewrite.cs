using System.Collections.Generic;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using ConcurrencySafety.Analyzers.Infrastructure;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CodeActions;
using Microsoft.CodeAnalysis.CodeFixes;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Formatting;
using Microsoft.CodeAnalysis.Simplification;

namespace ConcurrencySafety.CodeFixes;

/// <summary>
/// Turns a counter update (<c>x++</c>, <c>x--</c>, <c>x += n</c>, <c>x -= n</c>) into the
/// matching <c>Interlocked</c> call. Shared by the CSA1001 and CSA1003 fixers; the analyzers
/// only offer it for int and long statements whose value is not used.
/// </summary>
internal static class InterlockedRewrite
{
    public static bool TryGetKind(Diagnostic diagnostic, out string kind)
    {
        kind = string.Empty;
        if (diagnostic.Properties.TryGetValue(InterlockedFixFacts.Key, out var value) && value is not null)
        {
            kind = value;
            return true;
        }

        return false;
    }

    public static string Title(string kind) => kind switch
    {
        "Increment" => "Use Interlocked.Increment",
        "Decrement" => "Use Interlocked.Decrement",
        _ => "Use Interlocked.Add",
    };

    /// <summary>
    /// Rewrites the updates of <paramref name="diagnostics"/> in one pass over the document and
    /// adds <c>using System.Threading;</c> once, if the file does not already see it. One pass
    /// (rather than the batch fixer merging one edit per diagnostic) matters for Fix All and
    /// <c>dotnet format</c>: two separate fixes would each insert the same using, a conflict the
    /// merge resolves by dropping one of them until the next pass.
    /// </summary>
    public static async Task<Document> ApplyAsync(Document document, IEnumerable<Diagnostic> diagnostics, CancellationToken cancellationToken)
    {
        var root = await document.GetSyntaxRootAsync(cancellationToken).ConfigureAwait(false);
        if (root is null)
        {
            return document;
        }

        var updates = new Dictionary<ExpressionSyntax, (ExpressionSyntax Target, Diagnostic Diagnostic, string Kind)>();
        foreach (var diagnostic in diagnostics)
        {
            if (TryGetKind(diagnostic, out var kind)
                && root.FindNode(diagnostic.Location.SourceSpan, getInnermostNodeForTie: true) is ExpressionSyntax target
                && UpdateOf(target) is { } update
                && !updates.ContainsKey(update))
            {
                updates.Add(update, (target, diagnostic, kind));
            }
        }

        if (updates.Count == 0)
        {
            return document;
        }

        var newRoot = root.ReplaceNodes(updates.Keys, (original, _) => Call((ExpressionSyntax)original, updates[(ExpressionSyntax)original].Target, updates[(ExpressionSyntax)original].Diagnostic, updates[(ExpressionSyntax)original].Kind));
        return document.WithSyntaxRoot(await Imports.EnsureAsync(document, newRoot, "System.Threading", "Interlocked", updates.Keys.Min(u => u.SpanStart), cancellationToken).ConfigureAwait(false));
    }

    /// <summary>Fix All: every Interlocked update of a document in one pass (see <see cref="ApplyAsync"/>).</summary>
    public static FixAllProvider FixAll { get; } = new DefaultKeyFixAllProvider(FixAllProvider.Create(
        async (context, document, diagnostics) => await ApplyAsync(document, diagnostics, context.CancellationToken).ConfigureAwait(false)));

    private static ExpressionSyntax? UpdateOf(ExpressionSyntax target) => target.Parent switch
    {
        PostfixUnaryExpressionSyntax postfix when postfix.Operand == target => postfix,
        PrefixUnaryExpressionSyntax prefix when prefix.Operand == target => prefix,
        AssignmentExpressionSyntax assignment when assignment.Left == target => assignment,
        _ => null,
    };

    // The update's target has no nested update (it is a local, parameter or field reference), so
    // rewriting the original node is the same as rewriting the current one.
    private static ExpressionSyntax Call(ExpressionSyntax update, ExpressionSyntax target, Diagnostic diagnostic, string kind)
    {
        var location = SyntaxFactory.Argument(target.WithoutTrivia()).WithRefKindKeyword(SyntaxFactory.Token(SyntaxKind.RefKeyword));
        var arguments = SyntaxFactory.SeparatedList(new[] { location });
        var method = kind;
        if (update is AssignmentExpressionSyntax compound)
        {
            method = "Add";
            var amount = compound.Right.WithoutTrivia();
            if (kind == "Subtract")
            {
                amount = SyntaxFactory.PrefixUnaryExpression(
                    SyntaxKind.UnaryMinusExpression,
                    amount is LiteralExpressionSyntax or IdentifierNameSyntax ? amount : SyntaxFactory.ParenthesizedExpression(amount));
            }

            arguments = arguments.Add(SyntaxFactory.Argument(amount));
        }

        var interlocked = SyntaxFactory.ParseName("global::System.Threading.Interlocked")
            .WithAdditionalAnnotations(Simplifier.Annotation);
        ExpressionSyntax call = SyntaxFactory.InvocationExpression(
            SyntaxFactory.MemberAccessExpression(SyntaxKind.SimpleMemberAccessExpression, interlocked, SyntaxFactory.IdentifierName(method)),
            SyntaxFactory.ArgumentList(arguments));
        if (update is PostfixUnaryExpressionSyntax
            && diagnostic.Properties.TryGetValue(InterlockedFixFacts.ValueKey, out var value) && value == "Observed")
        {
            // x++ as a lambda's value is the old value; Interlocked.Increment returns the new one.
            call = SyntaxFactory.BinaryExpression(
                method == "Increment" ? SyntaxKind.SubtractExpression : SyntaxKind.AddExpression,
                call,
                SyntaxFactory.LiteralExpression(SyntaxKind.NumericLiteralExpression, SyntaxFactory.Literal(1)));
        }

        return call.WithTriviaFrom(update).WithAdditionalAnnotations(Formatter.Annotation);
    }

    public static CodeAction Action(Document document, Diagnostic diagnostic, string kind, string rule) =>
        CodeAction.Create(
            Title(kind),
            ct => ApplyAsync(document, new[] { diagnostic }, ct),
            equivalenceKey: FixKeys.Default(rule));
}
