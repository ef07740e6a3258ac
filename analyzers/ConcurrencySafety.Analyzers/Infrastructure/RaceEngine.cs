// The race-analysis engine shared by CSA1001-CSA1003 (and open to any rule that asks "what does
// this concurrent body touch").
//
// Internal API, for rules:
//   RaceEngine.For(compilation, types, options)  one engine per compilation (cached, thread-safe)
//   engine.Summarize(method)                     the method's MethodSummary: its reads and writes
//                                                as AccessPaths, the locks held at each, the
//                                                calls it makes; computed lazily, once per method
//                                                per compilation, never for metadata methods
//   engine.ReachCall(call, anchor, locks, after) what a call (invocation or property accessor)
//                                                touches, through its callees to MaxCallDepth,
//                                                in the caller's terms (callee parameters replaced
//                                                by the caller's arguments, `this` by the receiver)
//   engine.Reach(method, receiver, arguments, ...) the same for a method started as a body
//                                                (a method group given to Task.Run, an async
//                                                method invoked without awaiting it)
//   engine.CallsOf(operation)                    the source methods an operation calls, with the
//                                                paths of their receiver and arguments (an
//                                                argument that is a call stands for its
//                                                ResultPath: Record(GetCache()) is
//                                                Record(this._cache))
//   engine.ResultPath(call)                      the path a call's result stands for, when the
//                                                source method or getter returns one field,
//                                                static or parameter path on every return path
//                                                (GetCache() is this._cache); cached per method
//   engine.ObjectUseOfResult(call)               a use of a not-thread-safe object so returned
//                                                (GetCache().Add(x)), for CSA1002 and summaries
//   engine.ThreadSafety                          the type model (ThreadSafetyModel)
//   engine.AutoProperties                        which properties stand for a backing field
//   AwaitOrder.For(function, ...)                which operations of an async function may run
//                                                after its first await (on the control-flow graph)
//   engine.ModelFor(blocks, calls, ...)          the member's ConcurrencyModel, built once per
//                                                member per compilation and shared by the rules:
//                                                its bodies, and for each the happens-before
//                                                region on the control-flow graph
//                                                (ConcurrentRegion: what of the starting code
//                                                runs beside it, whether its start repeats)
// A rule that wants "the concurrent bodies that use X" asks ModelFor for the member
// (RaceAnalyzerBase does), takes model.Bodies, and asks ReachedAccesses.Collect for what each
// body and its callees touch. Nothing here reports; rules decide what a conflict is.
using System.Collections.Concurrent;
using System.Collections.Immutable;
using System.Runtime.CompilerServices;
using System.Threading;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Operations;

namespace ConcurrencySafety.Analyzers.Infrastructure;

/// <summary>
/// One access recorded in a <see cref="MethodSummary"/>, in the method's own terms; the base of
/// <see cref="ReachedAccess"/>, the same access seen from a caller.
/// </summary>
internal class SummaryAccess
{
    public SummaryAccess(AccessPath path, AccessKind kind, bool isObjectUse, IOperation operation, List<LockKey>? locks, bool afterAwait, string? via = null)
    {
        Path = path;
        Kind = kind;
        IsObjectUse = isObjectUse;
        Operation = operation;
        Locks = locks;
        AfterAwait = afterAwait;
        Via = via;
    }

    public AccessPath Path { get; }

    public AccessKind Kind { get; }

    /// <summary>A use of a not-thread-safe object (a mutating call or a read of its contents), not of the variable.</summary>
    public bool IsObjectUse { get; }

    /// <summary>The access itself (where a diagnostic goes; in the callee for a reached access).</summary>
    public IOperation Operation { get; }

    public List<LockKey>? Locks { get; }

    public bool AfterAwait { get; }

    /// <summary>
    /// For an object reached through a call's result (<c>GetCache().Add(x)</c>, whose callee
    /// returns <c>_cache</c>): the call, as messages name it (<c>GetCache()</c>); else null.
    /// </summary>
    public string? Via { get; }
}

