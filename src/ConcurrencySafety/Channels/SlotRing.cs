// The stamped ring of slots behind the array (bounded) flavour (the list flavour has its own blocks: UnboundedChannel.cs).
//
// Algorithm: Dmitry Vyukov's bounded MPMC queue, in the lap-and-index encoding of
// crossbeam-channel's flavors/array.rs, plus one bit that freezes both ends.
//
// A position is one 64-bit word: `lap * OneLap + index`, with index < Capacity. Every slot
// carries a stamp that says which position it is ready for:
// - stamp == p        the slot is empty and waits for the send at position p;
// - stamp == p + 1    the slot holds the item sent at position p, ready for the receive at p;
// - a receive at p leaves stamp p + OneLap: empty, for the send one lap later.
// A sender reads the tail, checks the slot's stamp and claims the position with one
// compare-and-swap on the tail; it then writes the item and publishes it by writing the stamp
// (release). A receiver does the same on the head. Neither end ever takes a lock.
//
// The frozen bit (Mark, between the index bits and the lap bits) is what lets the channel's
// waiter protocol coexist with these lock-free fast paths. A claim compares the whole word, so
// while the bit is set on an end no fast claim on that end can succeed: the caller sees the bit
// and takes the channel lock instead. The channel sets the bit on both ends (Freeze, under its
// lock) before it looks at the buffer in a locked region, and clears it (Thaw) only when no
// waiter of any kind is registered. So:
// - "is anyone waiting?" costs nothing extra: it is the same load, and the same CAS, that claims
//   the position; there is no separate flag to order against the slot writes;
// - a fast claim that succeeds happens at an instant when no waiter was registered, so it does
//   exactly what the locked algorithm would have done (buffer the item, or take the oldest
//   one), with nobody to hand over to and nobody to wake;
// - a locked region runs with both ends frozen, so the buffer can only change under the lock.
//   The one exception is an operation that claimed its position just before the freeze and has
//   not yet written its stamp: the locked side waits for that stamp (a few instructions away,
//   unless the thread was preempted right there, in which case it yields until it runs again).
//
// A ring that grows (the channel copies it into a bigger one under its lock) stays frozen
// forever: a fast operation that still holds the old ring fails its claim and retries through
// the lock, which reads the current ring.
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace ConcurrencySafety.Channels;

/// <summary>What a lock-free fast path found.</summary>
internal enum FastPath : byte
{
    /// <summary>The operation completed.</summary>
    Done,

    /// <summary>
    /// The ring was full (for a send) or empty (for a receive) at one instant while no waiter was
    /// registered. From the loose answers (TryPush/TryPop with exact: false): full or empty, or
    /// about to stop being so (a partner is between its claim and its release).
    /// </summary>
    WouldBlock,

    /// <summary>The ring is frozen (a waiter may exist, the channel is disconnected, or the ring was replaced): use the locked path.</summary>
    Slow,
}

/// <summary>The head and tail positions of a <see cref="SlotRing{T}"/>, each on its own cache line.</summary>
/// <remarks>
/// Senders write the tail and receivers the head; on one cache line every operation of one side
/// would invalidate the other side's line. 128 bytes, not 64, because neighbouring lines are
/// fetched in pairs on common x64 and ARM64 parts. Not nested in the generic ring: the runtime
/// refuses explicit layout on generic types.
/// </remarks>
[StructLayout(LayoutKind.Explicit, Size = 3 * PaddedPositions.LineBytes)]
internal struct PaddedPositions
{
    /// <summary>The padding between the fields and around them.</summary>
    internal const int LineBytes = 128;

    /// <summary>The next position to receive from (with <see cref="SlotRing{T}"/>'s frozen bit).</summary>
    [FieldOffset(LineBytes)]
    internal long Head;

    /// <summary>The next position to send to (with the frozen bit).</summary>
    [FieldOffset(2 * LineBytes)]
    internal long Tail;
}

/// <summary>A fixed-size ring of stamped slots with lock-free send and receive claims and a frozen bit (see the file header).</summary>
internal sealed class SlotRing<T>
{
    /// <summary>One slot: its stamp and its item.</summary>
    private struct Slot
    {
        /// <summary>The position this slot is ready for (see the file header).</summary>
        internal long Stamp;

        /// <summary>The item, valid while the stamp says "full".</summary>
        internal T Value;
    }

    /// <summary>The slots; their number is the ring's capacity.</summary>
    private readonly Slot[] _slots;

    /// <summary>The frozen bit: the smallest power of two above the largest index.</summary>
    private readonly long _mark;

    /// <summary>The distance between one lap and the next (twice <see cref="_mark"/>).</summary>
    private readonly long _oneLap;

    /// <summary>Head and tail, padded apart.</summary>
    private PaddedPositions _positions;

