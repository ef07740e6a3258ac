using System.Collections.Immutable;
using System.Runtime.CompilerServices;
using System.Threading;
using ConcurrencySafety.Analyzers.Lifecycle;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.FlowAnalysis;
using Microsoft.CodeAnalysis.Operations;

namespace ConcurrencySafety.Analyzers.Ownership;

/// <summary>What a finding of the guard analysis is.</summary>
internal enum GuardFindingKind
{
    /// <summary>CSA2011: a reference to a guard's data (or a lambda capturing it) escapes the guard's lifetime.</summary>
    DataEscapes,

    /// <summary>CSA2012: the data of a read guard is changed.</summary>
    MutationThroughReadGuard,

    /// <summary>CSA2013: a guard acquired by a blocking call is held across <c>await</c>.</summary>
    SyncGuardAcrossAwait,
}

/// <summary>One finding of <see cref="GuardFlow"/>.</summary>
internal sealed class GuardFinding
{
    public GuardFinding(GuardFindingKind kind, Location location, ImmutableDictionary<string, string?> properties, Location? additional, params object[] messageArgs)
    {
        Kind = kind;
        Location = location;
        Properties = properties;
        AdditionalLocation = additional;
        MessageArgs = messageArgs;
    }

    public GuardFindingKind Kind { get; }

    public Location Location { get; }

    public ImmutableDictionary<string, string?> Properties { get; }

    /// <summary>The acquisition of the guard (the code fixes edit it).</summary>
    public Location? AdditionalLocation { get; }

    public object[] MessageArgs { get; }
}

/// <summary>
/// The lock-guard analysis shared by CSA2011-CSA2013, over one function's control-flow graph
/// (and, separately, each lambda's and local function's).
/// </summary>
/// <remarks>
/// <para><b>Guards and their lifetime.</b> A guard is a local of type <c>LockGuard&lt;T&gt;</c>,
/// <c>ReadGuard&lt;T&gt;</c> or <c>WriteGuard&lt;T&gt;</c>. It is held in the <c>try</c> region
/// of a <c>try</c>/<c>finally</c> whose <c>finally</c> disposes it, which is what
/// <c>using (var g = ...)</c> and <c>using var g = ...</c> lower to. A guard with no such region
/// (disposed by hand, or not at all: CSA2004's business) has no known lifetime and only its
/// read-guard mutations are checked.</para>
/// <para><b>Taint.</b> A forward dataflow to a fixed point tracks which locals may hold a
/// reference into a guard's data: <c>g.Value</c>, a member, indexer or array element reached
/// from it, a local assigned one of these, and a lambda that captures the guard or such a local.
/// A method call's result is never tainted: <c>g.Value.ToList()</c> is a copy, and the rule
/// cannot see what other methods return. Only values of mutable reference types
/// (<see cref="MutableTypes"/>) and delegates carry taint: <c>g.Value.Count</c> is a copy.</para>
/// <para><b>Escapes (CSA2011)</b>: a tainted value returned, stored in a field, a property or
/// element of something that is not itself guard data, an <c>out</c>/<c>ref</c> parameter or a
/// local of an enclosing function; and a tainted local read in a block outside every held
/// region of its guard (after the guard was released, also in the next iteration of a loop).
/// Null tests are not uses. Each path reports its first use.</para>
/// <para><b>Read-guard mutation (CSA2012)</b>: an assignment, compound assignment or increment
/// of a member, indexer or array element reached from a read guard's data, and a call of a
/// known mutating method of the BCL collections and <c>StringBuilder</c> on it (user methods
/// are not followed: the rule cannot tell whether they mutate).</para>
/// <para><b>Blocking acquisition across await (CSA2013)</b>: a guard acquired by <c>Lock</c>,
/// <c>Read</c>, <c>Write</c> or their <c>Try</c> forms whose held region contains an
/// <c>await</c>.</para>
/// </remarks>
internal sealed class GuardFlow
{
    /// <summary>Property: the async acquisition the CSA2013 fix calls ("LockAsync", "ReadAsync", "WriteAsync").</summary>
    public const string AsyncAcquireKey = "AsyncAcquire";

    /// <summary>Property set on CSA2012 when taking a write guard instead is mechanical.</summary>
    public const string WriteFixKey = "WriteFix";

    /// <summary>Property set on CSA2011 when the escaping expression can be replaced by a copy.</summary>
    public const string CopyFixKey = "CopyFix";