/// <summary>A call of a source method (or a source property's accessor) recorded in a summary.</summary>
internal sealed class SummaryCall
{
    public SummaryCall(IMethodSymbol callee, AccessPath? receiver, ImmutableArray<AccessPath?> arguments, IOperation operation, List<LockKey>? locks, bool afterAwait)
    {
        Callee = callee;
        Receiver = receiver;
        Arguments = arguments;
        Operation = operation;
        Locks = locks;
        AfterAwait = afterAwait;
    }

    public IMethodSymbol Callee { get; }

    /// <summary>The instance the callee runs on, when it has a path; null for static calls and unnamed receivers.</summary>
    public AccessPath? Receiver { get; }

    /// <summary>The path of the argument of each parameter (by ordinal), when it has one.</summary>
    public ImmutableArray<AccessPath?> Arguments { get; }

    public IOperation Operation { get; }

    public List<LockKey>? Locks { get; }

    public bool AfterAwait { get; }
}

/// <summary>What one method does to shared state, computed once per compilation.</summary>
internal sealed class MethodSummary
{
    public MethodSummary(IMethodSymbol method, SyntaxNode declaration, List<SummaryAccess> accesses, List<SummaryCall> calls, bool synchronizes)
    {
        Method = method;
        Declaration = declaration;
        Accesses = accesses;
        Calls = calls;
        Synchronizes = synchronizes;
    }

    public IMethodSymbol Method { get; }

    public SyntaxNode Declaration { get; }

    public List<SummaryAccess> Accesses { get; }

    public List<SummaryCall> Calls { get; }

    /// <summary>The method uses monitors, semaphores, events or channels: its accesses are taken as ordered by hand.</summary>
    public bool Synchronizes { get; }
}

/// <summary>An access of a summary reached from a concurrent body or its starter through calls, in the analyzed member's terms.</summary>
internal sealed class ReachedAccess : SummaryAccess
{
    public ReachedAccess(SummaryAccess access, AccessPath path, List<LockKey>? locks, bool afterAwait, IOperation anchor, string chain)
        : base(path, access.Kind, access.IsObjectUse, access.Operation, locks, afterAwait, access.Via)
    {
        Anchor = anchor;
        Chain = chain;
    }

    /// <summary>The call or start in the analyzed member that leads to the access.</summary>
    public IOperation Anchor { get; }

    /// <summary>The methods on the way, outermost first: <c>Helper → Bump</c>.</summary>
    public string Chain { get; }
}

/// <summary>Which properties are auto-properties (stand for a backing field). Cached per compilation.</summary>
internal sealed class AutoProperties
{
    private readonly ConcurrentDictionary<IPropertySymbol, bool> _cache = new(SymbolEqualityComparer.Default);

    public bool IsAuto(IPropertySymbol property)
    {
        if (property.IsIndexer || property.IsAbstract || property.DeclaringSyntaxReferences.IsEmpty)
        {
            return false;
        }

        return _cache.GetOrAdd(property.OriginalDefinition, static p =>
        {
            foreach (var member in p.ContainingType.GetMembers())
            {
                if (member is IFieldSymbol field && SymbolEqualityComparer.Default.Equals(field.AssociatedSymbol, p))
                {
                    return true;
                }
            }

            return false;
        });
    }

    /// <summary>An auto-property that can be written after construction (it has a setter).</summary>
    public static bool IsWritable(IPropertySymbol property) => property.SetMethod is { IsInitOnly: false };
}

/// <summary>The per-compilation engine: summaries and their composition (see the file header).</summary>
internal sealed class RaceEngine
{
    /// <summary>
    /// How many calls deep summaries are followed from a concurrent body, by default. Chosen by
    /// measurement on five real code bases (docs/real-code.md, "Call depth"). Set per project
    /// with <see cref="MaxCallDepthKey"/> (0 to 8).
    /// </summary>
    public const int DefaultMaxCallDepth = 3;

    /// <summary>The .editorconfig / global config key of the call depth (like roslyn-analyzers' max_interprocedural_method_call_chain).</summary>
    public const string MaxCallDepthKey = "concurrencysafety.max_call_depth";

    /// <summary>An upper bound on the accesses one body expands to, so that no member can blow up the analysis.</summary>
    public const int MaxReached = 2000;

    private static readonly ConditionalWeakTable<Compilation, RaceEngine> PerCompilation = new();

