// Rendezvous (capacity 0) flavour: there is no buffer at all. An item moves only when a sender
// and a receiver meet: whichever arrives second finds the other in its wait queue, claims it
// and completes the hand-over under the channel lock (see ChannelCore). A send therefore
// completes only once a receiver has taken the item.
namespace ConcurrencySafety.Channels;

/// <summary>A channel with no buffer: every send waits for a receiver.</summary>
internal sealed class RendezvousChannel<T> : ChannelCore<T>
{
    /// <inheritdoc/>
    public override int? Capacity => 0;

    private protected override int BufferCount => 0;

    private protected override bool TryBuffer(T item) => false;

    private protected override bool TryUnbuffer(out T item)
    {
        item = default!;
        return false;
    }

    private protected override void ClearBuffer()
    {
    }
}