    private static readonly ConditionalWeakTable<ControlFlowGraph, GuardFinding[]> Cache = new();
    private static readonly SymbolEqualityComparer Comparer = SymbolEqualityComparer.Default;

    private static readonly ImmutableHashSet<string> Mutators = ImmutableHashSet.Create(
        "Add", "AddRange", "Insert", "InsertRange", "Remove", "RemoveAt", "RemoveAll", "RemoveRange", "RemoveWhere", "Clear",
        "Sort", "Reverse", "Push", "Pop", "TryPop", "Enqueue", "Dequeue", "TryDequeue", "TryAdd", "TryRemove", "AddFirst", "AddLast",
        "RemoveFirst", "RemoveLast", "AddBefore", "AddAfter", "UnionWith", "IntersectWith", "ExceptWith", "SymmetricExceptWith",
        "EnsureCapacity", "TrimExcess", "Append", "AppendLine", "AppendFormat", "Replace", "CopyTo", "Fill", "SetValue");

    private readonly ControlFlowGraph _graph;
    private readonly ISymbol? _function;
    private readonly LifecycleTypes _types;
    private readonly MutableTypes _mutable;
    private readonly List<GuardFinding> _sink;
    private readonly Dictionary<CaptureId, List<IOperation>> _captures = new();
    private readonly Dictionary<ILocalSymbol, Held> _held = new(Comparer);

    /// <summary>Every reference to each guard local, in graph order (the CSA2012 fix's check).</summary>
    private readonly Dictionary<ILocalSymbol, List<ILocalReferenceOperation>> _guardReferences = new(Comparer);

    /// <summary>The blocking acquisitions of each guard local, in graph order (CSA2013).</summary>
    private readonly Dictionary<ILocalSymbol, List<IInvocationOperation>> _acquisitions = new(Comparer);

    /// <summary>The ordinals of the blocks holding an <c>await</c>, ascending, and the first await of each.</summary>
    private readonly List<int> _awaitBlocks = new();
    private readonly List<IAwaitOperation> _firstAwaits = new();

    private Lifecycle.LiveSymbols? _live;
    private CancellationToken _cancellationToken;
    private HashSet<Location>? _reported;

    private GuardFlow(ControlFlowGraph graph, ISymbol? function, LifecycleTypes types, MutableTypes mutable, List<GuardFinding> sink, CancellationToken cancellationToken)
    {
        _cancellationToken = cancellationToken;
        _graph = graph;
        _function = function;
        _types = types;
        _mutable = mutable;
        _sink = sink;
    }

    /// <summary>The findings of <paramref name="graph"/> and of the graphs nested in it; cached per graph, so the three rules do the work once.</summary>
    public static IReadOnlyList<GuardFinding> Analyze(ControlFlowGraph graph, ISymbol owner, LifecycleTypes types, MutableTypes mutable, CancellationToken cancellationToken)
    {
        if (Cache.TryGetValue(graph, out var cached))
        {
            return cached;
        }

        var all = new List<GuardFinding>();
        AnalyzeRecursive(graph, owner, types, mutable, all, cancellationToken);
        var result = all.ToArray();
        try
        {
            Cache.Add(graph, result);
        }
        catch (ArgumentException)
        {
            // Another rule finished the same graph first; its result is identical.
        }

        return result;
    }

    /// <summary>The cheap filter: does the body use a lock guard at all?</summary>
    public static bool IsCandidate(IOperation root, LifecycleTypes types) =>
        root.Descendants().Any(o => o is IPropertyReferenceOperation { Property.Name: "Value", Instance: { } instance } && types.IsDataGuard(instance.Type)
            || o is IInvocationOperation { TargetMethod: { } method } && (LifecycleTypes.Is(method.ContainingType, types.Locked) || LifecycleTypes.Is(method.ContainingType, types.RwLocked)));

    private static void AnalyzeRecursive(ControlFlowGraph graph, ISymbol? function, LifecycleTypes types, MutableTypes mutable, List<GuardFinding> sink, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        new GuardFlow(graph, function, types, mutable, sink, cancellationToken).Run();

        foreach (var block in graph.Blocks)
        {
            foreach (var operation in Operations(block))
            {
                foreach (var lambda in operation.DescendantsAndSelf().OfType<IFlowAnonymousFunctionOperation>())
                {
                    AnalyzeRecursive(graph.GetAnonymousFunctionControlFlowGraph(lambda, cancellationToken), lambda.Symbol, types, mutable, sink, cancellationToken);
                }
            }
        }

        foreach (var local in graph.LocalFunctions)
        {
            AnalyzeRecursive(graph.GetLocalFunctionControlFlowGraph(local, cancellationToken), local, types, mutable, sink, cancellationToken);
        }
    }