    /// <summary>Creates an empty ring of <paramref name="capacity"/> slots, frozen if <paramref name="frozen"/>.</summary>
    /// <remarks>
    /// Compiled fully optimized at once: a channel calls its ring constructors a handful of
    /// times in its life, too few for tiered compilation ever to replace the unoptimized first
    /// compilation of these loops (each over up to 10^6 slots and more), which ran the growth of
    /// a bounded(10^6) channel at about half speed in a whole `seq` run.
    /// </remarks>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal SlotRing(int capacity, bool frozen)
    {
        Debug.Assert(capacity >= 1);
        _slots = new Slot[capacity];
        for (int i = 0; i < _slots.Length; i++)
        {
            _slots[i].Stamp = i;
        }

        _mark = (long)BitOperations.RoundUpToPowerOf2((ulong)capacity + 1);
        _oneLap = _mark * 2;
        if (frozen)
        {
            _positions.Head = _mark;
            _positions.Tail = _mark;
        }
    }

    /// <summary>Gets the number of slots.</summary>
    internal int Capacity => _slots.Length;

    /// <summary>Gets a value indicating whether the ring is frozen (both ends are frozen and thawed together, under the channel lock).</summary>
    internal bool IsFrozen => (Volatile.Read(ref _positions.Tail) & _mark) != 0;

    /// <summary>The position after <paramref name="position"/> (which carries no frozen bit).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private long Next(long position) => After(position, (int)(position & (_mark - 1)), _slots.Length);

    /// <summary>The position after <paramref name="position"/>, whose slot index the caller has already computed.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private long After(long position, int index, int length) =>
        index + 1 < length ? position + 1 : (position & ~(_oneLap - 1)) + _oneLap;

    /// <summary>
    /// The slot at <paramref name="index"/>, without the array bounds check: every index comes
    /// from a position, whose index bits are below the ring's length by construction (a position
    /// moves past the last index to the next lap's index 0, see <see cref="After"/>). The fast
    /// paths are a few dozen instructions, and the check was one compare and branch in each.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static ref Slot SlotAt(Slot[] slots, int index)
    {
        Debug.Assert((uint)index < (uint)slots.Length, "a position's index is below the ring's length");
        return ref Unsafe.Add(ref MemoryMarshal.GetArrayDataReference(slots), index);
    }

    /// <summary>Claims the tail and stores <paramref name="item"/>, unless the ring is full or frozen.</summary>
    /// <param name="item">The item to store.</param>
    /// <param name="exact">
    /// True: answer WouldBlock only when the ring is full at one instant, which takes a read of
    /// the head (the receivers' line). False: answer WouldBlock as soon as the slot still holds
    /// the previous lap's item, without reading the head, so a receiver that has claimed that
    /// item and not yet released the slot also counts as "full". Only for callers that treat
    /// WouldBlock as "try again later" or "take the lock" (ChannelCore.TrySendFastLoose, which
    /// has the figures): in a ping-pong over bounded(1), each of the sender's spinning probes
    /// read the head, pulling the receivers' line away from them before their next claim.
    /// </param>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal FastPath TryPush(T item, bool exact)
    {
        var slots = _slots;
        long tail = Volatile.Read(ref _positions.Tail);
        var spinner = default(SpinWait);
        int lost = 0; // back-off step after lost claims (Snooze.AfterLostClaim)
        long mark = _mark;
        while ((tail & mark) == 0)
        {
            int index = (int)(tail & (mark - 1));
            ref Slot slot = ref SlotAt(slots, index);
            long stamp = Volatile.Read(ref slot.Stamp);
            if (stamp == tail)
            {
                // The slot is free for this position: claim it. The CAS fails if another sender
                // took the position or the tail was frozen since we read it.
                long seen = Interlocked.CompareExchange(ref _positions.Tail, After(tail, index, slots.Length), tail);
                if (seen == tail)
                {
                    slot.Value = item;
                    Volatile.Write(ref slot.Stamp, tail + 1); // publish: a receiver reads the item after this
                    return FastPath.Done;
                }

                tail = seen;
                Snooze.AfterLostClaim(ref lost);
                continue;
            }

            if (stamp + _oneLap == tail + 1)
            {
                // The slot still holds the item of the previous lap. Full, if the head is a whole
                // lap behind; the head read must also show no freeze, or a waiter may exist.
                // (Loosely: full. The tail was unfrozen when read, so no waiter existed then.)
                if (!exact)
                {
                    return FastPath.WouldBlock;
                }

                long head = Volatile.Read(ref _positions.Head);
                if (head + _oneLap == tail)
                {
                    return FastPath.WouldBlock;
                }

                if ((head & _mark) != 0)
                {
                    return FastPath.Slow;
                }
            }

            // A receiver claimed the slot and has not released it yet, or other senders moved
            // the tail on: look again (yielding after a while: that receiver may need this core).
            Snooze.Once(ref spinner);
            tail = Volatile.Read(ref _positions.Tail);
        }

        return FastPath.Slow;
    }

