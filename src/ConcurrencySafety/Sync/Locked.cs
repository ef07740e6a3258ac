using System.Runtime.CompilerServices;

namespace ConcurrencySafety;

/// <summary>
/// A value that can only be reached while holding its lock, like Rust's <c>Mutex&lt;T&gt;</c>:
/// <c>using (var g = counter.Lock()) g.Value++;</c>.
/// </summary>
/// <typeparam name="T">The type of the protected data.</typeparam>
/// <remarks>
/// <para>The lock is not strictly fair: like Go's <c>sync.Mutex</c>, an arriving thread may take
/// a free lock before a waiting one (barging, which avoids lock convoys), but once the oldest
/// waiter has waited more than about 1 ms, releases hand the lock to waiters in arrival order
/// and newcomers queue behind them, so no waiter starves. Async waiters are always handed the
/// lock in arrival order. docs/scopes.md has the measurements.</para>
/// <para>The lock can be acquired blocking (<see cref="Lock"/>), with a
/// timeout (<see cref="TryLock(TimeSpan, out LockGuard{T})"/>) or asynchronously
/// (<see cref="LockAsync"/>); a guard may be released on another thread than the one that
/// acquired it, so holding it across <c>await</c> is allowed.</para>
/// <para>The lock is not re-entrant: locking again while holding a guard deadlocks (or, with
/// <c>TryLock</c>, times out). Do not let a reference obtained through
/// <see cref="LockGuard{T}.Value"/> escape the guarded block; the ConcurrencySafety analyzers
/// report it (CSA2011), and a blocking <see cref="Lock"/> held across <c>await</c> (CSA2013).</para>
/// </remarks>
public sealed class Locked<T>
{
    private readonly PermitQueue _queue = new(1, fair: false);

    /// <summary>Gets the permit queue behind the lock (tests check that failed waits leave nothing queued).</summary>
    internal PermitQueue Queue => _queue;
    private T _value;

    /// <summary>Creates the lock, owning <paramref name="value"/>.</summary>
    /// <param name="value">The initial data. Do not keep other references to mutable data passed here.</param>
    public Locked(T value) => _value = value;

    internal ref T ValueRef => ref _value;

    /// <summary>Acquires the lock, blocking the thread (a newcomer may barge ahead of waiters, but no waiter starves; see the class remarks).</summary>
    /// <param name="cancellationToken">Cancels the wait.</param>
    /// <returns>The guard; the data is reachable through it until it is disposed.</returns>
    /// <exception cref="OperationCanceledException">The wait was canceled, or the token was already canceled when the call started (then nothing is taken, even if it was free).</exception>
    public LockGuard<T> Lock(CancellationToken cancellationToken = default)
    {
        _queue.Take(1, Timeout.Infinite, cancellationToken, out Permit permit);
        return new LockGuard<T>(this, permit);
    }

    /// <summary>Acquires the lock if it becomes free within <paramref name="timeout"/>.</summary>
    /// <param name="timeout">How long to wait; <see cref="TimeSpan.Zero"/> does not wait.</param>
    /// <param name="guard">The guard on success; a default (unusable) guard otherwise.</param>
    /// <returns>True if the lock was acquired.</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="timeout"/> is negative (other than infinite) or too large.</exception>
    public bool TryLock(TimeSpan timeout, out LockGuard<T> guard)
    {
        bool ok = _queue.Take(1, Timeouts.ToMilliseconds(timeout, nameof(timeout)), default, out Permit permit);
        guard = ok ? new LockGuard<T>(this, permit) : default;
        return ok;
    }

    /// <summary>Acquires the lock, waiting asynchronously; queued async waiters are handed the lock in arrival order.</summary>
    /// <param name="cancellationToken">Cancels the wait.</param>
    /// <returns>The guard; await the result exactly once.</returns>
    /// <exception cref="OperationCanceledException">The wait was canceled, or the token was already canceled when the call started (then nothing is taken, even if it was free).</exception>
    public ValueTask<LockGuard<T>> LockAsync(CancellationToken cancellationToken = default)
    {
        ValueTask<Permit> pending = _queue.TakeAsync(1, cancellationToken);
        if (pending.IsCompletedSuccessfully)
            return new ValueTask<LockGuard<T>>(new LockGuard<T>(this, pending.Result));
        return WaitAsync(pending);
    }

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    private async ValueTask<LockGuard<T>> WaitAsync(ValueTask<Permit> pending)
        => new LockGuard<T>(this, await pending.ConfigureAwait(false));

    /// <summary>Returns a short description; it never reads the protected data.</summary>
    public override string ToString() => $"Locked<{typeof(T).Name}>";
}

/// <summary>
/// Exclusive access to the data of a <see cref="Locked{T}"/>. Dispose it to release the lock;
/// after that, <see cref="Value"/> throws <see cref="ObjectDisposedException"/> (also on
/// copies of the guard).
/// </summary>
/// <typeparam name="T">The type of the protected data.</typeparam>
public readonly struct LockGuard<T> : IDisposable
{
    private readonly Locked<T>? _owner;
    private readonly Permit _permit;

    internal LockGuard(Locked<T> owner, Permit permit)
    {
        _owner = owner;
        _permit = permit;
    }

    /// <summary>Gets a reference to the protected data (assignable: <c>g.Value++</c>).</summary>
    /// <exception cref="ObjectDisposedException">The guard was disposed (or is a default guard).</exception>
    public ref T Value
    {
        get
        {
            _permit.ThrowIfReleased(nameof(LockGuard<T>));
            return ref _owner!.ValueRef;
        }
    }

    /// <summary>Gets a value indicating whether the guard still holds the lock.</summary>
    public bool IsHeld => _permit.IsHeld;

    /// <summary>Releases the lock. Disposing again does nothing.</summary>
    public void Dispose() => _permit.Dispose();
}
