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
/// Which code of the member runs beside a body is still decided over positions in the source:
/// a body's <see cref="ConcurrentBody.Window"/> runs from its start to the first join of its
/// task (await, Wait, Join, an awaited WhenAll, JoinAsync, the end of a synchronous Parallel
/// call), plus any loop around the start that the join is outside of; a local declared inside
/// such a loop is a new variable each iteration, and starts in exclusive branches never overlap.
/// Which parts of an async body run after an await comes from its control-flow graph
/// (<see cref="AwaitOrder"/>). When the model loses track of a task (it is returned, stored in a
/// field, passed to an unknown method) the window is empty: the rules prefer silence to guesses.
/// Replacing the positional window by reachability on the member's control-flow graph is the
/// next step (issue 14).
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

    private ConcurrencyModel(ImmutableArray<IOperation> blocks, RaceEngine engine)
    {
        _blocks = blocks;
        _engine = engine;
        _types = engine.Types;
    }

    public WellKnownTypes Types => _types;

    public RaceEngine Engine => _engine;

    /// <summary>What <see cref="ReachedAccesses.Collect"/> found, once computed.</summary>
    public List<(ReachedAccess Access, ConcurrentBody? Body)>? Reached { get; set; }

    /// <summary>The invocations and property references of the member that call a source method (followed through summaries).</summary>
    public List<IOperation> FollowableCalls { get; } = new();

    public List<ConcurrentBody> Bodies { get; } = new();

    /// <summary>Every local, parameter and field reference of the member, in source order.</summary>
    public List<IOperation> References { get; } = new();

    /// <summary>The member itself uses monitors, semaphores, events or channels somewhere.</summary>
    public bool SynchronizesByHand => _synchronizationPositions.Count > 0;

    public static ConcurrencyModel Build(ImmutableArray<IOperation> blocks, List<ConcurrentCall> calls, RaceEngine engine, CancellationToken cancellationToken)
    {
        var model = new ConcurrencyModel(blocks, engine);
        model.Index(cancellationToken);
        model.ResolveBodies(calls);
        foreach (var body in model.Bodies)
        {
            cancellationToken.ThrowIfCancellationRequested();
            model.ComputeWindow(body);
            model.DecideRestarts(body);
            if (body.IsAsyncStart && body.Function is IAnonymousFunctionOperation lambda)
            {
                body.AwaitOrder = AwaitOrder.For(lambda, engine.UiContext, cancellationToken);
            }

            foreach (var position in model._synchronizationPositions)
            {
                if (body.Syntax.Span.Contains(position))
                {
                    body.SynchronizesByHand = true;
                    break;
                }
            }
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
    public ConcurrentBody? InnermostBody(SyntaxNode node)
    {
        ConcurrentBody? best = null;
        foreach (var body in Bodies)
        {
            if (body.Contains(node) && (best is null || best.Syntax.Span.Length > body.Syntax.Span.Length))
            {
                best = body;
            }
        }

        return best;
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
    }

    private static bool IsFollowableAccessor(IMethodSymbol? accessor) => accessor is not null && RaceEngine.IsFollowable(accessor);

    private void ResolveBodies(List<ConcurrentCall> calls)
    {
        var bySyntax = new Dictionary<SyntaxNode, ConcurrentBody>();
        foreach (var call in calls)
        {
            ConcurrentBody body;
            var function = ResolveFunction(call.DelegateValue, depth: 0);
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
        }

        foreach (var body in Bodies)
        {
            ConcurrentBody? parent = null;
            foreach (var other in Bodies)
            {
                if (other != body && other.Contains(body.Call.Call.Syntax) && (parent is null || parent.Syntax.Span.Length > other.Syntax.Span.Length))
                {
                    parent = other;
                }
            }

            body.Parent = parent;
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
                    arguments = arguments.Select(a => a is { Root: PathRoot.Variable, Variable: { } v } && IsDeclaredIn(v, lambda.Syntax) ? null : a).ToImmutableArray();
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

    private static bool IsDeclaredIn(ISymbol variable, SyntaxNode node)
    {
        foreach (var reference in variable.DeclaringSyntaxReferences)
        {
            if (reference.SyntaxTree == node.SyntaxTree && node.Span.Contains(reference.Span))
            {
                return true;
            }
        }

        return false;
    }

    private SummaryCall? FirstCall(IInvocationOperation invocation)
    {
        foreach (var site in RaceEngine.CallsOf(invocation, _engine.AutoProperties))
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
                || (body.Call.Start != StartKind.Synchronous && (!body.JoinTracked || body.WindowContains(other.Call.Syntax.SpanStart))))
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

    private void ComputeWindow(ConcurrentBody body)
    {
        var call = body.Call.Call;
        if (body.Call.Start == StartKind.Synchronous)
        {
            // The caller is blocked for the whole call: nothing of it runs beside the body.
            return;
        }

        var spawnSpan = call.Syntax.Span;
        var start = spawnSpan.End;
        int? joinPosition = null;
        var neverJoined = false;
        var outcome = WalkUp(call);
        for (var guard = 0; guard < 4 && outcome.Kind == OutcomeKind.Start; guard++)
        {
            start = outcome.Node!.Syntax.Span.End;
            outcome = WalkUp(outcome.Node);
        }

        body.JoinTracked = outcome.Kind is OutcomeKind.Join or OutcomeKind.Local or OutcomeKind.FireAndForget;
        switch (outcome.Kind)
        {
            case OutcomeKind.Join:
                joinPosition = JoinPosition(outcome.Node!, spawnSpan);
                break;
            case OutcomeKind.Local:
                var followed = FollowLocal(outcome.Local!, outcome.Node!.Syntax.Span.End, spawnSpan, depth: 0);
                if (followed.Start is { } startedAt)
                {
                    start = startedAt;
                }

                if (followed.Join is { } joinedAt)
                {
                    joinPosition = joinedAt;
                }
                else
                {
                    neverJoined = true;
                }

                break;
            case OutcomeKind.FireAndForget:
                neverJoined = true;
                break;
            default:
                // Returned to the caller, stored somewhere the model does not follow, or passed
                // to a method it does not know: stay silent about the starting code, but a start
                // inside a loop still makes several instances (the join cannot be inside the loop
                // when the task is only stored there).
                if (outcome.Kind != OutcomeKind.Returned)
                {
                    AddRepetitions(body, joinPosition: null);
                }

                return;
        }

        var end = neverJoined ? FunctionEnd(call) : joinPosition ?? start;
        if (end > start)
        {
            body.Window.Add(TextSpan.FromBounds(start, end));
            body.PrimaryWindow = TextSpan.FromBounds(start, end);
        }

        AddRepetitions(body, neverJoined ? null : joinPosition);
        foreach (var repetition in body.Repetitions)
        {
            body.Window.Add(repetition.Span);
        }
    }

    private static int JoinPosition(IOperation join, TextSpan spawnSpan) =>
        join.Syntax.Span.Contains(spawnSpan) ? join.Syntax.Span.End : join.Syntax.SpanStart;

    private int FunctionEnd(IOperation operation)
    {
        for (var current = operation.Parent; current is not null; current = current.Parent)
        {
            if (current is IAnonymousFunctionOperation or ILocalFunctionOperation)
            {
                return current.Syntax.Span.End;
            }

            if (current.Parent is null)
            {
                return current.Syntax.Span.End;
            }
        }

        return operation.Syntax.Span.End;
    }

    private void AddRepetitions(ConcurrentBody body, int? joinPosition)
    {
        var callSyntax = body.Call.Call.Syntax;
        SyntaxNode child = callSyntax;
        for (var node = callSyntax.Parent; node is not null; child = node, node = node.Parent)
        {
            var joinInside = joinPosition is { } j && node.Span.Contains(j);
            switch (node)
            {
                case ForStatementSyntax forStatement:
                    // The initializer runs once; everything else runs on each iteration.
                    if (!joinInside && child != forStatement.Declaration && !(child is ExpressionSyntax initializer && forStatement.Initializers.Contains(initializer)))
                    {
                        body.Repetitions.Add(node);
                    }

                    break;
                case CommonForEachStatementSyntax forEach:
                    if (!joinInside && child != forEach.Expression)
                    {
                        body.Repetitions.Add(node);
                    }

                    break;
                case WhileStatementSyntax or DoStatementSyntax:
                    if (!joinInside)
                    {
                        body.Repetitions.Add(node);
                    }

                    break;
                case AnonymousFunctionExpressionSyntax or LocalFunctionStatementSyntax:
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
                    if (!joinInside && node.Parent is ArgumentSyntax && IsInvokedPerElement(node, body.Call.Call))
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
    private bool IsInvokedPerElement(SyntaxNode lambda, IOperation from)
    {
        for (var current = from.Parent; current is not null; current = current.Parent)
        {
            if (current is IAnonymousFunctionOperation function && function.Syntax == lambda)
            {
                var argument = function.Parent is IDelegateCreationOperation creation ? creation.Parent : function.Parent;
                if (argument is IArgumentOperation { Parent: IInvocationOperation invocation })
                {
                    var method = invocation.TargetMethod;
                    var type = method.ContainingType?.OriginalDefinition;
                    if (type is null)
                    {
                        return false;
                    }

                    if (type.ContainingNamespace?.ToDisplayString() == "System.Linq")
                    {
                        return true;
                    }

                    return method.Name == "ForEach"
                        && (SymbolEqualityComparer.Default.Equals(type, _types.ArrayType) || type.MetadataName == "List`1");
                }

                return false;
            }
        }

        return false;
    }

    private ConcurrentBody? FindBody(SyntaxNode syntax)
    {
        foreach (var body in Bodies)
        {
            if (body.Syntax == syntax)
            {
                return body;
            }
        }

        return null;
    }

    private (int? Start, int? Join) FollowLocal(ILocalSymbol local, int after, TextSpan spawnSpan, int depth)
    {
        int? start = null;
        if (!_localReferences.TryGetValue(local, out var references))
        {
            return (null, null);
        }

        foreach (var reference in references)
        {
            if (reference.Syntax.SpanStart < after)
            {
                continue;
            }

            var outcome = WalkUp(reference);
            switch (outcome.Kind)
            {
                case OutcomeKind.Join:
                    return (start, JoinPosition(outcome.Node!, spawnSpan));
                case OutcomeKind.Start:
                    start ??= outcome.Node!.Syntax.Span.End;
                    break;
                case OutcomeKind.Local:
                    if (depth < 3 && !SymbolEqualityComparer.Default.Equals(outcome.Local, local))
                    {
                        var next = FollowLocal(outcome.Local!, outcome.Node!.Syntax.Span.End, spawnSpan, depth + 1);
                        return (start ?? next.Start, next.Join);
                    }

                    break;
                case OutcomeKind.Returned:
                case OutcomeKind.Unknown:
                    // The task escapes here; assume whoever receives it joins it.
                    return (start, reference.Syntax.SpanStart);
            }
        }

        return (start, null);
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
                    return property.Property.Name == "Result" ? new Outcome(OutcomeKind.Join, property) : new Outcome(OutcomeKind.Ignore);
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
