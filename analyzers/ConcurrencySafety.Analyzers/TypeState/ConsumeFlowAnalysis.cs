using System;
using System.Collections.Generic;
using System.Collections.Immutable;
using System.Linq;
using System.Runtime.CompilerServices;
using System.Threading;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.FlowAnalysis;
using Microsoft.CodeAnalysis.Operations;

namespace ConcurrencySafety.Analyzers.TypeState;

/// <summary>What a finding of the consume analysis is.</summary>
internal enum ConsumeFindingKind
{
    /// <summary>CSA3001.</summary>
    UseAfterConsume,

    /// <summary>CSA3002.</summary>
    DoubleConsume,

    /// <summary>CSA3003.</summary>
    Dropped,

    /// <summary>CSA2010: a use (or a second send) of a value after a channel send moved it.</summary>
    UseAfterSend,

    /// <summary>CSA2015: a use of a channel sender or receiver after it was disposed.</summary>
    UseAfterDispose,
}

/// <summary>One finding of the consume analysis, shared by the three CSA300x analyzers.</summary>
internal sealed class ConsumeFinding
{
    public ConsumeFinding(ConsumeFindingKind kind, Location location, Location? consumerLocation, ImmutableDictionary<string, string?> properties, params object[] messageArgs)
    {
        Kind = kind;
        Location = location;
        ConsumerLocation = consumerLocation;
        Properties = properties;
        MessageArgs = messageArgs;
    }

    public ConsumeFindingKind Kind { get; }

    public Location Location { get; }

    /// <summary>Where the earlier consuming call is (CSA3001, CSA3002).</summary>
    public Location? ConsumerLocation { get; }

    public ImmutableDictionary<string, string?> Properties { get; }

    public object[] MessageArgs { get; }
}

/// <summary>
/// Flow-sensitive use-after-consume and must-consume analysis over a method's control-flow
/// graph (a forward dataflow to a fixed point, then one reporting pass).
/// </summary>
/// <remarks>
/// <para>Tracked variables are locals, parameters and fields of <c>this</c> (or static fields).
/// Facts, per program point: which variables may have been consumed (and by which call), which
/// variables certainly alias each other, and which locals may still hold an undischarged
/// must-consume value.</para>
/// <para>Design choices, all on the side of precision: a field is forgotten after a call that
/// may reassign it (a method of the same type); <c>Dispose</c> is not a use; a lambda or local
/// function body is analysed on its own with nothing consumed at entry, and in the enclosing
/// body a capture counts as a use; passing a value as an ordinary argument, storing it or
/// returning it discharges the must-consume obligation; exceptional exits drop nothing.</para>
/// <para>Exception handling: a catch or finally handler starts from the join of every state in
/// its try block; a branch that leaves through finally regions carries its state through those
/// regions (analysed on that state alone), so a consumption in a finally counts after it.</para>
/// </remarks>
internal sealed class ConsumeFlowAnalysis
{
    private static readonly ConditionalWeakTable<ControlFlowGraph, ConsumeFinding[]> Cache = new();
    private static readonly SymbolEqualityComparer Comparer = SymbolEqualityComparer.Default;

    private readonly ControlFlowGraph _cfg;
    private readonly TypeStateSymbols _symbols;
    private readonly INamedTypeSymbol? _containingType;
    private readonly CancellationToken _cancellationToken;
    private readonly Dictionary<CaptureId, ISymbol?> _captures = new();
    private List<ConsumeFinding>? _findings;
    private Lifecycle.LiveSymbols? _live;
    private HashSet<ISymbol>? _protected;
    private HashSet<(ConsumeFindingKind, Location)>? _reported;

    private ConsumeFlowAnalysis(ControlFlowGraph cfg, TypeStateSymbols symbols, INamedTypeSymbol? containingType, CancellationToken cancellationToken)
    {
        _cfg = cfg;
        _symbols = symbols;
        _containingType = containingType;
        _cancellationToken = cancellationToken;
    }

