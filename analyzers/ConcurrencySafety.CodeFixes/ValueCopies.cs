using System.Threading;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace ConcurrencySafety.CodeFixes;

/// <summary>
/// A fresh shallow copy of a value, written as an expression, for the ownership fixes (CSA2010
/// sends a copy, CSA2011 lets a copy escape instead of the guarded data): a single-dimension
/// array is cloned (<c>(T[])x.Clone()</c>), a <c>StringBuilder</c> copied through
/// <c>ToString()</c>, a collection of <c>System.Collections.Generic</c> rebuilt by its
/// constructor from an interface it implements (<c>new List&lt;T&gt;(x)</c>). Anything else
/// has no mechanical copy (null).
/// </summary>
internal static class ValueCopies
{
    /// <summary>The copy of <paramref name="item"/>, or null when its type has no mechanical copy.</summary>
    public static ExpressionSyntax? Copy(ExpressionSyntax item, SemanticModel model, CancellationToken cancellationToken)
    {
        var type = model.GetTypeInfo(item, cancellationToken).Type;
        var position = item.SpanStart;
        var bare = item.WithoutTrivia();
        switch (type)
        {
            case IArrayTypeSymbol { Rank: 1 } array:
                // (T[])buffer.Clone()
                return SyntaxFactory.CastExpression(
                    SyntaxFactory.ParseTypeName(array.ToMinimalDisplayString(model, position)),
                    SyntaxFactory.InvocationExpression(SyntaxFactory.MemberAccessExpression(SyntaxKind.SimpleMemberAccessExpression, bare, SyntaxFactory.IdentifierName("Clone"))));

            case INamedTypeSymbol { Name: "StringBuilder", ContainingNamespace: { Name: "Text", ContainingNamespace.Name: "System" } } builder:
                // new StringBuilder(sb.ToString())
                return SyntaxFactory.ObjectCreationExpression(SyntaxFactory.ParseTypeName(builder.ToMinimalDisplayString(model, position)))
                    .WithArgumentList(Arguments(SyntaxFactory.InvocationExpression(SyntaxFactory.MemberAccessExpression(SyntaxKind.SimpleMemberAccessExpression, bare, SyntaxFactory.IdentifierName("ToString")))));

            case INamedTypeSymbol { TypeKind: TypeKind.Class, IsAbstract: false, ContainingNamespace: { Name: "Generic", ContainingNamespace: { Name: "Collections", ContainingNamespace.Name: "System" } } } named:
                foreach (var constructor in named.InstanceConstructors)
                {
                    // new List<int>(batch): a constructor that copies from an interface the
                    // type itself implements (IEnumerable<T>, IDictionary<K,V>).
                    if (constructor.Parameters.Length == 1
                        && constructor.Parameters[0] is { RefKind: RefKind.None, Type: INamedTypeSymbol { TypeKind: TypeKind.Interface } source }
                        && model.IsAccessible(position, constructor)
                        && model.Compilation.ClassifyConversion(named, source) is { IsImplicit: true, IsReference: true })
                    {
                        return SyntaxFactory.ObjectCreationExpression(SyntaxFactory.ParseTypeName(named.ToMinimalDisplayString(model, position)))
                            .WithArgumentList(Arguments(bare));
                    }
                }

                return null;

            default:
                return null;
        }
    }

    private static ArgumentListSyntax Arguments(ExpressionSyntax expression) =>
        SyntaxFactory.ArgumentList(SyntaxFactory.SingletonSeparatedList(SyntaxFactory.Argument(expression)));
}
