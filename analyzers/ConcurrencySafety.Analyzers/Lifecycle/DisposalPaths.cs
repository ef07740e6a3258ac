using System.Runtime.CompilerServices;
using ConcurrencySafety.Analyzers.Infrastructure;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.FlowAnalysis;
using Microsoft.CodeAnalysis.Operations;
using Microsoft.CodeAnalysis.Text;

namespace ConcurrencySafety.Analyzers.Lifecycle;

/// <summary>
/// Path reasoning over the control-flow graph: does every normal path from a local's
/// declaration to the end of its function pass through one of its release points
/// (<c>Dispose()</c>, <c>using (x)</c>, a <c>[Consumes]</c> argument)?
/// </summary>
/// <remarks>
/// <para>The search is a depth-first walk over basic blocks starting right after the
/// declaration. A path stops, released, at the first block holding a release point, or at a
/// branch whose <c>finally</c> regions hold one (a <c>finally</c> runs on every way out of its
/// <c>try</c>). A path that reaches the function's exit block, or comes back to the declaration
/// (a loop redeclares the local, dropping the previous value), is a leak.</para>
/// <para>Exceptional paths are not followed: a branch that throws or rethrows, or a call to a
/// <c>[DoesNotReturn]</c> method, ends its path without a verdict, and catch handlers are entered only by exceptions, so they are never
/// reached from the declaration. A loop with no way out never reaches the exit, so a function
/// that runs forever is not a leak either.</para>
/// <para>Cost: a method can hold thousands of senders (generated code), so nothing here may
/// walk the whole graph once per local. The facts every query needs (where each local is
/// declared and referenced, which operations never return, which flags each block sets) are
/// gathered in one walk per graph (<see cref="GraphIndex"/>, cached for the graph's lifetime),
/// and a query only looks at the blocks its own path search visits.</para>
/// </remarks>
internal static class DisposalPaths
{
    private static readonly ConditionalWeakTable<ControlFlowGraph, FunctionIndex> Indexes = new();

    /// <summary>
    /// Whether some normal path leaves the function that declares <paramref name="local"/>
    /// without passing one of <paramref name="releaseSpans"/> (the spans of the local
    /// references that release it). Returns false when the graph cannot be matched to the
    /// source (the caller then stays silent).
    /// </summary>
    public static bool LeaksOnSomePath(ControlFlowGraph root, ILocalSymbol local, IReadOnlyCollection<TextSpan> releaseSpans)
    {
        var functions = Indexes.GetValue(root, static graph => new FunctionIndex(graph));
        if (!functions.TryFindDeclaration(local, out var index, out var start, out var declaredAt))
        {
            return false;
        }

        var graph = index.Graph;
        var releases = new ReleaseQuery(index, local, releaseSpans);

        var all = start.Operations.Length + 1; // the branch value counts as the last operation
        if (releases.Any(start, declaredAt + 1, all))
        {
            return false;
        }

        HashSet<ILocalSymbol>? flags = null;

        void Continue(BasicBlock block, Stack<ControlFlowBranch> into)
        {
            // A branch on a flag that the code sets where it releases (done = true next to
            // Dispose) is correlated with the release in a way this walk cannot follow
            // (conditions are not evaluated): treat it as unknown rather than as a leak.
            if (block.ConditionKind != ControlFlowConditionKind.None && block.BranchValue is { } condition)
            {
                flags ??= index.FlagsSetWhere(releases);
                if (ReadsAny(condition, flags))
                {
                    return;
                }
            }

            PushSuccessors(block, into);
        }

        var visited = new HashSet<int> { start.Ordinal };
        var pending = new Stack<ControlFlowBranch>();
        Continue(start, pending);
        while (pending.Count > 0)
        {
            var branch = pending.Pop();
            if (branch.FinallyRegions.Any(region => releases.AnyIn(region)))
            {
                continue;
            }

            var destination = branch.Destination;
            if (destination is null || !destination.IsReachable)
            {
                // Throw, rethrow, the end of a finally or catch handler, program termination:
                // not a normal way out of the function.
                continue;
            }

            if (destination.Kind == BasicBlockKind.Exit)
            {
                return true;
            }

            // Past the local's last reference, with no flag bookkeeping: from a block that can
            // reach no block referencing the local again, the rest of the search no longer
            // depends on the local, and its answer is the graph's own (computed once): does a
            // normal path reach the exit from there? Without this, every sender leaked on one
            // branch would walk the rest of the method to its end, once per sender.
            if (index.MinimumReachableOrdinal(destination.Ordinal) > index.LastBlockReferencing(local)
                && (flags ??= index.FlagsSetWhere(releases)).Count == 0)
            {
                if (index.ReachesExit(destination.Ordinal))
                {
                    return true;
                }

                continue;
            }

            if (destination.Ordinal == start.Ordinal)
            {
                // Back at the declaration: unless the block releases before redeclaring, the
                // previous value is dropped.
                if (!releases.Any(start, 0, declaredAt))
                {
                    return true;
                }

                continue;
            }

            if (!visited.Add(destination.Ordinal))
            {
                continue;
            }

            if (!releases.Any(destination, 0, destination.Operations.Length + 1))
            {
                Continue(destination, pending);
            }
        }

        return false;
    }

