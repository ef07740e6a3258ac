using System.Collections.Generic;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Operations;

namespace ConcurrencySafety.Analyzers.Infrastructure;

/// <summary>
/// Recognizes the calls whose delegate arguments run concurrently. This runs on every
/// invocation and object creation of a compilation, so it filters on the containing type first
/// and looks at parameter attributes only for delegate-typed parameters.
/// </summary>
internal static class ConcurrentCallFinder
{
    public static void Find(IInvocationOperation invocation, WellKnownTypes types, ConcurrencyOptions options, List<ConcurrentCall> found)
    {
        var method = invocation.TargetMethod;
        var type = method.ContainingType?.OriginalDefinition;
        if (type is null)
        {
            return;
        }

        if (method.IsAsync && StartOf(invocation) is { } start)
        {
            // var t1 = CopyAsync(a); var t2 = CopyAsync(b); await Task.WhenAll(t1, t2): after its
            // first await, each invocation runs beside the caller and the other invocations.
            // Task.WhenAll(items.Select(i => CopyAsync(i))): one invocation per element, all at once.
            found.Add(new ConcurrentCall(invocation, invocation, several: start == AsyncStart.PerElement, StartKind.Immediate, method.Name) { IsAsyncStart = true });
            return;
        }

        var comparer = SymbolEqualityComparer.Default;
        if (method.Name == "Select" && comparer.Equals(type, types.EnumerableType))
        {
            AddAsyncSelector(invocation, found);
            return;
        }

        if (comparer.Equals(type, types.TaskType))
        {
            if (method.Name == "Run")
            {
                AddDelegateArguments(invocation, invocation.Arguments, several: false, StartKind.Immediate, found, types);
            }

            return;
        }

        if (comparer.Equals(type, types.TaskFactoryType) || comparer.Equals(type, types.TaskFactoryOfTType))
        {
            if (method.Name == "StartNew")
            {
                AddDelegateArguments(invocation, invocation.Arguments, several: false, StartKind.Immediate, found, types);
            }

            return;
        }

        if (comparer.Equals(type, types.ThreadPoolType))
        {
            if (method.Name is "QueueUserWorkItem" or "UnsafeQueueUserWorkItem")
            {
                AddDelegateArguments(invocation, invocation.Arguments, several: false, StartKind.Immediate, found, types);
            }

            return;
        }

        if (comparer.Equals(type, types.ParallelType))
        {
            switch (method.Name)
            {
                case "For":
                case "ForEach":
                    AddDelegateArguments(invocation, invocation.Arguments, several: true, StartKind.Synchronous, found, types);
                    break;
                case "ForEachAsync":
                case "ForAsync":
                    AddDelegateArguments(invocation, invocation.Arguments, several: true, StartKind.Immediate, found, types);
                    break;
                case "Invoke":
                    // Each action runs once, beside the others, and the call returns when all are done.
                    AddDelegateArguments(invocation, invocation.Arguments, several: false, StartKind.Synchronous, found, types);
                    break;
            }

            return;
        }

        if (comparer.Equals(type, types.ParallelEnumerableType))
        {
            // Every delegate given to a PLINQ operator may run on several threads at once.
            AddDelegateArguments(invocation, invocation.Arguments, several: true, StartKind.Synchronous, found, types);
            return;
        }

        if (!options.IsEmpty && options.Matches(method, out var severalByOption))
        {
            AddDelegateArguments(invocation, invocation.Arguments, severalByOption, StartKind.Immediate, found, types);
            return;
        }

        if (types.RunsConcurrentlyAttributeType is not null)
        {
            AddAttributedArguments(invocation, invocation.Arguments, types, found);
        }
    }

    // An invocation whose task is not awaited where it is created: kept in a variable, added to
    // a collection, passed to WhenAll, discarded. A task awaited in the same expression (through
    // ConfigureAwait, a helper such as ForAwait(), a conditional), joined at once
    // (GetAwaiter().GetResult(), Wait(), Result) or returned to the caller is not a start.
    private enum AsyncStart
    {
        Once,
        PerElement,
    }

