using System.Collections.Concurrent;
using System.Collections.Immutable;
using System.Runtime.CompilerServices;
using System.Threading;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.FlowAnalysis;
using Microsoft.CodeAnalysis.Operations;

namespace ConcurrencySafety.Analyzers.Lifecycle;

/// <summary>
/// Which variables a forward dataflow over one control-flow graph still needs to know about at
/// a block: a variable (local, parameter, field) is live at a block when some block reachable
/// from it, itself included, refers to the variable again. A fact about a variable that is not
/// live can never be looked at, so the flow analyses drop it when they copy a state into a
/// block (the consume-flow engine of CSA2010/CSA2015/CSA300x, the guard analysis of
/// CSA2011-CSA2013).
/// </summary>
/// <remarks>
/// <para>Why: without it, a method with a thousand sends or guards carries a thousand dead
/// facts through every block after them, and the analysis costs (variables x blocks): the
/// quadratic growth the scaling test caught. With it, a state holds only the variables whose
/// ranges span the block, which is linear for code whose variables are used near where they
/// are declared.</para>
/// <para>The test is coarse and conservative. A parameter or field is live at block <c>b</c>
/// when the lowest block ordinal reachable from <c>b</c> is at most the highest ordinal of a
/// block that refers to it. Reachability follows every way the analyses let state flow: normal
/// branches, the way out of a <c>finally</c> to wherever the branch that entered it goes, and
/// an exception from any block of a <c>try</c> to its handlers. A local is live only inside
/// its declaring region, up to the last block from which a branch that stays in the region can
/// come back to a reference (<see cref="LiveUntil"/>): leaving the region ends its value, so
/// an outer loop does not keep every local of its body alive (that made nested loops
/// quadratic, in nesting depth).</para>
/// <para>What counts as a reference: an operation naming the variable; a flow capture's
/// reference stands for every variable its captured values name (the capture is read where it
/// is referenced, not where it was taken); a lambda is a reference, in the block that creates
/// it, to every variable of the same name its body mentions (the analyses bind lambda bodies
/// by name); a name mentioned in a local function is live everywhere (its captures are read
/// at each call).</para>
/// </remarks>
internal sealed class LiveSymbols
{
    private static readonly ConditionalWeakTable<ControlFlowGraph, LiveSymbols> Cache = new();

    private readonly Dictionary<ISymbol, int> _lastReference = new(SymbolEqualityComparer.Default);
    private readonly Dictionary<string, int> _lastNamedInLambda = new(StringComparer.Ordinal);
    private readonly HashSet<string> _namedInLocalFunctions = new(StringComparer.Ordinal);
    private readonly int[] _minimumReachable;

    /// <summary>For each local declared in a region: that region's block range.</summary>
    private readonly Dictionary<ILocalSymbol, (int First, int Last)> _scopes = new(SymbolEqualityComparer.Default);

    /// <summary>Every branch to a block at or before its source, as (head, tail), sorted by head.</summary>
    private readonly (int Head, int Tail)[] _backEdges;

    /// <summary>Per scoped local, the last block of its region from which it can still be referred to (computed on first use).</summary>
    private readonly ConcurrentDictionary<ILocalSymbol, int> _liveUntil = new(SymbolEqualityComparer.Default);