    private readonly Compilation _compilation;
    private readonly ConcurrentDictionary<IMethodSymbol, MethodSummary?> _summaries = new(SymbolEqualityComparer.Default);
    private readonly bool _uiContext;

    private RaceEngine(Compilation compilation, WellKnownTypes types, AnalyzerOptions? options)
    {
        _compilation = compilation;
        Types = types;
        ThreadSafety = new ThreadSafetyModel(compilation, options);
        MaxCallDepth = ThreadSafetyModel.ReadOption(compilation, options, MaxCallDepthKey) is { } text
            && int.TryParse(text, System.Globalization.NumberStyles.Integer, System.Globalization.CultureInfo.InvariantCulture, out var depth)
            ? System.Math.Max(0, System.Math.Min(8, depth))
            : DefaultMaxCallDepth;
        _uiContext = compilation.GetTypeByMetadataName("System.Windows.Threading.Dispatcher") is not null
            || compilation.GetTypeByMetadataName("System.Windows.Forms.Control") is not null
            || compilation.GetTypeByMetadataName("Microsoft.Maui.Dispatching.IDispatcher") is not null
            || compilation.GetTypeByMetadataName("Avalonia.Threading.Dispatcher") is not null;
    }

    public WellKnownTypes Types { get; }

    /// <summary>The call depth in force for this compilation.</summary>
    public int MaxCallDepth { get; }

    public ThreadSafetyModel ThreadSafety { get; }

    public AutoProperties AutoProperties { get; } = new();

    /// <summary>
    /// The compilation references a UI framework: a plain <c>await</c> may resume on the one UI
    /// thread, so only <c>ConfigureAwait(false)</c> makes the rest of an async method concurrent.
    /// </summary>
    public bool UiContext => _uiContext;

    public static RaceEngine For(Compilation compilation, WellKnownTypes types, AnalyzerOptions? options) =>
        PerCompilation.GetValue(compilation, c => new RaceEngine(c, types, options));

    private readonly ConcurrentDictionary<SyntaxNode, ConcurrencyModel> _models = new();

    /// <summary>
    /// The concurrency model of the member whose operation blocks are <paramref name="blocks"/>,
    /// built once per member per compilation and shared by every rule that asks (the five race
    /// rules and CSA2014): its starts, joins, graphs and regions are computed by the first rule
    /// that needs them. <paramref name="calls"/> finds the member's concurrent calls (sorted by
    /// position); it runs only when the model is not built yet. Null when there are none.
    /// </summary>
    /// <remarks>
    /// Two rules may build the same model at once; one of the two equal results is kept. Nothing
    /// is cached when the build is cancelled.
    /// </remarks>
    public ConcurrencyModel? ModelFor(ImmutableArray<IOperation> blocks, Func<List<ConcurrentCall>> calls, CancellationToken cancellationToken)
    {
        if (blocks.IsEmpty)
        {
            return null;
        }

        var key = blocks[0].Syntax;
        if (_models.TryGetValue(key, out var known))
        {
            return known.Bodies.Count > 0 ? known : null;
        }

        var found = calls();
        var model = ConcurrencyModel.Build(blocks, found, this, cancellationToken);
        model = _models.GetOrAdd(key, model);
        return model.Bodies.Count > 0 ? model : null;
    }

    /// <summary>Whether calls of <paramref name="method"/> are followed: it has a body in this compilation's source.</summary>
    public static bool IsFollowable(IMethodSymbol method) =>
        !method.IsAbstract && !method.IsExtern && !method.DeclaringSyntaxReferences.IsEmpty
        && method.MethodKind is MethodKind.Ordinary or MethodKind.PropertyGet or MethodKind.PropertySet or MethodKind.LocalFunction;

    /// <summary>The summary of <paramref name="method"/>, or null when it has no body in this compilation.</summary>
    public MethodSummary? Summarize(IMethodSymbol method, CancellationToken cancellationToken = default)
    {
        method = method.OriginalDefinition;
        if (_summaries.TryGetValue(method, out var known))
        {
            return known;
        }

        var summary = Compute(method, cancellationToken);
        return _summaries.GetOrAdd(method, summary);
    }

