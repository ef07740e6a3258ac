using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Operations;

namespace ConcurrencySafety.Analyzers.Infrastructure;

/// <summary>How the work started by a call relates to the code that started it.</summary>
internal enum StartKind
{
    /// <summary>Starts now and runs beside the caller until joined (Task.Run, spawn, ThreadPool).</summary>
    Immediate,

    /// <summary>Created now, started by a later <c>Start()</c> (new Thread, new Task).</summary>
    OnStart,

    /// <summary>Runs during the call only; the call itself is the join (Parallel.For, PLINQ).</summary>
    Synchronous,
}

/// <summary>One delegate argument of a call that runs it concurrently.</summary>
internal sealed class ConcurrentCall
{
    public ConcurrentCall(IOperation call, IOperation delegateValue, bool several, StartKind start, string displayName)
    {
        Call = call;
        DelegateValue = delegateValue;
        MayRunAsSeveralInstances = several;
        Start = start;
        DisplayName = displayName;
    }

    /// <summary>The invocation or object creation.</summary>
    public IOperation Call { get; }

    /// <summary>The delegate argument (a lambda, local function or delegate local).</summary>
    public IOperation DelegateValue { get; }

    /// <summary>Whether the body may run as several instances at once by itself (Parallel, PLINQ).</summary>
    public bool MayRunAsSeveralInstances { get; }

    public StartKind Start { get; }

    /// <summary>A short name for messages: <c>Task.Run</c>, <c>Parallel.For</c>, <c>new Thread</c>.</summary>
    public string DisplayName { get; }

    /// <summary>
    /// The body starts on the caller's thread and runs beside it only after its first await:
    /// an async method invoked without awaiting it, or an async lambda projected by <c>Select</c>.
    /// </summary>
    public bool IsAsyncStart { get; set; }

    /// <summary>
    /// The operation messages name when it is not <see cref="Call"/>: the <c>Select</c> of a lazy
    /// query whose lambdas start where the query is enumerated (the call).
    /// </summary>
    public IOperation? LineOf { get; set; }

    /// <summary>The line of the call (or of <see cref="LineOf"/>), for messages (1-based).</summary>
    public int Line => (LineOf ?? Call).Syntax.GetLocation().GetLineSpan().StartLinePosition.Line + 1;
}
