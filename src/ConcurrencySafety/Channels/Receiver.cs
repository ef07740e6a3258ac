using System.Collections;
using System.Runtime.CompilerServices;
using System.Threading.Channels;
using ConcurrencySafety.Channels;

namespace ConcurrencySafety;

/// <summary>
/// The receiving end of a channel. Owned: dispose it when you stop receiving. When the last
/// receiver (this one and all its clones) is disposed, senders are disconnected: a send fails
/// and gives its item back. Iterate it with <c>foreach</c> or <c>await foreach</c>; the loop
/// ends once every sender is disposed and the buffer is drained.
/// </summary>
/// <typeparam name="T">The element type.</typeparam>
/// <remarks>
/// <para>Thread-safe: any number of threads and tasks may receive from one receiver at once, in
/// blocking and async form; each item goes to exactly one of them. Every member except
/// <see cref="Dispose"/> throws <see cref="ObjectDisposedException"/> after disposal.</para>
/// <para>A receiver is an <see cref="IEnumerable{T}"/>, so LINQ to Objects works on it
/// (<c>rx.Take(3).ToList()</c>). <c>await foreach</c> works directly through
/// <see cref="GetAsyncEnumerator"/>; call <see cref="AsAsyncEnumerable"/> where an
/// <see cref="IAsyncEnumerable{T}"/> is needed. The receiver does not implement both
/// interfaces itself because .NET 10's async LINQ would then make every LINQ call on it
/// ambiguous.</para>
/// </remarks>
public sealed class Receiver<T> : IEnumerable<T>, IDisposable
{
    private int _disposed;

    internal Receiver(ChannelCore<T> core) => Core = core;

    /// <summary>Gets the shared channel state.</summary>
    internal ChannelCore<T> Core { get; }

    /// <summary>Gets the number of buffered items (always 0 for a rendezvous channel).</summary>
    public int Count
    {
        get
        {
            ThrowIfDisposed();
            return Core.Count;
        }
    }

    /// <summary>Gets the capacity: 0 for rendezvous, n for bounded, null for unbounded.</summary>
    public int? Capacity
    {
        get
        {
            ThrowIfDisposed();
            return Core.Capacity;
        }
    }

    /// <summary>Gets a value indicating whether nothing is buffered (always true for a rendezvous channel).</summary>
    public bool IsEmpty => Count == 0;

    /// <summary>Gets a value indicating whether the buffer is full (always true for a rendezvous channel, never for an unbounded one).</summary>
    public bool IsFull => Capacity is int capacity && Count >= capacity;

    /// <summary>Gets a value indicating whether every sender is gone. Buffered items can still be received.</summary>
    public bool IsClosed
    {
        get
        {
            ThrowIfDisposed();
            return Core.IsClosed;
        }
    }

    /// <summary>Receives an item, blocking until one arrives.</summary>
    /// <param name="cancellationToken">Cancels the wait; no item is taken then.</param>
    /// <returns>The item.</returns>
    /// <exception cref="ChannelDisconnectedException">Every sender is gone and the buffer is drained.</exception>
    /// <exception cref="OperationCanceledException">Cancelled before an item arrived, or the token was already cancelled when the call started (then nothing happens, even if the operation could complete at once).</exception>
    /// <exception cref="ObjectDisposedException">This handle was disposed, or another thread disposed it while this receive ran and no receiver of the channel is left (the receive can then never complete).</exception>
    public T Receive(CancellationToken cancellationToken = default)
    {
        ThrowIfDisposed();
        if (Core.Receive(out T item, Timeout.Infinite, cancellationToken) != ReceiveStatus.Received)
        {
            throw Disconnected();
        }

        return item;
    }

    /// <summary>Receives an item, waiting asynchronously until one arrives.</summary>
    /// <param name="cancellationToken">Cancels the wait; no item is taken then.</param>
    /// <returns>The item.</returns>
    /// <exception cref="ChannelDisconnectedException">Every sender is gone and the buffer is drained.</exception>
    /// <exception cref="OperationCanceledException">Cancelled before an item arrived, or the token was already cancelled when the call started (then nothing happens, even if the operation could complete at once).</exception>
    /// <exception cref="ObjectDisposedException">This handle was disposed, or another thread disposed it while this receive ran and no receiver of the channel is left (the receive can then never complete).</exception>
    public ValueTask<T> ReceiveAsync(CancellationToken cancellationToken = default)
    {
        ThrowIfDisposed();
        return Core.ReceiveDirectAsync(cancellationToken);
    }

    /// <summary>Receives an item if one is available at once, without waiting.</summary>
    /// <returns>Received (with the item), Empty or Disconnected.</returns>
    /// <exception cref="ObjectDisposedException">This handle was disposed.</exception>
    public ReceiveResult<T> TryReceive()
    {
        ThrowIfDisposed();
        var status = Core.TryReceive(out T item);
        return new ReceiveResult<T>(status, item);
    }