    /// <summary>
    /// Analyses a graph and the graphs of its lambdas and local functions. The result is cached
    /// per graph so that the three rules sharing it do the work once.
    /// </summary>
    public static IReadOnlyList<ConsumeFinding> Analyze(ControlFlowGraph cfg, TypeStateSymbols symbols, INamedTypeSymbol? containingType, CancellationToken cancellationToken)
    {
        if (Cache.TryGetValue(cfg, out var cached))
        {
            return cached;
        }

        var all = new List<ConsumeFinding>();
        AnalyzeRecursive(cfg, symbols, containingType, all, cancellationToken);
        var result = all.ToArray();
        try
        {
            Cache.Add(cfg, result);
        }
        catch (ArgumentException)
        {
            // Another analyzer finished the same graph first; its result is identical.
        }

        return result;
    }

    private static void AnalyzeRecursive(ControlFlowGraph cfg, TypeStateSymbols symbols, INamedTypeSymbol? containingType, List<ConsumeFinding> sink, CancellationToken cancellationToken)
    {
        new ConsumeFlowAnalysis(cfg, symbols, containingType, cancellationToken).Run(sink);

        foreach (var block in cfg.Blocks)
        {
            foreach (var root in block.Operations.Concat(block.BranchValue is null ? Enumerable.Empty<IOperation>() : new[] { block.BranchValue }))
            {
                foreach (var lambda in root.DescendantsAndSelf().OfType<IFlowAnonymousFunctionOperation>())
                {
                    AnalyzeRecursive(cfg.GetAnonymousFunctionControlFlowGraph(lambda, cancellationToken), symbols, containingType, sink, cancellationToken);
                }
            }
        }

        foreach (var localFunction in cfg.LocalFunctions)
        {
            AnalyzeRecursive(cfg.GetLocalFunctionControlFlowGraph(localFunction, cancellationToken), symbols, containingType, sink, cancellationToken);
        }
    }

    private void Run(List<ConsumeFinding> sink)
    {
        CollectCaptures();
        _live = Lifecycle.LiveSymbols.For(_cfg, _cancellationToken);
        _protected = ObligationAliases();
        var blocks = _cfg.Blocks;
        var inStates = Solve(0, blocks.Length - 1, new ConsumeState());

        // Reporting pass over the fixed point: each reachable block once, with its final in-state.
        _findings = sink;
        _reported = new HashSet<(ConsumeFindingKind, Location)>();
        for (var i = 0; i < blocks.Length; i++)
        {
            if (inStates[i] is { } entry)
            {
                var state = LiveCopy(entry, i);
                Transfer(blocks[i], state);
                foreach (var branch in Successors(blocks[i]))
                {
                    if (branch.Destination is not null)
                    {
                        ApplyEdge(branch, state);
                    }
                }
            }
        }

        _findings = null;
    }

    /// <summary>
    /// Runs the dataflow over the blocks <paramref name="first"/>..<paramref name="last"/> from
    /// <paramref name="entry"/> and returns the in-state of every block of that range, indexed
    /// from <paramref name="first"/> (null when unreached).
    /// </summary>
    private ConsumeState?[] Solve(int first, int last, ConsumeState entry) => Solve(first, last, entry, out _);

