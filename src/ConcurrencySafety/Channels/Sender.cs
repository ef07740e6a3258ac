using System.Runtime.CompilerServices;
using System.Threading.Channels;
using ConcurrencySafety.Channels;

namespace ConcurrencySafety;

/// <summary>
/// The sending end of a channel. Owned: dispose it when you are done sending. When the last
/// sender of a channel (this one and all its clones) is disposed, the channel closes: receivers
/// drain what is buffered and then see "disconnected", so a receiving loop ends instead of
/// hanging. Clone it to give another producer its own handle.
/// </summary>
/// <typeparam name="T">The element type.</typeparam>
/// <remarks>
/// Thread-safe: any number of threads and tasks may use one sender at once, in blocking and
/// async form. Every member except <see cref="Dispose"/> throws <see cref="ObjectDisposedException"/>
/// after disposal.
/// </remarks>
public sealed class Sender<T> : IDisposable
{
    private int _disposed;

    internal Sender(ChannelCore<T> core) => Core = core;

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

    /// <summary>Gets a value indicating whether every receiver is gone: nothing sent now can ever be received.</summary>
    public bool IsDisconnected
    {
        get
        {
            ThrowIfDisposed();
            return Core.IsReceiverGone;
        }
    }

    /// <summary>Sends an item, blocking while the channel is full (for a rendezvous channel, until a receiver takes it).</summary>
    /// <param name="item">The item.</param>
    /// <param name="cancellationToken">Cancels the wait; the item is then not sent.</param>
    /// <exception cref="ChannelDisconnectedException">Every receiver is gone.</exception>
    /// <exception cref="OperationCanceledException">Cancelled before the item was sent, or the token was already cancelled when the call started (then nothing happens, even if the operation could complete at once).</exception>
    /// <exception cref="ObjectDisposedException">This handle was disposed, or another thread disposed it while this send ran and no sender of the channel is left (the send can then never complete).</exception>
    public void Send(T item, CancellationToken cancellationToken = default)
    {
        ThrowIfDisposed();
        if (Core.Send(item, Timeout.Infinite, cancellationToken) != SendStatus.Sent)
        {
            throw Disconnected();
        }
    }

    /// <summary>Sends an item, waiting asynchronously while the channel is full.</summary>
    /// <param name="item">The item.</param>
    /// <param name="cancellationToken">Cancels the wait; the item is then not sent.</param>
    /// <returns>A task that completes once the item is sent.</returns>
    /// <exception cref="ChannelDisconnectedException">Every receiver is gone.</exception>
    /// <exception cref="OperationCanceledException">Cancelled before the item was sent, or the token was already cancelled when the call started (then nothing happens, even if the operation could complete at once).</exception>
    /// <exception cref="ObjectDisposedException">This handle was disposed, or another thread disposed it while this send ran and no sender of the channel is left (the send can then never complete).</exception>
    public ValueTask SendAsync(T item, CancellationToken cancellationToken = default)
    {
        ThrowIfDisposed();
        return Core.SendDirectAsync(item, cancellationToken);
    }

    /// <summary>Sends an item if that is possible at once, without waiting.</summary>
    /// <param name="item">The item.</param>
    /// <returns>Sent, Full or Disconnected; the item comes back when not sent.</returns>
    /// <exception cref="ObjectDisposedException">This handle was disposed.</exception>
    public SendResult<T> TrySend(T item)
    {
        ThrowIfDisposed();
        return new SendResult<T>(Core.TrySend(item), item);
    }

    /// <summary>Sends an item, blocking for at most <paramref name="timeout"/>.</summary>
    /// <param name="item">The item.</param>
    /// <param name="timeout">How long to wait, rounded up to whole milliseconds (zero tries once); <see cref="Timeout.InfiniteTimeSpan"/> waits without limit. Measured on the channel's clock.</param>
    /// <param name="cancellationToken">Cancels the wait; the item is then not sent.</param>
    /// <returns>Sent, Timeout or Disconnected; the item comes back when not sent.</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="timeout"/> is negative (other than <see cref="Timeout.InfiniteTimeSpan"/>).</exception>
    /// <exception cref="OperationCanceledException">Cancelled before the item was sent, or the token was already cancelled when the call started (then nothing happens, even if the operation could complete at once).</exception>
    /// <exception cref="ObjectDisposedException">This handle was disposed, or another thread disposed it while this send ran and no sender of the channel is left (the send can then never complete).</exception>
    public SendResult<T> TrySend(T item, TimeSpan timeout, CancellationToken cancellationToken = default)
    {
        ThrowIfDisposed();
        long ms = Timeouts.ToMilliseconds(timeout, nameof(timeout));
        return new SendResult<T>(Core.Send(item, ms, cancellationToken), item);
    }

