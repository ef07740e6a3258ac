using System.Threading;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.FlowAnalysis;
using Microsoft.CodeAnalysis.Operations;

namespace ConcurrencySafety.Analyzers.Infrastructure;

/// <summary>
/// Which operations of an async function may run after one of its <c>await</c>s, read off the
/// function's <see cref="ControlFlowGraph"/>: every block reachable from a block that awaits
/// (through branches, loop back edges and the finally regions a branch runs), and, in an
/// awaiting block, what follows the await. Code before the first await runs synchronously in
/// the caller; only the rest can overlap the caller or another invocation.
/// </summary>
/// <remarks>
/// Under a UI framework (<see cref="RaceEngine.UiContext"/>) a plain <c>await</c> resumes on the
/// UI thread, so only <c>ConfigureAwait(false)</c> awaits count.
/// </remarks>
internal sealed class AwaitOrder
{
    private readonly Dictionary<SyntaxNode, (int Block, int Index)> _places;
    private readonly HashSet<int> _afterAwait;
    private readonly List<(int Block, int Index, int Position)> _awaits;

    private AwaitOrder(Dictionary<SyntaxNode, (int Block, int Index)> places, HashSet<int> afterAwait, List<(int Block, int Index, int Position)> awaits)
    {
        _places = places;
        _afterAwait = afterAwait;
        _awaits = awaits;
    }

    /// <summary>
    /// The order of <paramref name="function"/>: a method body, a local function or a lambda
    /// (taken from the graph of the member that contains it). Null when no graph can be built.
    /// </summary>
    public static AwaitOrder? For(IOperation function, bool uiContext, CancellationToken cancellationToken)
    {
        var graph = GraphOf(function, cancellationToken);
        if (graph is null)
        {
            return null;
        }

        var places = new Dictionary<SyntaxNode, (int Block, int Index)>();
        var awaits = new List<(int Block, int Index, int Position)>();
        var awaitBlocks = new List<BasicBlock>();
        foreach (var block in graph.Blocks)
        {
            var count = block.Operations.Length + (block.BranchValue is null ? 0 : 1);
            var awaited = false;
            for (var i = 0; i < count; i++)
            {
                var operation = i < block.Operations.Length ? block.Operations[i] : block.BranchValue!;
                foreach (var node in operation.DescendantsAndSelf())
                {
                    if (!places.ContainsKey(node.Syntax))
                    {
                        places.Add(node.Syntax, (block.Ordinal, i));
                    }

                    if (node is IAwaitOperation await && ResumesElsewhere(await, uiContext))
                    {
                        awaits.Add((block.Ordinal, i, node.Syntax.SpanStart));
                        awaited = true;
                    }
                }
            }

            if (awaited)
            {
                awaitBlocks.Add(block);
            }
        }

        // Everything reachable from an awaiting block, through at least one edge.
        var after = new HashSet<int>();
        var work = new Stack<BasicBlock>(awaitBlocks);
        while (work.Count > 0)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var block = work.Pop();
            Follow(block.FallThroughSuccessor);
            Follow(block.ConditionalSuccessor);

            void Follow(ControlFlowBranch? branch)
            {
                if (branch is null)
                {
                    return;
                }

                if (branch.Destination is { } destination && after.Add(destination.Ordinal))
                {
                    work.Push(destination);
                }

                foreach (var region in branch.FinallyRegions)
                {
                    for (var ordinal = region.FirstBlockOrdinal; ordinal <= region.LastBlockOrdinal; ordinal++)
                    {
                        if (after.Add(ordinal))
                        {
                            work.Push(graph.Blocks[ordinal]);
                        }
                    }
                }
            }
        }

