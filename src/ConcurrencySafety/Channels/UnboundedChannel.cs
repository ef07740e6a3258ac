// The list flavour (unbounded): a linked list of blocks of slots, in the manner of
// crossbeam-channel's flavors/list.rs, with a frozen bit on both positions for the shared
// waiter protocol (ChannelCore.cs). Sends never wait (they fail only once every receiver is
// gone); receivers wait when the list is empty. Memory grows with the backlog, which is why the
// analyzers suggest a bounded channel (CSA2006).
//
// Positions. Head and tail are 64-bit words `(p << 1) | frozen`, where p counts positions
// monotonically: block number * Lap + offset. A block has BlockCap = Lap - 1 = 31 slots, so
// offset Lap - 1 (31) names no slot: it is the "a block is being installed" state. Positions
// never wrap (2^62 of them), so a compare-and-swap on a position cannot suffer ABA. Each end keeps
// beside its position the block that position lies in (head block, tail block), on a cache line
// of its own (ListPositions below).
//
// Slots. Each slot has a state: Empty -> Written (by its one sender, after the item, release)
// -> Read (by its one receiver, after it took the item and cleared it, release). Written is
// what a receiver waits for; Read is what block reuse waits for (below).
//
// Send (lock-free). Read the tail position, then the tail block (in that order: the installer
// stores the block before it moves the position into it, so a position read with acquire
// semantics is never ahead of the block read after it). Claim the position with one CAS; the
// CAS succeeding proves the block read was the block of that position (positions only grow, so
// a block read that was newer would mean the tail had moved on and the CAS had failed). Then
// write the item and publish it (Written). The sender that claims a block's last slot (offset
// 30) moves the tail to the phantom offset 31 with its CAS; it has already obtained the next
// block before the CAS (so the window in which other senders wait is a few stores long),
// installs it as the tail block, moves the tail on to the new block's offset 0 with an atomic
// add (so a frozen bit set meanwhile is kept), links it as the old block's Next, and only then
// publishes its own slot. Senders that find the phantom offset wait for the installer.
//
// Receive (lock-free). Read the head position, then the head block, then the head slot's state.
// Written: claim the position with one CAS (validated as for the send) and take the item. Not
// written: read the tail; equal means empty (answer WouldBlock); otherwise a sender claimed the
// position and is between its CAS and its publish, so wait for it. The receiver of a block's last
// slot moves the head through the phantom offset to the next block, which it finds in Next: the
// sender of that slot linked Next before publishing it, and the receiver saw it published.
// Reading the slot state before any tail read keeps a busy receiver off the senders' cache line.
//
// Freeze (the waiter protocol, ChannelCore.cs). As with the array flavour's ring (SlotRing.cs):
// the frozen bit is bit 0 of both positions, set on the tail then the head (Interlocked.Or, under
// the channel lock) and cleared head then tail, so "tail unfrozen" implies "head unfrozen". A
// fast claim compares a whole unfrozen word, so it fails while frozen and the caller takes the
// lock: a fast operation that succeeds ran at an instant with no waiter registered. Inside a
// locked region the positions change only under the lock, with two exceptions, both waited for
// by the locked side: a claim made just before the freeze whose slot is not yet written (the
// locked receive waits for Written), and an installer between its CAS and its add (the locked
// side waits until the position leaves the phantom offset). Since that add can land while
// frozen, Thaw clears the bit with an atomic and, not with a plain store. Once every receiver is
// gone the positions stay frozen, so every send takes the lock and reports Disconnected.
//
// Blocks: allocation and reuse. The GC frees blocks: once the head has moved past a block, only
// threads that still hold a reference can reach it. Without reuse that would cost one block
// per 31 messages (about 17 bytes a message for an 8-byte item). Instead the receiver that
// takes a block's last slot retires the block (Retired), and the next sender that needs a block
// reuses it if, and only if, all 31 of its slots say Read. That proof of safety:
// - Every position of the retired block was claimed (the head passed its last slot), so each
//   slot has exactly one receiver, and its Read store is that receiver's last access to the
//   block. Each sender's last access (its Written store, after Next for the last slot) precedes
//   its receiver's Read. So "all Read" (acquire loads) means no claimed operation will touch
//   the block again.
// - Threads that merely read the block reference (a sender or receiver whose CAS then fails)
//   may still hold it, but read nothing from it that they act on: a receiver's state read is
//   acted on only if its CAS succeeds, which proves the block was still the head block, so not
//   yet retired, so the state was this incarnation's.
// - The block leaves Retired by an atomic exchange, so exactly one sender owns it; it resets
//   the states (Empty) and Next before installing it, and the installation publishes the reset
//   (release stores, read with acquire by whoever reaches the block through the positions).
// A retired block with a slow reader is put back (or dropped, if another block was retired
// meanwhile) and a new one is allocated. A sender that obtained a block and then did not need
// it keeps it in Spare. In the steady state (the receivers keep up, even with a backlog) every
// message moves with 0 bytes allocated; a growing backlog allocates one block per 31 messages.
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace ConcurrencySafety.Channels;