    /// <summary>
    /// What <paramref name="call"/> (an invocation or a property reference of the analyzed
    /// member) touches through the source methods it calls, or nothing when it calls none.
    /// </summary>
    public void ReachCall(IOperation call, List<LockKey>? locks, bool afterAwait, List<ReachedAccess> output, CancellationToken cancellationToken)
    {
        foreach (var site in CallsOf(call, cancellationToken))
        {
            Reach(site.Callee, site.Receiver, site.Arguments, call, locks, afterAwait, output, cancellationToken);
        }
    }

    /// <summary>What running <paramref name="method"/> touches, in the caller's terms.</summary>
    public void Reach(IMethodSymbol method, AccessPath? receiver, ImmutableArray<AccessPath?> arguments, IOperation anchor, List<LockKey>? locks, bool afterAwait, List<ReachedAccess> output, CancellationToken cancellationToken)
    {
        if (MaxCallDepth == 0)
        {
            return;
        }

        var visited = new HashSet<IMethodSymbol>(SymbolEqualityComparer.Default);
        ReachCore(method, receiver, arguments, anchor, locks, afterAwait, depth: 1, chain: null, visited, output, cancellationToken);
    }

    private void ReachCore(IMethodSymbol method, AccessPath? receiver, ImmutableArray<AccessPath?> arguments, IOperation anchor, List<LockKey>? locks, bool afterAwait, int depth, string? chain, HashSet<IMethodSymbol> visited, List<ReachedAccess> output, CancellationToken cancellationToken)
    {
        if (output.Count >= MaxReached || !visited.Add(method.OriginalDefinition))
        {
            return;
        }

        var summary = Summarize(method, cancellationToken);
        if (summary is null)
        {
            visited.Remove(method.OriginalDefinition);
            return;
        }

        var here = chain is null ? Name(method) : chain + " → " + Name(method);
        var held = summary.Synchronizes ? Merge(locks, Unknown) : locks;
        foreach (var access in summary.Accesses)
        {
            if (Map(access.Path, summary.Method, summary.Declaration, receiver, arguments) is { } mapped)
            {
                output.Add(new ReachedAccess(access, mapped, Merge(held, access.Locks), afterAwait || access.AfterAwait, anchor, here));
            }
        }

        if (depth < MaxCallDepth)
        {
            foreach (var call in summary.Calls)
            {
                var callReceiver = call.Receiver is null ? null : Map(call.Receiver, summary.Method, summary.Declaration, receiver, arguments);
                var callArguments = call.Arguments.IsDefaultOrEmpty
                    ? call.Arguments
                    : call.Arguments.Select(a => a is null ? null : Map(a, summary.Method, summary.Declaration, receiver, arguments)).ToImmutableArray();
                ReachCore(call.Callee, callReceiver, callArguments, anchor, Merge(held, call.Locks), afterAwait || call.AfterAwait, depth + 1, here, visited, output, cancellationToken);
            }
        }

        visited.Remove(method.OriginalDefinition);
    }

    private static readonly List<LockKey> Unknown = new() { new LockKey(null, isThis: false, isUnknown: true) };

    private static string Name(IMethodSymbol method) => method.AssociatedSymbol is IPropertySymbol property ? property.Name : method.Name;

    // A callee path in the caller's terms: `this` becomes the receiver, a parameter becomes its
    // argument, a static stays, a local of the callee is per call and drops out (unless it is
    // captured by a local function, where it is the caller's own variable).
    private static AccessPath? Map(AccessPath path, IMethodSymbol method, SyntaxNode declaration, AccessPath? receiver, ImmutableArray<AccessPath?> arguments)
    {
        switch (path.Root)
        {
            case PathRoot.Static:
                return path;
            case PathRoot.This:
                return receiver is null ? null : path.Rebase(receiver);
            default:
                if (path.Variable is IParameterSymbol parameter && SymbolEqualityComparer.Default.Equals(parameter.ContainingSymbol.OriginalDefinition, method))
                {
                    return !arguments.IsDefault && parameter.Ordinal < arguments.Length && arguments[parameter.Ordinal] is { } argument ? path.Rebase(argument) : null;
                }

                if (path.Variable is not null && Declarations.IsDeclaredIn(path.Variable, declaration))
                {
                    return null;
                }

                return method.MethodKind == MethodKind.LocalFunction ? path : null;
        }
    }