    private static IEnumerable<IOperation> Operations(BasicBlock block) =>
        block.BranchValue is null ? block.Operations : block.Operations.Append(block.BranchValue);

    private void Run()
    {
        // One walk gathers every fact the checks need (captures, guard references, candidate
        // acquisitions, disposals and awaits): nothing below walks the graph once per guard,
        // which made a method with many guards quadratic.
        var blocks = _graph.Blocks;
        var guards = new HashSet<ILocalSymbol>(Comparer);
        var disposals = new List<(int Block, IOperation Instance)>();
        var acquisitionCandidates = new List<(IInvocationOperation Call, IOperation Target)>();
        foreach (var block in blocks)
        {
            foreach (var operation in Operations(block))
            {
                foreach (var descendant in operation.DescendantsAndSelf())
                {
                    switch (descendant)
                    {
                        case IFlowCaptureOperation capture:
                            if (!_captures.TryGetValue(capture.Id, out var values))
                            {
                                _captures[capture.Id] = values = new List<IOperation>();
                            }

                            values.Add(capture.Value);
                            break;
                        case ILocalReferenceOperation { Local: var local } reference when _types.IsDataGuard(local.Type):
                            guards.Add(local);
                            if (!_guardReferences.TryGetValue(local, out var references))
                            {
                                _guardReferences[local] = references = new List<ILocalReferenceOperation>();
                            }

                            references.Add(reference);
                            break;
                        case IInvocationOperation { TargetMethod.Name: "Dispose", Instance: { } instance }:
                            disposals.Add((block.Ordinal, instance));
                            break;
                        case IAwaitOperation awaited:
                            if (_awaitBlocks.Count == 0 || _awaitBlocks[_awaitBlocks.Count - 1] != block.Ordinal)
                            {
                                _awaitBlocks.Add(block.Ordinal);
                                _firstAwaits.Add(awaited);
                            }

                            break;
                    }

                    // g = l.Lock() / r.Read() / r.Write(); l.TryLock(t, out g) and friends.
                    if (descendant is ISimpleAssignmentOperation { Value: var value, Target: var target }
                        && Strip(value) is IInvocationOperation { TargetMethod.Name: "Lock" or "Read" or "Write" } call
                        && IsLockType(call.TargetMethod.ContainingType))
                    {
                        acquisitionCandidates.Add((call, target));
                    }
                    else if (descendant is IInvocationOperation { TargetMethod.Name: "TryLock" or "TryRead" or "TryWrite" } tryCall
                        && IsLockType(tryCall.TargetMethod.ContainingType))
                    {
                        foreach (var argument in tryCall.Arguments)
                        {
                            if (argument.Parameter?.RefKind == RefKind.Out)
                            {
                                acquisitionCandidates.Add((tryCall, argument.Value is IDeclarationExpressionOperation d ? d.Expression : argument.Value));
                            }
                        }
                    }
                }
            }
        }

        // A guard is held in the try region of every try/finally whose finally disposes it.
        foreach (var (ordinal, instance) in disposals)
        {
            foreach (var guard in ResolvedLocals(instance, 0))
            {
                if (!guards.Contains(guard))
                {
                    continue;
                }

                for (var region = blocks[ordinal].EnclosingRegion; region is not null && region.Kind != ControlFlowRegionKind.Root; region = region.EnclosingRegion)
                {
                    if (region.Kind == ControlFlowRegionKind.Finally && region.EnclosingRegion is { Kind: ControlFlowRegionKind.TryAndFinally } tryAndFinally)
                    {
                        if (!_held.TryGetValue(guard, out var held))
                        {
                            _held[guard] = held = new Held();
                        }

                        var @try = tryAndFinally.NestedRegions[0];
                        held.Add(@try.FirstBlockOrdinal, @try.LastBlockOrdinal);
                    }
                }
            }
        }

        foreach (var (call, target) in acquisitionCandidates)
        {
            foreach (var guard in ResolvedLocals(target, 0))
            {
                if (!_acquisitions.TryGetValue(guard, out var list))
                {
                    _acquisitions[guard] = list = new List<IInvocationOperation>();
                }

                if (list.Count == 0 || list[list.Count - 1] != call)
                {
                    list.Add(call);
                }
            }
        }

        _live = Lifecycle.LiveSymbols.For(_graph, _cancellationToken);

        // Forward may-taint dataflow to a fixed point, then one reporting pass.
        var inStates = new Dictionary<ILocalSymbol, Origin>?[blocks.Length];
        inStates[0] = new Dictionary<ILocalSymbol, Origin>(Comparer);
        var work = new SortedSet<int> { 0 };
        while (work.Count > 0)
        {
            var ordinal = work.Min;
            work.Remove(ordinal);
            var state = LiveCopy(inStates[ordinal]!, ordinal);
            Transfer(blocks[ordinal], state);
            foreach (var target in Targets(blocks[ordinal]))
            {
                if (Merge(inStates, target, state))
                {
                    work.Add(target);
                }
            }
        }

        _reported = new HashSet<Location>();
        for (var i = 0; i < blocks.Length; i++)
        {
            if (inStates[i] is { } entry)
            {
                Transfer(blocks[i], LiveCopy(entry, i));
            }
        }

        foreach (var guard in guards)
        {
            CheckAwaitWhileHeld(guard);
        }
    }

