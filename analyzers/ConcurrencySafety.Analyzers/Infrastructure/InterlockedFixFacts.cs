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

    /// <summary>
    /// Property key, present when the update is the value of an expression lambda (<c>() =&gt; x++</c>
    /// converted to a <c>Func</c>): "Observed" when that value may be read (a postfix update then
    /// needs the old value back), "Unobserved" when the lambda's result is only a task that is
    /// dropped, awaited as a statement or kept as a plain <c>Task</c>.
    /// </summary>
    public const string ValueKey = "InterlockedValue";

    public static ImmutableDictionary<string, string?> For(IOperation reference)
    {
        var parent = reference.Parent;
        string? value = null;
        if (parent?.Parent is IReturnOperation { IsImplicit: true } returned
            && returned.Parent is IBlockOperation { Parent: IAnonymousFunctionOperation lambda })
        {
            // The expression body of a value-returning lambda: the Interlocked call returns the
            // new value, which is also what ++x and x += n return.
            value = IsObserved(lambda) ? "Observed" : "Unobserved";
        }
        else if (parent?.Parent is not IExpressionStatementOperation)
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

        if (kind is null)
        {
            return ImmutableDictionary<string, string?>.Empty;
        }

        var facts = ImmutableDictionary<string, string?>.Empty.Add(Key, kind);
        return value is null ? facts : facts.Add(ValueKey, value);
    }

    /// <summary>
    /// Whether the value a lambda returns may be read: false only when the lambda is the argument
    /// of a call (Task.Run) whose result is dropped, awaited as a statement, or converted to the
    /// non-generic Task, which has no result to read.
    /// </summary>
    private static bool IsObserved(IAnonymousFunctionOperation lambda)
    {
        if (lambda.Parent is not IDelegateCreationOperation { Parent: IArgumentOperation { Parent: IInvocationOperation call } })
        {
            return true;
        }

        return call.Parent switch
        {
            IExpressionStatementOperation => false,
            IAwaitOperation { Parent: IExpressionStatementOperation } => false,
            IConversionOperation { Type: INamedTypeSymbol { IsGenericType: false, Name: "Task" } task } =>
                task.ContainingNamespace?.ToDisplayString() != "System.Threading.Tasks",
            _ => true,
        };
    }
}
