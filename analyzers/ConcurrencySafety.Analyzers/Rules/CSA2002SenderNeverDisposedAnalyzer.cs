using System.Collections.Immutable;
using ConcurrencySafety.Analyzers.Lifecycle;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.FlowAnalysis;
using Microsoft.CodeAnalysis.Operations;

namespace ConcurrencySafety.Analyzers.Rules;

/// <summary>
/// CSA2002: a library handle that owns a resource is created in a method and not released on
/// every path. Four kinds of handle, each with the release that ends its resource:
/// <list type="bullet">
/// <item>a sender created (by deconstructing a <c>Chan</c> factory) or cloned: not disposed,
/// either never (no <c>using</c>, no <c>Dispose()</c> anywhere in the method or in the lambdas it
/// starts, not moved to a <c>[Consumes]</c> parameter), or only on some paths (a normal path
/// from its creation to the end of its function, found on the control-flow graph, passes no
/// release). The channel never closes and its readers wait forever;</item>
/// <item>a ticker (<c>Chan.Tick</c>) not disposed on every path: its timer keeps firing for the
/// life of the process;</item>
/// <item>a channel writer made by <c>tx.AsChannelWriter()</c> (it owns a clone of the sender)
/// never completed on every path (<c>Complete</c>/<c>TryComplete</c>): the clone keeps the
/// channel open;</item>
/// <item>a receiver of a bounded or rendezvous channel created in the method, never disposed,
/// whose reading loop can stop early (<c>break</c>, <c>return</c>) while a producer the method
/// started still sends in a loop without a cancellation token: the producer blocks forever in
/// its next send, since only disposing the last receiver tells it nobody is reading.</item>
/// </list>
/// A handle that escapes in any way the rule cannot follow (returned, stored, passed to a method
/// that is not a select arm) is not reported.
/// </summary>
[DiagnosticAnalyzer(LanguageNames.CSharp)]
public sealed class CSA2002SenderNeverDisposedAnalyzer : DiagnosticAnalyzer
{
    /// <summary>Property set when the fix (<c>using var</c>) is safe: a clone declared by a plain local declaration and no receive loop of the channel follows.</summary>
    internal const string UsingFixKey = "UsingFix";

    internal static readonly DiagnosticDescriptor Rule = new(
        RuleIdentifiers.SenderNeverDisposed,
        title: "Owned channel handle not disposed",
        messageFormat: "{0} '{1}' is {2}, so {3}; {4}",
        category: "Concurrency",
        defaultSeverity: DiagnosticSeverity.Error,
        isEnabledByDefault: true,
        description: "A channel closes when its last sender is disposed. A sender created or cloned in a method and not disposed on every path (never, or only in some branches), neither there nor in the lambdas it starts, keeps the channel open: "
            + "a receiver that reads to the end (foreach, await foreach) never finishes. Dispose every sender, typically with 'using (tx)' inside the producing task. "
            + "The same holds for the other handles that own something: a Chan.Tick ticker (its timer fires until it is disposed), a writer from AsChannelWriter (it owns a sender clone, released by Complete), "
            + "and a receiver whose reading loop may stop early while a producer still sends (the producer blocks forever unless the receiver is disposed). "
            + "Handles returned, stored or passed to a method are not reported; mark a parameter [Consumes] to say it takes ownership. Paths that end by throwing need not dispose.",
        helpLinkUri: RuleIdentifiers.GetHelpUri(RuleIdentifiers.SenderNeverDisposed));

    /// <summary>Property naming the kind of handle reported (<see cref="SenderKind"/>, <see cref="TickerKind"/>, <see cref="WriterKind"/>, <see cref="ReceiverKind"/>), for the fix's title.</summary>
    internal const string KindKey = "Kind";

    internal const string SenderKind = "Sender";
    internal const string TickerKind = "Ticker";
    internal const string WriterKind = "Writer";
    internal const string ReceiverKind = "Receiver";