    private static List<LockKey>? Merge(List<LockKey>? outer, List<LockKey>? inner)
    {
        if (outer is null)
        {
            return inner;
        }

        if (inner is null)
        {
            return outer;
        }

        var merged = new List<LockKey>(outer);
        merged.AddRange(inner);
        return merged;
    }

    /// <summary>
    /// The source methods <paramref name="operation"/> calls directly (see the static overload),
    /// with an argument that is itself a call standing for the path its result is
    /// (<see cref="ResultPath"/>): in <c>Record(GetCache())</c>, where <c>GetCache</c> returns
    /// <c>_cache</c>, <c>Record</c>'s parameter is <c>this._cache</c>, as in <c>Record(_cache)</c>.
    /// </summary>
    public IEnumerable<SummaryCall> CallsOf(IOperation operation, CancellationToken cancellationToken) =>
        CallsOf(operation, AutoProperties, results: this, cancellationToken: cancellationToken);

    /// <summary>
    /// The source methods <paramref name="operation"/> calls directly: an invocation, or a non-auto
    /// property's accessors. An argument has a path when it names a location; with
    /// <paramref name="results"/>, also when it is a call whose result stands for one.
    /// </summary>
    public static IEnumerable<SummaryCall> CallsOf(IOperation operation, AutoProperties autoProperties, List<LockKey>? locks = null, bool afterAwait = false, RaceEngine? results = null, CancellationToken cancellationToken = default)
    {
        switch (operation)
        {
            case IInvocationOperation invocation when IsFollowable(invocation.TargetMethod):
                var method = invocation.TargetMethod;
                var receiver = method.IsStatic ? null : AccessPath.Of(invocation.Instance, autoProperties);
                if (!method.IsStatic && invocation.Instance is null)
                {
                    // An implicit `this` call, or a local function, which shares its member's `this`.
                    receiver = AccessPath.This;
                }

                var arguments = new AccessPath?[method.Parameters.Length];
                foreach (var argument in invocation.Arguments)
                {
                    if (argument.Parameter is { } parameter && parameter.Ordinal < arguments.Length && parameter.RefKind == RefKind.None)
                    {
                        var value = Unwrap(argument.Value);
                        arguments[parameter.Ordinal] = AccessPath.Of(value, autoProperties)
                            ?? (results is not null && value is IInvocationOperation or IPropertyReferenceOperation ? results.ResultPath(value, cancellationToken) : null);
                    }
                }

                yield return new SummaryCall(method, receiver, arguments.ToImmutableArray(), operation, locks, afterAwait);
                break;
            case IPropertyReferenceOperation property when !autoProperties.IsAuto(property.Property):
                var instance = property.Property.IsStatic ? null : AccessPath.Of(property.Instance, autoProperties);
                var none = ImmutableArray<AccessPath?>.Empty;
                if (AccessClassifier.IsAssignmentTarget(property))
                {
                    if (property.Property.SetMethod is { } setter && IsFollowable(setter))
                    {
                        yield return new SummaryCall(setter, instance, none, operation, locks, afterAwait);
                    }

                    if (property.Parent is ISimpleAssignmentOperation)
                    {
                        break;
                    }
                }

                if (property.Property.GetMethod is { } getter && IsFollowable(getter))
                {
                    yield return new SummaryCall(getter, instance, none, operation, locks, afterAwait);
                }

                break;
        }
    }

    private static IOperation Unwrap(IOperation value)
    {
        while (value is IConversionOperation { Conversion: { IsImplicit: true, IsReference: true } or { IsIdentity: true } } conversion)
        {
            value = conversion.Operand;
        }

        return value;
    }

