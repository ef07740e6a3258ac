using System.Collections.Generic;
using System.Collections.Immutable;
using System.Threading;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Operations;
using Microsoft.CodeAnalysis.Text;

namespace ConcurrencySafety.Analyzers.Infrastructure;

/// <summary>
/// What one executable member (a method, accessor, constructor, top-level code) does
/// concurrently: the bodies it starts (lambdas, local functions, method groups, async methods
/// invoked without awaiting, async Select lambdas), when each is joined, every variable
/// reference in it, and the calls into source methods that the race engine (RaceEngine.cs)
/// follows through summaries. Built only for members that contain at least one concurrent call.
/// </summary>
/// <remarks>
/// Which code of the member runs beside a body is decided on the member's control-flow graph
/// (<see cref="ConcurrentBody.Region"/>, <see cref="ConcurrentRegion"/>): what is reachable from
/// the start without passing a join of its task (await, Wait, Join, an awaited WhenAll,
/// JoinAsync; a synchronous Parallel call joins at its own end). This model finds the starts and
/// joins: it follows each task value to what becomes of it (<see cref="WalkUp"/>), through locals
/// and lists of tasks. Which parts of an async body run after an await also comes from the graph
/// (<see cref="AwaitOrder"/>). When the model loses track of a task (it is returned, stored in a
/// field, passed to an unknown method) it takes that place as the join: the rules prefer silence
/// to guesses. Source positions are used for reporting, for containment (which body a reference
/// is in) and for the order of evaluation inside one operation, never for the order of statements.
/// One model is built per member and shared by every rule (<see cref="RaceEngine.ModelFor"/>).
/// </remarks>
internal sealed class ConcurrencyModel
{
    private readonly WellKnownTypes _types;
    private readonly RaceEngine _engine;
    private readonly Dictionary<ILocalSymbol, List<ILocalReferenceOperation>> _localReferences = new(SymbolEqualityComparer.Default);
    private readonly Dictionary<IMethodSymbol, ILocalFunctionOperation> _localFunctions = new(SymbolEqualityComparer.Default);
    private readonly Dictionary<ILocalSymbol, IVariableDeclaratorOperation> _declarators = new(SymbolEqualityComparer.Default);
    private readonly List<int> _synchronizationPositions = new();
    private readonly ImmutableArray<IOperation> _blocks;
    private readonly Dictionary<SyntaxNode, ConcurrentBody> _bodyBySyntax = new();

    /// <summary>Per task local, what becomes of it at each of its references (see <see cref="CollectFates"/>), computed once.</summary>
    private readonly Dictionary<ILocalSymbol, List<(int Position, Outcome Outcome, ILocalReferenceOperation Reference)>> _fates = new(SymbolEqualityComparer.Default);

    /// <summary>The bodies by start (longer first on a tie), and for each the index of the innermost body containing it (-1 for none).</summary>
    private ConcurrentBody[] _sortedBodies = Array.Empty<ConcurrentBody>();
    private int[] _containerOf = Array.Empty<int>();

    /// <summary>
    /// Where each syntax tree's bodies sit in <see cref="_sortedBodies"/> (first index, count).
    /// A body started through a method group is that method's declaration, possibly in another
    /// file: spans of different trees do not nest, so each tree gets a forest of its own.
    /// </summary>
    private readonly Dictionary<SyntaxTree, (int First, int Count)> _treeSegments = new();

    private ConcurrencyModel(ImmutableArray<IOperation> blocks, RaceEngine engine, CancellationToken cancellationToken)
    {
        _blocks = blocks;
        // Graphs are built on first use, possibly by another rule that shares the model: they
        // are not tied to the cancellation of the rule that happened to build the model.
        Graphs = new FlowGraphs(blocks, CancellationToken.None);
        _engine = engine;
        _types = engine.Types;
    }

    public WellKnownTypes Types => _types;

    /// <summary>The control-flow graphs of the member and its functions (built on first use).</summary>
    public FlowGraphs Graphs { get; }

    public RaceEngine Engine => _engine;

    /// <summary>What <see cref="ReachedAccesses.Collect"/> found, once computed (rules sharing the model may race to set it: both compute the same list, and the reference write is atomic).</summary>
    public List<(ReachedAccess Access, ConcurrentBody? Body)>? Reached
    {
        get => Volatile.Read(ref _reached);
        set => Volatile.Write(ref _reached, value);
    }

    private List<(ReachedAccess Access, ConcurrentBody? Body)>? _reached;

    /// <summary>The invocations and property references of the member that call a source method (followed through summaries).</summary>
    public List<IOperation> FollowableCalls { get; } = new();

    public List<ConcurrentBody> Bodies { get; } = new();

    /// <summary>Every local, parameter and field reference of the member, in source order.</summary>
    public List<IOperation> References { get; } = new();

    /// <summary>The member itself uses monitors, semaphores, events or channels somewhere.</summary>
    public bool SynchronizesByHand => _synchronizationPositions.Count > 0;