    private static AsyncStart? StartOf(IInvocationOperation invocation)
    {
        IOperation current = invocation;
        for (var parent = current.Parent; parent is not null; current = parent, parent = parent.Parent)
        {
            switch (parent)
            {
                case IAwaitOperation:
                    return null;
                case IReturnOperation:
                    // items.Select(i => CopyAsync(i)) whose tasks all start at once.
                    return parent.Parent is IBlockOperation { Parent: IAnonymousFunctionOperation { Parent: IDelegateCreationOperation { Parent: IArgumentOperation { Parent: IInvocationOperation select } } } }
                        && select.TargetMethod.Name == "Select" && select.TargetMethod.ContainingType?.Name == "Enumerable" && EnumeratorOf(select) is not null
                        ? AsyncStart.PerElement
                        : null;
                case IArgumentOperation { Parent: IInvocationOperation target }
                    when target.TargetMethod.ContainingType?.Name == "Task" && target.TargetMethod.Name is "WhenAll" or "WhenAny" or "WaitAll" or "WaitAny":
                    // Task.WhenAll(A(), B()): the calls run beside each other until the join.
                    return AsyncStart.Once;
                case IInvocationOperation { TargetMethod.Name: "GetResult" or "Wait" } when ((IInvocationOperation)parent).Instance == current:
                case IPropertyReferenceOperation { Property.Name: "Result" } when ((IPropertyReferenceOperation)parent).Instance == current:
                    return null;
                case IConversionOperation:
                case IConditionalOperation:
                case ICoalesceOperation:
                case IArgumentOperation:
                case IInvocationOperation:
                    continue;
                default:
                    return AsyncStart.Once;
            }
        }

        return null;
    }

    // items.Select(async item => { ...; await ...; ... }) whose tasks are all created at once
    // (passed to WhenAll/WaitAll, or materialized by ToList/ToArray): every lambda instance
    // runs beside the others after its first await. The query is lazy: kept in a local
    // (`var tasks = items.Select(async ...); ... await Task.WhenAll(tasks);`), its lambdas start
    // where the local is enumerated all at once, so that call is the start.
    private static void AddAsyncSelector(IInvocationOperation select, List<ConcurrentCall> found)
    {
        foreach (var argument in select.Arguments)
        {
            var value = argument.Value is IDelegateCreationOperation creation ? creation.Target : argument.Value;
            if (value is not IAnonymousFunctionOperation { Symbol.IsAsync: true })
            {
                continue;
            }

            if (EnumeratorOf(select) is not null)
            {
                found.Add(new ConcurrentCall(select, argument.Value, several: true, StartKind.Immediate, "Enumerable.Select") { IsAsyncStart = true });
                continue;
            }

            if (QueryLocal(select) is { } local)
            {
                foreach (var enumerator in EnumeratorsOf(local, select))
                {
                    found.Add(new ConcurrentCall(enumerator, argument.Value, several: true, StartKind.Immediate, "Enumerable.Select") { IsAsyncStart = true, LineOf = select });
                }
            }
        }
    }

    /// <summary>
    /// Whether <paramref name="method"/> enumerates the sequence it is given all at once, so that
    /// every task a query creates per element exists before any of them is joined:
    /// <c>Task.WhenAll</c>/<c>WaitAll</c>/<c>WhenAny</c>/<c>WaitAny</c>, or the materializing
    /// operators <c>ToList</c>/<c>ToArray</c>/<c>ToHashSet</c>/<c>ToDictionary</c>/<c>ToLookup</c>.
    /// (Names only: this runs on every Select of a compilation.)
    /// </summary>
    internal static bool EnumeratesAtOnce(IMethodSymbol method) => method.ContainingType?.Name switch
    {
        "Task" => method.Name is "WhenAll" or "WaitAll" or "WhenAny" or "WaitAny",
        "Enumerable" => method.Name is "ToList" or "ToArray" or "ToHashSet" or "ToDictionary" or "ToLookup",
        _ => false,
    };

    /// <summary>The call that enumerates <paramref name="sequence"/> all at once (<see cref="EnumeratesAtOnce"/>); null for anything else (a foreach, another operator).</summary>
    private static IInvocationOperation? EnumeratorOf(IOperation sequence)
    {
        var current = sequence;
        for (var parent = current.Parent; parent is not null; current = parent, parent = parent.Parent)
        {
            switch (parent)
            {
                case IConversionOperation:
                    continue;
                case IArgumentOperation { Parent: IInvocationOperation target }:
                    return EnumeratesAtOnce(target.TargetMethod) ? target : null;
                default:
                    return null;
            }
        }

        return null;
    }

    /// <summary>The local a query is stored in (<c>var tasks = items.Select(...)</c>, <c>tasks = items.Select(...)</c>), or null.</summary>
    private static ILocalSymbol? QueryLocal(IOperation query)
    {
        var current = query;
        while (current.Parent is IConversionOperation conversion)
        {
            current = conversion;
        }

        return current.Parent switch
        {
            IVariableInitializerOperation { Parent: IVariableDeclaratorOperation declarator } => declarator.Symbol,
            ISimpleAssignmentOperation { Target: ILocalReferenceOperation target } assignment when assignment.Value == current => target.Local,
            _ => null,
        };
    }