    /// <summary>Sends an item, blocking until <paramref name="deadline"/> at the latest (a past deadline tries once).</summary>
    /// <param name="item">The item.</param>
    /// <param name="deadline">The instant after which to give up, on the channel's clock (<see cref="ChanOptions.TimeProvider"/>, the system clock by default).</param>
    /// <param name="cancellationToken">Cancels the wait; the item is then not sent.</param>
    /// <returns>Sent, Timeout or Disconnected; the item comes back when not sent.</returns>
    /// <exception cref="OperationCanceledException">Cancelled before the item was sent, or the token was already cancelled when the call started (then nothing happens, even if the operation could complete at once).</exception>
    /// <exception cref="ObjectDisposedException">This handle was disposed, or another thread disposed it while this send ran and no sender of the channel is left (the send can then never complete).</exception>
    public SendResult<T> TrySendUntil(T item, DateTimeOffset deadline, CancellationToken cancellationToken = default)
    {
        ThrowIfDisposed();
        return new SendResult<T>(Core.Send(item, Timeouts.FromDeadline(deadline, Core.Time), cancellationToken), item);
    }

    /// <summary>Sends an item, waiting asynchronously for at most <paramref name="timeout"/>.</summary>
    /// <param name="item">The item.</param>
    /// <param name="timeout">How long to wait, rounded up to whole milliseconds (zero tries once); <see cref="Timeout.InfiniteTimeSpan"/> waits without limit. Measured on the channel's clock.</param>
    /// <param name="cancellationToken">Cancels the wait; the item is then not sent.</param>
    /// <returns>Sent, Timeout or Disconnected; the item comes back when not sent.</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="timeout"/> is negative (other than <see cref="Timeout.InfiniteTimeSpan"/>).</exception>
    /// <exception cref="OperationCanceledException">Cancelled before the item was sent, or the token was already cancelled when the call started (then nothing happens, even if the operation could complete at once).</exception>
    /// <exception cref="ObjectDisposedException">This handle was disposed, or another thread disposed it while this send ran and no sender of the channel is left (the send can then never complete).</exception>
    public ValueTask<SendResult<T>> TrySendAsync(T item, TimeSpan timeout, CancellationToken cancellationToken = default)
    {
        ThrowIfDisposed();
        long ms = Timeouts.ToMilliseconds(timeout, nameof(timeout));
        return WithItem(Core.SendAsync(item, ms, cancellationToken), item);
    }

    /// <summary>Sends an item, waiting asynchronously until <paramref name="deadline"/> at the latest.</summary>
    /// <param name="item">The item.</param>
    /// <param name="deadline">The instant after which to give up, on the channel's clock (<see cref="ChanOptions.TimeProvider"/>, the system clock by default).</param>
    /// <param name="cancellationToken">Cancels the wait; the item is then not sent.</param>
    /// <returns>Sent, Timeout or Disconnected; the item comes back when not sent.</returns>
    /// <exception cref="OperationCanceledException">Cancelled before the item was sent, or the token was already cancelled when the call started (then nothing happens, even if the operation could complete at once).</exception>
    /// <exception cref="ObjectDisposedException">This handle was disposed, or another thread disposed it while this send ran and no sender of the channel is left (the send can then never complete).</exception>
    public ValueTask<SendResult<T>> TrySendUntilAsync(T item, DateTimeOffset deadline, CancellationToken cancellationToken = default)
    {
        ThrowIfDisposed();
        return WithItem(Core.SendAsync(item, Timeouts.FromDeadline(deadline, Core.Time), cancellationToken), item);
    }

    private static ValueTask<SendResult<T>> WithItem(ValueTask<SendStatus> pending, T item)
    {
        if (pending.IsCompletedSuccessfully)
        {
            return new ValueTask<SendResult<T>>(new SendResult<T>(pending.Result, item));
        }

        return Await(pending, item);

        [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
        static async ValueTask<SendResult<T>> Await(ValueTask<SendStatus> pending, T item) =>
            new SendResult<T>(await pending.ConfigureAwait(false), item);
    }

    /// <summary>Makes another sender of the same channel. The channel closes only when every clone is disposed.</summary>
    /// <returns>A new, independently owned sender.</returns>
    /// <exception cref="ObjectDisposedException">This handle was disposed.</exception>
    public Sender<T> Clone()
    {
        ThrowIfDisposed();
        Core.AddSender();
        return new Sender<T>(Core);
    }

    /// <summary>
    /// Gets a <see cref="ChannelWriter{T}"/> view for APIs that expect one. The writer owns a
    /// clone of this sender: <c>TryComplete</c>/<c>Complete</c> on the writer disposes that
    /// clone (the channel closes once this sender and all others are disposed too).
    /// </summary>
    /// <returns>A writer over a clone of this sender.</returns>
    /// <exception cref="ObjectDisposedException">This handle was disposed.</exception>
    public ChannelWriter<T> AsChannelWriter() => new SenderChannelWriter<T>(Clone());

    /// <summary>Releases this handle. The last sender to go closes the channel. Idempotent.</summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 0)
        {
            Core.ReleaseSender();
        }
    }

    /// <inheritdoc/>
    public override string ToString() =>
        $"Sender<{typeof(T).Name}> (capacity {Core.Capacity?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "unbounded"}{(Volatile.Read(ref _disposed) != 0 ? ", disposed" : string.Empty)})";

    /// <summary>Gets a value indicating whether this sender was disposed (select checks it on every select without throwing first).</summary>
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
        throw new ObjectDisposedException(typeof(Sender<T>).FullName, "This sender was disposed. Clone a sender before disposing it if another producer still needs one.");

    private static ChannelDisconnectedException Disconnected() => ChannelErrors.SendDisconnected();
}
