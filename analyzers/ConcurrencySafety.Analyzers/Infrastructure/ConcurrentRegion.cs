using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.FlowAnalysis;

namespace ConcurrencySafety.Analyzers.Infrastructure;

/// <summary>
/// The happens-before relation between one concurrent body and the code that starts it, on
/// the control-flow graph: the code that may run while the body runs is what is reachable
/// from the start without passing a join. A start opens the region; a join (an await of the
/// task, <c>Wait</c>, <c>Join</c>, an awaited <c>WhenAll</c>, ...) closes it on the path that
/// meets it. The region follows branches, loop back edges, <c>goto</c>, <c>break</c> and
/// <c>continue</c>, and the <c>finally</c> regions a branch runs (a branch out of a <c>try</c>
/// reaches its destination only if its <c>finally</c> can end without joining). Code that may
/// throw between the start and a join also reaches the <c>catch</c> and <c>finally</c> handlers
/// around it.
/// </summary>
/// <remarks>
/// <para>
/// The walk is per function graph ("piece"). It starts in the innermost function that holds the
/// start. When that function is a lambda whose end the walk reaches, and the task is joined in
/// an enclosing function (<c>items.Select(i =&gt; Task.Run(...))</c> awaited with <c>WhenAll</c>),
/// the walk goes on in the enclosing graph from where the lambda is created, up to the function
/// of the body that started this one (or the member). A task that is never joined stays open to
/// the end of the function that starts it: a <c>Scope.Run</c> lambda's children end with it.
/// </para>
/// <para>
/// A local declared in a graph region that the walk leaves and comes back to (a loop body) is a
/// new variable each time: questions about such a local walk only inside its region, so its
/// uses in another iteration are not concurrent with this iteration's body, and a start repeated
/// by the loop does not make several instances that share it.
/// </para>
/// <para>
/// Cost: one walk per body over the blocks it reaches, plus one walk per loop-scoped local a
/// rule asks about (cached). Places are found through the graphs' syntax index, cached per node.
/// Positions are used only inside one operation of a block, where they are evaluation order.
/// </para>
/// </remarks>
internal sealed class ConcurrentRegion
{
    /// <summary>No region: the body runs during the call only (Parallel.For), or the task is returned.</summary>
    public static readonly ConcurrentRegion None = new(null, new List<Piece>(), overlapsStarter: false);

    private readonly FlowGraphs? _graphs;
    private readonly List<Piece> _pieces;
    private readonly Dictionary<(int Piece, ControlFlowRegion Region), Piece> _restricted = new();

    private ConcurrentRegion(FlowGraphs? graphs, List<Piece> pieces, bool overlapsStarter)
    {
        _graphs = graphs;
        _pieces = pieces;
        OverlapsStarter = overlapsStarter && pieces.Exists(static p => p.All || p.HasIntervals);
    }

    /// <summary>Some code of the starter may run while the body runs.</summary>
    public bool OverlapsStarter { get; }

