using System.Collections.Concurrent;
using System.Collections.Immutable;
using System.Threading;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.FlowAnalysis;
using Microsoft.CodeAnalysis.Operations;

namespace ConcurrencySafety.Analyzers.Infrastructure;

/// <summary>Where an operation runs in a function's control-flow graph: its basic block and the index of the block's operation that contains it.</summary>
internal readonly struct FlowPlace
{
    public FlowPlace(int block, int index)
    {
        Block = block;
        Index = index;
    }

    public int Block { get; }

    /// <summary>The block's operation; <c>Operations.Length</c> stands for its branch value.</summary>
    public int Index { get; }

    /// <summary>
    /// A point of the block, as one comparable number: the operation index, then the source
    /// position inside that operation (an operation evaluates left to right, which is what
    /// positions say inside one statement). <see cref="long.MinValue"/> is the block's top,
    /// <see cref="long.MaxValue"/> its end.
    /// </summary>
    public static long Point(int index, int position) => ((long)(index + 1) << 32) | (uint)position;

    public long PointAt(int position) => Point(Index, position);
}

/// <summary>
/// The control-flow graphs of one member and of the lambdas and local functions in it, built
/// lazily (once per model, so once per member per compilation): the member's graph when the
/// first question is asked, a nested function's graph when a question is about it. Each graph
/// is indexed by syntax: where each node of the source runs (<see cref="FunctionFlow.TryPlace"/>).
/// </summary>
internal sealed class FlowGraphs
{
    private readonly ImmutableArray<IOperation> _blocks;
    private readonly CancellationToken _cancellationToken;
    private readonly Dictionary<SyntaxNode, FunctionFlow?> _functions = new();
    private readonly ConcurrentDictionary<SyntaxNode, (FunctionFlow? Flow, FlowPlace Place, bool Found)> _nodes = new();

    public FlowGraphs(ImmutableArray<IOperation> blocks, CancellationToken cancellationToken)
    {
        _blocks = blocks;
        _cancellationToken = cancellationToken;
    }

    /// <summary>The syntax of the innermost function (lambda, local function, or one of the member's blocks) that contains <paramref name="node"/>; null when the member does not contain it.</summary>
    public SyntaxNode? FunctionOf(SyntaxNode node) =>
        _functionOf.TryGetValue(node, out var known) ? known : _functionOf.GetOrAdd(node, FindFunction(node));

    private readonly ConcurrentDictionary<SyntaxNode, SyntaxNode?> _functionOf = new();

    private SyntaxNode? FindFunction(SyntaxNode node)
    {
        for (var current = node; current is not null; current = current.Parent)
        {
            if (current != node && current is AnonymousFunctionExpressionSyntax or LocalFunctionStatementSyntax)
            {
                return current;
            }

            foreach (var block in _blocks)
            {
                if (block.Syntax == current)
                {
                    return current;
                }
            }
        }

        return null;
    }

    /// <summary>The enclosing function of a function (null for the member's own blocks).</summary>
    public SyntaxNode? ParentFunction(SyntaxNode function) =>
        IsRoot(function) ? null : FunctionOf(function.Parent!);

