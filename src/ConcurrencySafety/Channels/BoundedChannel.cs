// Bounded flavour: a ring buffer of at most `capacity` items. Senders wait when it is full;
// a receiver that frees a slot moves the oldest waiting sender's item into it (ChannelCore),
// which keeps blocked senders in FIFO order.
namespace ConcurrencySafety.Channels;

/// <summary>A channel that buffers up to a fixed number of items.</summary>
internal sealed class BoundedChannel<T> : ChannelCore<T>
{
    /// <summary>Creates a bounded channel of <paramref name="capacity"/> (at least 1); see <see cref="ChanOptions"/> for the flag.</summary>
    /// <remarks>The ring buffer starts small and grows on demand, so a huge capacity costs no memory up front.</remarks>
    public BoundedChannel(int capacity, bool allowSynchronousContinuations = false)
        : base(capacity, initialBufferSize: Math.Min(capacity, 64), allowSynchronousContinuations)
    {
        Debug.Assert(capacity >= 1);
    }
}
