// The zero flavour (rendezvous, capacity 0): there is no buffer at all. An item moves only when
// a sender and a receiver meet: whichever arrives second finds the other in its wait queue,
// claims it (one CAS on the waiter's state, so a select arm is won at most once), writes the
// item into the node or takes it from it, and wakes it after releasing the channel lock (the
// hand-over protocol of ChannelCore.cs). A send therefore completes only once a receiver has
// taken the item.
//
// There is no lock-free fast path: every operation either hands over (which needs the wait
// queue, hence the lock) or finds nobody and waits or reports Full/Empty. So the fast paths
// always defer to the lock and the flavour counts as permanently frozen.
namespace ConcurrencySafety.Channels;

/// <summary>A channel with no buffer: every send waits for a receiver.</summary>
internal sealed class RendezvousChannel<T> : ChannelCore<T>
{
    /// <summary>Creates a rendezvous channel; see <see cref="ChanOptions"/> for the flag.</summary>
    public RendezvousChannel(bool allowSynchronousContinuations = false)
        : base(allowSynchronousContinuations)
    {
    }

    /// <inheritdoc/>
    public override int? Capacity => 0;

    /// <inheritdoc/>
    private protected override FastPath TrySendFast(T item) => FastPath.Slow;

    /// <inheritdoc/>
    private protected override FastPath TryReceiveFast(out T item)
    {
        item = default!;
        return FastPath.Slow;
    }

    /// <inheritdoc/>
    /// <remarks>The same answer as <see cref="TrySendFast"/>: there is no buffer to probe.</remarks>
    private protected override FastPath TrySendFastLoose(T item) => FastPath.Slow;

    /// <inheritdoc/>
    /// <remarks>The same answer as <see cref="TryReceiveFast"/>: there is no buffer to probe.</remarks>
    private protected override FastPath TryReceiveFastLoose(out T item)
    {
        item = default!;
        return FastPath.Slow;
    }

    /// <inheritdoc/>
    private protected override void Freeze()
    {
    }

    /// <inheritdoc/>
    private protected override void Thaw()
    {
    }

    /// <inheritdoc/>
    private protected override bool IsFrozen => true;

    /// <inheritdoc/>
    private protected override int BufferCount => 0;

    /// <inheritdoc/>
    /// <remarks>Nothing is ever buffered: an item is handed over or stays with its sender.</remarks>
    private protected override bool TryCountUnlocked(out int count)
    {
        count = 0;
        return true;
    }

    /// <inheritdoc/>
    private protected override bool TryBuffer(T item) => false;

    /// <inheritdoc/>
    private protected override bool TryUnbuffer(out T item)
    {
        item = default!;
        return false;
    }

    /// <inheritdoc/>
    private protected override void ClearBuffer()
    {
    }

    /// <inheritdoc/>
    private protected override bool HasRoom() => false;

    /// <inheritdoc/>
    private protected override bool MayHaveItems => false;

    /// <inheritdoc/>
    private protected override bool MayHaveRoom => false;
}