    /// <summary>Claims the head and takes its item, unless the ring is empty or frozen.</summary>
    /// <param name="item">The item taken, when the answer is Done.</param>
    /// <param name="exact">
    /// True: answer WouldBlock only when the ring is empty at one instant (a read of the tail,
    /// the senders' line). False: as soon as nothing was written to the head's slot in this lap,
    /// so a sender that has claimed the position and not yet published its item also counts as
    /// "empty" (see <see cref="TryPush"/>).
    /// </param>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal FastPath TryPop(out T item, bool exact)
    {
        var slots = _slots;
        long head = Volatile.Read(ref _positions.Head);
        var spinner = default(SpinWait);
        int lost = 0; // back-off step after lost claims (Snooze.AfterLostClaim)
        long mark = _mark;
        while ((head & mark) == 0)
        {
            int index = (int)(head & (mark - 1));
            ref Slot slot = ref SlotAt(slots, index);
            long stamp = Volatile.Read(ref slot.Stamp);
            if (stamp == head + 1)
            {
                long seen = Interlocked.CompareExchange(ref _positions.Head, After(head, index, slots.Length), head);
                if (seen == head)
                {
                    item = slot.Value;
                    slot.Value = default!; // drop the reference so the GC can reclaim it
                    Volatile.Write(ref slot.Stamp, head + _oneLap); // release the slot for the next lap's send
                    return FastPath.Done;
                }

                head = seen;
                Snooze.AfterLostClaim(ref lost);
                continue;
            }

            if (stamp == head)
            {
                // Nothing was written here in this lap. Empty, if the tail is here too (and not
                // frozen); otherwise a sender claimed the position and is writing it. (Loosely:
                // empty. The head was unfrozen when read, so no waiter was registered then:
                // registering freezes both ends first. A wrong "empty" costs only another probe.)
                if (!exact)
                {
                    item = default!;
                    return FastPath.WouldBlock;
                }

                long tail = Volatile.Read(ref _positions.Tail);
                if (tail == head)
                {
                    item = default!;
                    return FastPath.WouldBlock;
                }

                if ((tail & _mark) != 0)
                {
                    break;
                }

                Snooze.Once(ref spinner); // the sender is between its claim and its stamp
            }
            else
            {
                Snooze.Once(ref spinner); // other receivers moved the head on
            }

            head = Volatile.Read(ref _positions.Head);
        }

        item = default!;
        return FastPath.Slow;
    }

    // ------------------------------------------------------------------ under the channel lock

    /// <summary>Sets the frozen bit on both ends. Under the channel lock.</summary>
    /// <remarks>
    /// Tail first, then head; each with a full fence, so every fast claim either completed
    /// before (and is counted in the positions read after this) or fails and takes the lock.
    /// </remarks>
    internal void Freeze()
    {
        if ((Volatile.Read(ref _positions.Tail) & _mark) == 0)
        {
            Interlocked.Or(ref _positions.Tail, _mark);
        }

        if ((Volatile.Read(ref _positions.Head) & _mark) == 0)
        {
            Interlocked.Or(ref _positions.Head, _mark);
        }
    }

    /// <summary>Clears the frozen bit on both ends. Under the channel lock, with no waiter registered.</summary>
    /// <remarks>
    /// Plain (release) writes suffice: while an end is frozen only the lock holder changes it,
    /// since every fast claim compares against an unfrozen word.
    /// </remarks>
    internal void Thaw()
    {
        Debug.Assert(IsFrozen, "only a frozen ring may be thawed: a running fast claim would be overwritten");
        Volatile.Write(ref _positions.Head, Volatile.Read(ref _positions.Head) & ~_mark);
        Volatile.Write(ref _positions.Tail, Volatile.Read(ref _positions.Tail) & ~_mark);
    }

    /// <summary>Gets the number of items, from one consistent reading of both ends: the count at the instant of the head read (see <see cref="TrySnapshotCount"/>).</summary>
    internal int Count
    {
        get
        {
            int count;
            while (!TrySnapshotCount(out count))
            {
            }

            return count;
        }
    }

