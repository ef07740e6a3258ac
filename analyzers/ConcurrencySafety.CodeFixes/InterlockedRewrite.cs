using System.Threading;
using System.Threading.Tasks;
using ConcurrencySafety.Analyzers.Infrastructure;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CodeActions;
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

    public static async Task<Document> ApplyAsync(Document document, Diagnostic diagnostic, string kind, CancellationToken cancellationToken)
    {
        var root = await document.GetSyntaxRootAsync(cancellationToken).ConfigureAwait(false);
        if (root?.FindNode(diagnostic.Location.SourceSpan, getInnermostNodeForTie: true) is not ExpressionSyntax target)
        {
            return document;
        }

        ExpressionSyntax? update = target.Parent switch
        {
            PostfixUnaryExpressionSyntax postfix when postfix.Operand == target => postfix,
            PrefixUnaryExpressionSyntax prefix when prefix.Operand == target => prefix,
            AssignmentExpressionSyntax assignment when assignment.Left == target => assignment,
            _ => null,
        };
        if (update is null)
        {
            return document;
        }

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
        var call = SyntaxFactory.InvocationExpression(
                SyntaxFactory.MemberAccessExpression(SyntaxKind.SimpleMemberAccessExpression, interlocked, SyntaxFactory.IdentifierName(method)),
                SyntaxFactory.ArgumentList(arguments))
            .WithTriviaFrom(update)
            .WithAdditionalAnnotations(Formatter.Annotation);
        return document.WithSyntaxRoot(Imports.Ensure(root.ReplaceNode(update, call), "System.Threading"));
    }

    public static CodeAction Action(Document document, Diagnostic diagnostic, string kind, string rule) =>
        CodeAction.Create(
            Title(kind),
            ct => ApplyAsync(document, diagnostic, kind, ct),
            equivalenceKey: rule + ".Interlocked." + kind);
}