    private ConsumeState?[] Solve(int first, int last, ConsumeState entry, out ConsumeState? regionExit)
    {
        // Sized to the range, not the graph: a finally region is solved again for every branch
        // that runs it, and an array per graph each time made many try/finally blocks quadratic.
        var blocks = _cfg.Blocks;
        var inStates = new ConsumeState?[last - first + 1];
        inStates[0] = entry.Clone();
        var work = new SortedSet<int> { first };
        regionExit = null;
        while (work.Count > 0)
        {
            _cancellationToken.ThrowIfCancellationRequested();
            var ordinal = work.Min;
            work.Remove(ordinal);
            var block = blocks[ordinal];
            var state = LiveCopy(inStates[ordinal - first]!, ordinal);
            Transfer(block, state);

            foreach (var branch in Successors(block))
            {
                if (branch.Destination is null)
                {
                    // The end of a finally region: execution continues wherever the branch that
                    // entered it was going. Our caller (ApplyEdge) takes it from here.
                    if (branch.Semantics == ControlFlowBranchSemantics.StructuredExceptionHandling)
                    {
                        if (regionExit is null)
                        {
                            regionExit = state.Clone();
                        }
                        else
                        {
                            regionExit.JoinWith(state);
                        }
                    }

                    continue;
                }

                var target = branch.Destination.Ordinal;
                if (target < first || target > last)
                {
                    continue;
                }

                var carried = ApplyEdge(branch, state);
                if (carried is not null && Merge(inStates, target - first, carried))
                {
                    work.Add(target);
                }
            }

            // Exceptions: every handler of an enclosing try may start from any state in the try.
            // The walk stops at this graph's root: a lambda's graph chains on to the regions of
            // the graph that contains it, whose block ordinals mean other blocks.
            for (var region = block.EnclosingRegion; region is not null && region.Kind != ControlFlowRegionKind.Root; region = region.EnclosingRegion)
            {
                if (region.Kind != ControlFlowRegionKind.Try || region.EnclosingRegion is not { } tryAndHandlers)
                {
                    continue;
                }

                foreach (var handler in tryAndHandlers.NestedRegions.Skip(1))
                {
                    var start = handler.FirstBlockOrdinal;
                    if (start < first || start > last)
                    {
                        continue;
                    }

                    var a = Merge(inStates, start - first, inStates[ordinal - first]!);
                    var b = Merge(inStates, start - first, state);
                    if (a || b)
                    {
                        work.Add(start);
                    }
                }

                // The handlers beyond a finally are reached from the finally's own blocks,
                // which lie in the outer try regions and were merged the same way: the outer
                // handler's state is the same join, without every block of a deep nest of
                // try/finally merging into every enclosing handler.
                if (tryAndHandlers.Kind == ControlFlowRegionKind.TryAndFinally)
                {
                    break;
                }
            }
        }

        return inStates;
    }

    /// <summary>
    /// A copy of <paramref name="state"/> for the start of block <paramref name="ordinal"/>
    /// without the facts about variables no block reachable from there refers to (see
    /// <see cref="Lifecycle.LiveSymbols"/>): nothing can look at them any more, and carrying
    /// them made the analysis cost (variables x blocks). Variables that may share a
    /// must-consume value (<see cref="_protected"/>) are kept: their aliases discharge it.
    /// </summary>
    private ConsumeState LiveCopy(ConsumeState state, int ordinal) =>
        state.Clone(symbol => _protected!.Contains(symbol) || _live!.IsLiveAt(symbol, ordinal));

    /// <summary>
    /// The variables that may hold a must-consume value, and every variable assigned from or
    /// to one of them: their alias facts decide whether a drop is reported, so they are never
    /// pruned. Empty unless the compilation has must-consume types.
    /// </summary>
    private HashSet<ISymbol> ObligationAliases()
    {
        var result = new HashSet<ISymbol>(Comparer);
        if (_symbols.MustConsume is null)
        {
            return result;
        }

        var neighbours = new Dictionary<ISymbol, List<ISymbol>>(Comparer);
        var pending = new Stack<ISymbol>();
        foreach (var block in _cfg.Blocks)
        {
            foreach (var assignment in block.Operations.SelectMany(o => o.DescendantsAndSelf()).OfType<ISimpleAssignmentOperation>())
            {
                if (DirectSymbol(assignment.Target) is not { } target)
                {
                    continue;
                }

                if (Tracked(assignment.Value) is { } source)
                {
                    Link(target, source);
                    Link(source, target);
                }
                else if (target is ILocalSymbol && _symbols.ProducesMustConsumeValue(assignment.Value) && result.Add(target))
                {
                    pending.Push(target);
                }
            }
        }

        while (pending.Count > 0)
        {
            if (neighbours.TryGetValue(pending.Pop(), out var linked))
            {
                foreach (var other in linked)
                {
                    if (result.Add(other))
                    {
                        pending.Push(other);
                    }
                }
            }
        }

        return result;

        void Link(ISymbol from, ISymbol to)
        {
            if (!neighbours.TryGetValue(from, out var list))
            {
                neighbours[from] = list = new List<ISymbol>();
            }

            list.Add(to);
        }
    }

    private static bool Merge(ConsumeState?[] states, int ordinal, ConsumeState incoming)
    {
        if (states[ordinal] is { } existing)
        {
            return existing.JoinWith(incoming);
        }

        states[ordinal] = incoming.Clone();
        return true;
    }

    private static IEnumerable<ControlFlowBranch> Successors(BasicBlock block)
    {
        if (block.FallThroughSuccessor is { } fallThrough)
        {
            yield return fallThrough;
        }

        if (block.ConditionalSuccessor is { } conditional)
        {
            yield return conditional;
        }
    }