    public static ConcurrencyModel Build(ImmutableArray<IOperation> blocks, List<ConcurrentCall> calls, RaceEngine engine, CancellationToken cancellationToken)
    {
        var model = new ConcurrencyModel(blocks, engine, cancellationToken);
        model.Index(cancellationToken);
        model.ResolveBodies(calls);
        foreach (var body in model.Bodies)
        {
            cancellationToken.ThrowIfCancellationRequested();
            model.ComputeRegion(body);
            model.DecideRestarts(body);
            if (body.IsAsyncStart && body.Function is IAnonymousFunctionOperation or ILocalFunctionOperation)
            {
                body.AwaitOrder = AwaitOrder.For(body.Function, engine.UiContext, cancellationToken);
            }

            body.SynchronizesByHand = model.SynchronizesWithin(body.Syntax.Span);
        }

        return model;
    }

    /// <summary>The references to <paramref name="local"/> in this member, in source order.</summary>
    public IReadOnlyList<ILocalReferenceOperation> ReferencesTo(ILocalSymbol local) =>
        _localReferences.TryGetValue(local, out var list) ? list : (IReadOnlyList<ILocalReferenceOperation>)Array.Empty<ILocalReferenceOperation>();

    /// <summary>The declarator of <paramref name="local"/>, when it is declared in this member.</summary>
    public IVariableDeclaratorOperation? DeclaratorOf(ILocalSymbol local) =>
        _declarators.TryGetValue(local, out var declarator) ? declarator : null;

    /// <summary>The innermost body that contains <paramref name="node"/>, or null for the starting code.</summary>
    /// <remarks>
    /// Called for every reference of the member, so it must not scan every body. Bodies are
    /// lambdas and local functions: two of them are nested or disjoint. The innermost body
    /// containing the node is therefore the last body starting at or before it, or one of
    /// that body's containers: a binary search, then a walk up at most the nesting depth.
    /// </remarks>
    public ConcurrentBody? InnermostBody(SyntaxNode node)
    {
        if (!_treeSegments.TryGetValue(node.SyntaxTree, out var segment))
        {
            return null;
        }

        var start = node.SpanStart;
        int low = segment.First, high = segment.First + segment.Count - 1, last = -1;
        while (low <= high)
        {
            var middle = low + ((high - low) / 2);
            if (_sortedBodies[middle].Syntax.SpanStart <= start)
            {
                last = middle;
                low = middle + 1;
            }
            else
            {
                high = middle - 1;
            }
        }

        for (var i = last; i >= 0; i = _containerOf[i])
        {
            if (_sortedBodies[i].Contains(node))
            {
                return _sortedBodies[i];
            }
        }

        return null;
    }

    /// <summary>The references of the member (see <see cref="References"/>) that start inside <paramref name="span"/>, in source order.</summary>
    public IEnumerable<IOperation> ReferencesIn(TextSpan span)
    {
        for (var i = LowerBound(References, span.Start); i < References.Count && References[i].Syntax.SpanStart < span.End; i++)
        {
            yield return References[i];
        }
    }

    private static int LowerBound(List<IOperation> sorted, int position)
    {
        int low = 0, high = sorted.Count;
        while (low < high)
        {
            var middle = low + ((high - low) / 2);
            if (sorted[middle].Syntax.SpanStart < position)
            {
                low = middle + 1;
            }
            else
            {
                high = middle;
            }
        }

        return low;
    }

    /// <summary>Whether a monitor, semaphore, event or channel is used inside <paramref name="span"/> (a binary search over the sorted positions).</summary>
    private bool SynchronizesWithin(TextSpan span)
    {
        var at = _synchronizationPositions.BinarySearch(span.Start);
        if (at < 0)
        {
            at = ~at;
        }

        return at < _synchronizationPositions.Count && _synchronizationPositions[at] < span.End;
    }

    private void Index(CancellationToken cancellationToken)
    {
        foreach (var block in _blocks)
        {
            foreach (var operation in block.DescendantsAndSelf())
            {
                switch (operation)
                {
                    case ILocalReferenceOperation local:
                        References.Add(local);
                        if (!_localReferences.TryGetValue(local.Local, out var list))
                        {
                            list = new List<ILocalReferenceOperation>();
                            _localReferences.Add(local.Local, list);
                        }

                        list.Add(local);
                        break;
                    case IParameterReferenceOperation:
                    case IFieldReferenceOperation:
                        References.Add(operation);
                        break;
                    case IPropertyReferenceOperation property:
                        if (_engine.AutoProperties.IsAuto(property.Property))
                        {
                            References.Add(operation);
                        }
                        else if (IsFollowableAccessor(property.Property.GetMethod) || IsFollowableAccessor(property.Property.SetMethod))
                        {
                            FollowableCalls.Add(operation);
                        }

                        break;
                    case ILocalFunctionOperation function:
                        _localFunctions[function.Symbol] = function;
                        break;
                    case IVariableDeclaratorOperation declarator:
                        _declarators[declarator.Symbol] = declarator;
                        break;
                    case IInvocationOperation invocation:
                        if (RaceEngine.IsFollowable(invocation.TargetMethod))
                        {
                            FollowableCalls.Add(invocation);
                        }

                        if (_types.IsSynchronizationType(invocation.TargetMethod.ContainingType)
                            || (invocation.Instance is { Type: { } instanceType } && _types.IsSynchronizationType(instanceType)))
                        {
                            _synchronizationPositions.Add(invocation.Syntax.SpanStart);
                        }

                        break;
                }
            }

            cancellationToken.ThrowIfCancellationRequested();
        }

        References.Sort(static (a, b) => a.Syntax.SpanStart.CompareTo(b.Syntax.SpanStart));
        _synchronizationPositions.Sort();
    }