    // Normal successors, plus the first block of every finally region a branch runs (the
    // finally sees the state of the code that leaves through it).
    private static IEnumerable<int> Targets(BasicBlock block)
    {
        foreach (var branch in new[] { block.FallThroughSuccessor, block.ConditionalSuccessor })
        {
            if (branch is null)
            {
                continue;
            }

            if (branch.Destination is { } destination)
            {
                yield return destination.Ordinal;
            }

            foreach (var region in branch.FinallyRegions)
            {
                yield return region.FirstBlockOrdinal;
            }
        }
    }

    private static bool Merge(Dictionary<ILocalSymbol, Origin>?[] states, int ordinal, Dictionary<ILocalSymbol, Origin> incoming)
    {
        if (states[ordinal] is not { } existing)
        {
            states[ordinal] = new Dictionary<ILocalSymbol, Origin>(incoming, Comparer);
            return true;
        }

        var changed = false;
        foreach (var pair in incoming)
        {
            if (!existing.ContainsKey(pair.Key))
            {
                existing.Add(pair.Key, pair.Value);
                changed = true;
            }
        }

        return changed;
    }

    /// <summary>
    /// A copy of a taint state for the start of block <paramref name="ordinal"/>, without the
    /// locals no block reachable from there refers to (see <see cref="Lifecycle.LiveSymbols"/>):
    /// their taint can no longer be looked at, and carrying it made many guards quadratic.
    /// </summary>
    private Dictionary<ILocalSymbol, Origin> LiveCopy(Dictionary<ILocalSymbol, Origin> state, int ordinal)
    {
        var copy = new Dictionary<ILocalSymbol, Origin>(Comparer);
        foreach (var pair in state)
        {
            if (_live!.IsLiveAt(pair.Key, ordinal))
            {
                copy.Add(pair.Key, pair.Value);
            }
        }

        return copy;
    }

    /// <summary>The locals <paramref name="operation"/> may stand for, through conversions and flow captures.</summary>
    private IEnumerable<ILocalSymbol> ResolvedLocals(IOperation operation, int depth)
    {
        operation = Strip(operation);
        if (operation is ILocalReferenceOperation reference)
        {
            yield return reference.Local;
        }
        else if (depth < 16 && operation is IFlowCaptureReferenceOperation capture && _captures.TryGetValue(capture.Id, out var values))
        {
            foreach (var value in values)
            {
                foreach (var local in ResolvedLocals(value, depth + 1))
                {
                    yield return local;
                }
            }
        }
    }

    // ---- Transfer and checks ----------------------------------------------------------------

    private void Transfer(BasicBlock block, Dictionary<ILocalSymbol, Origin> state)
    {
        foreach (var operation in block.Operations)
        {
            Visit(operation, block, state);
        }

        if (block.BranchValue is { } value)
        {
            Visit(value, block, state);
            if (block.FallThroughSuccessor?.Semantics == ControlFlowBranchSemantics.Return && TaintOf(value, state) is { Guard: { } guard } origin)
            {
                Escape(value, guard, origin, "is returned", value);
            }
        }
    }

