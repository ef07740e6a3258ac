// Rendezvous (capacity 0) flavour: there is no buffer at all. An item moves only when a sender
// and a receiver meet: whichever arrives second finds the other in its wait queue, claims it
// and completes the hand-over under the channel lock (see ChannelCore). A send therefore
// completes only once a receiver has taken the item.
namespace ConcurrencySafety.Channels;

/// <summary>A channel with no buffer: every send waits for a receiver.</summary>
internal sealed class RendezvousChannel<T> : ChannelCore<T>
{
    /// <summary>Creates a rendezvous channel (its buffer stays empty and minimal); see <see cref="ChanOptions"/> for the flag.</summary>
    public RendezvousChannel(bool allowSynchronousContinuations = false)
        : base(capacity: 0, initialBufferSize: 0, allowSynchronousContinuations)
    {
    }
}