    /// <summary>
    /// Builds the region of a body started at <paramref name="starts"/> and joined at
    /// <paramref name="joins"/> (each a syntax node of the member and the source position of the
    /// start or join inside its operation).
    /// </summary>
    /// <param name="graphs">The member's graphs.</param>
    /// <param name="starts">Where the body starts (the call's end, or each <c>Start()</c>).</param>
    /// <param name="joins">Where the body is joined (or the task escapes, which is taken as a join).</param>
    /// <param name="limit">The function the walk may not leave: the starting body's, or the member's own block.</param>
    /// <param name="repeated">The lambdas around the start that run once per element (or as a repeated body): every use in them may overlap.</param>
    /// <param name="overlapsStarter">False when only repetition matters (the task escaped).</param>
    public static ConcurrentRegion Compute(FlowGraphs graphs, List<(SyntaxNode Node, int Position)> starts, List<(SyntaxNode Node, int Position)> joins, SyntaxNode? limit, ICollection<SyntaxNode> repeated, bool overlapsStarter)
    {
        var pieces = new List<Piece>();
        if (starts.Count == 0 || graphs.FunctionOf(starts[0].Node) is not { } function || graphs.Flow(function) is not { } flow)
        {
            return None;
        }

        // The joins by the function that holds them.
        var joinsByFunction = new Dictionary<SyntaxNode, Dictionary<int, List<long>>>();
        foreach (var (node, position) in joins)
        {
            if (graphs.FunctionOf(node) is { } joinFunction && graphs.Flow(joinFunction) is { } joinFlow && joinFlow.TryPlace(node, out var place))
            {
                if (!joinsByFunction.TryGetValue(joinFunction, out var byBlock))
                {
                    byBlock = new Dictionary<int, List<long>>();
                    joinsByFunction.Add(joinFunction, byBlock);
                }

                if (!byBlock.TryGetValue(place.Block, out var points))
                {
                    points = new List<long>();
                    byBlock.Add(place.Block, points);
                }

                points.Add(place.PointAt(position));
            }
        }

        var entries = new List<(int Block, long From, SyntaxNode Node)>();
        foreach (var (node, position) in starts)
        {
            if (graphs.FunctionOf(node) == function && flow.TryPlace(node, out var place))
            {
                entries.Add((place.Block, place.PointAt(position), node));
            }
        }

        while (true)
        {
            var piece = new Piece(flow, entries, joinsByFunction.TryGetValue(flow.Syntax, out var own) ? own : new Dictionary<int, List<long>>(), restrict: null)
            {
                All = repeated.Contains(flow.Syntax),
            };
            piece.Walk();
            pieces.Add(piece);

            // Go on in the enclosing function only when the walk leaves this lambda and the task
            // is joined further out (otherwise the work ends with the function that started it).
            if (!piece.ReachedExit || !flow.IsLambda || flow.Syntax == limit || !JoinedOutside(graphs, flow.Syntax, joinsByFunction.Keys)
                || graphs.ParentFunction(flow.Syntax) is not { } parent || graphs.Flow(parent) is not { } parentFlow
                || !parentFlow.TryPlace(flow.Syntax, out var lambdaPlace))
            {
                break;
            }

            entries = new List<(int, long, SyntaxNode)> { (lambdaPlace.Block, lambdaPlace.PointAt(flow.Syntax.Span.End), flow.Syntax) };
            flow = parentFlow;
        }

        return new ConcurrentRegion(graphs, pieces, overlapsStarter);
    }