    private void Visit(IOperation operation, BasicBlock block, Dictionary<ILocalSymbol, Origin> state)
    {
        switch (operation)
        {
            case ISimpleAssignmentOperation assignment:
                Visit(assignment.Value, block, state);
                Assign(assignment, block, state);
                return;

            case ICompoundAssignmentOperation or ICoalesceAssignmentOperation or IIncrementOrDecrementOperation:
                var target = operation switch
                {
                    ICompoundAssignmentOperation compound => compound.Target,
                    ICoalesceAssignmentOperation coalesce => coalesce.Target,
                    _ => ((IIncrementOrDecrementOperation)operation).Target,
                };
                CheckReadGuardWrite(target, operation, state);
                foreach (var child in operation.ChildOperations)
                {
                    Visit(child, block, state);
                }

                return;

            case IInvocationOperation invocation:
                if (invocation.Instance is { } instance
                    && Mutators.Contains(invocation.TargetMethod.Name)
                    && IsBclMutable(instance.Type)
                    && Source(instance, state) is { IsRead: true } read)
                {
                    ReportMutation(invocation, read, $"'{invocation.TargetMethod.Name}'");
                }

                foreach (var child in operation.ChildOperations)
                {
                    Visit(child, block, state);
                }

                return;

            case ILocalReferenceOperation reference when !reference.IsDeclaration
                && state.TryGetValue(reference.Local, out var origin)
                && origin.Guard is { } guard
                && _held.TryGetValue(guard, out var held) && held.Count > 0
                && !held.Contains(block.Ordinal)
                && !IsNullTest(reference):
                // Read outside every region that holds its guard: after the guard is gone.
                Escape(reference, guard, origin, "is used here after the guard was released", null, reference.Local.Name);
                state.Remove(reference.Local);
                return;
        }

        foreach (var child in operation.ChildOperations)
        {
            Visit(child, block, state);
        }
    }

    private void Assign(ISimpleAssignmentOperation assignment, BasicBlock block, Dictionary<ILocalSymbol, Origin> state)
    {
        var target = assignment.Target;
        var value = assignment.Value;
        var taint = TaintOf(value, state);
        switch (Target(target))
        {
            case ILocalReferenceOperation { Local: var local }:
                if (local.IsRef)
                {
                    return;
                }

                if (taint is not null)
                {
                    state[local] = taint;
                    if (_function is not null && !Comparer.Equals(local.ContainingSymbol, _function) && taint.Guard is { } outerGuard)
                    {
                        Escape(value, outerGuard, taint, $"is stored in '{local.Name}', a variable of the enclosing function", value);
                    }
                }
                else
                {
                    state.Remove(local);
                }

                return;

            case IParameterReferenceOperation { Parameter.RefKind: RefKind.Out or RefKind.Ref } parameter when taint is { Guard: { } guard }:
                Escape(value, guard, taint, $"is stored in the {parameter.Parameter.RefKind.ToString().ToLowerInvariant()} parameter '{parameter.Parameter.Name}'", value);
                return;

            case IFieldReferenceOperation or IPropertyReferenceOperation or IArrayElementReferenceOperation:
                var stripped = Target(target);
                if (CheckReadGuardWrite(stripped, assignment, state))
                {
                    return;
                }

                // Stored into the guard's own data (g.Value.Next = g.Value.Head) stays inside.
                if (taint is { Guard: { } storedGuard } && Container(stripped) is var container && (container is null || Source(container, state) is null))
                {
                    Escape(value, storedGuard, taint, $"is stored in '{Shorten(stripped.Syntax.ToString())}'", value);
                }

                foreach (var child in target.ChildOperations)
                {
                    Visit(child, block, state);
                }

                return;

            default:
                foreach (var child in target.ChildOperations)
                {
                    Visit(child, block, state);
                }

                return;
        }
    }

    // The assigned location: a graph captures it (r.Value[key]) before a value with branches
    // (a ?: or ??) and assigns to the capture.
    private IOperation Target(IOperation target)
    {
        target = Strip(target);
        return target is IFlowCaptureReferenceOperation capture && _captures.TryGetValue(capture.Id, out var values) && values.Count == 1
            ? Strip(values[0])
            : target;
    }

    private static IOperation? Container(IOperation member) => member switch
    {
        IFieldReferenceOperation field => field.Instance,
        IPropertyReferenceOperation property => property.Instance,
        IArrayElementReferenceOperation element => element.ArrayReference,
        _ => null,
    };