    private static bool IsFollowableAccessor(IMethodSymbol? accessor) => accessor is not null && RaceEngine.IsFollowable(accessor);

    private void ResolveBodies(List<ConcurrentCall> calls)
    {
        var bySyntax = new Dictionary<SyntaxNode, ConcurrentBody>();
        foreach (var call in calls)
        {
            ConcurrentBody body;
            var function = ResolveFunction(call.DelegateValue, depth: 0);
            if (function is null && call.IsAsyncStart && call.Call is IInvocationOperation { TargetMethod.MethodKind: MethodKind.LocalFunction } started
                && _localFunctions.TryGetValue(started.TargetMethod.OriginalDefinition, out var localFunction))
            {
                // var a = StepAsync(1); var b = StepAsync(2); with a local async function: its
                // body is in this member, like a lambda's (its captured variables are ours).
                function = localFunction;
            }

            if (function is not null)
            {
                if (bySyntax.TryGetValue(function.Syntax, out var existing))
                {
                    existing.OtherStarts.Add(call);
                    continue;
                }

                body = new ConcurrentBody(call, function.Syntax, function);
            }
            else if (ResolveMethod(call) is { } target && target.Method.DeclaringSyntaxReferences.Length > 0)
            {
                var declaration = target.Method.DeclaringSyntaxReferences[0].GetSyntax();
                if (IsOwnMember(declaration))
                {
                    // The member starts itself (a worker loop that reschedules itself): its own
                    // references would all look like the body's.
                    continue;
                }

                if (bySyntax.TryGetValue(declaration, out var existing))
                {
                    existing.OtherStarts.Add(call);
                    continue;
                }

                body = new ConcurrentBody(call, declaration, null)
                {
                    TargetMethod = target.Method,
                    TargetReceiver = target.Receiver,
                    TargetArguments = target.Arguments,
                };
                function = null;
            }
            else
            {
                continue;
            }

            bySyntax.Add(body.Syntax, body);
            Bodies.Add(body);
            _bodyBySyntax[body.Syntax] = body;
        }

        // The containment forest of the bodies, for InnermostBody: sorted by start, a stack
        // of the bodies still open at each start gives each body its innermost container.
        // Grouped by tree first (see _treeSegments); within a tree syntax spans always nest.
        var treeOrder = new Dictionary<SyntaxTree, int>();
        foreach (var body in Bodies)
        {
            if (!treeOrder.ContainsKey(body.Syntax.SyntaxTree))
            {
                treeOrder.Add(body.Syntax.SyntaxTree, treeOrder.Count);
            }
        }

        _sortedBodies = Bodies.OrderBy(b => treeOrder[b.Syntax.SyntaxTree]).ThenBy(b => b.Syntax.SpanStart).ThenByDescending(b => b.Syntax.Span.Length).ToArray();
        _containerOf = new int[_sortedBodies.Length];
        _treeSegments.Clear();
        var open = new Stack<int>();
        for (var i = 0; i < _sortedBodies.Length; i++)
        {
            var tree = _sortedBodies[i].Syntax.SyntaxTree;
            _treeSegments[tree] = _treeSegments.TryGetValue(tree, out var segment) ? (segment.First, segment.Count + 1) : (i, 1);
            var span = _sortedBodies[i].Syntax.Span;
            while (open.Count > 0 && (_sortedBodies[open.Peek()].Syntax.SyntaxTree != tree || !_sortedBodies[open.Peek()].Syntax.Span.Contains(span)))
            {
                open.Pop();
            }

            _containerOf[i] = open.Count > 0 ? open.Peek() : -1;
            open.Push(i);
        }

        foreach (var body in Bodies)
        {
            // The innermost other body containing the call: the call is outside the body it starts.
            body.Parent = InnermostBody(body.Call.Call.Syntax);
        }
    }

    private bool IsOwnMember(SyntaxNode declaration)
    {
        foreach (var block in _blocks)
        {
            if (block.Syntax.SyntaxTree == declaration.SyntaxTree && (declaration.Span.Contains(block.Syntax.Span) || block.Syntax.Span.Contains(declaration.Span)))
            {
                return true;
            }
        }

        return false;
    }