    /// <summary>Receives an item if one is available at once, without waiting.</summary>
    /// <param name="item">The item, or default.</param>
    /// <returns>true if an item was received; false if the channel was empty or disconnected.</returns>
    /// <exception cref="ObjectDisposedException">This handle was disposed.</exception>
    public bool TryReceive(out T item)
    {
        ThrowIfDisposed();
        return Core.TryReceive(out item) == ReceiveStatus.Received;
    }

    /// <summary>Receives an item, blocking for at most <paramref name="timeout"/>.</summary>
    /// <param name="timeout">How long to wait, rounded up to whole milliseconds (zero tries once); <see cref="Timeout.InfiniteTimeSpan"/> waits without limit (the Go <c>v, ok := &lt;-ch</c> form). Measured on the channel's clock.</param>
    /// <param name="cancellationToken">Cancels the wait; no item is taken then.</param>
    /// <returns>Received (with the item), Timeout or Disconnected.</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="timeout"/> is negative (other than <see cref="Timeout.InfiniteTimeSpan"/>).</exception>
    /// <exception cref="OperationCanceledException">Cancelled before an item arrived, or the token was already cancelled when the call started (then nothing happens, even if the operation could complete at once).</exception>
    /// <exception cref="ObjectDisposedException">This handle was disposed, or another thread disposed it while this receive ran and no receiver of the channel is left (the receive can then never complete).</exception>
    public ReceiveResult<T> TryReceive(TimeSpan timeout, CancellationToken cancellationToken = default)
    {
        ThrowIfDisposed();
        long ms = Timeouts.ToMilliseconds(timeout, nameof(timeout));
        var status = Core.Receive(out T item, ms, cancellationToken);
        return new ReceiveResult<T>(status, item);
    }

    /// <summary>Receives an item, blocking until <paramref name="deadline"/> at the latest (a past deadline tries once).</summary>
    /// <param name="deadline">The instant after which to give up, on the channel's clock (<see cref="ChanOptions.TimeProvider"/>, the system clock by default).</param>
    /// <param name="cancellationToken">Cancels the wait; no item is taken then.</param>
    /// <returns>Received (with the item), Timeout or Disconnected.</returns>
    /// <exception cref="OperationCanceledException">Cancelled before an item arrived, or the token was already cancelled when the call started (then nothing happens, even if the operation could complete at once).</exception>
    /// <exception cref="ObjectDisposedException">This handle was disposed, or another thread disposed it while this receive ran and no receiver of the channel is left (the receive can then never complete).</exception>
    public ReceiveResult<T> TryReceiveUntil(DateTimeOffset deadline, CancellationToken cancellationToken = default)
    {
        ThrowIfDisposed();
        var status = Core.Receive(out T item, Timeouts.FromDeadline(deadline, Core.Time), cancellationToken);
        return new ReceiveResult<T>(status, item);
    }

    /// <summary>Receives an item, waiting asynchronously for at most <paramref name="timeout"/>.</summary>
    /// <param name="timeout">How long to wait, rounded up to whole milliseconds (zero tries once); <see cref="Timeout.InfiniteTimeSpan"/> waits without limit. Measured on the channel's clock.</param>
    /// <param name="cancellationToken">Cancels the wait; no item is taken then.</param>
    /// <returns>Received (with the item), Timeout or Disconnected.</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="timeout"/> is negative (other than <see cref="Timeout.InfiniteTimeSpan"/>).</exception>
    /// <exception cref="OperationCanceledException">Cancelled before an item arrived, or the token was already cancelled when the call started (then nothing happens, even if the operation could complete at once).</exception>
    /// <exception cref="ObjectDisposedException">This handle was disposed, or another thread disposed it while this receive ran and no receiver of the channel is left (the receive can then never complete).</exception>
    public ValueTask<ReceiveResult<T>> TryReceiveAsync(TimeSpan timeout, CancellationToken cancellationToken = default)
    {
        ThrowIfDisposed();
        long ms = Timeouts.ToMilliseconds(timeout, nameof(timeout));
        return Core.ReceiveAsync(ms, cancellationToken);
    }

    /// <summary>Receives an item, waiting asynchronously until <paramref name="deadline"/> at the latest.</summary>
    /// <param name="deadline">The instant after which to give up, on the channel's clock (<see cref="ChanOptions.TimeProvider"/>, the system clock by default).</param>
    /// <param name="cancellationToken">Cancels the wait; no item is taken then.</param>
    /// <returns>Received (with the item), Timeout or Disconnected.</returns>
    /// <exception cref="OperationCanceledException">Cancelled before an item arrived, or the token was already cancelled when the call started (then nothing happens, even if the operation could complete at once).</exception>
    /// <exception cref="ObjectDisposedException">This handle was disposed, or another thread disposed it while this receive ran and no receiver of the channel is left (the receive can then never complete).</exception>
    public ValueTask<ReceiveResult<T>> TryReceiveUntilAsync(DateTimeOffset deadline, CancellationToken cancellationToken = default)
    {
        ThrowIfDisposed();
        return Core.ReceiveAsync(Timeouts.FromDeadline(deadline, Core.Time), cancellationToken);
    }