    public bool IsRoot(SyntaxNode function)
    {
        foreach (var block in _blocks)
        {
            if (block.Syntax == function)
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>The graph of <paramref name="function"/>, or null when Roslyn cannot build one for it.</summary>
    public FunctionFlow? Flow(SyntaxNode function)
    {
        lock (_functions)
        {
            return FlowLocked(function);
        }
    }

    private FunctionFlow? FlowLocked(SyntaxNode function)
    {
        if (_functions.TryGetValue(function, out var known))
        {
            return known;
        }

        FunctionFlow? flow = null;
        if (IsRoot(function))
        {
            foreach (var block in _blocks)
            {
                if (block.Syntax == function && CreateRoot(block) is { } graph)
                {
                    flow = new FunctionFlow(graph, function, _cancellationToken);
                }
            }
        }
        else if (ParentFunction(function) is { } parentSyntax && FlowLocked(parentSyntax) is { } parent)
        {
            var graph = parent.NestedGraph(function);
            if (graph is not null)
            {
                flow = new FunctionFlow(graph, function, _cancellationToken);
            }
        }

        _functions[function] = flow;
        return flow;
    }

    /// <summary>The function of <paramref name="node"/> and where the node runs in its graph.</summary>
    public bool TryLocate(SyntaxNode node, out FunctionFlow flow, out FlowPlace place)
    {
        var found = _nodes.GetOrAdd(node, n =>
        {
            var function = FunctionOf(n);
            var f = function is null ? null : Flow(function);
            if (f is not null && f.TryPlace(n, out var p))
            {
                return (f, p, true);
            }

            return (null, default, false);
        });
        flow = found.Flow!;
        place = found.Place;
        return found.Found;
    }

    private ControlFlowGraph? CreateRoot(IOperation block)
    {
        // A body block may hang under its method body operation: the graph is of the root.
        while (block.Parent is not null)
        {
            block = block.Parent;
        }

        try
        {
            return block switch
            {
                IMethodBodyOperation body => ControlFlowGraph.Create(body, _cancellationToken),
                IConstructorBodyOperation constructor => ControlFlowGraph.Create(constructor, _cancellationToken),
                IBlockOperation statements => ControlFlowGraph.Create(statements, _cancellationToken),
                IFieldInitializerOperation field => ControlFlowGraph.Create(field, _cancellationToken),
                IPropertyInitializerOperation property => ControlFlowGraph.Create(property, _cancellationToken),
                IParameterInitializerOperation parameter => ControlFlowGraph.Create(parameter, _cancellationToken),
                _ => null,
            };
        }
        catch (ArgumentException)
        {
            // Not a root Roslyn builds graphs for (or an operation tree with errors): no graph,
            // so no region; the rules stay silent about it.
            return null;
        }
    }
}

/// <summary>One function's control-flow graph, indexed by syntax.</summary>
internal sealed class FunctionFlow
{
    private readonly Dictionary<SyntaxNode, FlowPlace> _places = new();
    private readonly Dictionary<SyntaxNode, IFlowAnonymousFunctionOperation> _lambdas = new();
    private readonly Dictionary<ISymbol, ControlFlowRegion> _localRegions = new(SymbolEqualityComparer.Default);
    private readonly CancellationToken _cancellationToken;
    private readonly Dictionary<ControlFlowRegion, List<int>> _finallyContinuations = new();
    private readonly Dictionary<string, (int Uses, BlockReach? Table)> _reachTables = new();
    private readonly ConcurrentDictionary<ControlFlowRegion, ControlFlowRegion?> _nearestTry = new();

    /// <summary>Graphs above this many blocks get no shared reach table (its size grows with the square of the blocks).</summary>
    private const int MaxTableBlocks = 4096;

    public FunctionFlow(ControlFlowGraph graph, SyntaxNode syntax, CancellationToken cancellationToken)
    {
        Graph = graph;
        Syntax = syntax;
        _cancellationToken = cancellationToken;
        _throwing = new List<int>?[graph.Blocks.Length];
        foreach (var block in graph.Blocks)
        {
            var count = OperationCount(block);
            for (var i = 0; i < count; i++)
            {
                foreach (var node in OperationAt(block, i).DescendantsAndSelf())
                {
                    if (node is IInvocationOperation or IObjectCreationOperation or IAwaitOperation or IThrowOperation or IDynamicInvocationOperation
                        && (_throwing[block.Ordinal] is not { } list || list[list.Count - 1] != i))
                    {
                        (_throwing[block.Ordinal] ??= new List<int>()).Add(i);
                    }

                    if (!_places.ContainsKey(node.Syntax))
                    {
                        _places.Add(node.Syntax, new FlowPlace(block.Ordinal, i));
                    }

                    if (node is IFlowAnonymousFunctionOperation lambda && !_lambdas.ContainsKey(lambda.Syntax))
                    {
                        _lambdas.Add(lambda.Syntax, lambda);
                    }
                }
            }
        }

        IndexLocals(graph.Root);
    }

    public ControlFlowGraph Graph { get; }

    /// <summary>Per block, the indices (ascending) of its operations that call, create, await or throw: the ones that may raise an exception.</summary>
    private readonly List<int>?[] _throwing;

    /// <summary>Whether an operation of block <paramref name="ordinal"/> strictly between indices <paramref name="after"/> and <paramref name="before"/> may throw.</summary>
    public bool MayThrowBetween(int ordinal, int after, int before)
    {
        if (_throwing[ordinal] is { } indices)
        {
            foreach (var index in indices)
            {
                if (index > after && index < before)
                {
                    return true;
                }
            }
        }

        return false;
    }

    /// <summary>The lambda, local function or member block the graph is of.</summary>
    public SyntaxNode Syntax { get; }

    public bool IsLambda => Syntax is AnonymousFunctionExpressionSyntax;

    public static int OperationCount(BasicBlock block) => block.Operations.Length + (block.BranchValue is null ? 0 : 1);

    public static IOperation OperationAt(BasicBlock block, int index) => index < block.Operations.Length ? block.Operations[index] : block.BranchValue!;

    /// <summary>Where <paramref name="node"/> runs: the place of the nearest ancestor the graph holds (a nested lambda's body runs where the lambda is created).</summary>
    public bool TryPlace(SyntaxNode node, out FlowPlace place)
    {
        for (var current = node; current is not null; current = current.Parent)
        {
            if (_places.TryGetValue(current, out place))
            {
                return true;
            }

            if (current == Syntax)
            {
                break;
            }
        }

        place = default;
        return false;
    }

    /// <summary>
    /// The innermost try region around <paramref name="block"/>, or null: an exception thrown in
    /// the block goes to that try's handlers first (and on outwards from them, which the walk
    /// sees when it walks the handlers). Cached per region: a deeply nested member must not climb
    /// its whole nesting for every block.
    /// </summary>
    public ControlFlowRegion? NearestTry(BasicBlock block) => NearestTry(block.EnclosingRegion);

    private ControlFlowRegion? NearestTry(ControlFlowRegion? region)
    {
        if (region is null)
        {
            return null;
        }

        if (region.Kind == ControlFlowRegionKind.Try)
        {
            return region;
        }

        if (_nearestTry.TryGetValue(region, out var known))
        {
            return known;
        }

        var found = NearestTry(region.EnclosingRegion);
        _nearestTry.TryAdd(region, found);
        return found;
    }

    /// <summary>The graph region that declares <paramref name="local"/> (its lifetime: leaving it and coming back is a new variable), or null.</summary>
    public ControlFlowRegion? RegionOf(ISymbol local) => _localRegions.TryGetValue(local, out var region) ? region : null;

    public ControlFlowGraph? NestedGraph(SyntaxNode function)
    {
        if (_lambdas.TryGetValue(function, out var lambda))
        {
            return Graph.GetAnonymousFunctionControlFlowGraph(lambda, _cancellationToken);
        }

        foreach (var local in Graph.LocalFunctions)
        {
            foreach (var reference in local.DeclaringSyntaxReferences)
            {
                if (reference.SyntaxTree == function.SyntaxTree && reference.Span == function.Span)
                {
                    return Graph.GetLocalFunctionControlFlowGraph(local, _cancellationToken);
                }
            }
        }

        return null;
    }

    /// <summary>Whether a walk through finally region <paramref name="region"/> from its top can reach the region's end without meeting a join.</summary>
    public bool FinallyPasses(ControlFlowRegion region, Func<int, bool> blockHasJoin)
    {
        var passes = false;
        var seen = new HashSet<int>();
        var work = new Stack<int>();
        work.Push(region.FirstBlockOrdinal);
        while (work.Count > 0 && !passes)
        {
            var ordinal = work.Pop();
            if (!seen.Add(ordinal) || blockHasJoin(ordinal))
            {
                continue;
            }

            var block = Graph.Blocks[ordinal];
            foreach (var branch in new[] { block.FallThroughSuccessor, block.ConditionalSuccessor })
            {
                if (branch is null)
                {
                    continue;
                }

                if (branch.Semantics == ControlFlowBranchSemantics.StructuredExceptionHandling)
                {
                    passes = true;
                }
                else if (branch.Destination is { } destination && destination.Ordinal >= region.FirstBlockOrdinal && destination.Ordinal <= region.LastBlockOrdinal)
                {
                    work.Push(destination.Ordinal);
                }
            }
        }

        return passes;
    }

    /// <summary>Where control goes after finally region <paramref name="region"/> ends normally: the destinations (or next finally regions) of every branch that runs it.</summary>
    public List<int> FinallyContinuations(ControlFlowRegion region)
    {
        lock (_finallyContinuations)
        {
            if (_finallyContinuations.TryGetValue(region, out var known))
            {
                return known;
            }
        }

        var continuations = new List<int>();
        foreach (var block in Graph.Blocks)
        {
            foreach (var branch in new[] { block.FallThroughSuccessor, block.ConditionalSuccessor })
            {
                if (branch is null)
                {
                    continue;
                }

                var at = branch.FinallyRegions.IndexOf(region);
                if (at < 0)
                {
                    continue;
                }

                if (at + 1 < branch.FinallyRegions.Length)
                {
                    continuations.Add(branch.FinallyRegions[at + 1].FirstBlockOrdinal);
                }
                else if (branch.Destination is { } destination)
                {
                    continuations.Add(destination.Ordinal);
                }
            }
        }

        lock (_finallyContinuations)
        {
            _finallyContinuations[region] = continuations;
        }

        return continuations;
    }

    /// <summary>
    /// The shared reach table for one set of joins: for each block entered at its top, the blocks
    /// entered at their top that it leads to. Built the second time the same joins are asked for
    /// (the first body walks directly: most join sets belong to one body only), then shared.
    /// </summary>
    public BlockReach? ReachTable(Dictionary<int, List<long>> joins, Action<int, List<int>> successors)
    {
        if (Graph.Blocks.Length > MaxTableBlocks)
        {
            return null;
        }

        var key = string.Join(";", joins.OrderBy(static j => j.Key).Select(static j => j.Key.ToString(System.Globalization.CultureInfo.InvariantCulture) + ":" + string.Join(",", j.Value.OrderBy(static p => p))));
        lock (_reachTables)
        {
            if (!_reachTables.TryGetValue(key, out var entry))
            {
                _reachTables.Add(key, (1, null));
                return null;
            }

            if (entry.Table is null)
            {
                entry = (entry.Uses + 1, BlockReach.Build(Graph.Blocks.Length, successors));
                _reachTables[key] = entry;
            }

            return entry.Table;
        }
    }

    private void IndexLocals(ControlFlowRegion region)
    {
        foreach (var local in region.Locals)
        {
            if (!_localRegions.ContainsKey(local))
            {
                _localRegions.Add(local, region);
            }
        }

        foreach (var nested in region.NestedRegions)
        {
            IndexLocals(nested);
        }
    }
}

/// <summary>
/// Reachability between the blocks of one graph under one set of joins, as bit sets: the
/// strongly connected components (Tarjan's algorithm, iterative), each with the union of the
/// components it leads to, computed sinks first (Tarjan completes a component after every
/// component it reaches).
/// </summary>
internal sealed class BlockReach
{
    private readonly int[] _component;
    private readonly ulong[][] _reach;

    private BlockReach(int[] component, ulong[][] reach)
    {
        _component = component;
        _reach = reach;
    }

    /// <summary>Adds to <paramref name="set"/> every block reachable from <paramref name="block"/> (itself included).</summary>
    public void UnionInto(int block, ulong[] set)
    {
        var reach = _reach[_component[block]];
        for (var i = 0; i < set.Length; i++)
        {
            set[i] |= reach[i];
        }
    }

    public static BlockReach Build(int count, Action<int, List<int>> successors)
    {
        var edges = new List<int>[count];
        for (var i = 0; i < count; i++)
        {
            edges[i] = new List<int>();
            successors(i, edges[i]);
        }

        var index = new int[count];
        var low = new int[count];
        var onStack = new bool[count];
        var component = new int[count];
        for (var i = 0; i < count; i++)
        {
            index[i] = -1;
        }

        var stack = new Stack<int>();
        var components = new List<List<int>>();
        var next = 0;
        var call = new Stack<(int Node, int Edge)>();
        for (var root = 0; root < count; root++)
        {
            if (index[root] >= 0)
            {
                continue;
            }

            call.Push((root, 0));
            index[root] = low[root] = next++;
            stack.Push(root);
            onStack[root] = true;
            while (call.Count > 0)
            {
                var (node, edge) = call.Pop();
                if (edge < edges[node].Count)
                {
                    call.Push((node, edge + 1));
                    var target = edges[node][edge];
                    if (index[target] < 0)
                    {
                        index[target] = low[target] = next++;
                        stack.Push(target);
                        onStack[target] = true;
                        call.Push((target, 0));
                    }
                    else if (onStack[target])
                    {
                        low[node] = Math.Min(low[node], index[target]);
                    }

                    continue;
                }

                // All edges of node done: close its component if it is a root, then report its
                // low link to its caller.
                if (low[node] == index[node])
                {
                    var members = new List<int>();
                    int member;
                    do
                    {
                        member = stack.Pop();
                        onStack[member] = false;
                        component[member] = components.Count;
                        members.Add(member);
                    }
                    while (member != node);
                    components.Add(members);
                }

                if (call.Count > 0)
                {
                    var caller = call.Peek().Node;
                    low[caller] = Math.Min(low[caller], low[node]);
                }
            }
        }

        var words = (count + 63) / 64;
        var reach = new ulong[components.Count][];
        for (var c = 0; c < components.Count; c++)
        {
            var set = new ulong[words];
            foreach (var member in components[c])
            {
                set[member >> 6] |= 1UL << (member & 63);
                foreach (var target in edges[member])
                {
                    var other = component[target];
                    if (other != c)
                    {
                        // Completed earlier: its reach is final.
                        var theirs = reach[other];
                        for (var i = 0; i < words; i++)
                        {
                            set[i] |= theirs[i];
                        }
                    }
                }
            }

            reach[c] = set;
        }

        return new BlockReach(component, reach);
    }
}
