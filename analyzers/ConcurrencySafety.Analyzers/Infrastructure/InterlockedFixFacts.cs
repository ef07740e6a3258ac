using System.Collections.Immutable;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Operations;

namespace ConcurrencySafety.Analyzers.Infrastructure;

/// <summary>
/// Tells the code fix, through <see cref="Diagnostic.Properties"/>, that a write is a counter
/// update (<c>x++</c>, <c>x -= n</c>) that <c>Interlocked</c> can do atomically.
/// </summary>
internal static class InterlockedFixFacts
{
    /// <summary>Property key; the value is Increment, Decrement, Add or Subtract.</summary>
    public const string Key = "Interlocked";

    public static ImmutableDictionary<string, string?> For(IOperation reference)
    {
        var parent = reference.Parent;
        if (parent?.Parent is not IExpressionStatementOperation)
        {
            // The value of the expression is used; keep the fix simple and exact.
            return ImmutableDictionary<string, string?>.Empty;
        }

        if (reference.Type?.SpecialType is not (SpecialType.System_Int32 or SpecialType.System_Int64))
        {
            return ImmutableDictionary<string, string?>.Empty;
        }

        string? kind = parent switch
        {
            IIncrementOrDecrementOperation { Kind: OperationKind.Increment, IsChecked: false } increment when increment.Target == reference => "Increment",
            IIncrementOrDecrementOperation { Kind: OperationKind.Decrement, IsChecked: false } decrement when decrement.Target == reference => "Decrement",
            ICompoundAssignmentOperation { OperatorKind: BinaryOperatorKind.Add, IsChecked: false } add when add.Target == reference => "Add",
            ICompoundAssignmentOperation { OperatorKind: BinaryOperatorKind.Subtract, IsChecked: false } sub when sub.Target == reference => "Subtract",
            _ => null,
        };

        return kind is null ? ImmutableDictionary<string, string?>.Empty : ImmutableDictionary<string, string?>.Empty.Add(Key, kind);
    }
}
