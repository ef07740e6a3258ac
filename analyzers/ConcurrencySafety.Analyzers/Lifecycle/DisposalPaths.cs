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
/// </remarks>
internal static class DisposalPaths
{
    /// <summary>
    /// Whether some normal path leaves the function that declares <paramref name="local"/>
    /// without passing one of <paramref name="releaseSpans"/> (the spans of the local
    /// references that release it). Returns false when the graph cannot be matched to the
    /// source (the caller then stays silent).
    /// </summary>
    public static bool LeaksOnSomePath(ControlFlowGraph root, ILocalSymbol local, IReadOnlyCollection<TextSpan> releaseSpans)
    {
        if (!TryFindDeclaration(root, local, out var graph, out var start, out var index))
        {
            return false;
        }

        bool Releases(BasicBlock block, int from, int to)
        {
            var operations = block.Operations;
            for (var i = from; i < to; i++)
            {
                var operation = i < operations.Length ? operations[i] : block.BranchValue;
                if (operation is not null && ContainsRelease(operation, local, releaseSpans))
                {
                    return true;
                }
            }

            return false;
        }

        var all = start.Operations.Length + 1; // the branch value counts as the last operation
        if (Releases(start, index + 1, all))
        {
            return false;
        }

        var flags = FlagsSetWhereReleased(graph, Releases);

        void Continue(BasicBlock block, Stack<ControlFlowBranch> into)
        {
            // A branch on a flag that the code sets where it releases (done = true next to
            // Dispose) is correlated with the release in a way this walk cannot follow
            // (conditions are not evaluated): treat it as unknown rather than as a leak.
            if (block.ConditionKind != ControlFlowConditionKind.None && ReadsAny(block.BranchValue, flags))
            {
                return;
            }

            PushSuccessors(block, into);
        }

        var visited = new HashSet<int> { start.Ordinal };
        var pending = new Stack<ControlFlowBranch>();
        Continue(start, pending);
        while (pending.Count > 0)
        {
            var branch = pending.Pop();
            if (branch.FinallyRegions.Any(region => RegionReleases(graph, region, Releases)))
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

            if (destination.Ordinal == start.Ordinal)
            {
                // Back at the declaration: unless the block releases before redeclaring, the
                // previous value is dropped.
                if (!Releases(start, 0, index))
                {
                    return true;
                }

                continue;
            }

            if (!visited.Add(destination.Ordinal))
            {
                continue;
            }

            if (!Releases(destination, 0, destination.Operations.Length + 1))
            {
                Continue(destination, pending);
            }
        }

        return false;
    }

    /// <summary>Boolean locals assigned in a block that also releases the local (the "disposed" flags of hand-written bookkeeping).</summary>
    private static HashSet<ILocalSymbol> FlagsSetWhereReleased(ControlFlowGraph graph, Func<BasicBlock, int, int, bool> releases)
    {
        var flags = new HashSet<ILocalSymbol>(SymbolEqualityComparer.Default);
        foreach (var block in graph.Blocks)
        {
            if (!releases(block, 0, block.Operations.Length + 1))
            {
                continue;
            }

            foreach (var operation in block.Operations)
            {
                foreach (var descendant in operation.DescendantsAndSelf())
                {
                    if (descendant is IAssignmentOperation { Target: ILocalReferenceOperation { Local: { Type.SpecialType: SpecialType.System_Boolean } flag } })
                    {
                        flags.Add(flag);
                    }
                }
            }
        }

        return flags;
    }

    private static bool ReadsAny(IOperation? condition, HashSet<ILocalSymbol> locals)
    {
        if (condition is null || locals.Count == 0)
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
        // (A block that returns a value also has a branch value; only a conditional block branches on it.)
        var constant = block.ConditionKind != ControlFlowConditionKind.None && block.BranchValue?.ConstantValue is { HasValue: true, Value: bool value } ? value : (bool?)null;
        var takesConditional = constant is null || constant.Value == (block.ConditionKind == ControlFlowConditionKind.WhenTrue);
        var takesFallThrough = constant is null || !takesConditional;
        if (takesConditional && block.ConditionalSuccessor is { } conditional)
        {
            pending.Push(conditional);
        }

        if (takesFallThrough && block.FallThroughSuccessor is { } fallThrough)
        {
            pending.Push(fallThrough);
        }
    }

    private static bool RegionReleases(ControlFlowGraph graph, ControlFlowRegion region, Func<BasicBlock, int, int, bool> releases)
    {
        for (var ordinal = region.FirstBlockOrdinal; ordinal <= region.LastBlockOrdinal; ordinal++)
        {
            var block = graph.Blocks[ordinal];
            if (releases(block, 0, block.Operations.Length + 1))
            {
                return true;
            }
        }

        return false;
    }

    // A release of the local, or a call that never returns ([DoesNotReturn], such as a throw
    // helper): either way the path needs nothing more.
    private static bool ContainsRelease(IOperation operation, ILocalSymbol local, IReadOnlyCollection<TextSpan> releaseSpans)
    {
        foreach (var descendant in operation.DescendantsAndSelf())
        {
            if (descendant is ILocalReferenceOperation { IsDeclaration: false } reference
                && SymbolEqualityComparer.Default.Equals(reference.Local, local)
                && releaseSpans.Contains(reference.Syntax.Span))
            {
                return true;
            }

            if (descendant is IInvocationOperation { TargetMethod: { } method }
                && method.GetAttributes().Any(a => a.AttributeClass?.Name == "DoesNotReturnAttribute"))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>Finds the graph (the function's own, or a lambda's or local function's inside it) and the block that declare <paramref name="local"/>.</summary>
    private static bool TryFindDeclaration(ControlFlowGraph graph, ILocalSymbol local, out ControlFlowGraph found, out BasicBlock block, out int index)
    {
        foreach (var candidate in graph.Blocks)
        {
            var operations = candidate.Operations;
            for (var i = 0; i < operations.Length; i++)
            {
                foreach (var descendant in operations[i].DescendantsAndSelf())
                {
                    if (descendant is ILocalReferenceOperation { IsDeclaration: true } reference
                        && SymbolEqualityComparer.Default.Equals(reference.Local, local))
                    {
                        found = graph;
                        block = candidate;
                        index = i;
                        return true;
                    }
                }
            }
        }

        foreach (var candidate in graph.Blocks)
        {
            foreach (var operation in candidate.Operations.Concat(candidate.BranchValue is { } value ? new[] { value } : Array.Empty<IOperation>()))
            {
                foreach (var descendant in operation.DescendantsAndSelf())
                {
                    if (descendant is IFlowAnonymousFunctionOperation lambda
                        && TryFindDeclaration(graph.GetAnonymousFunctionControlFlowGraph(lambda), local, out found, out block, out index))
                    {
                        return true;
                    }
                }
            }
        }

        foreach (var function in graph.LocalFunctions)
        {
            if (TryFindDeclaration(graph.GetLocalFunctionControlFlowGraph(function), local, out found, out block, out index))
            {
                return true;
            }
        }

        found = graph;
        block = graph.Blocks[0];
        index = -1;
        return false;
    }
}