    /// <summary>The declaration and root operation of a source method's body, or null when it has none in this compilation.</summary>
    private (SyntaxNode Declaration, IOperation Root)? BodyOf(IMethodSymbol method, CancellationToken cancellationToken)
    {
        if (!IsFollowable(method))
        {
            return null;
        }

        SyntaxNode? declaration = null;
        foreach (var reference in method.DeclaringSyntaxReferences)
        {
            var syntax = reference.GetSyntax(cancellationToken);
            if (syntax is BaseMethodDeclarationSyntax { Body: null, ExpressionBody: null })
            {
                continue; // the defining half of a partial method
            }

            declaration = syntax;
            break;
        }

        if (declaration is null || !_compilation.ContainsSyntaxTree(declaration.SyntaxTree))
        {
            return null;
        }

        // Summaries are computed for methods other than the one being analyzed, so they need a
        // semantic model of their own tree; the engine asks once per method per compilation.
#pragma warning disable RS1030 // Do not invoke Compilation.GetSemanticModel() method within a diagnostic analyzer
        var semanticModel = _compilation.GetSemanticModel(declaration.SyntaxTree);
#pragma warning restore RS1030
        var root = semanticModel.GetOperation(declaration, cancellationToken);
        if (root is null && declaration is ArrowExpressionClauseSyntax arrow)
        {
            root = semanticModel.GetOperation(arrow.Expression, cancellationToken);
        }

        return root is null ? null : (declaration, root);
    }

    private MethodSummary? Compute(IMethodSymbol method, CancellationToken cancellationToken)
    {
        if (BodyOf(method, cancellationToken) is not var (declaration, root))
        {
            return null;
        }

        var order = method.IsAsync ? AwaitOrder.For(root, _uiContext, cancellationToken) : null;
        var accesses = new List<SummaryAccess>();
        var calls = new List<SummaryCall>();
        var synchronizes = false;
        var isLocalFunction = method.MethodKind == MethodKind.LocalFunction;
        var stack = new Stack<IOperation>();
        stack.Push(root);
        while (stack.Count > 0)
        {
            var operation = stack.Pop();
            foreach (var child in operation.ChildOperations)
            {
                // Nested lambdas and local functions run when (and where) they are invoked, which
                // this summary does not know; local functions are followed when called.
                if (child is not (IAnonymousFunctionOperation or ILocalFunctionOperation))
                {
                    stack.Push(child);
                }
            }

            switch (operation)
            {
                case IFieldReferenceOperation or IPropertyReferenceOperation or ILocalReferenceOperation or IParameterReferenceOperation:
                    Record(operation, isLocalFunction, declaration, order, accesses);
                    break;
                case IInvocationOperation invocation:
                    if (Types.IsSynchronizationType(invocation.TargetMethod.ContainingType)
                        || (invocation.Instance is { Type: { } instanceType } && Types.IsSynchronizationType(instanceType)))
                    {
                        synchronizes = true;
                    }

                    break;
            }

            if (operation is IInvocationOperation or IPropertyReferenceOperation)
            {
                List<LockKey>? locks = null;
                var lockedDone = false;
                foreach (var call in CallsOf(operation, cancellationToken))
                {
                    if (!lockedDone)
                    {
                        locks = Access.CollectLocks(operation);
                        lockedDone = true;
                    }

                    calls.Add(new SummaryCall(call.Callee, call.Receiver, call.Arguments, operation, locks, order?.IsAfterAwait(operation.Syntax) ?? false));
                }

                if (lockedDone && ObjectUseOfResult(operation, cancellationToken) is var (resultPath, use, via))
                {
                    accesses.Add(new SummaryAccess(resultPath, use, isObjectUse: true, operation, locks, order?.IsAfterAwait(operation.Syntax) ?? false, via));
                }
            }
        }

        return new MethodSummary(method, declaration, accesses, calls, synchronizes);
    }

    /// <summary>
    /// A use of a not-thread-safe object that <paramref name="call"/> (an invocation or a
    /// property reference of a source member) returns: the object's path in the terms of the
    /// code that makes the call (see <see cref="ResultPath"/>), what the use does to it, and the
    /// call as messages name it. Null when the result is of no not-thread-safe type, is not used
    /// as an object here (passed on to a followed call, whose summary has the use; assigned;
    /// locked), or has no path.
    /// </summary>
    public (AccessPath Path, AccessKind Kind, string Via)? ObjectUseOfResult(IOperation call, CancellationToken cancellationToken)
    {
        if (call.Type is not { } type || !ThreadSafety.IsNotThreadSafe(type) || IsPassedToFollowedCall(call)
            || ThreadSafety.ClassifyUse(call, type, Types) is not { } kind
            || ResultPath(call, cancellationToken) is not { } path)
        {
            return null;
        }

        var via = call switch
        {
            IInvocationOperation invocation => invocation.TargetMethod.Name + "()",
            IPropertyReferenceOperation property => property.Property.Name,
            _ => call.Syntax.ToString(),
        };
        return (path, kind, via);
    }

