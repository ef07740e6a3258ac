using System.Runtime.CompilerServices;

namespace ConcurrencySafety;

/// <summary>
/// A reader/writer lock that owns its data, like Rust's <c>RwLock&lt;T&gt;</c>: any number of
/// readers at once, or one writer.
/// </summary>
/// <typeparam name="T">The type of the protected data.</typeparam>
/// <remarks>
/// <para>Not strictly fair, like <see cref="Locked{T}"/>: an arriving reader or writer may take
/// the lock ahead of blocked waiters when it is free for it (barging). Once the oldest waiter
/// has waited more than about 1 ms, waiters are served in arrival order and newcomers queue
/// behind them: a writer waiting that long stops new readers from entering, so neither side
/// starves. Async waiters are always served in arrival order. (Internally a reader takes one
/// permit and a writer takes all of them from a weighted permit queue.)</para>
/// <para>Not re-entrant: upgrading a read guard to a write guard, or taking a second read
/// guard while a writer is queued, deadlocks. Readers get a read-only reference; do not
/// mutate through it (for example through a mutable reference type inside <typeparamref name="T"/>).</para>
/// </remarks>
public sealed class RwLocked<T>
{
    /// <summary>The permit count: the maximum number of simultaneous readers.</summary>
    internal const int MaxReaders = 1 << 30;

    private readonly PermitQueue _queue = new(MaxReaders, fair: false);

    /// <summary>Gets the permit queue behind the lock (tests check that failed waits leave nothing queued).</summary>
    internal PermitQueue Queue => _queue;
    private T _value;

    /// <summary>Creates the lock, owning <paramref name="value"/>.</summary>
    /// <param name="value">The initial data.</param>
    public RwLocked(T value) => _value = value;

    internal ref T ValueRef => ref _value;

    /// <summary>Acquires shared (read) access, blocking the thread.</summary>
    /// <param name="cancellationToken">Cancels the wait.</param>
    /// <returns>The read guard.</returns>
    /// <exception cref="OperationCanceledException">The wait was canceled, or the token was already canceled when the call started (then nothing is taken, even if it was free).</exception>
    public ReadGuard<T> Read(CancellationToken cancellationToken = default)
    {
        _queue.Take(1, Timeout.Infinite, cancellationToken, out Permit permit);
        return new ReadGuard<T>(this, permit);
    }

    /// <summary>Acquires exclusive (write) access, blocking the thread.</summary>
    /// <param name="cancellationToken">Cancels the wait.</param>
    /// <returns>The write guard.</returns>
    /// <exception cref="OperationCanceledException">The wait was canceled, or the token was already canceled when the call started (then nothing is taken, even if it was free).</exception>
    public WriteGuard<T> Write(CancellationToken cancellationToken = default)
    {
        _queue.Take(MaxReaders, Timeout.Infinite, cancellationToken, out Permit permit);
        return new WriteGuard<T>(this, permit);
    }

    /// <summary>Acquires read access if possible within <paramref name="timeout"/>.</summary>
    /// <param name="timeout">How long to wait; <see cref="TimeSpan.Zero"/> does not wait.</param>
    /// <param name="guard">The guard on success; a default (unusable) guard otherwise.</param>
    /// <returns>True if read access was acquired.</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="timeout"/> is out of range.</exception>
    public bool TryRead(TimeSpan timeout, out ReadGuard<T> guard)
    {
        bool ok = _queue.Take(1, Timeouts.ToMilliseconds(timeout, nameof(timeout)), default, out Permit permit);
        guard = ok ? new ReadGuard<T>(this, permit) : default;
        return ok;
    }

    /// <summary>Acquires write access if possible within <paramref name="timeout"/>.</summary>
    /// <param name="timeout">How long to wait; <see cref="TimeSpan.Zero"/> does not wait.</param>
    /// <param name="guard">The guard on success; a default (unusable) guard otherwise.</param>
    /// <returns>True if write access was acquired.</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="timeout"/> is out of range.</exception>
    public bool TryWrite(TimeSpan timeout, out WriteGuard<T> guard)
    {
        bool ok = _queue.Take(MaxReaders, Timeouts.ToMilliseconds(timeout, nameof(timeout)), default, out Permit permit);
        guard = ok ? new WriteGuard<T>(this, permit) : default;
        return ok;
    }