    private static bool ReadsAny(IOperation condition, HashSet<ILocalSymbol> locals)
    {
        if (locals.Count == 0)
        {
            return false;
        }

        foreach (var descendant in condition.DescendantsAndSelf())
        {
            if (descendant is ILocalReferenceOperation reference && locals.Contains(reference.Local))
            {
                return true;
            }
        }

        return false;
    }

    // A branch on a constant (while (true)) goes one way only.
    private static void PushSuccessors(BasicBlock block, Stack<ControlFlowBranch> pending)
    {
        foreach (var branch in Successors(block))
        {
            pending.Push(branch);
        }
    }

    /// <summary>The branches the path search follows out of <paramref name="block"/>, in the order it pushes them.</summary>
    private static IEnumerable<ControlFlowBranch> Successors(BasicBlock block)
    {
        // (A block that returns a value also has a branch value; only a conditional block branches on it.)
        var constant = block.ConditionKind != ControlFlowConditionKind.None && block.BranchValue?.ConstantValue is { HasValue: true, Value: bool value } ? value : (bool?)null;
        var takesConditional = constant is null || constant.Value == (block.ConditionKind == ControlFlowConditionKind.WhenTrue);
        var takesFallThrough = constant is null || !takesConditional;
        if (takesConditional && block.ConditionalSuccessor is { } conditional)
        {
            yield return conditional;
        }

        if (takesFallThrough && block.FallThroughSuccessor is { } fallThrough)
        {
            yield return fallThrough;
        }
    }

    /// <summary>
    /// One query: the release points of one local, as positions in the graph that declares it,
    /// plus the operations that never return (which end a path as a release does).
    /// </summary>
    private sealed class ReleaseQuery
    {
        private readonly GraphIndex _index;

        /// <summary>Block ordinal to the sorted indices of the local's releases in that block.</summary>
        private readonly Dictionary<int, List<int>> _releases = new();

        public ReleaseQuery(GraphIndex index, ILocalSymbol local, IReadOnlyCollection<TextSpan> releaseSpans)
        {
            _index = index;
            foreach (var position in index.ReferencesTo(local, releaseSpans))
            {
                if (!_releases.TryGetValue(position.Block, out var list))
                {
                    list = new List<int>();
                    _releases.Add(position.Block, list);
                }

                list.Add(position.Index);
            }

            foreach (var list in _releases.Values)
            {
                list.Sort();
            }
        }

        /// <summary>The blocks holding a release of the local.</summary>
        public IEnumerable<int> ReleasingBlocks => _releases.Keys;

        /// <summary>Whether operations <paramref name="from"/> (inclusive) to <paramref name="to"/> (exclusive) of <paramref name="block"/> hold a release or a call that never returns.</summary>
        public bool Any(BasicBlock block, int from, int to) =>
            (_releases.TryGetValue(block.Ordinal, out var indices) && AnyInRange(indices, from, to))
            || _index.NeverReturnsIn(block.Ordinal, from, to);

        /// <summary>Whether some block of <paramref name="region"/> holds a release or a call that never returns.</summary>
        public bool AnyIn(ControlFlowRegion region)
        {
            foreach (var block in _releases.Keys)
            {
                if (block >= region.FirstBlockOrdinal && block <= region.LastBlockOrdinal)
                {
                    return true;
                }
            }

            return _index.NeverReturnsInBlocks(region.FirstBlockOrdinal, region.LastBlockOrdinal);
        }
    }