    private const string NeverDisposed = "never disposed";
    private const string NeverCloses = "its channel never closes and receivers wait forever";
    private const string NotOnEveryPath = "not disposed on every path (a path from its creation to the end of the method skips every Dispose)";
    private const string StaysOpen = "its channel stays open on that path and receivers wait forever";
    private const string SenderAdvice = "dispose it (using), or move it into the task that sends";
    private const string NeverCompleted = "never completed";
    private const string NotCompletedOnEveryPath = "not completed on every path (a path from its creation to the end of the method skips every Complete)";
    private const string WriterLeak = "the sender clone it owns keeps the channel open and receivers wait forever";
    private const string WriterAdvice = "call Complete() when writing is done (in a finally)";
    private const string TickerNeverDisposed = "never disposed";
    private const string TickerNotOnEveryPath = "not disposed on every path (a path from its creation to the end of the method skips every Dispose)";
    private const string TickerLeak = "its timer keeps firing after the method is done";
    private const string TickerAdvice = "dispose it (using var) when the loop that reads it ends";

    public override ImmutableArray<DiagnosticDescriptor> SupportedDiagnostics => ImmutableArray.Create(Rule);

    public override void Initialize(AnalysisContext context)
    {
        context.EnableConcurrentExecution();
        context.ConfigureGeneratedCodeAnalysis(GeneratedCodeAnalysisFlags.None);
        context.RegisterCompilationStartAction(start =>
        {
            var types = LifecycleTypes.For(start.Compilation);
            if (types.Chan is null || types.Sender is null)
            {
                return;
            }

            start.RegisterOperationBlockAction(block =>
            {
                foreach (var root in block.OperationBlocks)
                {
                    Analyze(block, root, types);
                }
            });
        });
    }

    private static void Analyze(OperationBlockAnalysisContext context, IOperation root, LifecycleTypes types)
    {
        ImmutableArray<ChannelLocal> locals = default;
        List<(IVariableDeclaratorOperation Declarator, string Kind)>? handles = null;
        foreach (var operation in root.Descendants())
        {
            // tx.Clone(); as a statement: a sender nobody can ever dispose. Chan.Tick(...); and
            // tx.AsChannelWriter(); the same for a timer and for the writer's sender clone.
            if (operation is IExpressionStatementOperation { Operation: IInvocationOperation dropped })
            {
                if (dropped is { TargetMethod.Name: "Clone", Arguments.Length: 0 } && types.IsSender(dropped.Type))
                {
                    context.ReportDiagnostic(Diagnostic.Create(Rule, dropped.Syntax.GetLocation(), SenderKind, dropped.Instance?.Syntax.ToString() + ".Clone()", NeverDisposed, NeverCloses, SenderAdvice));
                }
                else if (HandleKind(dropped, types) is { } kind)
                {
                    var (how, what, advice) = kind == TickerKind ? (TickerNeverDisposed, TickerLeak, TickerAdvice) : (NeverCompleted, WriterLeak, WriterAdvice);
                    context.ReportDiagnostic(Diagnostic.Create(Rule, dropped.Syntax.GetLocation(), kind, dropped.Syntax.ToString(), how, what, advice));
                }
            }
            else if (operation is IVariableDeclaratorOperation { Initializer.Value: { } value } declarator
                && ChannelLocals.Strip(value) is IInvocationOperation created
                && HandleKind(created, types) is { } kind)
            {
                (handles ??= new()).Add((declarator, kind));
            }

            if (operation is IDeconstructionAssignmentOperation or IVariableDeclaratorOperation && locals.IsDefault)
            {
                locals = ChannelLocals.Find(root, types);
            }
        }

        ControlFlowGraph? graph = null;
        ControlFlowGraph Graph() => graph ??= context.GetControlFlowGraph(root);

        if (handles is not null)
        {
            foreach (var (declarator, kind) in handles)
            {
                AnalyzeOwnedHandle(context, root, declarator, kind, Graph);
            }
        }

        if (locals.IsDefault)
        {
            return;
        }

        Dictionary<IOperation, int>? lastReceiveLoop = null;

        foreach (var sender in locals)
        {
            if (!sender.IsSender)
            {
                AnalyzeReceiver(context, root, sender, locals, types);
                continue;
            }

            var owned = OwnedLocal.Collect(sender.Local, sender.Declaration, root, OwnedLocal.IsDispose);
            if (owned.HasUnknownUse || owned.UsingDeclared)
            {
                continue;
            }

            string how = NeverDisposed, what = NeverCloses;
            if (owned.IsReleasedSomewhere)
            {
                // Released in a lambda or local function (moved into a producer): the rule
                // cannot tell when that code runs, so it trusts it.
                if (owned.Uses.Any(u => u.InNestedFunction && u.Kind is UseKind.Release or UseKind.UsingResource or UseKind.Moved))
                {
                    continue;
                }

                if (!DisposalPaths.LeaksOnSomePath(Graph(), sender.Local, ReleaseSpans(owned)))
                {
                    continue;
                }

                how = NotOnEveryPath;
                what = StaysOpen;
            }

            var properties = ImmutableDictionary<string, string?>.Empty.Add(KindKey, SenderKind);
            if (sender.Declaration is IVariableDeclaratorOperation { Syntax.Parent: VariableDeclarationSyntax { Variables.Count: 1, Parent: LocalDeclarationStatementSyntax { Parent: BlockSyntax } } }
                && !ReceiveLoopFollows(sender, lastReceiveLoop ??= LastReceiveLoops(root, locals, types))
                && !owned.Uses.Any(u => u.Kind == UseKind.Moved))
            {
                properties = properties.Add(UsingFixKey, "true");
            }

            context.ReportDiagnostic(Diagnostic.Create(Rule, sender.Location, properties, SenderKind, sender.Local.Name, how, what, SenderAdvice));
        }
    }