    private static bool JoinedOutside(FlowGraphs graphs, SyntaxNode function, IEnumerable<SyntaxNode> joinFunctions)
    {
        foreach (var joinFunction in joinFunctions)
        {
            if (joinFunction != function && joinFunction.Span.Contains(function.Span) && joinFunction.SyntaxTree == function.SyntaxTree)
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>
    /// Whether the starter's code at <paramref name="node"/> (at source position
    /// <paramref name="position"/> inside its operation) may run while the body runs, for a use
    /// of <paramref name="variable"/> (null: a location not tied to a local, such as a field of
    /// <c>this</c> or a static).
    /// </summary>
    public bool Contains(SyntaxNode node, int position, ISymbol? variable)
    {
        if (!OverlapsStarter || !Locate(node, out var index, out var place))
        {
            return false;
        }

        var piece = PieceFor(index, variable);
        if (piece.All && (variable is null || !Declarations.IsDeclaredIn(variable, piece.Flow.Syntax)))
        {
            return true;
        }

        return piece.Contains(place.Block, place.PointAt(position));
    }

    /// <summary>
    /// Whether the start can be reached again while the body runs (a loop, a <c>goto</c>): the
    /// body then runs as several instances, which share <paramref name="variable"/> unless it is
    /// a new variable on each round (declared inside the repeating region).
    /// </summary>
    public bool Repeats(ISymbol? variable)
    {
        if (variable is null)
        {
            // Asked for every pair of bodies: computed once.
            if (_repeats == 0)
            {
                _repeats = RepeatsCore(null) ? 1 : 2;
            }

            return _repeats == 1;
        }

        return RepeatsCore(variable);
    }

    /// <summary>Repeats(null), once known: 0 unknown, 1 yes, 2 no (benign race: both writers store the same).</summary>
    private int _repeats;

    private bool RepeatsCore(ISymbol? variable)
    {
        for (var i = 0; i < _pieces.Count; i++)
        {
            var piece = PieceFor(i, variable);
            foreach (var entry in piece.Entries)
            {
                if (piece.Flow.TryPlace(entry.Node, out var place) && piece.Contains(place.Block, place.PointAt(entry.Node.SpanStart)))
                {
                    return true;
                }
            }
        }

        return false;
    }

    /// <summary>Whether the body may still run when the starter reaches the end of <paramref name="scope"/> (a block or a using statement).</summary>
    public bool ContainsEndOf(SyntaxNode scope)
    {
        var last = scope;
        while (true)
        {
            switch (last)
            {
                case BlockSyntax { Statements.Count: > 0 } block:
                    last = block.Statements[block.Statements.Count - 1];
                    continue;
                case UsingStatementSyntax { Statement: { } statement }:
                    last = statement;
                    continue;
            }

            break;
        }

        // The last node of the statement the graph holds: where the statement ends.
        SyntaxNode? mapped = null;
        foreach (var node in last.DescendantNodesAndSelf())
        {
            if (_graphs is not null && (mapped is null || node.SpanStart >= mapped.SpanStart) && Locate(node, out _, out _))
            {
                mapped = node;
            }
        }

        return mapped is not null && Contains(mapped, last.Span.End - 1, variable: null);
    }

    /// <summary>Which piece holds <paramref name="node"/> (a node in a lambda nested in a piece runs where the lambda is created), and where.</summary>
    private bool Locate(SyntaxNode node, out int index, out FlowPlace place)
    {
        index = -1;
        place = default;
        if (_graphs is null)
        {
            return false;
        }

        var current = node;
        for (var function = _graphs.FunctionOf(node); function is not null; current = function, function = _graphs.ParentFunction(function))
        {
            for (var i = 0; i < _pieces.Count; i++)
            {
                if (_pieces[i].Flow.Syntax == function)
                {
                    index = i;
                    return _pieces[i].Flow.TryPlace(current, out place);
                }
            }
        }

        return false;
    }

    // The piece walked only inside the lifetime region of the variable, when the variable is a
    // local of this piece's function declared in a nested region.
    private Piece PieceFor(int index, ISymbol? variable)
    {
        var piece = _pieces[index];
        if (variable is not ILocalSymbol || piece.Flow.RegionOf(variable) is not { } region || region.EnclosingRegion is null or { Kind: ControlFlowRegionKind.Root })
        {
            return piece;
        }

        lock (_restricted)
        {
            if (!_restricted.TryGetValue((index, region), out var restricted))
            {
                restricted = new Piece(piece.Flow, piece.Entries, piece.Joins, (region.FirstBlockOrdinal, region.LastBlockOrdinal)) { All = piece.All };
                restricted.Walk();
                _restricted.Add((index, region), restricted);
            }

            return restricted;
        }
    }

    /// <summary>The walk over one function's graph.</summary>
    /// <remarks>
    /// A piece is the partial blocks of its entries (from the start to the first join after it)
    /// plus the blocks entered at their top. Which blocks are entered at the top depends only on
    /// the joins (and the restriction), so bodies joined at the same places (all the tasks of one
    /// <c>WhenAll</c>, or all never-joined ones) share one reach table of their function
    /// (<see cref="FunctionFlow.ReachTable"/>): a member that starts hundreds of tasks into one
    /// list walks its graph once, not once per task.
    /// </remarks>
    private sealed class Piece
    {
        private readonly (int First, int Last)? _restrict;
        private readonly List<(int Block, long From, long To)> _partial = new();
        private int _blockCount;
        private ulong[] _top = Array.Empty<ulong>();
        private Dictionary<ControlFlowRegion, bool>? _finallyPasses;
        private bool _entryInFinally;

        public Piece(FunctionFlow flow, List<(int Block, long From, SyntaxNode Node)> entries, Dictionary<int, List<long>> joins, (int First, int Last)? restrict)
        {
            Flow = flow;
            Entries = entries;
            Joins = joins;
            _restrict = restrict;
        }

        public FunctionFlow Flow { get; }

        public List<(int Block, long From, SyntaxNode Node)> Entries { get; }

        public Dictionary<int, List<long>> Joins { get; }

        /// <summary>Every use in the function may overlap the body (a lambda run once per element).</summary>
        public bool All { get; set; }

        public bool ReachedExit { get; private set; }

        public bool HasIntervals { get; private set; }

        public bool Contains(int block, long point)
        {
            if (block < 0 || block >= _blockCount)
            {
                return false;
            }

            if ((_top[block >> 6] & (1UL << (block & 63))) != 0 && point < FirstJoinAfter(block, long.MinValue))
            {
                return true;
            }

            foreach (var (partialBlock, from, to) in _partial)
            {
                if (partialBlock == block && from <= point && point < to)
                {
                    return true;
                }
            }

            return false;
        }

        public void Walk()
        {
            var blocks = Flow.Graph.Blocks;
            _blockCount = blocks.Length;
            _top = new ulong[(blocks.Length + 63) / 64];
            foreach (var entry in Entries)
            {
                _entryInFinally |= InFinally(blocks[entry.Block]);
            }

            // The entries' own blocks, from the start to the first join after it, and the blocks
            // they lead to (entered at their top).
            var pushes = new List<int>();
            foreach (var entry in Entries)
            {
                if (!InRange(entry.Block))
                {
                    continue;
                }

                var to = FirstJoinAfter(entry.Block, entry.From);
                _partial.Add((entry.Block, entry.From, to));
                HasIntervals = true;
                if (blocks[entry.Block].Kind == BasicBlockKind.Exit && to == long.MaxValue)
                {
                    ReachedExit = true;
                }

                Successors(entry.Block, entry.From, pushes);
            }

            if (pushes.Count == 0)
            {
                return;
            }

            HasIntervals = true;
            var table = _restrict is null && !_entryInFinally ? Flow.ReachTable(Joins, TopSuccessors) : null;
            if (table is not null)
            {
                foreach (var push in pushes)
                {
                    table.UnionInto(push, _top);
                }
            }
            else
            {
                var work = new Stack<int>(pushes);
                foreach (var push in pushes)
                {
                    _top[push >> 6] |= 1UL << (push & 63);
                }

                var next = new List<int>();
                while (work.Count > 0)
                {
                    var ordinal = work.Pop();
                    next.Clear();
                    Successors(ordinal, long.MinValue, next);
                    foreach (var successor in next)
                    {
                        if ((_top[successor >> 6] & (1UL << (successor & 63))) == 0)
                        {
                            _top[successor >> 6] |= 1UL << (successor & 63);
                            work.Push(successor);
                        }
                    }
                }
            }

            var exit = blocks.Length - 1;
            if ((_top[exit >> 6] & (1UL << (exit & 63))) != 0)
            {
                ReachedExit = true;
            }
        }

        /// <summary>The blocks entered at their top right after block <paramref name="ordinal"/> entered at its top (for the shared reach table).</summary>
        private void TopSuccessors(int ordinal, List<int> output) => Successors(ordinal, long.MinValue, output);

        /// <summary>
        /// Where control goes, entered at their top, from block <paramref name="ordinal"/> entered
        /// at <paramref name="from"/>: the handlers around it when something between the entry and
        /// the first join may throw, and its successors when no join stops it.
        /// </summary>
        private void Successors(int ordinal, long from, List<int> output)
        {
            if (!InRange(ordinal))
            {
                return;
            }

            var block = Flow.Graph.Blocks[ordinal];
            var to = FirstJoinAfter(ordinal, from);

            // Something between the start (or the block's top) and the join may throw (it calls,
            // creates, awaits or throws): the handlers around the block run while the body may
            // still be running.
            // (An operation strictly between the start's operation, or the top, and the join's.)
            var startIndex = from == long.MinValue ? -1 : (int)(from >> 32) - 1;
            var joinIndex = to == long.MaxValue ? FunctionFlow.OperationCount(block) : (int)(to >> 32) - 1;
            if (joinIndex - startIndex >= 2 && Flow.MayThrowBetween(ordinal, startIndex, joinIndex) && Flow.NearestTry(block) is { EnclosingRegion: { } tryAnd } region)
            {
                foreach (var handler in tryAnd.NestedRegions)
                {
                    if (handler != region)
                    {
                        Add(handler.FirstBlockOrdinal);
                    }
                }
            }

            if (to != long.MaxValue)
            {
                return;
            }

            Follow(block.FallThroughSuccessor);
            Follow(block.ConditionalSuccessor);

            void Add(int target)
            {
                // InRange also drops a target outside this graph: a region's block range can come
                // from an enclosing graph, while a lambda's graph holds only its own blocks.
                if (InRange(target))
                {
                    output.Add(target);
                }
            }

            void Follow(ControlFlowBranch? branch)
            {
                if (branch is null)
                {
                    return;
                }

                foreach (var region in branch.FinallyRegions)
                {
                    Add(region.FirstBlockOrdinal);
                    if (!FinallyPasses(region))
                    {
                        // Every way through this finally joins: the destination comes after the join.
                        return;
                    }
                }

                if (branch.Destination is { } destination)
                {
                    Add(destination.Ordinal);
                }
                else if (branch.Semantics == ControlFlowBranchSemantics.StructuredExceptionHandling && _entryInFinally)
                {
                    // The end of a finally. Where it goes depends on how it was entered; a branch
                    // that ran it already continues past it, so this matters only when the body
                    // was started inside the finally itself.
                    for (var region = block.EnclosingRegion; region is not null; region = region.EnclosingRegion)
                    {
                        if (region.Kind == ControlFlowRegionKind.Finally)
                        {
                            if (Entries.Exists(e => e.Block >= region.FirstBlockOrdinal && e.Block <= region.LastBlockOrdinal))
                            {
                                foreach (var continuation in Flow.FinallyContinuations(region))
                                {
                                    Add(continuation);
                                }
                            }

                            break;
                        }
                    }
                }
            }
        }

        private static bool InFinally(BasicBlock block)
        {
            for (var region = block.EnclosingRegion; region is not null; region = region.EnclosingRegion)
            {
                if (region.Kind == ControlFlowRegionKind.Finally)
                {
                    return true;
                }
            }

            return false;
        }

        // A block of this graph only: an ordinal from outside it (seen on a scope body whose
        // children are async lambdas started in a loop, the Tour's WaitGroupReplacement) would
        // index past the graph's blocks; the walk treats it as leaving the region, which can only
        // make the region smaller (fewer reports, never more).
        private bool InRange(int ordinal) =>
            ordinal >= 0 && ordinal < Flow.Graph.Blocks.Length
            && (_restrict is not { } range || (ordinal >= range.First && ordinal <= range.Last));

        private long FirstJoinAfter(int ordinal, long from)
        {
            var first = long.MaxValue;
            if (Joins.TryGetValue(ordinal, out var points))
            {
                foreach (var point in points)
                {
                    if (point >= from && point < first)
                    {
                        first = point;
                    }
                }
            }

            return first;
        }

        private bool FinallyPasses(ControlFlowRegion region)
        {
            // Called only while the piece is walked, by one thread.
            _finallyPasses ??= new Dictionary<ControlFlowRegion, bool>();
            if (!_finallyPasses.TryGetValue(region, out var passes))
            {
                passes = Flow.FinallyPasses(region, ordinal => Joins.ContainsKey(ordinal));
                _finallyPasses.Add(region, passes);
            }

            return passes;
        }
    }
}