    /// <summary>
    /// The state carried along <paramref name="branch"/>: locals of the regions it leaves die
    /// (dropping their must-consume values), then the finally regions it runs are applied.
    /// Returns null when a finally region never completes normally.
    /// </summary>
    private ConsumeState? ApplyEdge(ControlFlowBranch branch, ConsumeState state)
    {
        var carried = state.Clone();

        // Finally regions run before the locals of the enclosing scopes die: a using
        // declaration's local is disposed in a finally nested inside its own scope.
        // The finally blocks are reported once, from their own fixed-point state (the join of
        // every path into them), so nothing is reported while carrying one path through them.
        var findings = _findings;
        _findings = null;
        try
        {
            foreach (var finallyRegion in branch.FinallyRegions)
            {
                Solve(finallyRegion.FirstBlockOrdinal, finallyRegion.LastBlockOrdinal, carried, out var afterFinally);
                if (afterFinally is null)
                {
                    return null;
                }

                carried = afterFinally;
            }
        }
        finally
        {
            _findings = findings;
        }

        var exceptional = branch.Semantics is ControlFlowBranchSemantics.Throw or ControlFlowBranchSemantics.Rethrow or ControlFlowBranchSemantics.Error;
        foreach (var region in branch.LeavingRegions)
        {
            foreach (var local in region.Locals)
            {
                if (!exceptional)
                {
                    ReportDrops(carried, local);
                }

                carried.Obligations.Remove(local);
                carried.Revive(local);
            }
        }

        if (!exceptional && branch.Destination is { Kind: BasicBlockKind.Exit })
        {
            foreach (var local in carried.Obligations.Keys.ToList())
            {
                ReportDrops(carried, local);
            }

            carried.Obligations.Clear();
        }

        return carried;
    }

    private void CollectCaptures()
    {
        foreach (var block in _cfg.Blocks)
        {
            foreach (var capture in block.Operations.SelectMany(o => o.DescendantsAndSelf()).OfType<IFlowCaptureOperation>())
            {
                var symbol = DirectSymbol(capture.Value);
                if (_captures.TryGetValue(capture.Id, out var existing))
                {
                    if (!Comparer.Equals(existing, symbol))
                    {
                        _captures[capture.Id] = null;
                    }
                }
                else
                {
                    _captures.Add(capture.Id, symbol);
                }
            }
        }
    }

    // ---- Transfer functions ---------------------------------------------------------------

    private void Transfer(BasicBlock block, ConsumeState state)
    {
        foreach (var operation in block.Operations)
        {
            Visit(operation, state);
            var expression = operation is IExpressionStatementOperation statement ? statement.Operation : operation;
            if (expression is IInvocationOperation or IObjectCreationOperation or IAwaitOperation && _symbols.ProducesMustConsumeValue(expression))
            {
                // A statement whose must-consume result nobody looks at.
                ReportDiscarded(expression);
            }
        }

        if (block.BranchValue is { } value)
        {
            Visit(value, state);
            if (block.FallThroughSuccessor?.Semantics == ControlFlowBranchSemantics.Return && Tracked(value) is { } returned)
            {
                Discharge(state, returned);
            }
        }
    }

