using Microsoft.CodeAnalysis;

namespace ConcurrencySafety.Analyzers.Infrastructure;

/// <summary>Where a variable is declared, for the race engine's "is this variable per call, per body, per iteration" questions.</summary>
internal static class Declarations
{
    /// <summary>
    /// Whether <paramref name="variable"/> is declared inside <paramref name="node"/> (a body, a
    /// method, a loop region): then each run of that node has its own variable.
    /// </summary>
    public static bool IsDeclaredIn(ISymbol variable, SyntaxNode node)
    {
        foreach (var reference in variable.DeclaringSyntaxReferences)
        {
            if (reference.SyntaxTree == node.SyntaxTree && node.Span.Contains(reference.Span))
            {
                return true;
            }
        }

        return false;
    }
}