    // A method group given to a concurrent call (Task.Run(Work), new Thread(_worker.Loop)), or
    // the async method of an async start: the body is that method, run on the receiver.
    private (IMethodSymbol Method, AccessPath? Receiver, ImmutableArray<AccessPath?> Arguments)? ResolveMethod(ConcurrentCall call)
    {
        if (call.DelegateValue == call.Call && call.Call is IInvocationOperation invocation)
        {
            var site = FirstCall(invocation);
            if (site is null)
            {
                return null;
            }

            var arguments = site.Arguments;
            if (call.MayRunAsSeveralInstances && !arguments.IsDefaultOrEmpty)
            {
                // items.Select(i => CopyAsync(i)): the lambda's own variables are per element.
                var lambda = invocation.Parent;
                while (lambda is not null and not IAnonymousFunctionOperation)
                {
                    lambda = lambda.Parent;
                }

                if (lambda is not null)
                {
                    arguments = arguments.Select(a => a is { Root: PathRoot.Variable, Variable: { } v } && Declarations.IsDeclaredIn(v, lambda.Syntax) ? null : a).ToImmutableArray();
                }
            }

            return (site.Callee, site.Receiver, arguments);
        }

        var value = call.DelegateValue;
        while (true)
        {
            switch (value)
            {
                case IConversionOperation conversion:
                    value = conversion.Operand;
                    continue;
                case IDelegateCreationOperation creation:
                    value = creation.Target;
                    continue;
                case ILocalReferenceOperation localReference when value == call.DelegateValue
                    && _declarators.TryGetValue(localReference.Local, out var declarator)
                    && declarator.Initializer is { } initializer
                    && !IsReassigned(localReference.Local):
                    // Func<Task> loopStart = ProcessChannelAsync; ... Task.Run(loopStart)
                    value = initializer.Value;
                    continue;
                case IMethodReferenceOperation reference when reference.Method.MethodKind == MethodKind.Ordinary && RaceEngine.IsFollowable(reference.Method):
                    var method = reference.Method;
                    AccessPath? receiver = null;
                    if (!method.IsStatic)
                    {
                        receiver = reference.Instance is null or IInstanceReferenceOperation ? AccessPath.This : AccessPath.Of(reference.Instance, _engine.AutoProperties);
                    }

                    // The delegate's parameters are per invocation (Parallel.For's index): no argument paths.
                    return (method, receiver, ImmutableArray<AccessPath?>.Empty);
                default:
                    return null;
            }
        }
    }

    private SummaryCall? FirstCall(IInvocationOperation invocation)
    {
        foreach (var site in _engine.CallsOf(invocation, CancellationToken.None))
        {
            return site;
        }

        return null;
    }

    // Several starts of one body make several instances only when a later start can happen
    // before an earlier one is joined; sequential starts (`await A(); await A();`, or a join
    // between them) are one instance at a time.
    private void DecideRestarts(ConcurrentBody body)
    {
        foreach (var other in body.OtherStarts)
        {
            if (ConflictFinder.Exclusive(body, other.Call.Syntax))
            {
                continue;
            }

            if (other.Call == body.Call.Call
                || (body.Call.Start != StartKind.Synchronous && (!body.JoinTracked || body.Region.Contains(other.Call.Syntax, other.Call.Syntax.SpanStart, variable: null))))
            {
                body.SpawnedMoreThanOnce = true;
                return;
            }
        }
    }

    private IOperation? ResolveFunction(IOperation value, int depth)
    {
        while (true)
        {
            switch (value)
            {
                case IConversionOperation conversion:
                    value = conversion.Operand;
                    continue;
                case IDelegateCreationOperation creation:
                    value = creation.Target;
                    continue;
                case IAnonymousFunctionOperation anonymous:
                    return anonymous;
                case IMethodReferenceOperation { Method.MethodKind: MethodKind.LocalFunction } reference:
                    return _localFunctions.TryGetValue(reference.Method.OriginalDefinition, out var local) ? local : null;
                case ILocalReferenceOperation localReference when depth == 0
                    && _declarators.TryGetValue(localReference.Local, out var declarator)
                    && declarator.Initializer is { } initializer
                    && !IsReassigned(localReference.Local):
                    return ResolveFunction(initializer.Value, depth + 1);
                default:
                    return null;
            }
        }
    }

    private bool IsReassigned(ILocalSymbol local)
    {
        if (_localReferences.TryGetValue(local, out var references))
        {
            foreach (var reference in references)
            {
                if (reference.Parent is IAssignmentOperation assignment && assignment.Target == reference)
                {
                    return true;
                }
            }
        }

        return false;
    }