    private void Visit(IOperation? operation, ConsumeState state)
    {
        switch (operation)
        {
            case null:
            case INameOfOperation:
                return;

            case IFlowCaptureOperation capture:
                // Capturing a variable is not a use; using the capture later is.
                if (!(DirectSymbol(capture.Value) is { } symbol && _captures.TryGetValue(capture.Id, out var mapped) && Comparer.Equals(mapped, symbol)))
                {
                    Visit(capture.Value, state);
                }

                return;

            case ISimpleAssignmentOperation assignment:
                VisitAssignment(assignment, state);
                return;

            case IDeconstructionAssignmentOperation deconstruction:
                Visit(deconstruction.Value, state);
                foreach (var target in deconstruction.Target.DescendantsAndSelf())
                {
                    if (DirectSymbol(target) is { } assigned)
                    {
                        state.Revive(assigned);
                        state.Obligations.Remove(assigned);
                    }
                }

                return;

            case IInvocationOperation invocation:
                VisitCall(invocation.Instance, invocation.TargetMethod, invocation.Arguments, invocation, state);
                return;

            case IObjectCreationOperation creation:
                if (creation.Constructor is { } constructor)
                {
                    VisitCall(null, constructor, creation.Arguments, creation, state);
                }
                else
                {
                    foreach (var argument in creation.Arguments)
                    {
                        Visit(argument, state);
                    }
                }

                Visit(creation.Initializer, state);
                return;

            case IFlowAnonymousFunctionOperation lambda:
                VisitCaptures(lambda.Symbol, state);
                return;

            case IReturnOperation ret:
                Visit(ret.ReturnedValue, state);
                if (ret.ReturnedValue is not null && Tracked(ret.ReturnedValue) is { } returned)
                {
                    Discharge(state, returned);
                }

                return;

            case IAwaitOperation awaited:
                Visit(awaited.Operation, state);
                if (Tracked(awaited.Operation) is { } awaitedValue)
                {
                    // Awaiting a must-consume handle (a task, a join handle) is what it was for.
                    Discharge(state, awaitedValue);
                }

                // Other code runs during an await and may reassign fields.
                state.ForgetFields();
                return;
        }

        if (Tracked(operation) is { } read)
        {
            Read(state, read, operation.Syntax.GetLocation(), IsCompilerGenerated(operation));
            if (!IsInspectedInPlace(operation))
            {
                // The value flows on (into a tuple, an array, a conditional's result...):
                // wherever it goes may keep it, so the obligation ends here.
                Discharge(state, read);
            }

            return;
        }

        foreach (var child in operation.ChildOperations)
        {
            Visit(child, state);
        }
    }

    private void VisitAssignment(ISimpleAssignmentOperation assignment, ConsumeState state)
    {
        var target = DirectSymbol(assignment.Target);
        var source = Tracked(assignment.Value);
        Visit(assignment.Value, state);

        if (target is null)
        {
            // obj.Property = value, array[i] = value: reads obj / array, stores the value.
            // _ = value: drops it on purpose. Either way the obligation is discharged.
            if (assignment.Target is not IDiscardOperation)
            {
                Visit(assignment.Target, state);
            }

            if (source is not null)
            {
                Discharge(state, source);
            }

            return;
        }

        if (Comparer.Equals(target, source))
        {
            return;
        }

        // Overwriting a local that may hold an undischarged must-consume value drops it,
        // unless an alias still holds it.
        if (state.Obligations.ContainsKey(target))
        {
            if (!state.AliasesOf(target).Any())
            {
                ReportDrops(state, target);
            }

            state.Obligations.Remove(target);
        }

        state.Revive(target);
        if (source is not null)
        {
            if (state.Consumed.TryGetValue(source, out var consumer))
            {
                state.Consumed[target] = consumer;
            }

            state.AliasTo(target, source);
            if (target is not ILocalSymbol)
            {
                // Stored in a field or an out/ref parameter: it escapes this method.
                Discharge(state, source);
            }
        }
        else if (target is ILocalSymbol { RefKind: RefKind.None } local && !IsUsingLocal(local) && _symbols.ProducesMustConsumeValue(assignment.Value))
        {
            state.Obligations[target] = new HashSet<IOperation> { assignment.Value };
        }
    }

