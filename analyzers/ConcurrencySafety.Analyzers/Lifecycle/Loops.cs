using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace ConcurrencySafety.Analyzers.Lifecycle;

/// <summary>Syntax facts about loops that receive until a channel closes.</summary>
internal static class Loops
{
    /// <summary>
    /// Whether the loop's body can leave the loop by itself (break, return, throw, goto, yield):
    /// then the loop does not depend on the channel closing, and the rules stay silent.
    /// Any break counts, even one that only leaves a nested loop or switch (conservative).
    /// </summary>
    public static bool CanExitEarly(SyntaxNode loop)
    {
        var body = loop switch
        {
            CommonForEachStatementSyntax forEach => forEach.Statement,
            WhileStatementSyntax whileStatement => whileStatement.Statement,
            DoStatementSyntax doStatement => doStatement.Statement,
            _ => null,
        };
        if (body is null)
        {
            return true;
        }

        foreach (var node in body.DescendantNodesAndSelf(n => n is not (AnonymousFunctionExpressionSyntax or LocalFunctionStatementSyntax)))
        {
            if (node is BreakStatementSyntax or ReturnStatementSyntax or ThrowStatementSyntax or ThrowExpressionSyntax or GotoStatementSyntax or YieldStatementSyntax)
            {
                return true;
            }
        }

        return false;
    }
}