/// <summary>The head and tail of an <see cref="UnboundedChannel{T}"/>, each with its block, and the blocks kept for reuse, each on its own cache line.</summary>
/// <remarks>
/// 128 bytes apart (neighbouring lines are fetched in pairs on common x64 and ARM64 parts), as
/// the array flavour's <see cref="PaddedPositions"/>. Not generic, because the runtime refuses
/// explicit layout on generic types: the blocks are typed as object and read back with
/// <see cref="Unsafe.As{T}(object)"/> (only blocks of the channel's own type are ever stored).
/// </remarks>
[StructLayout(LayoutKind.Explicit, Size = 4 * PaddedPositions.LineBytes)]
internal struct ListPositions
{
    /// <summary>The next position to receive from, with the frozen bit.</summary>
    [FieldOffset(PaddedPositions.LineBytes)]
    internal long Head;

    /// <summary>The block the head position lies in.</summary>
    [FieldOffset(PaddedPositions.LineBytes + 8)]
    internal object? HeadBlock;

    /// <summary>The next position to send to, with the frozen bit.</summary>
    [FieldOffset(2 * PaddedPositions.LineBytes)]
    internal long Tail;

    /// <summary>The block the tail position lies in.</summary>
    [FieldOffset((2 * PaddedPositions.LineBytes) + 8)]
    internal object? TailBlock;

    /// <summary>
    /// The block most recently retired by a receiver (see the channel's file header). On a line
    /// of its own with <see cref="Spare"/>: the receiver that retires a block writes it, and the
    /// sender that installs the next block exchanges both. As ordinary fields the runtime laid
    /// them out right after the base class's fields, within 16 bytes of the handle counts that
    /// every fast receive reads (the drained check), so most objects had them on one line, and
    /// each install and each retirement (once per 31 messages) took that line away from the
    /// receiver.
    /// </summary>
    [FieldOffset(3 * PaddedPositions.LineBytes)]
    internal object? Retired;

    /// <summary>A block obtained by a sender that lost the race to install it: empty, reset, owned by nobody.</summary>
    [FieldOffset((3 * PaddedPositions.LineBytes) + 8)]
    internal object? Spare;
}

/// <summary>A channel whose buffer grows without limit: the list flavour (see the file header).</summary>
internal sealed class UnboundedChannel<T> : ChannelCore<T>
{
    /// <summary>Positions per block: BlockCap slots plus the phantom "being installed" offset.</summary>
    internal const int Lap = 32;

    /// <summary>Slots per block.</summary>
    internal const int BlockCap = Lap - 1;

    /// <summary>The frozen bit, bit 0 of both positions.</summary>
    private const long Frozen = 1;

    /// <summary>One position, in the encoded word.</summary>
    private const long Step = 2;

    /// <summary>A slot's state: no item yet.</summary>
    private const int Empty = 0;

    /// <summary>A slot's state: the item is published.</summary>
    private const int Written = 1;

    /// <summary>A slot's state: the item was taken; the receiver is done with the block.</summary>
    private const int Read = 2;