    // r.Value.Name = x, r.Value[k] = v, r.Value.Count++: a write into a read guard's data.
    private bool CheckReadGuardWrite(IOperation target, IOperation write, Dictionary<ILocalSymbol, Origin> state)
    {
        if (Container(Target(target)) is { } container && Source(container, state) is { IsRead: true } read)
        {
            ReportMutation(write, read, "this assignment");
            return true;
        }

        return false;
    }

    private void CheckAwaitWhileHeld(ILocalSymbol guard)
    {
        if (!_held.TryGetValue(guard, out var held) || held.Count == 0
            || !_acquisitions.TryGetValue(guard, out var acquisitions)
            || held.FirstIn(_awaitBlocks) is not { } index)
        {
            return;
        }

        // The first await while the guard is held.
        var firstAwait = _firstAwaits[index];
        foreach (var acquisition in acquisitions)
        {
            var name = acquisition.TargetMethod.Name;
            var properties = ImmutableDictionary<string, string?>.Empty;
            var asyncName = name.StartsWith("Try", StringComparison.Ordinal) ? null : name + "Async";
            if (asyncName is not null)
            {
                properties = properties.Add(AsyncAcquireKey, asyncName);
            }

            var line = firstAwait.Syntax.GetLocation().GetLineSpan().StartLinePosition.Line + 1;
            Report(GuardFindingKind.SyncGuardAcrossAwait, acquisition.Syntax.GetLocation(), properties, null,
                guard.Name, name, line, asyncName ?? "LockAsync/ReadAsync/WriteAsync");
        }
    }

    private bool IsLockType(ITypeSymbol? type) => LifecycleTypes.Is(type, _types.Locked) || LifecycleTypes.Is(type, _types.RwLocked);

    /// <summary>Where a guard is held: the try regions (as block ordinal ranges) whose finally disposes it.</summary>
    private sealed class Held
    {
        private readonly List<(int First, int Last)> _ranges = new();

        /// <summary>How many regions hold the guard.</summary>
        public int Count => _ranges.Count;

        public void Add(int first, int last)
        {
            if (!_ranges.Contains((first, last)))
            {
                _ranges.Add((first, last));
            }
        }

        public bool Contains(int ordinal)
        {
            foreach (var (first, last) in _ranges)
            {
                if (first <= ordinal && ordinal <= last)
                {
                    return true;
                }
            }

            return false;
        }

        /// <summary>The index in <paramref name="sortedOrdinals"/> of the lowest ordinal held, or null.</summary>
        public int? FirstIn(List<int> sortedOrdinals)
        {
            int? best = null;
            foreach (var (first, last) in _ranges)
            {
                var index = sortedOrdinals.BinarySearch(first);
                if (index < 0)
                {
                    index = ~index;
                }

                if (index < sortedOrdinals.Count && sortedOrdinals[index] <= last && (best is null || index < best))
                {
                    best = index;
                }
            }

            return best;
        }
    }

    // ---- Taint ------------------------------------------------------------------------------

    /// <summary>Where a value that can reach guard data comes from.</summary>
    private sealed class Origin
    {
        public Origin(ILocalSymbol? guard, bool isRead, IOperation? acquisition)
        {
            Guard = guard;
            IsRead = isRead;
            Acquisition = acquisition;
        }

        /// <summary>The guard local, or null for a guard that is not kept in a local (<c>cache.Read().Value</c>).</summary>
        public ILocalSymbol? Guard { get; }

        public bool IsRead { get; }

        /// <summary>For a guard not kept in a local, the call that took it.</summary>
        public IOperation? Acquisition { get; }
    }

    /// <summary>The origin of <paramref name="operation"/> when its value is a reference into guard data that can be changed (or a lambda capturing one).</summary>
    private Origin? TaintOf(IOperation operation, Dictionary<ILocalSymbol, Origin> state)
    {
        var source = Source(operation, state);
        if (source is null)
        {
            return null;
        }

        var type = Strip(operation).Type;
        return type is INamedTypeSymbol { TypeKind: TypeKind.Delegate } || _mutable.IsMutableReferenceType(type) ? source : null;
    }