    private void VisitCall(IOperation? instance, IMethodSymbol method, ImmutableArray<IArgumentOperation> arguments, IOperation call, ConsumeState state)
    {
        var consumed = new List<(ISymbol Symbol, IOperation Reference)>();
        var revived = new List<ISymbol>();

        if (instance is not null)
        {
            var receiver = Tracked(instance);
            if (receiver is not null && !method.IsStatic && _symbols.ConsumesReceiver(method))
            {
                consumed.Add((receiver, instance));
            }
            else if (receiver is not null && call is IInvocationOperation invocation && TypeStateSymbols.IsDisposeCall(invocation))
            {
                // Dispose is idempotent by contract: not a use, and it discharges the value.
                Discharge(state, receiver);
                if (_symbols.Sends.IsChannelHandle(TypeStateSymbols.Unwrap(instance).Type) && !state.Consumed.ContainsKey(receiver))
                {
                    // CSA2015: a disposed sender or receiver throws on any use but Dispose.
                    // Recorded like a consumption (a second Dispose is not a use, so it is not
                    // a double consumption either).
                    state.Consumed[receiver] = invocation;
                    foreach (var alias in state.AliasesOf(receiver).ToList())
                    {
                        state.Consumed[alias] = invocation;
                    }
                }
            }
            else
            {
                Visit(instance, state);
            }
        }

        foreach (var argument in arguments)
        {
            var value = argument.Value;
            var parameter = argument.Parameter;
            var symbol = Tracked(value);
            if (parameter?.RefKind == RefKind.Out)
            {
                if (DirectSymbol(value) is { } outTarget)
                {
                    revived.Add(outTarget);
                }
                else
                {
                    Visit(value, state);
                }
            }
            else if (symbol is not null && parameter is not null && (_symbols.ConsumesParameter(parameter) || _symbols.Sends.Moves(call, argument)))
            {
                // [Consumes], or the item of a channel send (CSA2010): the value now belongs
                // to the callee, or to whoever receives it.
                consumed.Add((symbol, value));
            }
            else if (symbol is not null && parameter is { Ordinal: 0 } && method.IsExtensionMethod)
            {
                // The receiver of an extension method: a use, like an instance call, and no escape.
                Read(state, symbol, value.Syntax.GetLocation(), IsCompilerGenerated(value));
            }
            else if (symbol is not null)
            {
                // Passed along: a use, and the callee may keep it, which discharges the obligation.
                Read(state, symbol, value.Syntax.GetLocation(), IsCompilerGenerated(value));
                Discharge(state, symbol);
                if (parameter?.RefKind == RefKind.Ref)
                {
                    revived.Add(symbol);
                }
            }
            else
            {
                Visit(value, state);
            }
        }

        if (method.MethodKind == MethodKind.LocalFunction)
        {
            VisitCaptures(method, state);
        }

        // Which values were consumed before this call: a second consumption inside the same
        // call (TakeTwo(x, x)) is then told apart from one in an earlier loop iteration.
        var consumedBefore = new HashSet<ISymbol>(consumed.Select(c => c.Symbol).Where(state.Consumed.ContainsKey), Comparer);
        foreach (var (symbol, reference) in consumed)
        {
            Consume(state, symbol, reference, call, sameCall: !consumedBefore.Contains(symbol));
        }

        foreach (var symbol in revived)
        {
            state.Obligations.Remove(symbol);
            state.Revive(symbol);
        }

        if (method.MethodKind is MethodKind.LocalFunction or MethodKind.DelegateInvoke
            || (_containingType is not null && InheritsFrom(_containingType, method.ContainingType)))
        {
            state.ForgetFields();
        }
    }

    /// <summary>A lambda or local function that captures a variable uses it (and may keep it).</summary>
    private void VisitCaptures(IMethodSymbol function, ConsumeState state)
    {
        var syntax = function.DeclaringSyntaxReferences.FirstOrDefault()?.GetSyntax(_cancellationToken);
        var model = _cfg.OriginalOperation.SemanticModel;
        if (syntax is null || model is null || model.SyntaxTree != syntax.SyntaxTree)
        {
            return;
        }

        // Only names of variables that are consumed or owed are worth binding.
        var names = new HashSet<string>(state.Consumed.Keys.Concat(state.Obligations.Keys).Select(k => k.Name));
        if (names.Count == 0)
        {
            return;
        }

        var seen = new HashSet<ISymbol>(Comparer);
        foreach (var identifier in syntax.DescendantNodes().OfType<IdentifierNameSyntax>())
        {
            if (!names.Contains(identifier.Identifier.ValueText))
            {
                continue;
            }

            var symbol = model.GetSymbolInfo(identifier, _cancellationToken).Symbol;
            if (symbol is ILocalSymbol or IParameterSymbol
                && !Comparer.Equals(symbol.ContainingSymbol, function)
                && (state.Consumed.ContainsKey(symbol) || state.Obligations.ContainsKey(symbol))
                && seen.Add(symbol))
            {
                Read(state, symbol, identifier.GetLocation(), isImplicit: false);
                Discharge(state, symbol);
            }
        }
    }

    // ---- Facts ----------------------------------------------------------------------------