    /// <summary>
    /// The calls that enumerate <paramref name="local"/> all at once, anywhere in the function
    /// body that holds <paramref name="query"/>. None when the local is assigned anything else:
    /// which query a use enumerates is then not known.
    /// </summary>
    private static List<IInvocationOperation> EnumeratorsOf(ILocalSymbol local, IOperation query)
    {
        var enumerators = new List<IInvocationOperation>();
        var root = query;
        while (root.Parent is not null)
        {
            root = root.Parent;
        }

        foreach (var operation in root.Descendants())
        {
            if (operation is not ILocalReferenceOperation reference || !SymbolEqualityComparer.Default.Equals(reference.Local, local))
            {
                continue;
            }

            if (reference.Parent is IAssignmentOperation assignment && assignment.Target == reference)
            {
                if (!query.Syntax.Span.Contains(assignment.Value.Syntax.Span) && !assignment.Value.Syntax.Span.Contains(query.Syntax.Span))
                {
                    return new List<IInvocationOperation>();
                }

                continue;
            }

            if (EnumeratorOf(reference) is { } enumerator)
            {
                enumerators.Add(enumerator);
            }
        }

        return enumerators;
    }

    public static void Find(IObjectCreationOperation creation, WellKnownTypes types, List<ConcurrentCall> found)
    {
        var type = creation.Type?.OriginalDefinition;
        if (type is null || creation.Constructor is null)
        {
            return;
        }

        var comparer = SymbolEqualityComparer.Default;
        if (comparer.Equals(type, types.ThreadType) || comparer.Equals(type, types.TaskType) || comparer.Equals(type, types.TaskOfTType))
        {
            AddDelegateArguments(creation, creation.Arguments, several: false, StartKind.OnStart, found, types);
            return;
        }

        if (comparer.Equals(type, types.TimerType))
        {
            // A timer callback runs on the thread pool while the creator goes on; it is never joined.
            AddDelegateArguments(creation, creation.Arguments, several: false, StartKind.Immediate, found, types);
            return;
        }

        if (types.RunsConcurrentlyAttributeType is not null)
        {
            AddAttributedArguments(creation, creation.Arguments, types, found);
        }
    }

    private static void AddAttributedArguments(IOperation call, System.Collections.Immutable.ImmutableArray<IArgumentOperation> arguments, WellKnownTypes types, List<ConcurrentCall> found)
    {
        foreach (var argument in arguments)
        {
            var parameter = argument.Parameter;
            if (parameter is null || parameter.Type.TypeKind != TypeKind.Delegate)
            {
                continue;
            }

            foreach (var attribute in parameter.GetAttributes())
            {
                if (!SymbolEqualityComparer.Default.Equals(attribute.AttributeClass, types.RunsConcurrentlyAttributeType))
                {
                    continue;
                }

                var several = false;
                foreach (var named in attribute.NamedArguments)
                {
                    if (named.Key == "MayRunAsSeveralInstances" && named.Value.Value is bool b)
                    {
                        several = b;
                    }
                }

                found.Add(new ConcurrentCall(call, argument.Value, several, StartKind.Immediate, DisplayName(call)));
                break;
            }
        }
    }

    private static void AddDelegateArguments(IOperation call, System.Collections.Immutable.ImmutableArray<IArgumentOperation> arguments, bool several, StartKind start, List<ConcurrentCall> found, WellKnownTypes types)
    {
        foreach (var argument in arguments)
        {
            var parameter = argument.Parameter;
            if (parameter is null)
            {
                continue;
            }

            if (parameter.Type.TypeKind == TypeKind.Delegate)
            {
                found.Add(new ConcurrentCall(call, argument.Value, several, start, DisplayName(call)));
            }
            else if (parameter.IsParams && argument.Value is IArrayCreationOperation { Initializer: { } initializer })
            {
                foreach (var element in initializer.ElementValues)
                {
                    if (element.Type?.TypeKind == TypeKind.Delegate)
                    {
                        found.Add(new ConcurrentCall(call, element, several, start, DisplayName(call)));
                    }
                }
            }
        }
    }

    public static string DisplayName(IOperation call) => call switch
    {
        IInvocationOperation invocation => invocation.TargetMethod.ContainingType is { } t ? t.Name + "." + invocation.TargetMethod.Name : invocation.TargetMethod.Name,
        IObjectCreationOperation creation => "new " + creation.Type?.Name,
        _ => call.Syntax.ToString(),
    };
}