    /// <summary>Head and tail with their blocks, padded apart.</summary>
    private ListPositions _positions;

    /// <summary>Creates an unbounded channel; see <see cref="ChanOptions"/> for the flag.</summary>
    public UnboundedChannel(bool allowSynchronousContinuations = false)
        : base(allowSynchronousContinuations)
    {
        var first = new Block();
        _positions.HeadBlock = first;
        _positions.TailBlock = first;
    }

    /// <inheritdoc/>
    public override int? Capacity => null;

    /// <summary>The offset within its block of an encoded position (Lap - 1 while the next block is being installed).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static int Offset(long position) => (int)((position >> 1) & (Lap - 1));

    /// <summary>The number of items sent (or received) before an encoded position: the phantom offset counts as the next block's first slot.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static long MessageIndex(long position)
    {
        long p = position >> 1;
        return ((p >> 5) * BlockCap) + (p & (Lap - 1)); // Lap == 1 << 5
    }

    /// <summary>Gets the block of the head position (acquire; read after the head position).</summary>
    private Block HeadBlock => Unsafe.As<Block>(Volatile.Read(ref _positions.HeadBlock))!;

    /// <summary>Gets the block of the tail position (acquire; read after the tail position).</summary>
    private Block TailBlock => Unsafe.As<Block>(Volatile.Read(ref _positions.TailBlock))!;

    // ------------------------------------------------------------------ lock-free fast paths

    // The list's blocking forms use the exact answers (the list flavour has no loose variant: a
    // send never finds it full, and the only spin before registering is the array flavour's).
    // In this sealed class the calls below are direct.

    /// <inheritdoc/>
    private protected override FastPath TrySendFastLoose(T item) => TrySendFast(item);

    /// <inheritdoc/>
    private protected override FastPath TryReceiveFastLoose(out T item) => TryReceiveFast(out item);

    /// <inheritdoc/>
    private protected override FastPath TrySendFast(T item)
    {
        Block? next = null;
        var spinner = default(SpinWait);
        int lost = 0; // back-off step after lost claims (Snooze.AfterLostClaim)
        long tail = Volatile.Read(ref _positions.Tail);
        while ((tail & Frozen) == 0)
        {
            int offset = Offset(tail);
            if (offset == BlockCap)
            {
                // The sender of the last slot is installing the next block: a few stores away,
                // unless it was preempted right there (then yield, it may need this core).
                Snooze.Once(ref spinner);
                tail = Volatile.Read(ref _positions.Tail);
                continue;
            }

            if (offset == BlockCap - 1)
            {
                // Whoever claims this slot installs the next block: obtain it before the claim.
                next ??= RentBlock();
            }

            Block block = TailBlock;

            // Claim the position. Fails if another sender took it or the tail was frozen since
            // we read it. A full fence: a locked region that freezes after it counts this item.
            long seen = Interlocked.CompareExchange(ref _positions.Tail, tail + Step, tail);
            if (seen == tail)
            {
                if (offset == BlockCap - 1)
                {
                    Install(block, next!);
                    next = null;
                }

                ref Slot slot = ref block.Slots[offset];
                Debug.Assert(Volatile.Read(ref slot.State) == Empty, "a claimed slot is empty until its sender publishes");
                slot.Value = item;
                Volatile.Write(ref slot.State, Written); // publish: the receiver reads the item after this
                if (next is not null)
                {
                    ReturnSpare(next);
                }

                return FastPath.Done;
            }

            tail = seen;
            Snooze.AfterLostClaim(ref lost);
        }

        if (next is not null)
        {
            ReturnSpare(next);
        }

        return FastPath.Slow;
    }