    private void Read(ConsumeState state, ISymbol symbol, Location location, bool isImplicit)
    {
        if (!isImplicit && state.Consumed.TryGetValue(symbol, out var consumer))
        {
            Report(ConsumeFindingKind.UseAfterConsume, symbol, location, consumer);
            if (IsSend(consumer) || IsHandleDispose(consumer))
            {
                // CSA2010 (and CSA2015) report the first use after a send on each path, not every later
                // one: after batch.Clear() is flagged, batch.Add(...) in the next iteration is
                // the same mistake. (Applied in the fixed point too, so both passes agree.)
                state.Consumed.Remove(symbol);
            }
        }
    }

    private void Consume(ConsumeState state, ISymbol symbol, IOperation reference, IOperation call, bool sameCall)
    {
        if (state.Consumed.TryGetValue(symbol, out var earlier))
        {
            Report(ConsumeFindingKind.DoubleConsume, symbol, reference.Syntax.GetLocation(), earlier, sameCall);
        }

        state.Consumed[symbol] = call;
        foreach (var alias in state.AliasesOf(symbol).ToList())
        {
            state.Consumed[alias] = call;
        }

        Discharge(state, symbol);
    }

    private static void Discharge(ConsumeState state, ISymbol symbol)
    {
        state.Obligations.Remove(symbol);
        foreach (var alias in state.AliasesOf(symbol))
        {
            state.Obligations.Remove(alias);
        }
    }

    /// <summary>The variable an operation refers to, looking through conversions and flow captures.</summary>
    private ISymbol? Tracked(IOperation operation)
    {
        var unwrapped = TypeStateSymbols.Unwrap(operation);
        if (unwrapped is IFlowCaptureReferenceOperation reference)
        {
            return _captures.TryGetValue(reference.Id, out var symbol) ? symbol : null;
        }

        return DirectSymbol(unwrapped);
    }

    private static ISymbol? DirectSymbol(IOperation operation)
    {
        operation = TypeStateSymbols.Unwrap(operation);
        if (operation is IDeclarationExpressionOperation declaration)
        {
            operation = declaration.Expression;
        }

        return operation switch
        {
            ILocalReferenceOperation local => local.Local,
            IParameterReferenceOperation parameter => parameter.Parameter,
            IFieldReferenceOperation field when field.Field.IsStatic
                || field.Instance is IInstanceReferenceOperation { ReferenceKind: InstanceReferenceKind.ContainingTypeInstance } => field.Field,
            _ => null,
        };
    }

    /// <summary>
    /// Whether a read only looks at the value where it is (a member access on it, a null or
    /// type test, a comparison, string interpolation) rather than passing it somewhere.
    /// </summary>
    private static bool IsInspectedInPlace(IOperation reference)
    {
        var node = reference;
        while (node.Parent is IConversionOperation or IParenthesizedOperation)
        {
            node = node.Parent;
        }

        return node.Parent switch
        {
            IMemberReferenceOperation member => member.Instance == node,
            IInvocationOperation call => call.Instance == node,
            IIsNullOperation or IIsTypeOperation or IIsPatternOperation or IBinaryOperation or IInterpolationOperation or IUnaryOperation => true,
            _ => false,
        };
    }

    /// <summary>A local declared by <c>using var</c> or <c>using (var ...)</c>: disposal is guaranteed.</summary>
    private bool IsUsingLocal(ILocalSymbol local)
    {
        var declarator = local.DeclaringSyntaxReferences.FirstOrDefault()?.GetSyntax(_cancellationToken);
        return declarator?.Parent?.Parent is LocalDeclarationStatementSyntax { UsingKeyword.RawKind: not 0 } or UsingStatementSyntax;
    }

    private static bool InheritsFrom(INamedTypeSymbol type, INamedTypeSymbol? candidate)
    {
        for (var t = type; t is not null; t = t.BaseType)
        {
            if (Comparer.Equals(t.OriginalDefinition, candidate?.OriginalDefinition))
            {
                return true;
            }
        }

        return false;
    }

    // ---- Reporting ------------------------------------------------------------------------