    private void ComputeRegion(ConcurrentBody body)
    {
        var call = body.Call.Call;
        if (body.Call.Start == StartKind.Synchronous)
        {
            // The caller is blocked for the whole call: nothing of it runs beside the body.
            return;
        }

        var spawnSpan = call.Syntax.Span;
        var starts = new List<(SyntaxNode, int)>();
        var joins = new List<(SyntaxNode Node, int Position)>();
        var overlapsStarter = true;
        var outcome = WalkUp(call);
        for (var guard = 0; guard < 4 && outcome.Kind == OutcomeKind.Start; guard++)
        {
            starts.Add((outcome.Node!.Syntax, outcome.Node.Syntax.Span.End));
            outcome = WalkUp(outcome.Node);
        }

        body.JoinTracked = outcome.Kind is OutcomeKind.Join or OutcomeKind.Local or OutcomeKind.FireAndForget;
        switch (outcome.Kind)
        {
            case OutcomeKind.Join:
                joins.Add(JoinPoint(outcome.Node!, spawnSpan));
                break;
            case OutcomeKind.Local:
                CollectFates(outcome.Local!, spawnSpan, starts, joins, new HashSet<ILocalSymbol>(SymbolEqualityComparer.Default), depth: 0);
                break;
            case OutcomeKind.FireAndForget:
                // Never joined: open to the end of the function that starts it.
                break;
            case OutcomeKind.Returned:
                // The caller gets the task: nothing here runs beside the body, and it is not
                // restarted. A lambda around the start that runs once per element still starts
                // several instances before the caller sees any of them:
                // `Task RunAll() => Task.WhenAll(items.Select(i => Task.Run(...)));`.
                AddRepetitions(body, joins);
                return;
            default:
                // Stored somewhere the model does not follow, or passed to a method it does not
                // know: stay silent about the starting code, but a start repeated by a loop still
                // makes several instances (no join is known, so none stops the repetition).
                overlapsStarter = false;
                break;
        }

        if (starts.Count == 0)
        {
            starts.Add((call.Syntax, spawnSpan.End));
        }

        AddRepetitions(body, joins);
        var limit = body.Parent is { Function: not null } parent ? parent.Syntax : null;
        body.Region = ConcurrentRegion.Compute(Graphs, starts, joins, limit, body.Repetitions, overlapsStarter);
    }

    /// <summary>Where a join happens: before the join expression, or after it when the join contains the start (<c>await Task.Run(...)</c>).</summary>
    private static (SyntaxNode Node, int Position) JoinPoint(IOperation join, TextSpan spawnSpan)
    {
        if (join is IForEachLoopOperation loop)
        {
            // foreach (var t in tasks) await t;: the loop is the join, from the collection on.
            // When the tasks are created in the collection itself (`foreach (var t in
            // items.Select(i => Task.Run(...)))`), from the end of the collection: the start
            // comes before the join, as for a list of tasks built first.
            var collection = loop.Collection.Syntax;
            return (collection, collection.Span.Contains(spawnSpan) ? collection.Span.End : collection.SpanStart);
        }

        return (join.Syntax, join.Syntax.Span.Contains(spawnSpan) ? join.Syntax.Span.End : join.Syntax.SpanStart);
    }

    // Lambdas around the call that run it repeatedly: a lambda passed to a per-element method,
    // or the body of a concurrent body that itself runs as several instances. (Loops, goto and
    // the rest of the member's control flow are the region's business, on the graph.)
    private void AddRepetitions(ConcurrentBody body, List<(SyntaxNode Node, int Position)> joins)
    {
        var callSyntax = body.Call.Call.Syntax;
        for (var node = callSyntax.Parent; node is not null; node = node.Parent)
        {
            switch (node)
            {
                case AnonymousFunctionExpressionSyntax or LocalFunctionStatementSyntax:
                    var joinInside = joins.Exists(j => j.Node.SyntaxTree == node.SyntaxTree && node.Span.Contains(j.Node.Span));
                    var owner = FindBody(node);
                    if (owner is not null)
                    {
                        // Started from inside another concurrent body: repeated if that one is.
                        if (!joinInside && (owner.Call.MayRunAsSeveralInstances || owner.SpawnedMoreThanOnce))
                        {
                            body.Repetitions.Add(node);
                        }

                        return;
                    }

                    // A lambda passed to a method that calls it once per element (LINQ, ForEach) is
                    // a loop in disguise; a lambda passed to any other method (Scope.Run,
                    // TaskScope.RunAsync, a user's helper) is not assumed to run more than once.
                    // When the lambda hands the task out as its result (`items.Select(i =>
                    // Task.Run(...))`), the instances overlap only if the query is enumerated all
                    // at once; enumerated one element at a time, each task may be joined before
                    // the next one starts (`foreach (var t in query) await t;`).
                    if (!joinInside && node.Parent is ArgumentSyntax && PerElementOwner(node, body.Call.Call, out var carried) is { } perElement
                        && (!carried || EnumeratedAtOnce(perElement, depth: 0)))
                    {
                        body.Repetitions.Add(node);
                    }

                    break;
                case MemberDeclarationSyntax:
                    return;
            }
        }
    }