    private LiveSymbols(ControlFlowGraph graph, CancellationToken cancellationToken)
    {
        var blocks = graph.Blocks;
        var captureSymbols = new Dictionary<CaptureId, HashSet<ISymbol>>();
        var captureCaptures = new Dictionary<CaptureId, HashSet<CaptureId>>();
        var captureLast = new Dictionary<CaptureId, int>();

        for (var b = 0; b < blocks.Length; b++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            foreach (var operation in Operations(blocks[b]))
            {
                foreach (var descendant in operation.DescendantsAndSelf())
                {
                    switch (descendant)
                    {
                        case IFlowCaptureOperation capture:
                            // What the capture's value names: needed wherever the capture is read.
                            foreach (var inner in capture.Value.DescendantsAndSelf())
                            {
                                if (Named(inner) is { } named)
                                {
                                    if (!captureSymbols.TryGetValue(capture.Id, out var symbols))
                                    {
                                        captureSymbols[capture.Id] = symbols = new HashSet<ISymbol>(SymbolEqualityComparer.Default);
                                    }

                                    symbols.Add(named);
                                }
                                else if (inner is IFlowCaptureReferenceOperation nested)
                                {
                                    if (!captureCaptures.TryGetValue(capture.Id, out var ids))
                                    {
                                        captureCaptures[capture.Id] = ids = new HashSet<CaptureId>();
                                    }

                                    ids.Add(nested.Id);
                                }
                            }

                            break;
                        case IFlowCaptureReferenceOperation captureReference:
                            Raise(captureLast, captureReference.Id, b);
                            break;
                        case IFlowAnonymousFunctionOperation lambda:
                            foreach (var identifier in lambda.Syntax.DescendantNodes().OfType<IdentifierNameSyntax>())
                            {
                                Raise(_lastNamedInLambda, identifier.Identifier.ValueText, b);
                            }

                            break;
                        default:
                            if (Named(descendant) is { } symbol)
                            {
                                Raise(_lastReference, symbol, b);
                            }

                            break;
                    }
                }
            }
        }

        // A capture whose value reads another capture needs that one wherever it is read itself.
        var work = new Stack<CaptureId>(captureLast.Keys);
        while (work.Count > 0)
        {
            var id = work.Pop();
            if (!captureCaptures.TryGetValue(id, out var inner) || !captureLast.TryGetValue(id, out var last))
            {
                continue;
            }

            foreach (var nested in inner)
            {
                if (!captureLast.TryGetValue(nested, out var nestedLast) || nestedLast < last)
                {
                    captureLast[nested] = last;
                    work.Push(nested);
                }
            }
        }

        foreach (var pair in captureSymbols)
        {
            if (captureLast.TryGetValue(pair.Key, out var last))
            {
                foreach (var symbol in pair.Value)
                {
                    Raise(_lastReference, symbol, last);
                }
            }
        }

        foreach (var function in graph.LocalFunctions)
        {
            foreach (var reference in function.DeclaringSyntaxReferences)
            {
                foreach (var identifier in reference.GetSyntax(cancellationToken).DescendantNodes().OfType<IdentifierNameSyntax>())
                {
                    _namedInLocalFunctions.Add(identifier.Identifier.ValueText);
                }
            }
        }

        var predecessors = Predecessors(blocks);
        _minimumReachable = MinimumReachable(predecessors, 0, blocks.Length - 1);

        var backEdges = new List<(int Head, int Tail)>();
        for (var to = 0; to < predecessors.Length; to++)
        {
            if (predecessors[to] is { } froms)
            {
                foreach (var from in froms)
                {
                    if (to <= from)
                    {
                        backEdges.Add((to, from));
                    }
                }
            }
        }

        backEdges.Sort();
        _backEdges = backEdges.ToArray();

        var regions = new Stack<ControlFlowRegion>();
        regions.Push(graph.Root);
        while (regions.Count > 0)
        {
            var region = regions.Pop();
            foreach (var nested in region.NestedRegions)
            {
                regions.Push(nested);
            }

            foreach (var local in region.Locals)
            {
                _scopes[local] = (region.FirstBlockOrdinal, region.LastBlockOrdinal);
            }
        }
    }

    /// <summary>The liveness of <paramref name="graph"/>, computed once per graph.</summary>
    public static LiveSymbols For(ControlFlowGraph graph, CancellationToken cancellationToken) =>
        Cache.GetValue(graph, g => new LiveSymbols(g, cancellationToken));

    /// <summary>Whether a block reachable from <paramref name="block"/> (itself included) may refer to <paramref name="symbol"/>.</summary>
    public bool IsLiveAt(ISymbol symbol, int block)
    {
        if (symbol is ILocalSymbol local && _scopes.TryGetValue(local, out var scope))
        {
            if (block < scope.First || block > scope.Last)
            {
                // Outside the local's region: its value is gone.
                return false;
            }

            return _namedInLocalFunctions.Contains(symbol.Name)
                || block <= _liveUntil.GetOrAdd(local, l => LiveUntil(l, scope.First, scope.Last));
        }

        return _namedInLocalFunctions.Contains(symbol.Name) || LastReference(symbol) >= _minimumReachable[block];
    }

    private int LastReference(ISymbol symbol)
    {
        var last = _lastReference.TryGetValue(symbol, out var referenced) ? referenced : -1;
        return _lastNamedInLambda.TryGetValue(symbol.Name, out var named) && named > last ? named : last;
    }

    /// <summary>
    /// The smallest <c>L</c>, at least the local's last reference, such that no branch inside
    /// the region [<paramref name="first"/>, <paramref name="last"/>] goes from a block after
    /// <c>L</c> back to one at or before it. No path that stays in the region leads from a block
    /// after <c>L</c> to a reference, and a path that leaves the region ends the local's value
    /// (the analyses forget it; a way back in assigns it before any read). Blocks up to
    /// <c>L</c> count as live (conservative: some may not reach a reference).
    /// </summary>
    private int LiveUntil(ILocalSymbol local, int first, int last)
    {
        var until = LastReference(local);
        if (until >= last)
        {
            return last;
        }

        var changed = true;
        while (changed)
        {
            changed = false;
            for (var i = FirstBackEdgeFrom(first); i < _backEdges.Length && _backEdges[i].Head <= until; i++)
            {
                var tail = _backEdges[i].Tail;
                if (tail > until && tail <= last)
                {
                    until = tail;
                    changed = true;
                }
            }
        }

        return until;
    }