    /// <summary>The origin of a value reached from guard data, whatever its type (members of a struct included).</summary>
    private Origin? Source(IOperation operation, Dictionary<ILocalSymbol, Origin> state, int depth = 0)
    {
        if (depth > 16)
        {
            return null;
        }

        operation = Strip(operation);
        switch (operation)
        {
            case ILocalReferenceOperation local:
                return state.TryGetValue(local.Local, out var origin) ? origin : null;

            case IFlowCaptureReferenceOperation capture:
                if (_captures.TryGetValue(capture.Id, out var values))
                {
                    foreach (var value in values)
                    {
                        if (Source(value, state, depth + 1) is { } captured)
                        {
                            return captured;
                        }
                    }
                }

                return null;

            case IPropertyReferenceOperation { Property.Name: "Value", Instance: { } guard } when _types.IsDataGuard(guard.Type):
                var isRead = LifecycleTypes.Is(guard.Type, _types.ReadGuard);
                if (Strip(guard) is ILocalReferenceOperation guardLocal)
                {
                    return new Origin(guardLocal.Local, isRead, null);
                }

                return isRead ? new Origin(null, true, Strip(guard)) : null;

            case IPropertyReferenceOperation { Instance: { } instance }:
                return Source(instance, state, depth + 1);

            case IFieldReferenceOperation { Instance: { } instance }:
                return Source(instance, state, depth + 1);

            case IArrayElementReferenceOperation element:
                return Source(element.ArrayReference, state, depth + 1);

            case IDelegateCreationOperation { Target: IFlowAnonymousFunctionOperation lambda }:
                return Captured(lambda, state);

            default:
                return null;
        }
    }

    // A lambda that names a guard with a known lifetime, or a tainted local.
    private Origin? Captured(IFlowAnonymousFunctionOperation lambda, Dictionary<ILocalSymbol, Origin> state)
    {
        // Operations of a control-flow graph carry no semantic model; the graph's source does.
        var model = _graph.OriginalOperation.SemanticModel;
        if (model is null || model.SyntaxTree != lambda.Syntax.SyntaxTree)
        {
            return null;
        }

        foreach (var identifier in lambda.Syntax.DescendantNodes().OfType<IdentifierNameSyntax>())
        {
            if (model.GetSymbolInfo(identifier).Symbol is not ILocalSymbol local)
            {
                continue;
            }

            if (state.TryGetValue(local, out var origin) && origin.Guard is not null)
            {
                return origin;
            }

            if (_held.TryGetValue(local, out var held) && held.Count > 0)
            {
                return new Origin(local, LifecycleTypes.Is(local.Type, _types.ReadGuard), null);
            }
        }

        return null;
    }

    private static bool IsBclMutable(ITypeSymbol? type)
    {
        if (type is IArrayTypeSymbol)
        {
            return true;
        }

        for (var t = type as INamedTypeSymbol; t is not null; t = t.BaseType)
        {
            var ns = t.OriginalDefinition.ContainingNamespace?.ToDisplayString();
            if (ns is "System.Collections.Generic" or "System.Collections" or "System.Collections.ObjectModel"
                || ns == "System.Text" && t.Name == "StringBuilder")
            {
                return true;
            }
        }

        return type is INamedTypeSymbol { TypeKind: TypeKind.Interface } contract
            && contract.OriginalDefinition.ContainingNamespace?.ToDisplayString() == "System.Collections.Generic";
    }

    private static bool IsNullTest(IOperation reference)
    {
        var node = reference;
        while (node.Parent is IConversionOperation or IParenthesizedOperation)
        {
            node = node.Parent;
        }

        return node.Parent is IIsNullOperation or IIsPatternOperation { Pattern: IConstantPatternOperation or INegatedPatternOperation }
            || node.Parent is IBinaryOperation { OperatorKind: BinaryOperatorKind.Equals or BinaryOperatorKind.NotEquals } binary
                && (binary.LeftOperand.ConstantValue is { HasValue: true, Value: null } || binary.RightOperand.ConstantValue is { HasValue: true, Value: null });
    }

    private static IOperation Strip(IOperation operation)
    {
        while (true)
        {
            switch (operation)
            {
                case IConversionOperation { OperatorMethod: null } conversion:
                    operation = conversion.Operand;
                    continue;
                case IParenthesizedOperation parenthesized:
                    operation = parenthesized.Operand;
                    continue;
                default:
                    return operation;
            }
        }
    }

    // ---- Reporting --------------------------------------------------------------------------