    // Finds the operation of the lambda (an ancestor of the call) and asks which method it is
    // passed to: System.Linq operators, List<T>.ForEach and Array.ForEach invoke it per element.
    // Returns that invocation, or null. `carried`: the call is part of what the lambda returns
    // (its task may leave the lambda as an element of the query's result).
    private IInvocationOperation? PerElementOwner(SyntaxNode lambda, IOperation from, out bool carried)
    {
        carried = false;
        for (var current = from.Parent; current is not null; current = current.Parent)
        {
            if (current is IReturnOperation { Kind: OperationKind.Return })
            {
                carried = true;
            }

            if (current is IAnonymousFunctionOperation function && function.Syntax == lambda)
            {
                var argument = function.Parent is IDelegateCreationOperation creation ? creation.Parent : function.Parent;
                if (argument is IArgumentOperation { Parent: IInvocationOperation invocation })
                {
                    var method = invocation.TargetMethod;
                    var type = method.ContainingType?.OriginalDefinition;
                    if (type is null)
                    {
                        return null;
                    }

                    if (type.ContainingNamespace?.ToDisplayString() == "System.Linq")
                    {
                        return invocation;
                    }

                    return method.Name == "ForEach"
                        && (SymbolEqualityComparer.Default.Equals(type, _types.ArrayType) || type.MetadataName == "List`1")
                        ? invocation
                        : null;
                }

                return null;
            }

            if (current is IAnonymousFunctionOperation or ILocalFunctionOperation)
            {
                // The call's value is returned by a nested function, not by this lambda.
                carried = false;
            }
        }

        return null;
    }

    /// <summary>
    /// Whether the sequence <paramref name="sequence"/> (a query whose lambda creates a task per
    /// element) is enumerated all at once, so that every element's task exists before any is
    /// joined: passed to <c>WhenAll</c>/<c>WaitAll</c>/<c>WhenAny</c>/<c>WaitAny</c>, materialized
    /// by <c>ToList</c>/<c>ToArray</c>/<c>ToHashSet</c>/<c>ToDictionary</c>/<c>ToLookup</c>, a
    /// collection constructor or <c>AddRange</c>, or walked by a <c>foreach</c> that does not
    /// join the element (it only collects it). Through deferred operators (<c>Where</c>, ...) and a
    /// local that is not reassigned. False for anything else, which the model cannot follow: a
    /// <c>foreach</c> that joins each element before asking for the next, a query returned or
    /// passed to another method, an operator that takes one element (<c>First</c>).
    /// </summary>
    private bool EnumeratedAtOnce(IOperation sequence, int depth)
    {
        var comparer = SymbolEqualityComparer.Default;
        if (sequence is IInvocationOperation { TargetMethod: { } own } && comparer.Equals(own.ContainingType, _types.EnumerableType) && ConcurrentCallFinder.EnumeratesAtOnce(own))
        {
            return true; // items.ToDictionary(i => i, i => Task.Run(...)): the operator itself enumerates.
        }

        var current = sequence;
        for (var guard = 0; guard < 16; guard++)
        {
            switch (current.Parent)
            {
                case IConversionOperation or IParenthesizedOperation:
                    current = current.Parent;
                    continue;
                case IArgumentOperation { Parent: IInvocationOperation target } argument:
                    var method = target.TargetMethod;
                    var type = method.ContainingType?.OriginalDefinition;
                    if ((comparer.Equals(type, _types.TaskType) || comparer.Equals(type, _types.EnumerableType)) && ConcurrentCallFinder.EnumeratesAtOnce(method))
                    {
                        return true;
                    }

                    if (comparer.Equals(type, _types.EnumerableType) && target.Arguments.Length > 0 && target.Arguments[0] == argument
                        && method.ReturnType.OriginalDefinition.SpecialType == SpecialType.System_Collections_Generic_IEnumerable_T)
                    {
                        current = target; // a deferred operator (Where, Concat, ...): the query goes on
                        continue;
                    }

                    return method.Name == "AddRange" && type?.MetadataName == "List`1";
                case IArgumentOperation { Parent: IObjectCreationOperation creation }:
                    return creation.Type?.OriginalDefinition is { MetadataName: "List`1" or "HashSet`1" or "Queue`1" or "Stack`1" } collection
                        && collection.ContainingNamespace?.ToDisplayString() == "System.Collections.Generic";
                case IVariableInitializerOperation { Parent: IVariableDeclaratorOperation declarator }:
                    return depth < 2 && LocalEnumeratedAtOnce(declarator.Symbol, depth);
                case ISimpleAssignmentOperation { Target: ILocalReferenceOperation assigned } assignment when assignment.Value == current:
                    return depth < 2 && LocalEnumeratedAtOnce(assigned.Local, depth);
                case IForEachLoopOperation loop when loop.Collection == current:
                    return CollectsEachElement(loop);
                default:
                    return false;
            }
        }

        return false;
    }

    // A query kept in a local (`var tasks = items.Select(i => Task.Run(...));`): enumerated all
    // at once if some use of the local is (each enumeration runs the lambdas again). A local
    // assigned anything else may hold another sequence at that use: not followed.
    private bool LocalEnumeratedAtOnce(ILocalSymbol local, int depth)
    {
        if (IsReassigned(local) || !_localReferences.TryGetValue(local, out var references))
        {
            return false;
        }

        foreach (var reference in references)
        {
            if (EnumeratedAtOnce(reference, depth + 1))
            {
                return true;
            }
        }

        return false;
    }