    private int FirstBackEdgeFrom(int head)
    {
        int lo = 0, hi = _backEdges.Length;
        while (lo < hi)
        {
            var mid = (lo + hi) / 2;
            if (_backEdges[mid].Head < head)
            {
                lo = mid + 1;
            }
            else
            {
                hi = mid;
            }
        }

        return lo;
    }

    private static ISymbol? Named(IOperation operation) => operation switch
    {
        ILocalReferenceOperation local => local.Local,
        IParameterReferenceOperation parameter => parameter.Parameter,
        IFieldReferenceOperation field => field.Field,
        _ => null,
    };

    private static IEnumerable<IOperation> Operations(BasicBlock block) =>
        block.BranchValue is null ? block.Operations : block.Operations.Append(block.BranchValue);

    private static void Raise<TKey>(Dictionary<TKey, int> map, TKey key, int value)
        where TKey : notnull
    {
        if (!map.TryGetValue(key, out var existing) || existing < value)
        {
            map[key] = value;
        }
    }

    /// <summary>
    /// Every way the analyses let state flow from block to block, as predecessor lists: normal
    /// branches, a branch through finally regions (into each, and from each one's ends on to the
    /// next or to the destination), and an exception from a try block to its handlers.
    /// </summary>
    private static List<int>?[] Predecessors(ImmutableArray<BasicBlock> blocks)
    {
        var predecessors = new List<int>?[blocks.Length];
        var added = new HashSet<(int From, int To)>();
        void Edge(int from, int to)
        {
            if (from != to && added.Add((from, to)))
            {
                (predecessors[to] ??= new List<int>()).Add(from);
            }
        }

        // The blocks of each finally region that end it (their branch leaves the region with no
        // destination of its own): execution goes on wherever the entering branch was going.
        var finallyExits = new Dictionary<ControlFlowRegion, List<int>>();
        List<int> ExitsOf(ControlFlowRegion region)
        {
            if (!finallyExits.TryGetValue(region, out var exits))
            {
                exits = new List<int>();
                for (var i = region.FirstBlockOrdinal; i <= region.LastBlockOrdinal; i++)
                {
                    if (blocks[i].FallThroughSuccessor is { Destination: null } || blocks[i].ConditionalSuccessor is { Destination: null })
                    {
                        exits.Add(i);
                    }
                }

                finallyExits.Add(region, exits);
            }

            return exits;
        }

        for (var b = 0; b < blocks.Length; b++)
        {
            var block = blocks[b];
            foreach (var branch in new[] { block.FallThroughSuccessor, block.ConditionalSuccessor })
            {
                if (branch is null)
                {
                    continue;
                }

                var from = new List<int> { b };
                foreach (var region in branch.FinallyRegions)
                {
                    foreach (var source in from)
                    {
                        Edge(source, region.FirstBlockOrdinal);
                    }

                    from = ExitsOf(region);
                }

                if (branch.Destination is { } destination)
                {
                    foreach (var source in from)
                    {
                        Edge(source, destination.Ordinal);
                    }
                }
            }

            // Past the first enclosing finally, the finally's own blocks (which lie in the outer
            // try regions) carry on to the outer handlers.
            for (var region = block.EnclosingRegion; region is not null && region.Kind != ControlFlowRegionKind.Root; region = region.EnclosingRegion)
            {
                if (region.Kind == ControlFlowRegionKind.Try && region.EnclosingRegion is { } tryAndHandlers)
                {
                    foreach (var handler in tryAndHandlers.NestedRegions.Skip(1))
                    {
                        Edge(b, handler.FirstBlockOrdinal);
                    }

                    if (tryAndHandlers.Kind == ControlFlowRegionKind.TryAndFinally)
                    {
                        break;
                    }
                }
            }
        }

        return predecessors;
    }

    /// <summary>
    /// For every block of <paramref name="first"/>..<paramref name="last"/>, the lowest ordinal
    /// reachable from it without leaving that range (indexed from <paramref name="first"/>), in
    /// O(blocks + edges) of the range.
    /// </summary>
    private static int[] MinimumReachable(List<int>?[] predecessors, int first, int last)
    {
        // For m in increasing order, every block that reaches m and has no value yet gets m.
        var minimum = new int[last - first + 1];
        for (var b = 0; b < minimum.Length; b++)
        {
            minimum[b] = -1;
        }

        var pending = new Stack<int>();
        for (var m = first; m <= last; m++)
        {
            if (minimum[m - first] != -1)
            {
                continue;
            }

            minimum[m - first] = m;
            pending.Push(m);
            while (pending.Count > 0)
            {
                if (predecessors[pending.Pop()] is not { } froms)
                {
                    continue;
                }

                foreach (var p in froms)
                {
                    if (p >= first && p <= last && minimum[p - first] == -1)
                    {
                        minimum[p - first] = m;
                        pending.Push(p);
                    }
                }
            }
        }

        return minimum;
    }
}
