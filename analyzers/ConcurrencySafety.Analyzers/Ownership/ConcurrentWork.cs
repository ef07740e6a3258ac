using System.Collections.Immutable;
using System.Threading;
using ConcurrencySafety.Analyzers.Infrastructure;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Operations;

namespace ConcurrencySafety.Analyzers.Ownership;

/// <summary>
/// The ownership rules' one view of "concurrent work that may still run": an adapter over the
/// race engine's <see cref="ConcurrencyModel"/>, the one model per member that the race rules
/// share (<see cref="RaceEngine.ModelFor"/>), with its happens-before regions on the control-flow
/// graph. It is the only place in <c>Ownership/</c> that depends on <c>Infrastructure</c>. The questions it answers are the ones CSA2014 asks: which bodies run
/// concurrently, whether one runs as several instances sharing a given local, and whether one
/// may still be running at a given operation of the code around it.
/// </summary>
internal sealed class ConcurrentWork
{
    private ConcurrentWork(ImmutableArray<RunningBody> bodies, bool synchronizesByHand)
    {
        Bodies = bodies;
        SynchronizesByHand = synchronizesByHand;
    }

    /// <summary>
    /// The member uses monitors, semaphores, events or BCL channels: it may join work by hand
    /// (a signal the body sets), which the model's regions do not see.
    /// </summary>
    public bool SynchronizesByHand { get; }

    /// <summary>The concurrent bodies started in the member.</summary>
    public ImmutableArray<RunningBody> Bodies { get; }

    /// <summary>Builds the view for one member; null when it starts no concurrent work (or the compilation cannot).</summary>
    public static ConcurrentWork? Build(ImmutableArray<IOperation> blocks, Compilation compilation, AnalyzerOptions options, CancellationToken cancellationToken)
    {
        var types = WellKnownTypes.TryCreate(compilation);
        if (types is null || blocks.IsEmpty)
        {
            return null;
        }

        var model = RaceEngine.For(compilation, types, options).ModelFor(
            blocks,
            () =>
            {
                var concurrency = ConcurrencyOptions.Get(options, blocks[0].Syntax.SyntaxTree);
                var calls = new List<ConcurrentCall>();
                foreach (var block in blocks)
                {
                    foreach (var operation in block.DescendantsAndSelf())
                    {
                        switch (operation)
                        {
                            case IInvocationOperation invocation:
                                ConcurrentCallFinder.Find(invocation, types, concurrency, calls);
                                break;
                            case IObjectCreationOperation creation:
                                ConcurrentCallFinder.Find(creation, types, calls);
                                break;
                        }
                    }
                }

                calls.Sort(static (a, b) => a.Call.Syntax.SpanStart.CompareTo(b.Call.Syntax.SpanStart));
                return calls;
            },
            cancellationToken);
        if (model is null)
        {
            return null;
        }

        // Only bodies written in this member (lambdas, local functions) can capture its handles;
        // a body started through a method group is another member's code.
        var bodies = model.Bodies.Where(static b => b.Function is not null).Select(static b => new RunningBody(b)).ToImmutableArray();
        return bodies.IsEmpty ? null : new ConcurrentWork(bodies, model.SynchronizesByHand);
    }

    /// <summary>The innermost body whose function contains <paramref name="operation"/>, or null for the code that starts them.</summary>
    public RunningBody? InnermostBody(IOperation operation)
    {
        RunningBody? best = null;
        foreach (var body in Bodies)
        {
            if (body.Contains(operation) && (best is null || best.Length > body.Length))
            {
                best = body;
            }
        }

        return best;
    }
}

/// <summary>One concurrent body, as the ownership rules see it.</summary>
internal sealed class RunningBody
{
    private readonly ConcurrentBody _body;

    public RunningBody(ConcurrentBody body) => _body = body;

    /// <summary>The lambda, anonymous method or local function that runs concurrently.</summary>
    public IOperation Function => _body.Function!;

    /// <summary>The call that starts it (<c>Task.Run</c>, <c>scope.Spawn</c>, <c>new Thread</c>, ...).</summary>
    public IOperation StartingCall => _body.Call.Call;

    /// <summary>A short name of the starting call for messages.</summary>
    public string StartedBy => _body.Call.DisplayName;

    internal int Length => _body.Syntax.Span.Length;

    /// <summary>The body uses monitors, semaphores, events or BCL channels (it may signal its own completion).</summary>
    public bool SynchronizesByHand => _body.SynchronizesByHand;

    /// <summary>
    /// The task or thread of the starting call is dropped or discarded (<c>_ = Task.Run(...)</c>):
    /// nothing joins it that the model can see (CSA2001 and CSA2009 report that).
    /// </summary>
    public bool IsFireAndForget
    {
        get
        {
            var call = _body.Call.Call;
            return call.Parent is IExpressionStatementOperation
                || call.Parent is ISimpleAssignmentOperation { Target: IDiscardOperation } discard && discard.Value == call;
        }
    }

    /// <summary>Whether <paramref name="operation"/> is part of this body (or of a function nested in it).</summary>
    public bool Contains(IOperation operation) => _body.Contains(operation.Syntax);

    /// <summary>Whether <paramref name="other"/> is nested inside this body.</summary>
    public bool Encloses(RunningBody other) => other != this && _body.Contains(other._body.Syntax);

    /// <summary>
    /// Whether several instances of this body may run at once and all see the same
    /// <paramref name="local"/>: the call runs it as several instances (<c>Parallel.For</c>),
    /// the same body is started more than once, or it is started in a loop that the local is
    /// declared outside of (a local declared inside the loop is a fresh one per instance).
    /// </summary>
    public bool SharesAcrossInstances(ILocalSymbol local) => _body.RunsAsSeveral(local);

    /// <summary>Whether this body may still be running when the starting code reaches <paramref name="operation"/> (reachable from the start without a join, on the control-flow graph).</summary>
    public bool MayStillRunAt(IOperation operation) => _body.Region.Contains(operation.Syntax, operation.Syntax.SpanStart, variable: null);

    /// <summary>Whether this body may still be running when the starting code reaches the end of <paramref name="scope"/>.</summary>
    public bool MayStillRunAtEndOf(SyntaxNode scope) => _body.Region.ContainsEndOf(scope);

    /// <summary>Whether this body may still be running while <paramref name="other"/> starts, or the reverse.</summary>
    public bool OverlapsWith(RunningBody other) =>
        _body.Region.Contains(other._body.Call.Call.Syntax, other._body.Call.Call.Syntax.SpanStart, variable: null)
        || other._body.Region.Contains(_body.Call.Call.Syntax, _body.Call.Call.Syntax.SpanStart, variable: null)
        || (_body.Call.Start == StartKind.Synchronous && _body.Call.Call == other._body.Call.Call);
}