    // `foreach (var t in query) started.Add(t);` creates every task before any is joined; a loop
    // that awaits, waits for, copies or hands on its element (`foreach (var t in query) await t;`)
    // may join each one before the next is created, and the model does not decide which.
    private bool CollectsEachElement(IForEachLoopOperation loop)
    {
        if (loop.LoopControlVariable is not IVariableDeclaratorOperation { Symbol: { } element })
        {
            return false;
        }

        foreach (var operation in loop.Body.DescendantsAndSelf())
        {
            if (operation is ILocalReferenceOperation reference && SymbolEqualityComparer.Default.Equals(reference.Local, element))
            {
                var outcome = WalkUp(reference);
                var collected = outcome.Kind is OutcomeKind.Ignore or OutcomeKind.FireAndForget
                    || (outcome.Kind == OutcomeKind.Local && outcome.Node is IInvocationOperation);
                if (!collected)
                {
                    return false;
                }
            }
        }

        return true;
    }

    private ConcurrentBody? FindBody(SyntaxNode syntax) => _bodyBySyntax.TryGetValue(syntax, out var body) ? body : null;

    /// <summary>
    /// What becomes of <paramref name="local"/> at each reference that matters to
    /// <see cref="CollectFates"/> (ignored uses, such as <c>tasks.Add</c> on a list of tasks,
    /// are left out), in source order, computed once per local: a hundred tasks added to one
    /// list must not walk the list's thousand references a hundred times.
    /// </summary>
    private List<(int Position, Outcome Outcome, ILocalReferenceOperation Reference)> FatesOf(ILocalSymbol local)
    {
        if (!_fates.TryGetValue(local, out var fates))
        {
            fates = new List<(int, Outcome, ILocalReferenceOperation)>();
            if (_localReferences.TryGetValue(local, out var references))
            {
                foreach (var reference in references)
                {
                    var outcome = WalkUp(reference);
                    if (outcome.Kind is OutcomeKind.Ignore or OutcomeKind.FireAndForget
                        || (outcome.Kind == OutcomeKind.Local && SymbolEqualityComparer.Default.Equals(outcome.Local, local)))
                    {
                        continue;
                    }

                    fates.Add((reference.Syntax.SpanStart, outcome, reference));
                }
            }

            // Sorted by position for the binary search (stable: ties keep the walk's order).
            fates = fates.OrderBy(f => f.Position).ToList();

            _fates.Add(local, fates);
        }

        return fates;
    }

    // Every place where the task held by `local` (or by a local it flows into: a list of tasks,
    // a copy) is started, joined, or escapes (taken as a join). All of them, wherever they are:
    // the region walk decides which ones the start reaches.
    private void CollectFates(ILocalSymbol local, TextSpan spawnSpan, List<(SyntaxNode, int)> starts, List<(SyntaxNode Node, int Position)> joins, HashSet<ILocalSymbol> seen, int depth)
    {
        if (!seen.Add(local) || !_localReferences.ContainsKey(local))
        {
            return;
        }

        foreach (var (_, outcome, reference) in FatesOf(local))
        {
            switch (outcome.Kind)
            {
                case OutcomeKind.Join:
                    joins.Add(JoinPoint(outcome.Node!, spawnSpan));
                    break;
                case OutcomeKind.Start:
                    starts.Add((outcome.Node!.Syntax, outcome.Node.Syntax.Span.End));
                    break;
                case OutcomeKind.Local:
                    if (depth < 3)
                    {
                        CollectFates(outcome.Local!, spawnSpan, starts, joins, seen, depth + 1);
                    }

                    break;
                case OutcomeKind.Returned:
                case OutcomeKind.Unknown:
                    // The task escapes here; assume whoever receives it joins it.
                    joins.Add((reference.Syntax, reference.Syntax.SpanStart));
                    break;
            }
        }
    }

    private enum OutcomeKind
    {
        Join,
        Local,
        Start,
        FireAndForget,
        Returned,
        Unknown,
        Ignore,
    }

    private readonly struct Outcome
    {
        public Outcome(OutcomeKind kind, IOperation? node = null, ILocalSymbol? local = null)
        {
            Kind = kind;
            Node = node;
            Local = local;
        }

        public OutcomeKind Kind { get; }

        public IOperation? Node { get; }

        public ILocalSymbol? Local { get; }
    }