    private static ImmutableHashSet<Microsoft.CodeAnalysis.Text.TextSpan> ReleaseSpans(OwnedLocal owned) =>
        owned.Uses
            .Where(u => u.Kind is UseKind.Release or UseKind.UsingResource or UseKind.Moved)
            .Select(u => u.Reference.Syntax.Span)
            .ToImmutableHashSet();

    /// <summary>
    /// <c>Chan.Tick(...)</c> (a ticker) or <c>sender.AsChannelWriter()</c> (a writer owning a
    /// sender clone): the handles other than senders whose creation acquires a resource that
    /// only their release gives back. <c>Chan.After</c> is not one: its one-shot timer ends by
    /// itself. Null for anything else.
    /// </summary>
    private static string? HandleKind(IInvocationOperation invocation, LifecycleTypes types)
    {
        var method = invocation.TargetMethod;
        if (method.Name == "Tick" && method.IsStatic && SymbolEqualityComparer.Default.Equals(method.ContainingType, types.Chan))
        {
            return TickerKind;
        }

        return method is { Name: "AsChannelWriter", IsStatic: false, Parameters.IsEmpty: true } && types.IsSender(method.ContainingType)
            ? WriterKind
            : null;
    }

    /// <summary>Whether <paramref name="method"/> completes a channel writer (its release).</summary>
    private static bool IsComplete(IMethodSymbol method) => method.Name is "Complete" or "TryComplete";

    /// <summary>A ticker or a writer from <c>AsChannelWriter</c> declared in a local: released on every normal path, as a sender must be.</summary>
    private static void AnalyzeOwnedHandle(OperationBlockAnalysisContext context, IOperation root, IVariableDeclaratorOperation declarator, string kind, Func<ControlFlowGraph> graph)
    {
        var local = declarator.Symbol;
        var owned = OwnedLocal.Collect(local, declarator, root, kind == TickerKind ? OwnedLocal.IsDispose : IsComplete);
        if (owned.HasUnknownUse || owned.UsingDeclared)
        {
            return;
        }

        // Unlike a sender's, the path question is asked even when nothing releases the handle:
        // a ticker read by a loop that never ends (a service's heartbeat) leaks nothing, since
        // no path leaves the function.
        // A foreach over a ticker never ends normally either (its channel never closes): a path
        // that reaches one stops there, as at a release.
        var somePaths = owned.IsReleasedSomewhere;
        var stops = ReleaseSpans(owned);
        if (kind == TickerKind)
        {
            stops = stops.Union(owned.Uses.Where(u => !u.InNestedFunction && IsEndlessLoopOver(u.Reference)).Select(u => u.Reference.Syntax.Span));
        }

        if (somePaths && owned.Uses.Any(u => u.InNestedFunction && u.Kind is UseKind.Release or UseKind.UsingResource or UseKind.Moved)
            || !DisposalPaths.LeaksOnSomePath(graph(), local, stops))
        {
            return;
        }

        var properties = ImmutableDictionary<string, string?>.Empty.Add(KindKey, kind);
        string how, what, advice;
        if (kind == TickerKind)
        {
            (how, what, advice) = (somePaths ? TickerNotOnEveryPath : TickerNeverDisposed, TickerLeak, TickerAdvice);

            // using var disposes at the end of the block: right for a ticker read in this
            // function, wrong for one a lambda may still read after the block.
            if (declarator.Syntax.Parent is VariableDeclarationSyntax { Variables.Count: 1, Parent: LocalDeclarationStatementSyntax { Parent: BlockSyntax } }
                && !owned.Uses.Any(u => u.InNestedFunction || u.Kind == UseKind.Moved))
            {
                properties = properties.Add(UsingFixKey, "true");
            }
        }
        else
        {
            (how, what, advice) = (somePaths ? NotCompletedOnEveryPath : NeverCompleted, WriterLeak, WriterAdvice);
        }

        var location = declarator.Syntax is VariableDeclaratorSyntax syntax ? syntax.Identifier.GetLocation() : declarator.Syntax.GetLocation();
        context.ReportDiagnostic(Diagnostic.Create(Rule, location, properties, kind, local.Name, how, what, advice));
    }

