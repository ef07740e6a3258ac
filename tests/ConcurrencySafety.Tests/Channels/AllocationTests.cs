namespace ConcurrencySafety.Tests.Channels;

/// <summary>
/// Steady-state operations that complete without waiting must not allocate. Measured with the
/// current thread's allocation counter (exact, not timing-based), after a warm-up.
/// </summary>
public class AllocationTests
{
    private static long AllocatedBy(Action body)
    {
        body(); // warm-up: JIT, tiering, buffer growth
        body();
        long before = GC.GetAllocatedBytesForCurrentThread();
        body();
        return GC.GetAllocatedBytesForCurrentThread() - before;
    }

    [Theory]
    [InlineData(1)]
    [InlineData(64)]
    [InlineData(null)]
    public void TrySend_and_TryReceive_allocate_nothing(int? capacity)
    {
        var (tx, rx) = capacity is int c ? Chan.Bounded<long>(c) : Chan.Unbounded<long>();
        long bytes = AllocatedBy(() =>
        {
            for (int i = 0; i < 10_000; i++)
            {
                tx.TrySend(i);
                rx.TryReceive(out _);
            }
        });
        Assert.Equal(0, bytes);
    }

    [Fact]
    public void Async_operations_that_complete_at_once_allocate_nothing()
    {
        var (tx, rx) = Chan.Bounded<long>(16);
        long bytes = AllocatedBy(() =>
        {
            for (int i = 0; i < 10_000; i++)
            {
                var send = tx.SendAsync(i);
                Assert.True(send.IsCompletedSuccessfully);
                var receive = rx.ReceiveAsync();
                Assert.True(receive.IsCompletedSuccessfully);
                _ = receive.Result;
            }
        });
        Assert.Equal(0, bytes);
    }

    [Fact]
    public void A_reused_selector_with_a_ready_arm_allocates_nothing()
    {
        var (tx, rx) = Chan.Bounded<long>(16);
        var (otherTx, other) = Chan.Bounded<string>(1);
        long sum = 0;
        var selector = new Selector().Receive(rx, v => sum += v).Receive(other, _ => { });
        long bytes = AllocatedBy(() =>
        {
            for (int i = 0; i < 10_000; i++)
            {
                tx.TrySend(i);
                selector.Select();
            }
        });
        Assert.Equal(0, bytes);
        Assert.True(sum > 0);
        otherTx.Dispose();
    }

    [Fact]
    public void Blocking_receives_that_wait_reuse_their_wait_node()
    {
        // The consumer parks on every receive (the producer sends slowly); after warm-up its
        // per-thread node is reused, so the consumer thread allocates nothing.
        // A timed receive before the producer starts makes sure warm-up includes a wait (if the
        // producer always arrived first, the consumer would never wait before measuring).
        // The fewest bytes of three windows is asserted: the runtime's Lock allocates its wait
        // event (a few hundred bytes) the first time a thread blocks on a contended lock, which
        // a loaded machine can make happen inside one window; a node that is not reused would
        // allocate in every window (seen once in a full CI run: 312 B in the single window then).
        const int windows = 3, perWindow = 200;
        var (tx, rx) = Chan.Rendezvous<long>();
        long consumerBytes = -1;
        using var warmedUp = new ManualResetEventSlim();
        var consumer = new Thread(() =>
        {
            Assert.False(rx.TryReceive(TimeSpan.FromMilliseconds(20)).IsReceived); // long enough to get past the spin and park
            warmedUp.Set();
            for (int i = 0; i < 50; i++) rx.Receive();
            long fewest = long.MaxValue;
            for (int w = 0; w < windows; w++)
            {
                long before = GC.GetAllocatedBytesForCurrentThread();
                for (int i = 0; i < perWindow; i++) rx.Receive();
                fewest = Math.Min(fewest, GC.GetAllocatedBytesForCurrentThread() - before);
            }

            consumerBytes = fewest;
        });
        consumer.Start();
        warmedUp.Wait();
        for (int i = 0; i < 50 + (windows * perWindow); i++) tx.Send(i);
        consumer.Join();
        Assert.Equal(0, consumerBytes);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(null)]
    public void A_reused_selector_with_a_ready_ring_arm_allocates_nothing(int? capacity)
    {
        var (tx, rx) = capacity is int c ? Chan.Bounded<long>(c) : Chan.Unbounded<long>();
        var (otherTx, other) = Chan.Unbounded<string>();
        long sum = 0;
        var selector = new Selector().Receive(rx, v => sum += v).Receive(other, _ => { });
        long bytes = AllocatedBy(() =>
        {
            for (int i = 0; i < 10_000; i++)
            {
                tx.TrySend(i);
                selector.Select();
            }
        });
        Assert.Equal(0, bytes);
        Assert.True(sum > 0);
        otherTx.Dispose();
    }

    [Theory]
    [InlineData(1)]
    [InlineData(null)]
    public void Blocking_waits_on_the_ring_flavours_reuse_their_wait_node(int? capacity)
    {
        // As above, on the array and list flavours: whether or not a given receive finds an
        // item, after warm-up the consumer thread allocates nothing (its waits reuse its node).
        // Only the consumer is measured: the list flavour may allocate blocks on the producer's side.
        // Warm-up must include a wait: the per-thread node is created by the first one. With a
        // buffer the producer can run ahead, so 50 receives may all find items; a timed receive
        // on the still-empty channel (the producer starts only after it) makes sure one waited.
        var (tx, rx) = capacity is int c ? Chan.Bounded<long>(c) : Chan.Unbounded<long>();
        long consumerBytes = -1;
        using var warmedUp = new ManualResetEventSlim();
        var consumer = new Thread(() =>
        {
            Assert.False(rx.TryReceive(TimeSpan.FromMilliseconds(20)).IsReceived); // long enough to get past the spin and park
            warmedUp.Set();
            for (int i = 0; i < 50; i++) rx.Receive();
            long before = GC.GetAllocatedBytesForCurrentThread();
            for (int i = 0; i < 200; i++) rx.Receive();
            consumerBytes = GC.GetAllocatedBytesForCurrentThread() - before;
        });
        consumer.Start();
        warmedUp.Wait();
        for (int i = 0; i < 250; i++) tx.Send(i);
        consumer.Join();
        Assert.Equal(0, consumerBytes);
    }
}