    /// <inheritdoc/>
    private protected override FastPath TryReceiveFast(out T item)
    {
        var spinner = default(SpinWait);
        int lost = 0; // back-off step after lost claims (Snooze.AfterLostClaim)
        long head = Volatile.Read(ref _positions.Head);
        while ((head & Frozen) == 0)
        {
            int offset = Offset(head);
            if (offset == BlockCap)
            {
                // The receiver of the last slot is moving the head to the next block.
                Snooze.Once(ref spinner);
                head = Volatile.Read(ref _positions.Head);
                continue;
            }

            Block block = HeadBlock;
            ref Slot slot = ref block.Slots[offset];
            if (Volatile.Read(ref slot.State) == Written)
            {
                // An item is published here. If the block was stale (the head moved on since we
                // read it), the CAS fails, so the state read is acted on only for the right block.
                long seen = Interlocked.CompareExchange(ref _positions.Head, head + Step, head);
                if (seen == head)
                {
                    item = Take(block, ref slot, offset, head, locked: false);
                    return FastPath.Done;
                }

                head = seen;
                Snooze.AfterLostClaim(ref lost);
                continue;
            }

            // Nothing published at the head. Empty if the tail is here too (an unfrozen tail
            // means an unfrozen head: no waiter at that instant). Head and tail cannot name the
            // same message with different words: the head enters a block only after its
            // previous block's last slot was published, which that slot's sender does after
            // moving the tail into the new block.
            long tail = Volatile.Read(ref _positions.Tail);
            if (tail == head)
            {
                item = default!;
                return FastPath.WouldBlock;
            }

            if ((tail & Frozen) != 0)
            {
                break;
            }

            // A sender claimed the position and has not published it yet (or the head moved).
            Snooze.Once(ref spinner);
            head = Volatile.Read(ref _positions.Head);
        }

        item = default!;
        return FastPath.Slow;
    }

    /// <summary>
    /// Installs <paramref name="next"/> after <paramref name="block"/>, by the sender that claimed
    /// <paramref name="block"/>'s last slot (the tail is at the phantom offset, and only this
    /// sender may move it on).
    /// </summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private void Install(Block block, Block next)
    {
        Debug.Assert(Offset(Volatile.Read(ref _positions.Tail)) == BlockCap, "the tail waits at the phantom offset for this installer");
        Debug.Assert(next.Next is null && next != block, "a fresh or reset block");

        // The block first, then the position (a full fence): a sender that reads the position
        // in the new block reads this block or a later one after it. The add keeps a frozen bit
        // set since our CAS (a locked region waits for this add, see WaitInstalled).
        Volatile.Write(ref _positions.TailBlock, next);
        Interlocked.Add(ref _positions.Tail, Step);

        // Linked before this sender publishes the last slot, which the receiver of that slot
        // waits for: so that receiver finds Next set.
        Volatile.Write(ref block.Next, next);
    }

    /// <summary>
    /// Takes the item of a claimed slot; for a block's last slot, first moves the head on to the
    /// next block (by an atomic add when lock-free, since a freeze may have set the bit since our
    /// CAS; by a store when <paramref name="locked"/>, frozen, where only the lock holder writes
    /// the head), and afterwards retires the block.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private T Take(Block block, ref Slot slot, int offset, long head, bool locked)
    {
        Debug.Assert(Volatile.Read(ref slot.State) == Written, "a receiver claims only a published slot");
        bool last = offset == BlockCap - 1;
        if (last)
        {
            var next = Volatile.Read(ref block.Next);
            Debug.Assert(next is not null, "the sender of the last slot links the next block before publishing it");
            Volatile.Write(ref _positions.HeadBlock, next);
            if (locked)
            {
                Volatile.Write(ref _positions.Head, head + (2 * Step)); // past the phantom offset
            }
            else
            {
                Interlocked.Add(ref _positions.Head, Step); // phantom offset -> next block's slot 0
            }
        }
        else if (locked)
        {
            Volatile.Write(ref _positions.Head, head + Step);
        }

        T item = slot.Value;
        if (RuntimeHelpers.IsReferenceOrContainsReferences<T>())
        {
            slot.Value = default!; // drop the reference so the GC can reclaim the item
        }

        Volatile.Write(ref slot.State, Read); // this receiver's last access to the slot: see RentBlock
        if (last)
        {
            // Nobody reads Next again (only the last slot's one receiver does, and that was us).
            block.Next = null;
            Volatile.Write(ref _positions.Retired, block);
        }

        return item;
    }

