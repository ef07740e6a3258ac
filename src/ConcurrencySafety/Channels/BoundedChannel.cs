// The array flavour (bounded, capacity >= 1): a stamped ring of slots (SlotRing.cs, Vyukov's
// bounded queue in crossbeam-channel's encoding) with lock-free send and receive claims.
//
// Fast path: a send claims the tail with one CAS and a receive claims the head with one CAS;
// neither takes the channel lock, and neither touches a wait queue: the claim itself fails
// while the ring is frozen, which it is whenever any waiter is registered (ChannelCore.cs).
// A send that finds the ring full and a receive that finds it empty answer Full/Empty on the
// spot when the ring was not frozen (no waiter existed to hand to), and otherwise take the lock.
//
// Slow path: ChannelCore's locked protocol, with the ring frozen. Blocked senders stay in
// strict FIFO order, as before: while one waits, the ring is frozen, so a newcomer cannot claim
// a freed slot ahead of it; a receiver that frees a slot moves the oldest waiting sender's item
// into it. The cost of that choice is that while senders wait (the buffer is full), every
// operation takes the lock, as every operation did before this flavour existed; the lock-free
// path is the steady state of a channel that is neither full with blocked senders nor empty
// with blocked receivers. (Letting a newcomer overtake a blocked sender would keep the fast
// path open while senders wait, as crossbeam does; it was not taken: the contract promises
// FIFO for blocked senders, and docs/channels.md says so.)
//
// Memory: the ring starts at min(capacity, 64) slots and grows fourfold under the lock, up to
// the capacity, when a send finds it full below the capacity; so Chan.Bounded(int.MaxValue) costs
// nothing up front. A grown ring never shrinks. The replaced ring stays frozen forever, so a
// fast operation still holding it fails its claim and retries through the lock.
using System.Runtime.CompilerServices;

namespace ConcurrencySafety.Channels;

/// <summary>A channel that buffers up to a fixed number of items: the array flavour.</summary>
internal sealed class BoundedChannel<T> : ChannelCore<T>
{
    /// <summary>The ring size a channel starts with (or its capacity, if smaller).</summary>
    private const int InitialRing = 64;

    /// <summary>How many times bigger a grown ring is than the one it replaces (see <see cref="TryBuffer"/>).</summary>
    private const long GrowthFactor = 4;

    /// <summary>The most items the channel may hold.</summary>
    private readonly int _capacity;

    /// <summary>
    /// The largest ring this channel may grow to: its capacity, or the longest array the
    /// runtime allows (a little under 2^31), whichever is smaller. A channel whose capacity is
    /// above that limit is full at the limit: one ring cannot hold more.
    /// </summary>
    private readonly int _largestRing;

    /// <summary>The current ring. Replaced (by a bigger one) only under the channel lock, with the old one frozen.</summary>
    private SlotRing<T> _ring;

    /// <summary>Creates a bounded channel of <paramref name="capacity"/> (at least 1); see <see cref="ChanOptions"/> for the flag.</summary>
    public BoundedChannel(int capacity, bool allowSynchronousContinuations = false)
        : base(allowSynchronousContinuations)
    {
        Debug.Assert(capacity >= 1);
        _capacity = capacity;
        _largestRing = Math.Min(capacity, Array.MaxLength);
        _ring = new SlotRing<T>(Math.Min(capacity, InitialRing), frozen: false);
    }

    /// <inheritdoc/>
    public override int? Capacity => _capacity;

    /// <inheritdoc/>
    internal override bool SpinsBeforeRegistering => true;

    /// <inheritdoc/>
    private protected override FastPath TrySendFast(T item) => Push(item, exact: true);

    /// <inheritdoc/>
    private protected override FastPath TrySendFastLoose(T item) => Push(item, exact: false);

    /// <inheritdoc/>
    private protected override FastPath TryReceiveFast(out T item) => Volatile.Read(ref _ring).TryPop(out item, exact: true);

    /// <inheritdoc/>
    private protected override FastPath TryReceiveFastLoose(out T item) => Volatile.Read(ref _ring).TryPop(out item, exact: false);

    /// <summary>One fast send on the current ring (see <see cref="SlotRing{T}.TryPush"/> for <paramref name="exact"/>).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private FastPath Push(T item, bool exact)
    {
        var ring = Volatile.Read(ref _ring);
        var result = ring.TryPush(item, exact);

        // A full ring below the capacity is not a full channel: the locked path grows it.
        return result == FastPath.WouldBlock && ring.Capacity < _largestRing ? FastPath.Slow : result;
    }

    /// <inheritdoc/>
    private protected override void Freeze() => _ring.Freeze();

    /// <inheritdoc/>
    private protected override void Thaw() => _ring.Thaw();

    /// <inheritdoc/>
    private protected override bool IsFrozen => Volatile.Read(ref _ring).IsFrozen;

    /// <inheritdoc/>
    private protected override int BufferCount => _ring.Count;

    /// <inheritdoc/>
    /// <remarks>
    /// One ring, read once, unfrozen before and after its snapshot (SlotRing.TrySnapshotCount:
    /// both ends at the instant of the head read). A ring that was replaced meanwhile stays
    /// frozen for good, so the second check sends the caller to the lock rather than answer from
    /// a ring whose items moved to its successor; a freeze and thaw in between (a locked
    /// operation that was not a growth) leaves the snapshot the true count at the instant of its
    /// head read, which is during the call.
    /// </remarks>
    private protected override bool TryCountUnlocked(out int count)
    {
        var ring = Volatile.Read(ref _ring);
        if (ring.IsFrozen)
        {
            count = 0;
            return false;
        }

        return ring.TrySnapshotCount(out count) && !ring.IsFrozen;
    }

    /// <inheritdoc/>
    private protected override bool TryBuffer(T item)
    {
        var ring = _ring;
        if (ring.LockedPush(item))
        {
            return true;
        }

        if (ring.Capacity == _largestRing)
        {
            return false; // the channel is full
        }

        // Grow: copy into a ring four times the size (at most the capacity). The new ring is
        // frozen like the old one, since we are inside a locked region; the old one is never
        // thawed. Why four: a channel filled from 64 slots to 10^6 copies each item about 1/3
        // of a time on average (twice: about once) and allocates 1.33 times the final ring
        // (twice: 2 times); `seq_ns` measured 10^6 sends and receives on a new bounded(10^6) at
        // about 50 ns per item with doubling, 36-45 with quadrupling, 35-40 with the whole ring
        // allocated up front (crossbeam-channel, which allocates up front: 35.5), in one run.
        var bigger = new SlotRing<T>(ring, (int)Math.Min(ring.Capacity * GrowthFactor, _largestRing));
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
    private protected override bool HasRoom() => _ring.Count < _largestRing;

    /// <inheritdoc/>
    private protected override bool MayHaveItems => Volatile.Read(ref _ring).Count > 0;

    /// <inheritdoc/>
    private protected override bool MayHaveRoom => Volatile.Read(ref _ring).Count < _largestRing;
}
