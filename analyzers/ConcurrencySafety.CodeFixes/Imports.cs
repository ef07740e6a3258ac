using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace ConcurrencySafety.CodeFixes;

/// <summary>Adds a using directive when a fix introduces a type from a namespace the file does not import.</summary>
internal static class Imports
{
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