    /// <summary>Gets a block for the next install: the spare, else the retired block if every reader is done with it, else a new one.</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private Block RentBlock()
    {
        var spare = Unsafe.As<Block>(Interlocked.Exchange(ref _positions.Spare, null));
        if (spare is not null)
        {
            return spare;
        }

        // The exchange makes this thread the block's only owner (see the file header).
        var retired = Unsafe.As<Block>(Interlocked.Exchange(ref _positions.Retired, null));
        if (retired is not null)
        {
            if (retired.AllRead())
            {
                retired.Reset();
                return retired;
            }

            // A slow receiver is still reading from it: leave it for a later install, unless
            // a newer block was retired meanwhile (then the GC takes this one).
            Interlocked.CompareExchange(ref _positions.Retired, retired, null);
        }

        return new Block();
    }

    /// <summary>Keeps a rented block that was not installed for the next install.</summary>
    private void ReturnSpare(Block block)
    {
        Debug.Assert(block.Next is null, "never installed");
        Interlocked.CompareExchange(ref _positions.Spare, block, null);
    }

    // ------------------------------------------------------------------ under the channel lock

    /// <inheritdoc/>
    private protected override void Freeze()
    {
        // Tail first, then head; each a full fence, so every fast claim either completed before
        // (and is counted in the positions read after this) or fails and takes the lock.
        if ((Volatile.Read(ref _positions.Tail) & Frozen) == 0)
        {
            Interlocked.Or(ref _positions.Tail, Frozen);
        }

        if ((Volatile.Read(ref _positions.Head) & Frozen) == 0)
        {
            Interlocked.Or(ref _positions.Head, Frozen);
        }
    }

    /// <inheritdoc/>
    private protected override void Thaw()
    {
        // Head first, then tail. Atomic, not a plain store: an installer that claimed a last
        // slot before the freeze may be adding to the position right now.
        Debug.Assert(IsFrozen, "only frozen positions may be thawed");
        Interlocked.And(ref _positions.Head, ~Frozen);
        Interlocked.And(ref _positions.Tail, ~Frozen);
    }

    /// <inheritdoc/>
    private protected override bool IsFrozen => (Volatile.Read(ref _positions.Tail) & Frozen) != 0;

    /// <inheritdoc/>
    /// <remarks>Exact when frozen: counts an item whose sender claimed its slot before the freeze but has not published it yet (a locked receive waits for it). At most <see cref="int.MaxValue"/>.</remarks>
    private protected override int BufferCount
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

    /// <summary>One attempt at a consistent reading of both ends (see SlotRing.TrySnapshotCount); false when the tail moved meanwhile.</summary>
    private bool TrySnapshotCount(out int count)
    {
        long tail = Volatile.Read(ref _positions.Tail);
        long head = Volatile.Read(ref _positions.Head);

        // The tail did not move while we read the head: the pair is a snapshot.
        if (Volatile.Read(ref _positions.Tail) != tail)
        {
            count = 0;
            return false;
        }

        long items = MessageIndex(tail) - MessageIndex(head);
        Debug.Assert(items >= 0, "the head never passes the tail");
        count = (int)Math.Min(items, int.MaxValue);
        return true;
    }

    /// <inheritdoc/>
    /// <remarks>One <see cref="TrySnapshotCount"/> taken while the ends are unfrozen (checked before and after, as the array flavour does); frozen, the lock decides.</remarks>
    private protected override bool TryCountUnlocked(out int count)
    {
        if (IsFrozen)
        {
            count = 0;
            return false;
        }

        return TrySnapshotCount(out count) && !IsFrozen;
    }

    /// <summary>Waits until no installer is between its claim of a last slot and its add, and returns the position. Under the channel lock, frozen.</summary>
    private static long WaitInstalled(ref long position)
    {
        long value = Volatile.Read(ref position);
        var spinner = default(SpinWait);
        while (Offset(value) == BlockCap)
        {
            Snooze.Once(ref spinner);
            value = Volatile.Read(ref position);
        }

        Debug.Assert((value & Frozen) != 0, "the locked path runs frozen");
        return value;
    }