    /// <summary>
    /// Whether <paramref name="reference"/> is the collection of a <c>foreach</c>/<c>await foreach</c>
    /// (directly, or through <c>WithCancellation</c>, <c>ConfigureAwait</c>, <c>AsAsyncEnumerable</c>)
    /// with no <c>break</c>, <c>return</c>, <c>throw</c>, <c>goto</c> or <c>yield</c> in its body:
    /// over a ticker, such a loop ends only by an exception.
    /// </summary>
    private static bool IsEndlessLoopOver(ILocalReferenceOperation reference)
    {
        IOperation current = reference;
        while (true)
        {
            while (current.Parent is IConversionOperation { IsImplicit: true })
            {
                current = current.Parent;
            }

            if (current.Parent is IInvocationOperation { TargetMethod.Name: "WithCancellation" or "ConfigureAwait" or "AsAsyncEnumerable" } view && view.Instance == current)
            {
                current = view;
                continue;
            }

            return current.Parent is IForEachLoopOperation loop && loop.Collection == current && !Loops.CanExitEarly(loop.Syntax);
        }
    }

    /// <summary>
    /// A receiver of a bounded or rendezvous channel created in this method, never disposed,
    /// read by a loop that can stop early (<c>break</c> out of it, <c>return</c>), while a
    /// producer the method starts (a lambda or local function) sends on the same channel in a
    /// loop with the blocking <c>Send</c>/<c>SendAsync</c> and no cancellation token. Once the
    /// reader stops, the producer waits in its next send for a reader that never comes: only
    /// disposing the last receiver makes that send fail. Every other undisposed receiver is
    /// left alone: a receiver read to the end, or whose producers are done, holds nothing.
    /// </summary>
    private static void AnalyzeReceiver(OperationBlockAnalysisContext context, IOperation root, ChannelLocal receiver, ImmutableArray<ChannelLocal> locals, LifecycleTypes types)
    {
        if (receiver.Channel is not IDeconstructionAssignmentOperation { Value: var factory }
            || ChannelLocals.Strip(factory) is not IInvocationOperation { TargetMethod.Name: "Bounded" or "Rendezvous" })
        {
            return;
        }

        var owned = OwnedLocal.Collect(receiver.Local, receiver.Declaration, root, OwnedLocal.IsDispose);
        if (owned.HasUnknownUse || owned.IsReleasedSomewhere)
        {
            return;
        }

        IForEachLoopOperation? stopping = null;
        foreach (var use in owned.Uses)
        {
            IOperation current = use.Reference;
            while (current.Parent is IConversionOperation { IsImplicit: true })
            {
                current = current.Parent;
            }

            if (current.Parent is IForEachLoopOperation loop && loop.Collection == current && CanStopEarly(loop))
            {
                stopping = loop;
                break;
            }
        }

        if (stopping is null || !locals.Any(s => s.IsSender && s.Channel == receiver.Channel && SendsInALoopOfAProducer(s, root)))
        {
            return;
        }

        var line = stopping.Syntax.GetLocation().GetLineSpan().StartLinePosition.Line + 1;
        var properties = ImmutableDictionary<string, string?>.Empty.Add(KindKey, ReceiverKind);
        context.ReportDiagnostic(Diagnostic.Create(
            Rule,
            receiver.Location,
            properties,
            ReceiverKind,
            receiver.Local.Name,
            $"never disposed, but the loop reading it on line {line} can stop early",
            "a producer blocked in its next Send never learns that nobody reads and waits forever",
            "dispose the receiver when reading stops (using), which makes the producer's sends fail"));
    }

