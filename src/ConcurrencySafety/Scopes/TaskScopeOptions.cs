namespace ConcurrencySafety;

/// <summary>Options of a <see cref="TaskScope"/>.</summary>
public sealed class TaskScopeOptions
{
    /// <summary>
    /// Gets the maximum number of children running at once (Go's <c>errgroup.SetLimit</c>),
    /// or <see langword="null"/> for no limit. Must be at least 1.
    /// </summary>
    /// <remarks>
    /// With a limit, <see cref="TaskScope.Spawn(Func{CancellationToken, Task})"/> never blocks:
    /// a child that finds no free slot is queued (FIFO) and starts when one frees up.
    /// <see cref="TaskScope.SpawnAsync(Func{CancellationToken, Task})"/> instead waits
    /// asynchronously for a slot before it returns, which gives backpressure to a producer
    /// loop. Queued children count as live: the scope waits for them.
    /// </remarks>
    public int? MaxConcurrency { get; init; }
}
