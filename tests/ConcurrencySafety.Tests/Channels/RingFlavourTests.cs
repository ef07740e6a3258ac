using ConcurrencySafety.Channels;

namespace ConcurrencySafety.Tests.Channels;

/// <summary>
/// The array and list flavours' own mechanics: the stamped ring's lap encoding at capacities
/// that are not powers of two, its growth (while items are in it), and the frozen bit that
/// keeps the lock-free paths out while anybody waits or every receiver is gone. All
/// single-threaded or with a waiter that is known to be parked, so nothing here depends on timing.
/// </summary>
public class RingFlavourTests
{
    private static readonly TimeSpan Long = TimeSpan.FromMinutes(1);

    private static void WaitUntil(Func<bool> condition, string what)
    {
        var deadline = DateTime.UtcNow + Long;
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < deadline, "timed out waiting until " + what);
            Thread.Sleep(1);
        }
    }

    /// <summary>
    /// The loose answers of the ring (used by the blocking forms, which spin or take the lock on
    /// WouldBlock) skip the read of the other end; with no operation in flight they must still
    /// say exactly what the exact ones say: Done below the brim and above empty, WouldBlock at
    /// the full and empty boundaries in every lap and at every wrap offset, Slow while frozen.
    /// </summary>
    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(5)]
    [InlineData(64)]
    [InlineData(65)]
    public void Loose_ring_answers_match_the_exact_ones_at_every_boundary(int capacity)
    {
        var ring = new SlotRing<int>(capacity, frozen: false);
        int next = 0, expected = 0;
        for (int lap = 0; lap < 3 * capacity + 5; lap++)
        {
            bool exact = lap % 2 == 0;
            while (ring.Count < capacity)
            {
                Assert.Equal(FastPath.Done, ring.TryPush(next++, exact));
            }

            Assert.Equal(FastPath.WouldBlock, ring.TryPush(-1, exact: true));
            Assert.Equal(FastPath.WouldBlock, ring.TryPush(-1, exact: false));

            ring.Freeze();
            Assert.Equal(FastPath.Slow, ring.TryPush(-1, exact: false));
            Assert.Equal(FastPath.Slow, ring.TryPop(out _, exact: false));
            ring.Thaw();

            int take = 1 + (lap % capacity);
            for (int i = 0; i < take; i++)
            {
                Assert.Equal(FastPath.Done, ring.TryPop(out int item, exact: !exact));
                Assert.Equal(expected++, item);
            }

            if (take == capacity)
            {
                Assert.Equal(FastPath.WouldBlock, ring.TryPop(out _, exact: true));
                Assert.Equal(FastPath.WouldBlock, ring.TryPop(out _, exact: false));
            }
        }

        while (ring.TryPop(out int rest, exact: false) == FastPath.Done)
        {
            Assert.Equal(expected++, rest);
        }

        Assert.Equal(next, expected);
        Assert.Equal(FastPath.WouldBlock, ring.TryPop(out _, exact: true));
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(5)]
    [InlineData(63)]
    [InlineData(64)]
    [InlineData(65)]
    [InlineData(100)]
    public void Many_laps_at_any_capacity_keep_fifo_order_count_and_the_full_boundary(int capacity)
    {
        var (tx, rx) = Chan.Bounded<int>(capacity);
        int next = 0, expected = 0;
        for (int lap = 0; lap < 20; lap++)
        {
            // Fill to the brim, then one more must be refused: the ring is exactly `capacity` long.
            while (tx.Count < capacity)
            {
                Assert.True(tx.TrySend(next++).IsSent);
            }

            Assert.Equal(SendStatus.Full, tx.TrySend(-1).Status);
            Assert.True(tx.IsFull);

            // Drain a varying part, so head and tail meet the wrap point at different offsets.
            int take = 1 + (lap % capacity);
            for (int i = 0; i < take; i++)
            {
                Assert.True(rx.TryReceive(out int item));
                Assert.Equal(expected++, item);
            }

            Assert.Equal(capacity - take, rx.Count);
        }

        while (rx.TryReceive(out int rest))
        {
            Assert.Equal(expected++, rest);
        }

        Assert.Equal(next, expected);
        Assert.Equal(ReceiveStatus.Empty, rx.TryReceive().Status);
    }

    [Theory]
    [InlineData(int.MaxValue)]
    [InlineData(1000)]
    [InlineData(null)]
    public void The_ring_grows_with_items_in_it_and_keeps_them_in_order(int? capacity)
    {
        var (tx, rx) = capacity is int c ? Chan.Bounded<int>(c) : Chan.Unbounded<int>();
        int limit = capacity is int cap ? Math.Min(cap, 100_000) : 100_000;

        // Start with a wrapped ring (head past slot 0) so that growth copies across the wrap.
        for (int i = 0; i < 40; i++)
        {
            Assert.True(tx.TrySend(-1).IsSent);
        }

        for (int i = 0; i < 40; i++)
        {
            Assert.True(rx.TryReceive(out _));
        }

        for (int i = 0; i < limit; i++)
        {
            Assert.True(tx.TrySend(i).IsSent);
        }

        Assert.Equal(limit, rx.Count);
        if (capacity is int bounded && bounded == limit)
        {
            Assert.Equal(SendStatus.Full, tx.TrySend(-1).Status);
        }

        for (int i = 0; i < limit; i++)
        {
            Assert.True(rx.TryReceive(out int item));
            Assert.Equal(i, item);
        }

        Assert.Equal(ReceiveStatus.Empty, rx.TryReceive().Status);

        // The grown ring takes the fast path as before.
        Assert.True(tx.TrySend(7).IsSent);
        Assert.True(rx.TryReceive(out int last));
        Assert.Equal(7, last);
    }

    [Fact]
    public void A_newcomer_cannot_take_a_slot_freed_while_a_sender_waits()
    {
        var (tx, rx) = Chan.Bounded<int>(2);
        Assert.True(tx.TrySend(0).IsSent);
        Assert.True(tx.TrySend(1).IsSent);
        var blocked = Task.Run(() => tx.Send(2));
        WaitUntil(() => rx.Core.WaitingCounts.Senders == 1, "the sender blocks");

        // Freeing a slot moves the waiting sender's item into it; the newcomer finds it full.
        Assert.True(rx.TryReceive(out int first));
        Assert.Equal(0, first);
        Assert.True(blocked.Wait(Long));
        Assert.Equal(SendStatus.Full, tx.TrySend(99).Status);

        var order = new List<int>();
        while (rx.TryReceive(out int item))
        {
            order.Add(item);
        }

        Assert.Equal(new[] { 1, 2 }, order);

        // Nobody waits any more: the lock-free paths run again.
        Assert.True(tx.TrySend(3).IsSent);
        Assert.True(rx.TryReceive(out int third));
        Assert.Equal(3, third);
    }

    [Theory]
    [InlineData(4)]
    [InlineData(null)]
    public void A_send_hands_over_to_a_waiting_receiver_instead_of_buffering(int? capacity)
    {
        var (tx, rx) = capacity is int c ? Chan.Bounded<int>(c) : Chan.Unbounded<int>();
        var waiting = Task.Run(() => rx.Receive());
        WaitUntil(() => rx.Core.WaitingCounts.Receivers == 1, "the receiver waits");

        Assert.True(tx.TrySend(5).IsSent);
        Assert.True(waiting.Wait(Long));
        Assert.Equal(5, waiting.Result);
        Assert.Equal(0, rx.Count); // handed over, not buffered
        Assert.Equal((0, 0, 0, 0), rx.Core.QueuedNodes);
    }

    [Theory]
    [InlineData(4)]
    [InlineData(null)]
    public void Once_every_receiver_is_gone_sends_fail_and_the_buffer_is_dropped(int? capacity)
    {
        var (tx, rx) = capacity is int c ? Chan.Bounded<int>(c) : Chan.Unbounded<int>();
        Assert.True(tx.TrySend(1).IsSent);
        Assert.True(tx.TrySend(2).IsSent);
        rx.Dispose();

        var result = tx.TrySend(3);
        Assert.Equal(SendStatus.Disconnected, result.Status);
        Assert.Equal(3, result.UnsentItem);
        Assert.Equal(0, tx.Count);
        Assert.Equal(SendStatus.Disconnected, tx.TrySend(4).Status); // stays so
    }

    [Theory]
    [InlineData(4)]
    [InlineData(null)]
    public async Task A_fast_receive_of_the_last_item_completes_drained(int? capacity)
    {
        var (tx, rx) = capacity is int c ? Chan.Bounded<int>(c) : Chan.Unbounded<int>();
        Assert.True(tx.TrySend(1).IsSent);
        var reader = rx.AsChannelReader();
        var completion = reader.Completion; // requested while an item is still buffered
        tx.Dispose();
        Assert.False(completion.IsCompleted);

        Assert.True(rx.TryReceive(out int item));
        Assert.Equal(1, item);
        await completion.WaitAsync(Long);
        Assert.Equal(ReceiveStatus.Disconnected, rx.TryReceive().Status);
    }
    /// <summary>
    /// Count answers from the positions while nobody waits, and under the lock while somebody
    /// does: either way it is the number of buffered items, never a waiting sender's item, and
    /// it leaves the fast paths as it found them (open when nobody waits).
    /// </summary>
    [Theory]
    [InlineData(3)]
    [InlineData(null)]
    public async Task Count_is_the_buffered_items_with_and_without_waiters(int? capacity)
    {
        var (tx, rx) = capacity is int c ? Chan.Bounded<int>(c) : Chan.Unbounded<int>();
        Assert.Equal(0, rx.Count);
        Assert.True(tx.TrySend(1).IsSent);
        Assert.True(tx.TrySend(2).IsSent);
        Assert.Equal(2, tx.Count);
        Assert.True(rx.TryReceive(out int first));
        Assert.Equal(1, first);
        Assert.Equal(1, rx.Count);
        Assert.True(rx.TryReceive(out _));
        Assert.Equal(0, rx.Count);

        // A waiting receiver (frozen fast paths): nothing is buffered, and a send goes to it.
        var waiting = rx.ReceiveAsync();
        Assert.False(waiting.IsCompleted);
        Assert.Equal(0, rx.Count);
        Assert.True(tx.TrySend(3).IsSent);
        Assert.Equal(3, await waiting.AsTask().WaitAsync(Long));
        Assert.Equal(0, rx.Count);

        if (capacity is int full)
        {
            // A waiting sender: the buffer is full, its item is not counted until it moves in.
            for (int i = 0; i < full; i++)
            {
                Assert.True(tx.TrySend(10 + i).IsSent);
            }

            var blocked = tx.SendAsync(99);
            Assert.False(blocked.IsCompleted);
            Assert.Equal(full, tx.Count);
            Assert.True(rx.TryReceive(out int oldest));
            Assert.Equal(10, oldest);
            await blocked.AsTask().WaitAsync(Long);
            Assert.Equal(full, rx.Count); // the waiting sender's item took the freed slot
        }

        // Nobody waits any more: the unlocked count still agrees with what is there.
        int drained = 0;
        while (rx.TryReceive(out _))
        {
            drained++;
        }

        Assert.Equal(capacity ?? 0, drained);
        Assert.Equal(0, rx.Count);
    }

    /// <summary>
    /// While the ring grows under a producer, Count never answers from the ring being replaced:
    /// with no receiver taking anything, every item whose send returned before Count was called
    /// must be counted. (A count read from the replaced ring, which keeps its positions frozen
    /// at the copy, would be smaller.)
    /// </summary>
    [Fact]
    public async Task Count_during_growth_counts_every_item_sent_before_it()
    {
        const int Items = 200_000;
        var (tx, rx) = Chan.Bounded<int>(Items);
        int sent = 0;
        var producer = Task.Factory.StartNew(
            () =>
            {
                for (int i = 0; i < Items; i++)
                {
                    tx.Send(i);
                    Volatile.Write(ref sent, i + 1);
                }
            },
            TaskCreationOptions.LongRunning);

        int polls = 0;
        while (!producer.IsCompleted || polls == 0)
        {
            int before = Volatile.Read(ref sent);
            int count = rx.Count;
            int after = Volatile.Read(ref sent);
            Assert.InRange(count, before, Math.Min(after + 1, Items)); // at most one send is in flight past `after`
            polls++;
        }

        await producer.WaitAsync(Long);
        Assert.Equal(Items, rx.Count);
        GC.KeepAlive(tx);
    }
}