    /// <summary>Acquires read access, waiting asynchronously.</summary>
    /// <param name="cancellationToken">Cancels the wait.</param>
    /// <returns>The read guard; await the result exactly once.</returns>
    /// <exception cref="OperationCanceledException">The wait was canceled, or the token was already canceled when the call started (then nothing is taken, even if it was free).</exception>
    public ValueTask<ReadGuard<T>> ReadAsync(CancellationToken cancellationToken = default)
    {
        ValueTask<Permit> pending = _queue.TakeAsync(1, cancellationToken);
        if (pending.IsCompletedSuccessfully)
            return new ValueTask<ReadGuard<T>>(new ReadGuard<T>(this, pending.Result));
        return WaitReadAsync(pending);
    }

    /// <summary>Acquires write access, waiting asynchronously.</summary>
    /// <param name="cancellationToken">Cancels the wait.</param>
    /// <returns>The write guard; await the result exactly once.</returns>
    /// <exception cref="OperationCanceledException">The wait was canceled, or the token was already canceled when the call started (then nothing is taken, even if it was free).</exception>
    public ValueTask<WriteGuard<T>> WriteAsync(CancellationToken cancellationToken = default)
    {
        ValueTask<Permit> pending = _queue.TakeAsync(MaxReaders, cancellationToken);
        if (pending.IsCompletedSuccessfully)
            return new ValueTask<WriteGuard<T>>(new WriteGuard<T>(this, pending.Result));
        return WaitWriteAsync(pending);
    }

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    private async ValueTask<ReadGuard<T>> WaitReadAsync(ValueTask<Permit> pending)
        => new ReadGuard<T>(this, await pending.ConfigureAwait(false));

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    private async ValueTask<WriteGuard<T>> WaitWriteAsync(ValueTask<Permit> pending)
        => new WriteGuard<T>(this, await pending.ConfigureAwait(false));

    /// <summary>Returns a short description; it never reads the protected data.</summary>
    public override string ToString() => $"RwLocked<{typeof(T).Name}>";
}

/// <summary>Shared (read) access to the data of an <see cref="RwLocked{T}"/>; dispose to release.</summary>
/// <typeparam name="T">The type of the protected data.</typeparam>
public readonly struct ReadGuard<T> : IDisposable
{
    private readonly RwLocked<T>? _owner;
    private readonly Permit _permit;

    internal ReadGuard(RwLocked<T> owner, Permit permit)
    {
        _owner = owner;
        _permit = permit;
    }

    /// <summary>Gets a read-only reference to the protected data.</summary>
    /// <exception cref="ObjectDisposedException">The guard was disposed (or is a default guard).</exception>
    public ref readonly T Value
    {
        get
        {
            _permit.ThrowIfReleased(nameof(ReadGuard<T>));
            return ref _owner!.ValueRef;
        }
    }

    /// <summary>Gets a value indicating whether the guard still holds read access.</summary>
    public bool IsHeld => _permit.IsHeld;

    /// <summary>Releases read access. Disposing again does nothing.</summary>
    public void Dispose() => _permit.Dispose();
}

/// <summary>Exclusive (write) access to the data of an <see cref="RwLocked{T}"/>; dispose to release.</summary>
/// <typeparam name="T">The type of the protected data.</typeparam>
public readonly struct WriteGuard<T> : IDisposable
{
    private readonly RwLocked<T>? _owner;
    private readonly Permit _permit;

    internal WriteGuard(RwLocked<T> owner, Permit permit)
    {
        _owner = owner;
        _permit = permit;
    }

    /// <summary>Gets a reference to the protected data (assignable).</summary>
    /// <exception cref="ObjectDisposedException">The guard was disposed (or is a default guard).</exception>
    public ref T Value
    {
        get
        {
            _permit.ThrowIfReleased(nameof(WriteGuard<T>));
            return ref _owner!.ValueRef;
        }
    }

    /// <summary>Gets a value indicating whether the guard still holds write access.</summary>
    public bool IsHeld => _permit.IsHeld;

    /// <summary>Releases write access. Disposing again does nothing.</summary>
    public void Dispose() => _permit.Dispose();
}