    /// <summary>
    /// The path of what <paramref name="call"/> returns, in the caller's terms, when the source
    /// method it calls (or the property getter) returns the same field, static or parameter path
    /// on every return path (through up to <see cref="MaxCallDepth"/> methods that return another
    /// call's result): <c>GetCache()</c> is <c>this._cache</c> when <c>GetCache</c> returns
    /// <c>_cache</c>. Null for anything else: a fresh object, a local, a metadata call (a factory
    /// of the BCL), one of two fields, a virtual method (an override may return something else),
    /// an iterator or async method. Each method's return is worked out once per compilation.
    /// </summary>
    public AccessPath? ResultPath(IOperation call, CancellationToken cancellationToken)
    {
        // The call's own arguments may be call results too (Same(GetCache())): they are
        // sub-expressions of this call, so that recursion ends with the syntax.
        var site = GetterOrMethodCall(call, this, cancellationToken);
        for (var depth = 0; site is not null && depth < MaxCallDepth; depth++)
        {
            var method = site.Callee.OriginalDefinition;
            if (!_returns.TryGetValue(method, out var source))
            {
                source = _returns.GetOrAdd(method, ComputeReturn(method, cancellationToken));
            }

            if (source is not var (returner, declaration, returned, next))
            {
                return null;
            }

            if (returned is not null)
            {
                return Map(returned, returner, declaration, site.Receiver, site.Arguments);
            }

            // return Other(...): the next call, in this call's terms.
            var receiver = next!.Receiver is null ? null : Map(next.Receiver, returner, declaration, site.Receiver, site.Arguments);
            if (!next.Callee.IsStatic && receiver is null)
            {
                return null;
            }

            var arguments = next.Arguments.IsDefaultOrEmpty
                ? next.Arguments
                : next.Arguments.Select(a => a is null ? null : Map(a, returner, declaration, site.Receiver, site.Arguments)).ToImmutableArray();
            site = new SummaryCall(next.Callee, receiver, arguments, next.Operation, locks: null, afterAwait: false);
        }

        return null;
    }

    /// <summary>
    /// What each method returns on every return path, in its own terms: one path, or one call of
    /// a source method (null: anything else). Worked out once per method per compilation.
    /// </summary>
    private readonly ConcurrentDictionary<IMethodSymbol, (IMethodSymbol Method, SyntaxNode Declaration, AccessPath? Path, SummaryCall? Call)?> _returns = new(SymbolEqualityComparer.Default);

    // With `results`, an argument that is a call stands for its result's path. ComputeReturn
    // passes none: a method's return is worked out from its own body only, so working out one
    // return never needs another one that may be in progress (`A() => B(A())`), and what is
    // cached does not depend on which caller asked first.
    private SummaryCall? GetterOrMethodCall(IOperation call, RaceEngine? results = null, CancellationToken cancellationToken = default)
    {
        if (call is IPropertyReferenceOperation && AccessClassifier.IsAssignmentTarget(call))
        {
            return null;
        }

        foreach (var site in CallsOf(call, AutoProperties, results: results, cancellationToken: cancellationToken))
        {
            if (site.Callee.MethodKind != MethodKind.PropertySet)
            {
                return site;
            }
        }

        return null;
    }