    /// <summary>Whether the sorted <paramref name="indices"/> hold a value in [<paramref name="from"/>, <paramref name="to"/>).</summary>
    private static bool AnyInRange(List<int> indices, int from, int to)
    {
        if (from >= to)
        {
            return false;
        }

        var at = indices.BinarySearch(from);
        if (at < 0)
        {
            at = ~at;
        }

        return at < indices.Count && indices[at] < to;
    }

    /// <summary>
    /// The graphs of one function and of the lambdas and local functions inside it, indexed
    /// lazily, and which of them declares each local.
    /// </summary>
    private sealed class FunctionIndex
    {
        private readonly object _gate = new();
        private readonly ControlFlowGraph _root;
        private Dictionary<ILocalSymbol, GraphIndex>? _declaredIn;

        public FunctionIndex(ControlFlowGraph root) => _root = root;

        public bool TryFindDeclaration(ILocalSymbol local, out GraphIndex index, out BasicBlock block, out int declaredAt)
        {
            // One analyzer may query from several threads (concurrent execution): the map is
            // built once under the lock, and read-only afterwards.
            Dictionary<ILocalSymbol, GraphIndex> declaredIn;
            lock (_gate)
            {
                declaredIn = _declaredIn ??= Build();
            }

            if (declaredIn.TryGetValue(local, out index!) && index.TryGetDeclaration(local, out var position))
            {
                block = index.Graph.Blocks[position.Block];
                declaredAt = position.Index;
                return true;
            }

            block = _root.Blocks[0];
            declaredAt = -1;
            return false;
        }

        // The search order of the graphs (the function's own, then each lambda's in turn, its
        // nested functions first, then each local function's) decides nothing in practice: a
        // local is declared in exactly one function. The first graph found wins all the same.
        private Dictionary<ILocalSymbol, GraphIndex> Build()
        {
            var result = new Dictionary<ILocalSymbol, GraphIndex>(SymbolEqualityComparer.Default);
            void Visit(ControlFlowGraph graph)
            {
                var index = new GraphIndex(graph);
                foreach (var local in index.DeclaredLocals)
                {
                    if (!result.ContainsKey(local))
                    {
                        result.Add(local, index);
                    }
                }

                foreach (var lambda in index.Lambdas)
                {
                    Visit(graph.GetAnonymousFunctionControlFlowGraph(lambda));
                }

                foreach (var function in graph.LocalFunctions)
                {
                    Visit(graph.GetLocalFunctionControlFlowGraph(function));
                }
            }

            Visit(_root);
            return result;
        }
    }

    /// <summary>The facts about one graph that the path search needs, gathered in one walk.</summary>
    private sealed class GraphIndex
    {
        private readonly Dictionary<ILocalSymbol, FlowPlace> _declarations = new(SymbolEqualityComparer.Default);

        /// <summary>Non-declaring references, by local, then by span (a span may be lowered into more than one operation).</summary>
        private readonly Dictionary<ILocalSymbol, Dictionary<TextSpan, List<FlowPlace>>> _references = new(SymbolEqualityComparer.Default);

        /// <summary>Per block, the sorted indices of operations holding a call that never returns; null when none.</summary>
        private readonly List<int>?[] _neverReturns;

        /// <summary>Per block, the boolean locals it assigns; null when none.</summary>
        private readonly HashSet<ILocalSymbol>?[] _flagsSet;

        private readonly object _reachabilityGate = new();
        private readonly Dictionary<ILocalSymbol, int> _lastBlockReferencing = new(SymbolEqualityComparer.Default);
        private int[]? _minimumReachable;
        private bool[]? _reachesExit;

        /// <summary>The flags set in blocks that never return (they count as released for every local).</summary>
        private readonly HashSet<ILocalSymbol> _flagsSetWhereNeverReturns = new(SymbolEqualityComparer.Default);

        /// <summary>Prefix counts of blocks that hold a call that never returns (for region queries).</summary>
        private readonly int[] _neverReturnsBefore;

