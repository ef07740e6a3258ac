namespace ConcurrencySafety;

/// <summary>
/// A counting semaphore that hands out <see cref="Permit"/>s: permits are given back by
/// disposing them, so they cannot be released twice or without being acquired.
/// </summary>
/// <remarks>
/// <para>Waiters are served in strict FIFO order, both blocking and asynchronous ones.
/// Weighted requests (several permits at once, like Go's <c>semaphore.Weighted</c>) take their
/// turn in the same queue: a request never overtakes an earlier one, so a large request is
/// not starved by a stream of small ones (it holds them back until enough permits are
/// free).</para>
/// <para>Acquiring without waiting allocates nothing; waiting asynchronously allocates nothing
/// in the steady state either (waiter nodes are pooled and are their own
/// <see cref="ValueTask{TResult}"/> source). Await each returned <see cref="ValueTask{TResult}"/>
/// exactly once.</para>
/// <example>
/// <code>
/// var downloads = new PermitSemaphore(4);
/// using (await downloads.AcquireAsync(ct))
/// {
///     await DownloadAsync(url, ct); // at most 4 at once
/// }
/// </code>
/// </example>
/// </remarks>
public sealed class PermitSemaphore
{
    private readonly PermitQueue _queue;

    /// <summary>Gets the permit queue behind the semaphore (for tests).</summary>
    internal PermitQueue Queue => _queue;

    /// <summary>Creates a semaphore with <paramref name="permits"/> permits, all available.</summary>
    /// <param name="permits">The total number of permits; at least 1.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="permits"/> is less than 1.</exception>
    public PermitSemaphore(int permits)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(permits, 1);
        _queue = new PermitQueue(permits);
    }

    /// <summary>Gets the total number of permits.</summary>
    public int Capacity => _queue.Capacity;

    /// <summary>Gets a snapshot of the number of permits not currently held.</summary>
    public int Available => _queue.Available;

    /// <summary>Gets a snapshot of the number of queued (waiting) requests.</summary>
    public int WaitingCount => _queue.Queued;

    /// <summary>Acquires one permit, waiting asynchronously (FIFO) if none is free.</summary>
    /// <param name="cancellationToken">Cancels the wait; the permit is then not taken.</param>
    /// <returns>The permit; dispose it to release.</returns>
    /// <exception cref="OperationCanceledException">The wait was canceled, or the token was already canceled when the call started (then nothing is taken, even if it was free).</exception>
    public ValueTask<Permit> AcquireAsync(CancellationToken cancellationToken = default)
        => _queue.TakeAsync(1, cancellationToken);

    /// <summary>Acquires <paramref name="weight"/> permits at once, waiting asynchronously (FIFO).</summary>
    /// <param name="weight">Number of permits, from 1 to <see cref="Capacity"/>.</param>
    /// <param name="cancellationToken">Cancels the wait; no permit is then taken.</param>
    /// <returns>The permits; dispose them to release all of them.</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="weight"/> is below 1 or above <see cref="Capacity"/>.</exception>
    /// <exception cref="OperationCanceledException">The wait was canceled, or the token was already canceled when the call started (then nothing is taken, even if it was free).</exception>
    public ValueTask<Permit> AcquireAsync(int weight, CancellationToken cancellationToken = default)
    {
        CheckWeight(weight);
        return _queue.TakeAsync(weight, cancellationToken);
    }

    /// <summary>Acquires one permit, blocking the thread (FIFO) if none is free.</summary>
    /// <param name="cancellationToken">Cancels the wait.</param>
    /// <returns>The permit; dispose it to release.</returns>
    /// <exception cref="OperationCanceledException">The wait was canceled, or the token was already canceled when the call started (then nothing is taken, even if it was free).</exception>
    public Permit Acquire(CancellationToken cancellationToken = default)
    {
        _queue.Take(1, Timeout.Infinite, cancellationToken, out Permit permit);
        return permit;
    }

    /// <summary>Acquires <paramref name="weight"/> permits at once, blocking the thread (FIFO).</summary>
    /// <param name="weight">Number of permits, from 1 to <see cref="Capacity"/>.</param>
    /// <param name="cancellationToken">Cancels the wait.</param>
    /// <returns>The permits; dispose them to release all of them.</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="weight"/> is below 1 or above <see cref="Capacity"/>.</exception>
    /// <exception cref="OperationCanceledException">The wait was canceled, or the token was already canceled when the call started (then nothing is taken, even if it was free).</exception>
    public Permit Acquire(int weight, CancellationToken cancellationToken = default)
    {
        CheckWeight(weight);
        _queue.Take(weight, Timeout.Infinite, cancellationToken, out Permit permit);
        return permit;
    }

    /// <summary>Acquires one permit if one is free right now, without waiting.</summary>
    /// <param name="permit">The permit on success; a default permit otherwise.</param>
    /// <returns>True if the permit was acquired.</returns>
    public bool TryAcquire(out Permit permit) => _queue.TryTake(1, out permit);

    /// <summary>Acquires one permit, blocking for at most <paramref name="timeout"/>.</summary>
    /// <param name="timeout">How long to wait; <see cref="TimeSpan.Zero"/> does not wait,
    /// <see cref="Timeout.InfiniteTimeSpan"/> waits forever.</param>
    /// <param name="permit">The permit on success; a default permit otherwise.</param>
    /// <returns>True if the permit was acquired, false on timeout.</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="timeout"/> is negative (other than infinite) or too large.</exception>
    public bool TryAcquire(TimeSpan timeout, out Permit permit)
        => _queue.Take(1, Timeouts.ToMilliseconds(timeout, nameof(timeout)), default, out permit);

    /// <summary>Acquires <paramref name="weight"/> permits, blocking for at most <paramref name="timeout"/>.</summary>
    /// <param name="weight">Number of permits, from 1 to <see cref="Capacity"/>.</param>
    /// <param name="timeout">How long to wait; <see cref="TimeSpan.Zero"/> does not wait.</param>
    /// <param name="permit">The permits on success; a default permit otherwise.</param>
    /// <returns>True if the permits were acquired, false on timeout.</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="weight"/> or <paramref name="timeout"/> is out of range.</exception>
    public bool TryAcquire(int weight, TimeSpan timeout, out Permit permit)
    {
        CheckWeight(weight);
        return _queue.Take(weight, Timeouts.ToMilliseconds(timeout, nameof(timeout)), default, out permit);
    }

    private void CheckWeight(int weight)
    {
        if (weight < 1 || weight > _queue.Capacity)
            throw new ArgumentOutOfRangeException(nameof(weight), weight,
                $"The weight must be between 1 and the semaphore's capacity ({_queue.Capacity}); a larger request could never be granted.");
    }
}