    /// <inheritdoc/>
    private protected override bool TryBuffer(T item)
    {
        Debug.Assert(IsFrozen);

        // Frozen: no fast send can claim, and a pending installer has finished; only we move
        // the tail now, so plain stores suffice. The order of the stores matters only to the
        // unlocked hints (MayHaveItems), which may see the new tail before the item: a hint.
        long tail = WaitInstalled(ref _positions.Tail);
        int offset = Offset(tail);
        Block block = TailBlock;
        ref Slot slot = ref block.Slots[offset];
        Debug.Assert(Volatile.Read(ref slot.State) == Empty, "the tail slot is unclaimed");
        long advance = Step;
        if (offset == BlockCap - 1)
        {
            var next = RentBlock();
            Volatile.Write(ref _positions.TailBlock, next);
            Volatile.Write(ref block.Next, next); // before the slot is published, as in Install
            advance = 2 * Step; // past the phantom offset
        }

        slot.Value = item;
        Volatile.Write(ref slot.State, Written);
        Volatile.Write(ref _positions.Tail, tail + advance);
        return true;
    }

    /// <inheritdoc/>
    private protected override bool TryUnbuffer(out T item)
    {
        Debug.Assert(IsFrozen);
        long head = WaitInstalled(ref _positions.Head);
        long tail = Volatile.Read(ref _positions.Tail);
        if (MessageIndex(head) == MessageIndex(tail))
        {
            item = default!;
            return false;
        }

        int offset = Offset(head);
        Block block = HeadBlock;
        ref Slot slot = ref block.Slots[offset];

        // A sender that claimed this position just before the freeze may still be writing it.
        var spinner = default(SpinWait);
        while (Volatile.Read(ref slot.State) != Written)
        {
            Snooze.Once(ref spinner);
        }

        item = Take(block, ref slot, offset, head, locked: true);
        return true;
    }

    /// <inheritdoc/>
    private protected override void ClearBuffer()
    {
        while (TryUnbuffer(out _))
        {
        }
    }

    /// <inheritdoc/>
    private protected override bool HasRoom() => true;

    /// <inheritdoc/>
    /// <remarks>Head, then tail: equal means the list was empty at the instant of the tail read (the head only grows and never passes the tail).</remarks>
    private protected override bool MayHaveItems
    {
        get
        {
            long head = Volatile.Read(ref _positions.Head);
            long tail = Volatile.Read(ref _positions.Tail);
            return MessageIndex(tail) != MessageIndex(head);
        }
    }

    /// <inheritdoc/>
    private protected override bool MayHaveRoom => true;

    // ------------------------------------------------------------------ blocks

    /// <summary>One slot: its state and its item.</summary>
    private struct Slot
    {
        /// <summary>The item, valid while the state is Written.</summary>
        internal T Value;

        /// <summary>Empty, Written or Read (see the file header).</summary>
        internal int State;
    }

    /// <summary>The slots of one block, inline in the block object (one allocation per block).</summary>
    [InlineArray(BlockCap)]
    private struct SlotArray
    {
        private Slot _first;
    }

    /// <summary>A block of <see cref="BlockCap"/> slots and the link to the next block.</summary>
    private sealed class Block
    {
        /// <summary>The next block, set by the sender of this block's last slot before it publishes that slot.</summary>
        internal Block? Next;

        /// <summary>The slots.</summary>
        internal SlotArray Slots;

        /// <summary>Gets a value indicating whether every slot's receiver is done (acquire loads: their accesses happened before).</summary>
        internal bool AllRead()
        {
            for (int i = 0; i < BlockCap; i++)
            {
                if (Volatile.Read(ref Slots[i].State) != Read)
                {
                    return false;
                }
            }

            return true;
        }

        /// <summary>Makes a fully read block empty again. Only by its one owner, before it is installed (which publishes this).</summary>
        internal void Reset()
        {
            for (int i = 0; i < BlockCap; i++)
            {
                Debug.Assert(Slots[i].State == Read);
                Slots[i].State = Empty;
            }

            Next = null;
        }
    }
}