    /// <summary>Follows a task (or thread, or collection of tasks) value upwards to what becomes of it.</summary>
    private Outcome WalkUp(IOperation operation)
    {
        var current = operation;
        for (var guard = 0; guard < 24; guard++)
        {
            var parent = current.Parent;
            switch (parent)
            {
                case null:
                    return new Outcome(OutcomeKind.Unknown);
                case IConversionOperation:
                case IArrayInitializerOperation:
                case IArrayCreationOperation:
                case IConditionalOperation:
                case ICoalesceOperation:
                    current = parent;
                    continue;
                case IAwaitOperation:
                    return new Outcome(OutcomeKind.Join, parent);
                case IArrayElementReferenceOperation element when element.ArrayReference == current:
                    // threads[i].Start(), tasks[i].Wait(): an element stands for the collection.
                    current = element;
                    continue;
                case IInvocationOperation invocation when invocation.Instance == current:
                    switch (invocation.TargetMethod.Name)
                    {
                        case "Wait":
                        case "Join":
                        case "GetResult":
                        case "RunSynchronously":
                            return new Outcome(OutcomeKind.Join, invocation);
                        case "ConfigureAwait":
                        case "GetAwaiter":
                        case "JoinAsync":
                        case "ContinueWith":
                        case "WaitAsync":
                            current = invocation;
                            continue;
                        case "Start":
                            return new Outcome(OutcomeKind.Start, invocation);
                        default:
                            return new Outcome(OutcomeKind.Ignore);
                    }

                case IPropertyReferenceOperation property when property.Instance == current:
                    // A status check (IsFaulted, IsCompleted, ...) is taken as a join: the code
                    // inspects the task's progress by hand (Npgsql's sync-over-async sends: `if
                    // (sendTask.IsFaulted) sendTask.GetAwaiter().GetResult();`), and ordering by
                    // hand is something the model cannot follow; it stays silent from there on.
                    return property.Property.Name is "Result" or "IsCompleted" or "IsCompletedSuccessfully" or "IsFaulted" or "IsCanceled" or "Status"
                        ? new Outcome(OutcomeKind.Join, property)
                        : new Outcome(OutcomeKind.Ignore);
                case IArgumentOperation argument:
                    if (argument.Parent is IInvocationOperation target)
                    {
                        var method = target.TargetMethod;
                        var comparer = SymbolEqualityComparer.Default;
                        if (comparer.Equals(method.ContainingType?.OriginalDefinition, _types.TaskType))
                        {
                            switch (method.Name)
                            {
                                case "WaitAll":
                                    return new Outcome(OutcomeKind.Join, target);
                                case "WhenAll":
                                    current = target;
                                    continue;
                                default:
                                    return new Outcome(OutcomeKind.Unknown);
                            }
                        }

                        if (comparer.Equals(method.ContainingType, _types.EnumerableType) && target.Arguments.Length > 0 && target.Arguments[0] == argument)
                        {
                            current = target;
                            continue;
                        }

                        if (method.Name is "Add" or "Enqueue" or "Push" or "TryAdd" or "Insert" or "AddRange")
                        {
                            if (target.Instance is ILocalReferenceOperation collection)
                            {
                                return new Outcome(OutcomeKind.Local, target, collection.Local);
                            }

                            if (target.Instance is IInstanceReferenceOperation { ReferenceKind: InstanceReferenceKind.ImplicitReceiver })
                            {
                                // A collection initializer: follow the collection being created.
                                var creation = target.Parent;
                                while (creation is not null and not IObjectCreationOperation)
                                {
                                    creation = creation.Parent;
                                }

                                if (creation is null)
                                {
                                    return new Outcome(OutcomeKind.Unknown);
                                }

                                current = creation;
                                continue;
                            }
                        }
                    }

                    return new Outcome(OutcomeKind.Unknown);
                case IVariableInitializerOperation { Parent: IVariableDeclaratorOperation declarator }:
                    return new Outcome(OutcomeKind.Local, declarator, declarator.Symbol);
                case ISimpleAssignmentOperation assignment when assignment.Value == current:
                    return assignment.Target switch
                    {
                        ILocalReferenceOperation assigned => new Outcome(OutcomeKind.Local, assignment, assigned.Local),
                        IDiscardOperation => new Outcome(OutcomeKind.FireAndForget),
                        IArrayElementReferenceOperation { ArrayReference: ILocalReferenceOperation array } => new Outcome(OutcomeKind.Local, assignment, array.Local),
                        _ => new Outcome(OutcomeKind.Unknown),
                    };
                case ISimpleAssignmentOperation assignment when assignment.Target == current:
                    return new Outcome(OutcomeKind.Ignore);
                case IExpressionStatementOperation:
                    return new Outcome(OutcomeKind.FireAndForget);
                case IForEachLoopOperation loop when loop.Collection == current:
                    // foreach (var t in tasks) await t; -- treat the loop as the join.
                    return new Outcome(OutcomeKind.Join, loop);
                case IReturnOperation ret:
                    var function = ret.Parent;
                    while (function is not null and not IAnonymousFunctionOperation and not ILocalFunctionOperation and not IMethodBodyOperation)
                    {
                        function = function.Parent;
                    }

                    if (function is IAnonymousFunctionOperation lambda
                        && lambda.Parent is IDelegateCreationOperation { Parent: IArgumentOperation { Parent: IInvocationOperation owner } }
                        && FindBody(lambda.Syntax) is null)
                    {
                        // items.Select(i => Task.Run(...)): follow what the Select result becomes.
                        current = owner;
                        continue;
                    }

                    return new Outcome(OutcomeKind.Returned);
                default:
                    return new Outcome(OutcomeKind.Unknown);
            }
        }

        return new Outcome(OutcomeKind.Unknown);
    }
}