    /// <summary>
    /// One attempt at a consistent reading of both ends: the number of items at the instant of
    /// the head read. False when the tail moved while the head was read (then try again, or
    /// take the lock, where a frozen ring holds still).
    /// </summary>
    internal bool TrySnapshotCount(out int count)
    {
        long tail = Volatile.Read(ref _positions.Tail);
        long head = Volatile.Read(ref _positions.Head);

        // The tail did not move while we read the head: the pair is a snapshot.
        if (Volatile.Read(ref _positions.Tail) != tail)
        {
            count = 0;
            return false;
        }

        long headIndex = head & (_mark - 1);
        long tailIndex = tail & (_mark - 1);
        if (headIndex < tailIndex)
        {
            count = (int)(tailIndex - headIndex);
        }
        else if (headIndex > tailIndex)
        {
            count = (int)(_slots.Length - headIndex + tailIndex);
        }
        else
        {
            count = (tail & ~_mark) == (head & ~_mark) ? 0 : _slots.Length;
        }

        return true;
    }

    /// <summary>Appends an item if there is room. Under the channel lock, frozen.</summary>
    internal bool LockedPush(T item)
    {
        Debug.Assert(IsFrozen);
        if (Count == _slots.Length)
        {
            return false;
        }

        long tail = Volatile.Read(ref _positions.Tail) & ~_mark;
        ref Slot slot = ref _slots[(int)(tail & (_mark - 1))];

        // A receiver that claimed this slot's previous item just before the freeze may not have
        // released it yet.
        var spinner = default(SpinWait);
        while (Volatile.Read(ref slot.Stamp) != tail)
        {
            Snooze.Once(ref spinner);
        }

        slot.Value = item;
        Volatile.Write(ref slot.Stamp, tail + 1);
        Volatile.Write(ref _positions.Tail, Next(tail) | _mark);
        return true;
    }

    /// <summary>Takes the oldest item, if any. Under the channel lock, frozen.</summary>
    internal bool LockedPop(out T item)
    {
        Debug.Assert(IsFrozen);
        long head = Volatile.Read(ref _positions.Head) & ~_mark;
        long tail = Volatile.Read(ref _positions.Tail) & ~_mark;
        if (head == tail)
        {
            item = default!;
            return false;
        }

        ref Slot slot = ref _slots[(int)(head & (_mark - 1))];

        // A sender that claimed this position just before the freeze may still be writing it.
        var spinner = default(SpinWait);
        while (Volatile.Read(ref slot.Stamp) != head + 1)
        {
            Snooze.Once(ref spinner);
        }

        item = slot.Value;
        slot.Value = default!;
        Volatile.Write(ref slot.Stamp, head + _oneLap);
        Volatile.Write(ref _positions.Head, Next(head) | _mark);
        return true;
    }

    /// <summary>
    /// Creates a frozen ring of <paramref name="capacity"/> slots that holds every item of
    /// <paramref name="source"/>, oldest first, at positions 0, 1, ... Under the channel lock,
    /// with <paramref name="source"/> frozen (it is being replaced and is never used again).
    /// </summary>
    /// <remarks>
    /// One pass over the items, writing each new slot's stamp directly, instead of a locked pop
    /// and a locked push per item: a channel that grows from 64 slots to 10^6 copies about 10^6
    /// items in all, one per item it ever held, so this loop is part of every send's cost.
    /// The source is left as it is (items, stamps and positions): it stays frozen forever, so a
    /// fast operation that still holds it fails its claim and retries through the lock, which
    /// reads the new ring; the garbage collector takes it once the last such operation is gone.
    /// </remarks>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // see the other constructor
    internal SlotRing(SlotRing<T> source, int capacity)
    {
        Debug.Assert(source.IsFrozen, "only a frozen ring's items stay put while they are copied");
        long head = Volatile.Read(ref source._positions.Head) & ~source._mark;
        long tail = Volatile.Read(ref source._positions.Tail) & ~source._mark;
        Debug.Assert(capacity > source.Count, "a grown ring has room for one more item");

        _slots = new Slot[capacity];
        _mark = (long)BitOperations.RoundUpToPowerOf2((ulong)capacity + 1);
        _oneLap = _mark * 2;

        var from = source._slots;
        var to = _slots;
        int count = 0;
        for (long position = head; position != tail; position = source.Next(position))
        {
            ref Slot slot = ref from[(int)(position & (source._mark - 1))];

            // A sender that claimed this position just before the freeze may still be writing
            // it (the same wait as LockedPop's).
            var spinner = default(SpinWait);
            while (Volatile.Read(ref slot.Stamp) != position + 1)
            {
                Snooze.Once(ref spinner);
            }

            to[count].Value = slot.Value;
            to[count].Stamp = count + 1; // full, for the receive at position `count`
            count++;
        }

        for (int i = count; i < to.Length; i++)
        {
            to[i].Stamp = i; // empty, for the send at position i
        }

        // Plain writes: the ring is published to other threads by the channel's volatile write
        // of its ring field, after this constructor.
        _positions.Head = _mark;
        _positions.Tail = (long)count | _mark;
    }
}