        public GraphIndex(ControlFlowGraph graph)
        {
            Graph = graph;
            var blocks = graph.Blocks;
            _neverReturns = new List<int>?[blocks.Length];
            _flagsSet = new HashSet<ILocalSymbol>?[blocks.Length];
            _neverReturnsBefore = new int[blocks.Length + 1];
            var lambdas = new List<IFlowAnonymousFunctionOperation>();
            for (var b = 0; b < blocks.Length; b++)
            {
                var block = blocks[b];
                var operations = block.Operations;
                for (var i = 0; i <= operations.Length; i++)
                {
                    var operation = i < operations.Length ? operations[i] : block.BranchValue;
                    if (operation is null)
                    {
                        continue;
                    }

                    foreach (var descendant in operation.DescendantsAndSelf())
                    {
                        if (descendant is ILocalReferenceOperation any)
                        {
                            _lastBlockReferencing[any.Local] = b;
                        }

                        switch (descendant)
                        {
                            case ILocalReferenceOperation { IsDeclaration: true } declaration:
                                // The branch value declares nothing; the first declaring operation wins.
                                if (i < operations.Length && !_declarations.ContainsKey(declaration.Local))
                                {
                                    _declarations.Add(declaration.Local, new FlowPlace(b, i));
                                }

                                break;
                            case ILocalReferenceOperation reference:
                                if (!_references.TryGetValue(reference.Local, out var bySpan))
                                {
                                    bySpan = new Dictionary<TextSpan, List<FlowPlace>>();
                                    _references.Add(reference.Local, bySpan);
                                }

                                if (!bySpan.TryGetValue(reference.Syntax.Span, out var positions))
                                {
                                    positions = new List<FlowPlace>();
                                    bySpan.Add(reference.Syntax.Span, positions);
                                }

                                positions.Add(new FlowPlace(b, i));
                                break;
                            case IInvocationOperation { TargetMethod: { } method } when method.GetAttributes().Any(a => a.AttributeClass?.Name == "DoesNotReturnAttribute"):
                                var list = _neverReturns[b] ??= new List<int>();
                                if (list.Count == 0 || list[list.Count - 1] != i)
                                {
                                    list.Add(i);
                                }

                                break;
                            case IFlowAnonymousFunctionOperation lambda:
                                lambdas.Add(lambda);
                                break;
                        }

                        // "Disposed" flags: the boolean locals each block assigns (in its
                        // operations, not its branch value); FlagsSetWhere unions them.
                        if (i < operations.Length
                            && descendant is IAssignmentOperation { Target: ILocalReferenceOperation { Local: { Type.SpecialType: SpecialType.System_Boolean } flag } })
                        {
                            (_flagsSet[b] ??= new HashSet<ILocalSymbol>(SymbolEqualityComparer.Default)).Add(flag);
                        }
                    }
                }

                _neverReturnsBefore[b + 1] = _neverReturnsBefore[b] + (_neverReturns[b] is null ? 0 : 1);
            }

            Lambdas = lambdas;
            for (var b = 0; b < blocks.Length; b++)
            {
                if (_neverReturns[b] is not null && _flagsSet[b] is { } set)
                {
                    _flagsSetWhereNeverReturns.UnionWith(set);
                }
            }
        }

        public ControlFlowGraph Graph { get; }

        public IEnumerable<ILocalSymbol> DeclaredLocals => _declarations.Keys;

        /// <summary>The highest ordinal of a block that references (or declares) <paramref name="local"/>; -1 when none does.</summary>
        public int LastBlockReferencing(ILocalSymbol local) => _lastBlockReferencing.TryGetValue(local, out var last) ? last : -1;

        /// <summary>The lowest block ordinal reachable from <paramref name="block"/> (itself included) along any branch.</summary>
        public int MinimumReachableOrdinal(int block)
        {
            EnsureReachability();
            return _minimumReachable![block];
        }

        /// <summary>Whether the path search, started at <paramref name="block"/> for a local the rest of the graph never mentions, reaches the exit.</summary>
        public bool ReachesExit(int block)
        {
            EnsureReachability();
            return _reachesExit![block];
        }

