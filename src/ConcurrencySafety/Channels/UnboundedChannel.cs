// The list flavour (unbounded): the same stamped ring as the array flavour (SlotRing.cs), grown
// without limit. Sends never wait (they fail only when every receiver is gone); receivers wait
// when it is empty. Memory grows with the backlog, which is why the analyzers suggest a bounded
// channel (CSA2006).
//
// Fast path: a send claims the tail and a receive the head, each with one CAS, with no lock on
// either path. While a receiver (or an interop watcher) waits the ring is frozen, so a send
// takes the lock and hands its item to that receiver (ChannelCore.cs); there is never a waiting
// sender. Once every receiver is gone the ring stays frozen, so a send reports Disconnected.
//
// Why a growable ring and not crossbeam's linked blocks (flavors/list.rs): a linked list of
// blocks allocates a block every few dozen messages for ever, and a garbage collector must then
// trace and free them; the ring reaches its working size once and then moves every message
// with 0 bytes allocated. The price is the growth itself: when a send finds the ring full, it
// copies the ring into one twice the size under the channel lock (amortised O(1) per message,
// rare once the backlog has peaked). A grown ring does not shrink.
namespace ConcurrencySafety.Channels;

/// <summary>A channel whose buffer grows without limit: the list flavour.</summary>
internal sealed class UnboundedChannel<T> : ChannelCore<T>
{
    /// <summary>The ring size a channel starts with.</summary>
    private const int InitialRing = 32;

    /// <summary>The current ring. Replaced (by a bigger one) only under the channel lock, with the old one frozen.</summary>
    private SlotRing<T> _ring = new(InitialRing, frozen: false);

    /// <summary>Creates an unbounded channel; see <see cref="ChanOptions"/> for the flag.</summary>
    public UnboundedChannel(bool allowSynchronousContinuations = false)
        : base(allowSynchronousContinuations)
    {
    }

    /// <inheritdoc/>
    public override int? Capacity => null;

    /// <inheritdoc/>
    private protected override FastPath TrySendFast(T item)
    {
        var result = Volatile.Read(ref _ring).TryPush(item);
        return result == FastPath.WouldBlock ? FastPath.Slow : result; // full: grow under the lock
    }

    /// <inheritdoc/>
    private protected override FastPath TryReceiveFast(out T item) => Volatile.Read(ref _ring).TryPop(out item);

    /// <inheritdoc/>
    private protected override void Freeze() => _ring.Freeze();

    /// <inheritdoc/>
    private protected override void Thaw() => _ring.Thaw();

    /// <inheritdoc/>
    private protected override bool IsFrozen => Volatile.Read(ref _ring).IsFrozen;

    /// <inheritdoc/>
    private protected override int BufferCount => _ring.Count;

    /// <inheritdoc/>
    private protected override bool TryBuffer(T item)
    {
        var ring = _ring;
        if (ring.LockedPush(item))
        {
            return true;
        }

        if (ring.Capacity == Array.MaxLength)
        {
            throw new InvalidOperationException($"The unbounded channel holds {Array.MaxLength} items, the most one buffer can hold. Use a bounded channel, whose senders wait for the receivers.");
        }

        // Grow, as the array flavour does (BoundedChannel.TryBuffer).
        var bigger = new SlotRing<T>((int)Math.Min(ring.Capacity * 2L, Array.MaxLength), frozen: true);
        ring.MoveAllTo(bigger);
        Volatile.Write(ref _ring, bigger);
        bool stored = bigger.LockedPush(item);
        Debug.Assert(stored, "a grown ring has room");
        return stored;
    }

    /// <inheritdoc/>
    private protected override bool TryUnbuffer(out T item) => _ring.LockedPop(out item);

    /// <inheritdoc/>
    private protected override void ClearBuffer()
    {
        while (_ring.LockedPop(out _))
        {
        }
    }

    /// <inheritdoc/>
    private protected override bool HasRoom() => true;

    /// <inheritdoc/>
    private protected override bool MayHaveItems => Volatile.Read(ref _ring).Count > 0;

    /// <inheritdoc/>
    private protected override bool MayHaveRoom => true;
}