    /// <summary>Whether the loop's own body (not a nested function) holds a <c>break</c> that leaves this loop, or a <c>return</c>.</summary>
    private static bool CanStopEarly(IForEachLoopOperation loop)
    {
        var pending = new Stack<IOperation>();
        pending.Push(loop.Body);
        while (pending.Count > 0)
        {
            var operation = pending.Pop();
            switch (operation)
            {
                case IAnonymousFunctionOperation or ILocalFunctionOperation:
                    continue;
                case IBranchOperation { BranchKind: BranchKind.Break } branch when SymbolEqualityComparer.Default.Equals(branch.Target, loop.ExitLabel):
                    return true;
                case IReturnOperation { Kind: OperationKind.Return or OperationKind.YieldBreak }:
                    return true;
            }

            foreach (var child in operation.ChildOperations)
            {
                pending.Push(child);
            }
        }

        return false;
    }

    /// <summary>
    /// Whether the sender (or a clone of it, a separate local of the same channel: the caller
    /// asks for each) is used by a lambda or local function of this method that calls the
    /// blocking <c>Send</c>/<c>SendAsync</c> on it inside a loop of that function, without a
    /// cancellation token (a token is the producer's other way out).
    /// </summary>
    private static bool SendsInALoopOfAProducer(ChannelLocal sender, IOperation root)
    {
        foreach (var found in LocalReferences.For(root).Of(sender.Local))
        {
            if (found.Function is not (IAnonymousFunctionOperation or ILocalFunctionOperation)
                || found.Reference.Parent is not IInvocationOperation { TargetMethod.Name: "Send" or "SendAsync" } send
                || send.Instance != found.Reference
                || send.Arguments.Any(a => a.Value.Type?.Name == "CancellationToken" && !a.IsImplicit && a.Value is not IDefaultValueOperation))
            {
                continue;
            }

            for (var current = send.Parent; current is not null && current != found.Function; current = current.Parent)
            {
                if (current is ILoopOperation)
                {
                    return true;
                }
            }
        }

        return false;
    }

    private static bool ReceiveLoopFollows(ChannelLocal sender, Dictionary<IOperation, int> lastReceiveLoop) =>
        lastReceiveLoop.TryGetValue(sender.Channel, out var start) && start > sender.Location.SourceSpan.Start;

    /// <summary>
    /// For each channel of the method, where the last loop reading one of its receivers
    /// starts: any foreach over the receiver (even one with a break: it may still wait for the
    /// end), and every other shape that reads to the end. A using declaration would dispose the
    /// sender at the end of its block; if such a loop follows in that block, the fix would turn
    /// this bug into CSA2003's. Found once per method: a method may report many senders.
    /// </summary>
    private static Dictionary<IOperation, int> LastReceiveLoops(IOperation root, ImmutableArray<ChannelLocal> locals, LifecycleTypes types)
    {
        var channelOf = new Dictionary<ILocalSymbol, IOperation>(SymbolEqualityComparer.Default);
        foreach (var local in locals)
        {
            if (!local.IsSender)
            {
                channelOf[local.Local] = local.Channel;
            }
        }

        var result = new Dictionary<IOperation, int>();
        foreach (var operation in root.Descendants())
        {
            ILocalReferenceOperation? receiver = null;
            var start = operation.Syntax.SpanStart;
            if (operation is IForEachLoopOperation loop && ChannelLocals.Strip(loop.Collection) is ILocalReferenceOperation collection)
            {
                receiver = collection;
            }
            else if (ReceiveLoops.TryMatch(operation, types, out var matched, out var statement))
            {
                receiver = matched;
                start = statement.SpanStart;
            }

            if (receiver is not null && channelOf.TryGetValue(receiver.Local, out var channel))
            {
                result[channel] = result.TryGetValue(channel, out var previous) ? Math.Max(previous, start) : start;
            }
        }

        return result;
    }
}