    private void Escape(IOperation at, ILocalSymbol guard, Origin origin, string how, IOperation? copyable, string? localName = null)
    {
        var isClosure = Strip(at).Type is INamedTypeSymbol { TypeKind: TypeKind.Delegate };
        var what = isClosure
            ? "A lambda that captures guard '" + guard.Name + "' or its data"
            : localName is not null ? $"'{localName}', which refers to the data of guard '{guard.Name}',"
            : $"The data of guard '{guard.Name}'";
        var properties = ImmutableDictionary<string, string?>.Empty;
        if (copyable is not null && !isClosure)
        {
            properties = properties.Add(CopyFixKey, "true");
        }

        Report(GuardFindingKind.DataEscapes, at.Syntax.GetLocation(), properties, null, what, how);
    }

    private void ReportMutation(IOperation at, Origin read, string what)
    {
        var properties = ImmutableDictionary<string, string?>.Empty;
        Location? acquisition = null;
        if (WriteAcquisition(read) is { } call)
        {
            properties = properties.Add(WriteFixKey, "true");
            acquisition = call.Syntax.GetLocation();
        }

        Report(GuardFindingKind.MutationThroughReadGuard, at.Syntax.GetLocation(), properties, acquisition,
            what, read.Guard is { } guard ? $"read guard '{guard.Name}'" : "a read guard");
    }

    /// <summary>
    /// The one <c>Read</c>/<c>ReadAsync</c>/<c>TryRead</c> call to turn into its write form, when
    /// that is mechanical: the guard is not kept in a local (<c>cache.Read().Value.Add(x)</c>), or
    /// it is a <c>var</c> local assigned once and used only through <c>Value</c>, <c>IsHeld</c>,
    /// <c>Dispose</c> and <c>using</c>.
    /// </summary>
    private IInvocationOperation? WriteAcquisition(Origin read)
    {
        static IInvocationOperation? AsReadCall(IOperation? operation)
        {
            operation = operation is null ? null : Strip(operation);
            if (operation is IAwaitOperation awaited)
            {
                operation = Strip(awaited.Operation);
            }

            return operation is IInvocationOperation { TargetMethod.Name: "Read" or "ReadAsync" or "TryRead" } call ? call : null;
        }

        if (read.Guard is null)
        {
            return AsReadCall(read.Acquisition) is { } direct && IsLockType(direct.TargetMethod.ContainingType) ? direct : null;
        }

        var guard = read.Guard;
        if (guard.DeclaringSyntaxReferences.FirstOrDefault()?.GetSyntax() is not { } declaration
            || declaration switch
            {
                VariableDeclaratorSyntax { Parent: VariableDeclarationSyntax { Type.IsVar: true } } => false,
                SingleVariableDesignationSyntax { Parent: DeclarationExpressionSyntax { Type.IsVar: true } } => false,
                _ => true,
            })
        {
            return null;
        }

        IInvocationOperation? found = null;
        if (_guardReferences.TryGetValue(guard, out var guardReferences))
        {
            foreach (var reference in guardReferences)
            {
                IOperation node = reference;
                while (node.Parent is IConversionOperation { IsImplicit: true })
                {
                    node = node.Parent;
                }

                switch (node.Parent)
                {
                    case ISimpleAssignmentOperation assignment when assignment.Target == node:
                        var call = AsReadCall(assignment.Value);
                        if (call is null || found is not null)
                        {
                            return null;
                        }

                        found = call;
                        break;
                    case IArgumentOperation { Parameter.RefKind: RefKind.Out, Parent: IInvocationOperation tryRead } when AsReadCall(tryRead) is { } t && found is null:
                        found = t;
                        break;
                    case IPropertyReferenceOperation { Property.Name: "Value" or "IsHeld" }:
                    case IInvocationOperation { TargetMethod.Name: "Dispose" }:
                    case IFlowCaptureOperation:
                        break;
                    default:
                        return null;
                }
            }
        }

        return found is not null && IsLockType(found.TargetMethod.ContainingType) ? found : null;
    }

    private void Report(GuardFindingKind kind, Location location, ImmutableDictionary<string, string?> properties, Location? additional, params object[] args)
    {
        if (_reported is null || !_reported.Add(location))
        {
            return;
        }

        _sink.Add(new GuardFinding(kind, location, properties, additional, args));
    }

    private static string Shorten(string text)
    {
        text = string.Join(" ", text.Split(new[] { ' ', '\t', '\r', '\n' }, StringSplitOptions.RemoveEmptyEntries));
        return text.Length <= 40 ? text : text.Substring(0, 37) + "...";
    }
}
