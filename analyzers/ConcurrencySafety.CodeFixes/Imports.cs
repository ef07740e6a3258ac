using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace ConcurrencySafety.CodeFixes;

/// <summary>Adds a using directive when a fix introduces a type from a namespace the file does not import.</summary>
internal static class Imports
{
    /// <summary>
    /// Adds <c>using <paramref name="ns"/>;</c> to <paramref name="newRoot"/> unless the original
    /// <paramref name="document"/> already sees <paramref name="typeName"/> of that namespace by its
    /// simple name at <paramref name="position"/>: through a using of the file, a global using
    /// (implicit usings included) or an enclosing namespace. A redundant using is noise, and an
    /// IDE0005 warning where that is enabled.
    /// </summary>
    public static async Task<SyntaxNode> EnsureAsync(Document document, SyntaxNode newRoot, string ns, string typeName, int position, CancellationToken cancellationToken)
    {
        var model = await document.GetSemanticModelAsync(cancellationToken).ConfigureAwait(false);
        if (model is not null
            && model.LookupNamespacesAndTypes(position, container: null, name: typeName)
                .Any(s => s is INamedTypeSymbol && s.ContainingNamespace?.ToDisplayString() == ns))
        {
            return newRoot;
        }

        return Ensure(newRoot, ns);
    }

    public static SyntaxNode Ensure(SyntaxNode root, string ns)
    {
        if (root is not CompilationUnitSyntax unit)
        {
            return root;
        }

        foreach (var node in unit.DescendantNodesAndSelf(n => n is CompilationUnitSyntax or BaseNamespaceDeclarationSyntax))
        {
            var usings = node switch
            {
                CompilationUnitSyntax u => u.Usings,
                BaseNamespaceDeclarationSyntax n => n.Usings,
                _ => default,
            };
            foreach (var directive in usings)
            {
                if (directive.Alias is null && directive.StaticKeyword.IsKind(SyntaxKind.None) && directive.Name?.ToString() == ns)
                {
                    return root;
                }
            }
        }

        var newUsing = SyntaxFactory.UsingDirective(SyntaxFactory.ParseName(ns)).WithTrailingTrivia(SyntaxFactory.ElasticCarriageReturnLineFeed);
        var index = 0;
        while (index < unit.Usings.Count && string.CompareOrdinal(unit.Usings[index].Name?.ToString(), ns) < 0)
        {
            index++;
        }

        if (unit.Usings.Count > 0)
        {
            newUsing = newUsing.WithTrailingTrivia(unit.Usings[System.Math.Min(index, unit.Usings.Count - 1)].GetTrailingTrivia());
        }

        return unit.WithUsings(unit.Usings.Insert(index, newUsing));
    }
}