    /// <summary>Makes another receiver of the same channel. Senders are disconnected only when every clone is disposed.</summary>
    /// <returns>A new, independently owned receiver.</returns>
    /// <exception cref="ObjectDisposedException">This handle was disposed.</exception>
    public Receiver<T> Clone()
    {
        ThrowIfDisposed();
        Core.AddReceiver();
        return new Receiver<T>(Core);
    }

    /// <summary>Gets a <see cref="ChannelReader{T}"/> view for APIs that expect one. It reads through this receiver, which stays owned by the caller.</summary>
    /// <returns>A reader over this receiver.</returns>
    /// <exception cref="ObjectDisposedException">This handle was disposed.</exception>
    public ChannelReader<T> AsChannelReader()
    {
        ThrowIfDisposed();
        return new ReceiverChannelReader<T>(this);
    }

    /// <summary>Iterates by blocking receives until every sender is gone and the buffer is drained.</summary>
    /// <returns>An enumerator; each item is taken from the channel as it is enumerated.</returns>
    /// <exception cref="ObjectDisposedException">This handle was disposed.</exception>
    public IEnumerator<T> GetEnumerator()
    {
        ThrowIfDisposed();
        return Iterate();
    }

    private IEnumerator<T> Iterate()
    {
        while (true)
        {
            ThrowIfDisposed();
            if (Core.Receive(out T item, Timeout.Infinite, default) != ReceiveStatus.Received)
            {
                yield break;
            }

            yield return item;
        }
    }

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();

    /// <summary>Gets an <see cref="IAsyncEnumerable{T}"/> view that receives asynchronously until every sender is gone and the buffer is drained.</summary>
    /// <returns>An async sequence over this receiver (each item is taken from the channel as it is enumerated).</returns>
    /// <exception cref="ObjectDisposedException">This handle was disposed.</exception>
    public IAsyncEnumerable<T> AsAsyncEnumerable()
    {
        ThrowIfDisposed();
        return new AsyncView(this);
    }

    /// <summary>Iterates asynchronously with a cancellation token: <c>await foreach (var x in rx.WithCancellation(ct))</c>.</summary>
    /// <param name="cancellationToken">Cancels the iteration (the current wait throws <see cref="OperationCanceledException"/>).</param>
    /// <returns>An awaitable sequence over this receiver.</returns>
    /// <exception cref="ObjectDisposedException">This handle was disposed.</exception>
    public ConfiguredCancelableAsyncEnumerable<T> WithCancellation(CancellationToken cancellationToken) =>
        AsAsyncEnumerable().WithCancellation(cancellationToken);

    /// <summary>Iterates by asynchronous receives until every sender is gone and the buffer is drained.</summary>
    /// <param name="cancellationToken">Cancels the iteration (the current wait throws <see cref="OperationCanceledException"/>).</param>
    /// <returns>An async enumerator; each item is taken from the channel as it is enumerated.</returns>
    /// <exception cref="ObjectDisposedException">This handle was disposed.</exception>
    public IAsyncEnumerator<T> GetAsyncEnumerator(CancellationToken cancellationToken = default)
    {
        ThrowIfDisposed();
        return IterateAsync(cancellationToken);
    }

    private sealed class AsyncView(Receiver<T> receiver) : IAsyncEnumerable<T>
    {
        public IAsyncEnumerator<T> GetAsyncEnumerator(CancellationToken cancellationToken = default) =>
            receiver.GetAsyncEnumerator(cancellationToken);
    }

    private async IAsyncEnumerator<T> IterateAsync(CancellationToken cancellationToken)
    {
        while (true)
        {
            ThrowIfDisposed();
            var result = await Core.ReceiveAsync(Timeout.Infinite, cancellationToken).ConfigureAwait(false);
            if (!result.IsReceived)
            {
                yield break;
            }

            yield return result.Value;
        }
    }

    /// <summary>Releases this handle. The last receiver to go disconnects every sender. Idempotent.</summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 0)
        {
            Core.ReleaseReceiver();
        }
    }

    /// <inheritdoc/>
    public override string ToString() =>
        $"Receiver<{typeof(T).Name}> (capacity {Core.Capacity?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "unbounded"}{(Volatile.Read(ref _disposed) != 0 ? ", disposed" : string.Empty)})";

    /// <summary>Gets a value indicating whether this receiver was disposed (select checks it on every select without throwing first).</summary>
    internal bool IsDisposed => Volatile.Read(ref _disposed) != 0;

    internal void ThrowIfDisposed()
    {
        if (Volatile.Read(ref _disposed) != 0)
        {
            ThrowDisposed();
        }
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void ThrowDisposed() =>
        throw new ObjectDisposedException(typeof(Receiver<T>).FullName, "This receiver was disposed. Clone a receiver before disposing it if another consumer still needs one.");

    private static ChannelDisconnectedException Disconnected() => ChannelErrors.ReceiveDisconnected();
}