    private void Report(ConsumeFindingKind kind, ISymbol symbol, Location location, IOperation consumer, bool sameCall = false)
    {
        if (IsSend(consumer))
        {
            // The earlier consumption was a send: this is CSA2010's finding, not CSA3001/CSA3002's.
            kind = ConsumeFindingKind.UseAfterSend;
        }
        else if (IsHandleDispose(consumer))
        {
            kind = ConsumeFindingKind.UseAfterDispose;
        }

        if (_findings is null || !_reported!.Add((kind, location)))
        {
            return;
        }

        var consumerLocation = consumer.Syntax.GetLocation();
        var consumerText = consumer.IsImplicit && IsHandleDispose(consumer) ? $"the end of using ({Shorten(consumer.Syntax.ToString())})" : Shorten(consumer.Syntax.ToString());
        var line = consumerLocation.GetLineSpan().StartLinePosition.Line + 1;
        var where = !sameCall && location.SourceSpan.Start < consumerLocation.SourceSpan.End && consumerLocation.SourceTree == location.SourceTree
            ? $"line {line}, in an earlier iteration of the loop"
            : $"line {line}";
        var properties = ImmutableDictionary<string, string?>.Empty
            .Add(PropertyNames.VariableName, symbol.Name)
            .Add(PropertyNames.ConsumerDiscarded, IsDiscarded(consumer) ? "true" : "false");
        _findings.Add(new ConsumeFinding(kind, location, consumerLocation, properties, symbol.Name, consumerText, where));
    }

    private static bool IsHandleDispose(IOperation consumer) =>
        consumer is IInvocationOperation invocation && TypeStateSymbols.IsDisposeCall(invocation);

    private bool IsSend(IOperation consumer) =>
        consumer is IInvocationOperation { TargetMethod: var method } && _symbols.Sends.IsSendMethod(method);

    private void ReportDrops(ConsumeState state, ISymbol local)
    {
        if (_findings is null || !state.Obligations.TryGetValue(local, out var creations))
        {
            return;
        }

        foreach (var creation in creations)
        {
            var location = creation.Syntax.GetLocation();
            if (_reported!.Add((ConsumeFindingKind.Dropped, location)))
            {
                var type = creation.Type?.ToDisplayString(SymbolDisplayFormat.MinimallyQualifiedFormat) ?? "value";
                _findings.Add(new ConsumeFinding(ConsumeFindingKind.Dropped, location, null, ImmutableDictionary<string, string?>.Empty, type, $"'{local.Name}' goes out of scope on some path without it"));
            }
        }
    }

    private void ReportDiscarded(IOperation operation)
    {
        var location = operation.Syntax.GetLocation();
        if (_findings is null || !_reported!.Add((ConsumeFindingKind.Dropped, location)))
        {
            return;
        }

        var type = operation.Type?.ToDisplayString(SymbolDisplayFormat.MinimallyQualifiedFormat) ?? "value";
        _findings.Add(new ConsumeFinding(ConsumeFindingKind.Dropped, location, null, ImmutableDictionary<string, string?>.Empty, type, "the result is discarded"));
    }

    /// <summary>
    /// Whether a reference was made up by the compiler (the disposal of a using, a foreach)
    /// rather than written by the user. A flow capture is implicit even when it stands for the
    /// user's own <c>x</c> in <c>x?.M()</c>; its syntax then is that identifier.
    /// </summary>
    /// (An implicit conversion around the user's own reference, as in <c>foreach (var x in rx)</c>,
    /// is the user's reference.)
    private static bool IsCompilerGenerated(IOperation reference) =>
        reference.IsImplicit
        && TypeStateSymbols.Unwrap(reference).IsImplicit
        && !(TypeStateSymbols.Unwrap(reference) is IFlowCaptureReferenceOperation && reference.Syntax is IdentifierNameSyntax or MemberAccessExpressionSyntax { Expression: ThisExpressionSyntax });

    private static bool IsDiscarded(IOperation consumer) =>
        consumer.Parent is null or IExpressionStatementOperation && consumer.Type is { SpecialType: not SpecialType.System_Void };

    private static string Shorten(string text)
    {
        text = string.Join(" ", text.Split(new[] { ' ', '\t', '\r', '\n' }, StringSplitOptions.RemoveEmptyEntries));
        return text.Length <= 60 ? text : text.Substring(0, 57) + "...";
    }

    /// <summary>Names of the <see cref="Diagnostic.Properties"/> the code fixes read.</summary>
    internal static class PropertyNames
    {
        /// <summary>The name of the consumed variable.</summary>
        public const string VariableName = "VariableName";

        /// <summary>"true" when the consuming call's result was discarded (a statement on its own).</summary>
        public const string ConsumerDiscarded = "ConsumerDiscarded";
    }
}
