using ConcurrencySafety.Channels;

namespace ConcurrencySafety;

/// <summary>
/// Creates channels with owned handles. Each factory returns a <see cref="Sender{T}"/> and a
/// <see cref="Receiver{T}"/>: dispose every sender and the channel closes (receivers drain it
/// and then their loops end); dispose every receiver and senders are disconnected.
/// </summary>
/// <example>
/// <code>
/// var (tx, rx) = Chan.Bounded&lt;int&gt;(16);
/// var producer = Task.Run(() => { using (tx) { for (int i = 0; i &lt; 10; i++) tx.Send(i); } });
/// foreach (int x in rx) Console.WriteLine(x); // ends when tx is disposed and the buffer drained
/// await producer;
/// </code>
/// </example>
public static class Chan
{
    /// <summary>Creates a channel that buffers up to <paramref name="capacity"/> items; 0 makes a rendezvous channel.</summary>
    /// <typeparam name="T">The element type.</typeparam>
    /// <param name="capacity">The buffer size, 0 or more. With 0, a send completes only when a receiver takes the item. The buffer grows on demand, so a large capacity costs nothing up front; it holds at most <see cref="Array.MaxLength"/> items, whatever the capacity.</param>
    /// <returns>The sender and the receiver.</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="capacity"/> is negative.</exception>
    public static (Sender<T> Sender, Receiver<T> Receiver) Bounded<T>(int capacity) => Bounded<T>(capacity, ChanOptions.Default);

    /// <summary>Creates a channel that buffers up to <paramref name="capacity"/> items, with <paramref name="options"/>; 0 makes a rendezvous channel.</summary>
    /// <typeparam name="T">The element type.</typeparam>
    /// <param name="capacity">The buffer size, 0 or more. With 0, a send completes only when a receiver takes the item. The buffer grows on demand, so a large capacity costs nothing up front; it holds at most <see cref="Array.MaxLength"/> items, whatever the capacity.</param>
    /// <param name="options">How the channel wakes waiting parties and which clock its timeouts use; see <see cref="ChanOptions"/>.</param>
    /// <returns>The sender and the receiver.</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="capacity"/> is negative.</exception>
    /// <exception cref="ArgumentNullException"><paramref name="options"/> is null.</exception>
    public static (Sender<T> Sender, Receiver<T> Receiver) Bounded<T>(int capacity, ChanOptions options)
    {
        if (capacity < 0)
        {
            throw new ArgumentOutOfRangeException(nameof(capacity), capacity, "The capacity must be 0 (rendezvous) or more. Use Chan.Unbounded for a channel without a limit.");
        }

        ArgumentNullException.ThrowIfNull(options);
        bool inline = options.AllowSynchronousContinuations;
        return capacity == 0 ? Pair(new RendezvousChannel<T>(inline), options) : Pair(new BoundedChannel<T>(capacity, inline), options);
    }

    /// <summary>Creates a rendezvous channel (capacity 0): a send completes only when a receiver takes the item.</summary>
    /// <typeparam name="T">The element type.</typeparam>
    /// <returns>The sender and the receiver.</returns>
    public static (Sender<T> Sender, Receiver<T> Receiver) Rendezvous<T>() => Pair(new RendezvousChannel<T>());

    /// <summary>Creates a rendezvous channel (capacity 0) with <paramref name="options"/>.</summary>
    /// <typeparam name="T">The element type.</typeparam>
    /// <param name="options">How the channel wakes waiting parties and which clock its timeouts use; see <see cref="ChanOptions"/>.</param>
    /// <returns>The sender and the receiver.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="options"/> is null.</exception>
    public static (Sender<T> Sender, Receiver<T> Receiver) Rendezvous<T>(ChanOptions options) => Bounded<T>(0, options);

    /// <summary>Creates a channel whose buffer grows without limit: sends never wait. Prefer a bounded channel, which gives backpressure.</summary>
    /// <typeparam name="T">The element type.</typeparam>
    /// <returns>The sender and the receiver.</returns>
    public static (Sender<T> Sender, Receiver<T> Receiver) Unbounded<T>() => Pair(new UnboundedChannel<T>());

    /// <summary>Creates a channel whose buffer grows without limit, with <paramref name="options"/>.</summary>
    /// <typeparam name="T">The element type.</typeparam>
    /// <param name="options">How the channel wakes waiting parties and which clock its timeouts use; see <see cref="ChanOptions"/>.</param>
    /// <returns>The sender and the receiver.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="options"/> is null.</exception>
    public static (Sender<T> Sender, Receiver<T> Receiver) Unbounded<T>(ChanOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        return Pair(new UnboundedChannel<T>(options.AllowSynchronousContinuations), options);
    }

    /// <summary>
    /// Creates a receiver that delivers the current time once, after <paramref name="delay"/>
    /// (Go's <c>time.After</c>). It never closes, so in a select it fires exactly once.
    /// Disposing it stops the timer.
    /// </summary>
    /// <param name="delay">How long until the delivery; zero or positive, rounded up to whole milliseconds. Any length works, also past the 49.7 days one system timer takes.</param>
    /// <param name="timeProvider">The clock; <see cref="TimeProvider.System"/> when null. Tests pass a fake one.</param>
    /// <returns>A receiver of one timestamp.</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="delay"/> is negative or infinite.</exception>
    public static Receiver<DateTimeOffset> After(TimeSpan delay, TimeProvider? timeProvider = null)
    {
        if (delay < TimeSpan.Zero)
        {
            throw new ArgumentOutOfRangeException(nameof(delay), delay, "The delay must be zero or positive. Use Chan.Never for a channel that never delivers.");
        }

        return TimerChannel.Start(delay, Timeout.InfiniteTimeSpan, timeProvider ?? TimeProvider.System);
    }

    /// <summary>
    /// Creates a receiver that delivers the current time every <paramref name="period"/> (Go's
    /// <c>time.Tick</c>). It holds at most one pending tick: a slow receiver misses ticks rather
    /// than seeing a backlog. Disposing it stops the timer.
    /// </summary>
    /// <param name="period">The interval between ticks; positive, rounded up to whole milliseconds (so a period below 1 ms ticks every millisecond). Any length works, also past the 49.7 days one system timer takes.</param>
    /// <param name="timeProvider">The clock; <see cref="TimeProvider.System"/> when null. Tests pass a fake one.</param>
    /// <returns>A receiver of timestamps.</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="period"/> is zero, negative or infinite.</exception>
    public static Receiver<DateTimeOffset> Tick(TimeSpan period, TimeProvider? timeProvider = null)
    {
        if (period <= TimeSpan.Zero)
        {
            throw new ArgumentOutOfRangeException(nameof(period), period, "The tick period must be positive.");
        }

        return TimerChannel.Start(period, period, timeProvider ?? TimeProvider.System);
    }

    /// <summary>Creates a receiver that never delivers and never closes: a select arm that is never chosen (Go's nil channel).</summary>
    /// <typeparam name="T">The element type.</typeparam>
    /// <returns>A receiver that waits forever.</returns>
    public static Receiver<T> Never<T>()
    {
        // The channel keeps its initial sender count of 1 without any sender handle, so it can
        // never close.
        return new Receiver<T>(new RendezvousChannel<T>());
    }

    private static (Sender<T>, Receiver<T>) Pair<T>(ChannelCore<T> core) => (new Sender<T>(core), new Receiver<T>(core));

    private static (Sender<T>, Receiver<T>) Pair<T>(ChannelCore<T> core, ChanOptions options)
    {
        core.Time = options.TimeProvider ?? TimeProvider.System; // before any handle exists
        return Pair(core);
    }
}
