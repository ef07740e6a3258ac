using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Operations;

namespace ConcurrencySafety.Analyzers.Infrastructure;

/// <summary>Tells writes from reads for variable and field references.</summary>
internal static class AccessClassifier
{
    /// <summary>
    /// Whether <paramref name="reference"/> writes the variable or field it names; null when the
    /// access goes through an atomic helper (Interlocked, Volatile, ImmutableInterlocked) or
    /// re-points an array through <c>Array.Resize</c> (a collection concern, CSA1002).
    /// </summary>
    public static AccessKind? ClassifyVariable(IOperation reference, WellKnownTypes types)
    {
        var parent = reference.Parent;
        switch (parent)
        {
            case ICoalesceAssignmentOperation coalesce when coalesce.Target == reference && IsIdempotentLazyInit(coalesce):
                // x ??= Shared.Get(): the usual lazy cache of a shared instance; a racing second
                // thread at worst computes it again and stores an equivalent value. It still
                // reads x. (x ??= new T() is a write: two threads can each keep their own object.)
                return AccessKind.Read;
            case ISimpleAssignmentOperation assignment when assignment.Target == reference:
            case ICompoundAssignmentOperation compound when compound.Target == reference:
            case ICoalesceAssignmentOperation coalesce when coalesce.Target == reference:
            case IIncrementOrDecrementOperation increment when increment.Target == reference:
                return AccessKind.Write;
            case IArgumentOperation argument:
                if (argument.Parent is IInvocationOperation invocation)
                {
                    if (types.IsAtomicHelper(invocation.TargetMethod))
                    {
                        return null;
                    }

                    if (SymbolEqualityComparer.Default.Equals(invocation.TargetMethod.ContainingType, types.ArrayType))
                    {
                        return argument.Parameter?.RefKind == RefKind.Ref ? null : AccessKind.Read;
                    }
                }

                return argument.Parameter?.RefKind is RefKind.Ref or RefKind.Out ? AccessKind.Write : AccessKind.Read;
            case ILockOperation:
                // lock (gate): taking the lock reads the reference, and races with nothing.
                return null;
            case ITupleOperation tuple when tuple.Parent is IDeconstructionAssignmentOperation deconstruction && deconstruction.Target == tuple:
                return AccessKind.Write;
            case IFieldReferenceOperation field when field.Instance == reference && reference.Type is { IsValueType: true }:
                // Writing a field of a struct variable writes the variable.
                return ClassifyVariable(field, types) == AccessKind.Write ? AccessKind.Write : AccessKind.Read;
            default:
                return AccessKind.Read;
        }
    }

    private static bool IsIdempotentLazyInit(ICoalesceAssignmentOperation coalesce)
    {
        if (coalesce.Target.Type is not { IsReferenceType: true })
        {
            return false;
        }

        var value = coalesce.Value;
        while (value is IConversionOperation conversion)
        {
            value = conversion.Operand;
        }

        return value is not (IObjectCreationOperation or IAnonymousObjectCreationOperation or IArrayCreationOperation);
    }

    /// <summary>The variable a field is reached through: null for <c>this</c> or static, the symbol for a local or parameter.</summary>
    public static bool TryGetFieldReceiver(IFieldReferenceOperation field, out ISymbol? receiver)
    {
        receiver = null;
        switch (field.Instance)
        {
            case null:
            case IInstanceReferenceOperation:
                return true;
            case ILocalReferenceOperation local:
                receiver = local.Local;
                return true;
            case IParameterReferenceOperation parameter:
                receiver = parameter.Parameter;
                return true;
            default:
                return false;
        }
    }

    /// <summary>Whether <paramref name="operation"/> is the target of an assignment (a setter call).</summary>
    public static bool IsAssignmentTarget(IOperation operation) => operation.Parent switch
    {
        ISimpleAssignmentOperation assignment => assignment.Target == operation,
        ICompoundAssignmentOperation compound => compound.Target == operation,
        IIncrementOrDecrementOperation increment => increment.Target == operation,
        ICoalesceAssignmentOperation coalesce => coalesce.Target == operation,
        _ => false,
    };
}