    private (IMethodSymbol Method, SyntaxNode Declaration, AccessPath? Path, SummaryCall? Call)? ComputeReturn(IMethodSymbol method, CancellationToken cancellationToken)
    {
        // An override elsewhere could return something else; a task or an iterator is not the object.
        if (method.IsAsync || method.IsVirtual || method.IsAbstract || (method.IsOverride && !method.IsSealed && !method.ContainingType.IsSealed)
            || method.ReturnsByRef || method.ReturnsByRefReadonly || !method.ReturnType.IsReferenceType
            || BodyOf(method, cancellationToken) is not var (declaration, root))
        {
            return null;
        }

        var values = new List<IOperation>();
        var stack = new Stack<IOperation>();
        stack.Push(root);
        while (stack.Count > 0)
        {
            var operation = stack.Pop();
            if (operation is IReturnOperation ret)
            {
                if (ret.Kind != OperationKind.Return || ret.ReturnedValue is null)
                {
                    return null; // yield return / yield break: an iterator
                }

                values.Add(Unwrap(ret.ReturnedValue));
                continue;
            }

            foreach (var child in operation.ChildOperations)
            {
                if (child is not (IAnonymousFunctionOperation or ILocalFunctionOperation))
                {
                    stack.Push(child);
                }
            }
        }

        if (values.Count == 0 && root.Syntax is Microsoft.CodeAnalysis.CSharp.Syntax.ExpressionSyntax)
        {
            values.Add(Unwrap(root)); // the expression of an expression-bodied member
        }

        AccessPath? path = null;
        foreach (var value in values)
        {
            if (AccessPath.Of(value, AutoProperties) is not { } valuePath || (path is not null && !path.Equals(valuePath)) || IsReassignedParameter(valuePath, root))
            {
                // Not a path, or not the same one everywhere: one call is the only other answer.
                return values.Count == 1 && GetterOrMethodCall(value) is { } call ? (method, declaration, null, call) : null;
            }

            path = valuePath;
        }

        return path is null ? null : (method, declaration, path, null);
    }

    // `l = new List<int>(); return l;`: the returned parameter is no longer the caller's argument.
    private bool IsReassignedParameter(AccessPath path, IOperation root)
    {
        if (path.Variable is not IParameterSymbol parameter)
        {
            return false;
        }

        foreach (var operation in root.Descendants())
        {
            if (operation is IParameterReferenceOperation reference && SymbolEqualityComparer.Default.Equals(reference.Parameter, parameter)
                && AccessClassifier.ClassifyVariable(reference, Types) == AccessKind.Write)
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>
    /// Whether <paramref name="reference"/> is an argument of a call the engine follows: what
    /// the callee does with the object is in its summary, so passing it is not a use of its own.
    /// </summary>
    public static bool IsPassedToFollowedCall(IOperation reference)
    {
        var current = reference;
        while (current.Parent is IConversionOperation conversion)
        {
            current = conversion;
        }

        return current.Parent is IArgumentOperation { Parent: IInvocationOperation invocation, Parameter.RefKind: RefKind.None }
            && IsFollowable(invocation.TargetMethod);
    }

    private void Record(IOperation reference, bool isLocalFunction, SyntaxNode declaration, AwaitOrder? order, List<SummaryAccess> accesses)
    {
        var path = AccessPath.Of(reference, AutoProperties);
        if (path is null || path.Root == PathRoot.This && path.Members.IsEmpty)
        {
            return;
        }

        List<LockKey>? locks = null;
        var afterAwait = order?.IsAfterAwait(reference.Syntax) ?? false;
        var immutable = path.Last is IFieldSymbol { IsReadOnly: true } || (path.Last is IPropertySymbol property && !AutoProperties.IsWritable(property));
        if (!immutable && !path.Members.IsEmpty || (isLocalFunction && path.Variable is not null && !Declarations.IsDeclaredIn(path.Variable, declaration)))
        {
            if (AccessClassifier.ClassifyVariable(reference, Types) is { } kind)
            {
                locks = Access.CollectLocks(reference);
                accesses.Add(new SummaryAccess(path, kind, isObjectUse: false, reference, locks, afterAwait));
            }
        }

        if (reference.Type is { } type && ThreadSafety.IsNotThreadSafe(type) && !IsPassedToFollowedCall(reference) && ThreadSafety.ClassifyUse(reference, type, Types) is { } use)
        {
            locks ??= Access.CollectLocks(reference);
            accesses.Add(new SummaryAccess(path, use, isObjectUse: true, reference, locks, afterAwait));
        }
    }
}