        // Both tables in O(blocks + branches), on first use, under a lock (queries may come
        // from several threads) and read-only afterwards.
        private void EnsureReachability()
        {
            lock (_reachabilityGate)
            {
                if (_minimumReachable is not null)
                {
                    return;
                }

                var blocks = Graph.Blocks;
                var predecessors = new List<int>[blocks.Length];
                var searchPredecessors = new List<int>[blocks.Length];
                for (var b = 0; b < blocks.Length; b++)
                {
                    predecessors[b] = new List<int>();
                    searchPredecessors[b] = new List<int>();
                }

                for (var b = 0; b < blocks.Length; b++)
                {
                    var block = blocks[b];
                    foreach (var branch in new[] { block.ConditionalSuccessor, block.FallThroughSuccessor })
                    {
                        if (branch?.Destination is { } any)
                        {
                            predecessors[any.Ordinal].Add(b);
                        }
                    }

                    // The branches the search follows: it stops at a block that never returns,
                    // at a branch whose finally never returns, and at throws.
                    if (_neverReturns[b] is not null)
                    {
                        continue;
                    }

                    foreach (var branch in Successors(block))
                    {
                        if (branch.Destination is { IsReachable: true } destination
                            && !branch.FinallyRegions.Any(r => NeverReturnsInBlocks(r.FirstBlockOrdinal, r.LastBlockOrdinal)))
                        {
                            searchPredecessors[destination.Ordinal].Add(b);
                        }
                    }
                }

                // Lowest reachable ordinal: for m in increasing order, every block that reaches
                // m and has no value yet gets m (a backward walk from m). Each block is given its
                // value once, by the smallest m it reaches.
                var minimum = new int[blocks.Length];
                for (var b = 0; b < minimum.Length; b++)
                {
                    minimum[b] = -1;
                }

                var work = new Stack<int>();
                for (var m = 0; m < blocks.Length; m++)
                {
                    if (minimum[m] != -1)
                    {
                        continue;
                    }

                    minimum[m] = m;
                    work.Push(m);
                    while (work.Count > 0)
                    {
                        foreach (var p in predecessors[work.Pop()])
                        {
                            if (minimum[p] == -1)
                            {
                                minimum[p] = m;
                                work.Push(p);
                            }
                        }
                    }
                }

                // Reaching the exit: backward from the exit along the branches the search follows,
                // through blocks that do not stop it.
                var reaches = new bool[blocks.Length];
                var exit = blocks.Length - 1;
                reaches[exit] = blocks[exit].Kind == BasicBlockKind.Exit;
                if (reaches[exit])
                {
                    work.Push(exit);
                }

                while (work.Count > 0)
                {
                    foreach (var p in searchPredecessors[work.Pop()])
                    {
                        if (!reaches[p])
                        {
                            reaches[p] = true;
                            work.Push(p);
                        }
                    }
                }

                _reachesExit = reaches;
                _minimumReachable = minimum;
            }
        }

        /// <summary>The lambdas whose graphs hang off this one, in the order they appear.</summary>
        public IReadOnlyList<IFlowAnonymousFunctionOperation> Lambdas { get; }

        public bool TryGetDeclaration(ILocalSymbol local, out FlowPlace position) => _declarations.TryGetValue(local, out position);

        /// <summary>The positions of the references to <paramref name="local"/> whose span is one of <paramref name="spans"/>.</summary>
        public IEnumerable<FlowPlace> ReferencesTo(ILocalSymbol local, IReadOnlyCollection<TextSpan> spans)
        {
            if (!_references.TryGetValue(local, out var bySpan))
            {
                yield break;
            }

            foreach (var span in spans)
            {
                if (bySpan.TryGetValue(span, out var positions))
                {
                    foreach (var position in positions)
                    {
                        yield return position;
                    }
                }
            }
        }

        public bool NeverReturnsIn(int block, int from, int to) => _neverReturns[block] is { } indices && AnyInRange(indices, from, to);

        public bool NeverReturnsInBlocks(int first, int last) => _neverReturnsBefore[last + 1] - _neverReturnsBefore[first] > 0;

        /// <summary>Boolean locals assigned in a block that releases the local or never returns (the "disposed" flags of hand-written bookkeeping).</summary>
        public HashSet<ILocalSymbol> FlagsSetWhere(ReleaseQuery releases)
        {
            var flags = new HashSet<ILocalSymbol>(SymbolEqualityComparer.Default);
            foreach (var block in releases.ReleasingBlocks)
            {
                if (_flagsSet[block] is { } set)
                {
                    flags.UnionWith(set);
                }
            }

            flags.UnionWith(_flagsSetWhereNeverReturns);
            return flags;
        }
    }
}