        return new AwaitOrder(places, after, awaits);
    }

    /// <summary>Whether the code at <paramref name="syntax"/> may run after an await of the function.</summary>
    public bool IsAfterAwait(SyntaxNode syntax)
    {
        for (var node = syntax; node is not null; node = node.Parent)
        {
            if (_places.TryGetValue(node, out var place))
            {
                if (_afterAwait.Contains(place.Block))
                {
                    return true;
                }

                foreach (var await in _awaits)
                {
                    if (await.Block == place.Block && (await.Index < place.Index || (await.Index == place.Index && await.Position < syntax.SpanStart)))
                    {
                        return true;
                    }
                }

                return false;
            }
        }

        return false;
    }

    // await x.ConfigureAwait(false) resumes on the thread pool; a plain await resumes on the
    // captured context, which is the one UI thread under a UI framework.
    private static bool ResumesElsewhere(IAwaitOperation await, bool uiContext)
    {
        if (!uiContext)
        {
            return true;
        }

        return await.Operation is IInvocationOperation { TargetMethod.Name: "ConfigureAwait" } configure
            && configure.Arguments.Length == 1
            && configure.Arguments[0].Value.ConstantValue is { HasValue: true, Value: false };
    }

    private static ControlFlowGraph? GraphOf(IOperation function, CancellationToken cancellationToken)
    {
        var root = function;
        while (root.Parent is not null)
        {
            root = root.Parent;
        }

        ControlFlowGraph graph;
        try
        {
            graph = root switch
            {
                IMethodBodyOperation body => ControlFlowGraph.Create(body, cancellationToken),
                IConstructorBodyOperation constructor => ControlFlowGraph.Create(constructor, cancellationToken),
                IBlockOperation block => ControlFlowGraph.Create(block, cancellationToken),
                _ => null!,
            };
        }
        catch (System.ArgumentException)
        {
            return null;
        }

        if (graph is null)
        {
            return null;
        }

        return function switch
        {
            IMethodBodyOperation or IConstructorBodyOperation => graph,
            _ when function == root => graph,
            ILocalFunctionOperation local => FindLocal(graph, local.Symbol, cancellationToken),
            IAnonymousFunctionOperation lambda => FindLambda(graph, lambda.Symbol, cancellationToken),
            _ => null,
        };
    }

    private static ControlFlowGraph? FindLocal(ControlFlowGraph graph, IMethodSymbol symbol, CancellationToken cancellationToken)
    {
        foreach (var local in graph.LocalFunctions)
        {
            var nested = graph.GetLocalFunctionControlFlowGraph(local, cancellationToken);
            if (SymbolEqualityComparer.Default.Equals(local, symbol))
            {
                return nested;
            }

            if (FindLocal(nested, symbol, cancellationToken) is { } found)
            {
                return found;
            }
        }

        foreach (var lambda in Lambdas(graph))
        {
            if (FindLocal(graph.GetAnonymousFunctionControlFlowGraph(lambda, cancellationToken), symbol, cancellationToken) is { } found)
            {
                return found;
            }
        }

        return null;
    }

    private static ControlFlowGraph? FindLambda(ControlFlowGraph graph, IMethodSymbol symbol, CancellationToken cancellationToken)
    {
        foreach (var lambda in Lambdas(graph))
        {
            var nested = graph.GetAnonymousFunctionControlFlowGraph(lambda, cancellationToken);
            if (SymbolEqualityComparer.Default.Equals(lambda.Symbol, symbol))
            {
                return nested;
            }

            if (FindLambda(nested, symbol, cancellationToken) is { } found)
            {
                return found;
            }
        }

        foreach (var local in graph.LocalFunctions)
        {
            if (FindLambda(graph.GetLocalFunctionControlFlowGraph(local, cancellationToken), symbol, cancellationToken) is { } found)
            {
                return found;
            }
        }

        return null;
    }

    private static IEnumerable<IFlowAnonymousFunctionOperation> Lambdas(ControlFlowGraph graph)
    {
        foreach (var block in graph.Blocks)
        {
            foreach (var operation in block.Operations)
            {
                foreach (var node in operation.DescendantsAndSelf())
                {
                    if (node is IFlowAnonymousFunctionOperation lambda)
                    {
                        yield return lambda;
                    }
                }
            }

            if (block.BranchValue is { } branch)
            {
                foreach (var node in branch.DescendantsAndSelf())
                {
                    if (node is IFlowAnonymousFunctionOperation lambda)
                    {
                        yield return lambda;
                    }
                }
            }
        }
    }
}
