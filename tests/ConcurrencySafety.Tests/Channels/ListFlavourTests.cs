using System.Collections.Concurrent;
using System.Runtime.CompilerServices;
using ConcurrencySafety.Channels;

namespace ConcurrencySafety.Tests.Channels;

/// <summary>
/// The list flavour's own mechanics (UnboundedChannel.cs): linked blocks of 31 slots, the
/// installation of the next block by the sender of a block's last slot, the receiver that moves
/// the head across, block reuse, and the locked paths across a block boundary. The concurrent
/// tests check outcomes only (every item exactly once, in each sender's order); nothing here
/// asserts on timing. Waits are bounded by a minute so that a bug fails instead of hanging.
/// </summary>
public class ListFlavourTests
{
    /// <summary>The slots per block (UnboundedChannel.BlockCap).</summary>
    private const int Block = 31;

    private static readonly TimeSpan Long = TimeSpan.FromMinutes(1);

    private static void SpinUntil(Func<bool> condition, string what)
    {
        var deadline = DateTime.UtcNow + Long;
        var spinner = default(SpinWait);
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < deadline, "timed out waiting until " + what);
            spinner.SpinOnce(sleep1Threshold: -1);
        }
    }

    [Fact]
    public void The_block_size_is_the_one_these_tests_cross()
    {
        Assert.Equal(Block, UnboundedChannel<int>.BlockCap);
    }

    /// <summary>
    /// Four senders and three receivers (spinning TryReceive, blocking Receive, async) cross
    /// thousands of block boundaries. With <paramref name="pollCount"/>, a fifth thread reads
    /// Count in a loop: each read freezes and thaws the positions, so operations keep falling
    /// onto the locked paths in the middle of the lock-free ones, at every offset.
    /// </summary>
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Concurrent_senders_and_receivers_cross_blocks_exactly_once_in_each_senders_order(bool pollCount)
    {
        const int Senders = 4;
        const int PerSender = 100_000;
        var (tx, rx) = Chan.Unbounded<long>();
        var seen = new int[Senders * PerSender];

        var senders = Enumerable.Range(0, Senders).Select(s =>
        {
            var mine = tx.Clone();
            return Task.Factory.StartNew(() =>
            {
                using (mine)
                {
                    for (int i = 0; i < PerSender; i++)
                    {
                        Assert.True(mine.TrySend(((long)s << 32) | (uint)i).IsSent);
                    }
                }
            }, TaskCreationOptions.LongRunning);
        }).ToArray();
        tx.Dispose();

        void Check(long[] last, long value)
        {
            int s = (int)(value >> 32);
            int i = (int)(uint)value;
            Assert.True(i > last[s], $"sender {s}: {i} after {last[s]}");
            last[s] = i;
            Interlocked.Increment(ref seen[(s * PerSender) + i]);
        }

        var rx2 = rx.Clone();
        var rx3 = rx.Clone();
        var spinning = Task.Factory.StartNew(() =>
        {
            var last = new long[Senders];
            Array.Fill(last, -1);
            while (true)
            {
                var r = rx.TryReceive();
                if (r.IsReceived) Check(last, r.Value);
                else if (r.IsDisconnected) break;
            }
        }, TaskCreationOptions.LongRunning);
        var blocking = Task.Factory.StartNew(() =>
        {
            var last = new long[Senders];
            Array.Fill(last, -1);
            foreach (var value in rx2) Check(last, value);
        }, TaskCreationOptions.LongRunning);
        var asynchronous = Task.Run(async () =>
        {
            var last = new long[Senders];
            Array.Fill(last, -1);
            await foreach (var value in rx3) Check(last, value);
        });

        using var stop = new CancellationTokenSource();
        var poller = Task.Factory.StartNew(() =>
        {
            while (pollCount && !stop.IsCancellationRequested)
            {
                Assert.InRange(rx.Count, 0, Senders * PerSender);
            }
        }, TaskCreationOptions.LongRunning);

        await Task.WhenAll(senders).WaitAsync(Long * 3);
        await Task.WhenAll(spinning, blocking, asynchronous).WaitAsync(Long * 3);
        stop.Cancel();
        await poller.WaitAsync(Long);
        Assert.All(seen, count => Assert.Equal(1, count));
    }

    /// <summary>
    /// A receiver spins (or blocks) at a block's last slot while the sender claims it: the
    /// sender moves the tail to the phantom offset, installs the next block, links it and only
    /// then publishes, and the receiver must take the item and follow the link. Every round
    /// puts the receiver there first, for 3,000 blocks. (A blocking receiver parks there
    /// instead, at times: the send then hands over, which mixes hand-overs into the sequence.)
    /// </summary>
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task A_receiver_waiting_at_the_last_slot_races_the_sender_that_installs_the_next_block(bool blockingReceiver)
    {
        const int Rounds = 3_000;
        var (tx, rx) = Chan.Unbounded<int>();
        int received = 0;
        var receiver = Task.Factory.StartNew(() =>
        {
            for (int expected = 0; expected < Rounds * Block; expected++)
            {
                int item;
                if (blockingReceiver)
                {
                    item = rx.Receive();
                }
                else
                {
                    var spinner = default(SpinWait);
                    while (!rx.TryReceive(out item))
                    {
                        spinner.SpinOnce(sleep1Threshold: -1);
                    }
                }

                Assert.Equal(expected, item);
                Volatile.Write(ref received, expected + 1);
            }
        }, TaskCreationOptions.LongRunning);

        for (int round = 0; round < Rounds; round++)
        {
            int first = round * Block;
            for (int i = 0; i < Block - 1; i++)
            {
                Assert.True(tx.TrySend(first + i).IsSent);
            }

            // Let the receiver reach the last slot (it then waits there), then fill it.
            SpinUntil(() => Volatile.Read(ref received) == first + Block - 1 || receiver.IsCompleted, "the receiver waits at the last slot");
            Assert.True(tx.TrySend(first + Block - 1).IsSent);
        }

        await receiver.WaitAsync(Long);
        Assert.Equal(Rounds * Block, received);
        Assert.Equal(0, rx.Count);
    }

    /// <summary>
    /// The last receiver goes while senders are crossing block boundaries (some of them
    /// installing a block at that moment). No send may hang or throw; from its first
    /// Disconnected on, each sender keeps getting Disconnected with its item back; the buffer is
    /// empty afterwards (the items claimed before the disposal were waited for and dropped).
    /// </summary>
    [Fact]
    public async Task The_last_receiver_leaving_while_blocks_are_installed_disconnects_every_sender()
    {
        for (int round = 0; round < 100; round++)
        {
            var (tx, rx) = Chan.Unbounded<int>();
            int started = 0;
            var senders = Enumerable.Range(0, 3).Select(s =>
            {
                var mine = tx.Clone();
                return Task.Factory.StartNew(() =>
                {
                    using (mine)
                    {
                        Interlocked.Increment(ref started);
                        int i = 0;
                        while (mine.TrySend(i).IsSent)
                        {
                            i++;
                        }

                        for (int k = 0; k < 100; k++)
                        {
                            var again = mine.TrySend(i + k);
                            Assert.Equal(SendStatus.Disconnected, again.Status);
                            Assert.Equal(i + k, again.UnsentItem);
                        }
                    }
                }, TaskCreationOptions.LongRunning);
            }).ToArray();

            SpinUntil(() => Volatile.Read(ref started) == 3, "the senders run");
            SpinUntil(() => tx.Count > (round % 7) * Block, "some blocks are filled");
            rx.Dispose();
            await Task.WhenAll(senders).WaitAsync(Long);
            Assert.Equal(0, tx.Count);
            Assert.Equal(SendStatus.Disconnected, tx.TrySend(-1).Status);
            tx.Dispose();
        }
    }

    /// <summary>
    /// The last sender goes right after an item that lands on a block's last slot, its first
    /// slot, or the one before the last, while two receivers race for the items: they get all
    /// of them, once, then Disconnected.
    /// </summary>
    [Theory]
    [InlineData((3 * Block) - 1)]
    [InlineData(3 * Block)]
    [InlineData((3 * Block) + 1)]
    public async Task The_last_sender_leaving_at_a_block_boundary_lets_receivers_drain_then_disconnect(int total)
    {
        for (int round = 0; round < 300; round++)
        {
            var (tx, rx) = Chan.Unbounded<int>();
            var rx2 = rx.Clone();
            var got = new ConcurrentBag<int>();
            Task Drain(Receiver<int> r) => Task.Factory.StartNew(() =>
            {
                using (r)
                {
                    while (true)
                    {
                        var result = r.TryReceive(Long);
                        if (!result.IsReceived)
                        {
                            Assert.Equal(ReceiveStatus.Disconnected, result.Status);
                            return;
                        }

                        got.Add(result.Value);
                    }
                }
            }, TaskCreationOptions.LongRunning);

            var receivers = new[] { Drain(rx), Drain(rx2) };
            var tx2 = tx.Clone();
            var senders = new[] { tx, tx2 }.Select((mine, s) => Task.Run(() =>
            {
                using (mine)
                {
                    for (int i = s; i < total; i += 2)
                    {
                        Assert.True(mine.TrySend(i).IsSent);
                    }
                }
            })).ToArray();

            await Task.WhenAll(senders).WaitAsync(Long);
            await Task.WhenAll(receivers).WaitAsync(Long);
            Assert.Equal(Enumerable.Range(0, total), got.OrderBy(v => v));
        }
    }

    [Fact]
    public async Task A_long_backlog_drains_in_order_then_the_channel_keeps_working()
    {
        const int Backlog = 1_000_000;
        var (tx, rx) = Chan.Unbounded<int>();
        for (int i = 0; i < Backlog; i++)
        {
            Assert.True(tx.TrySend(i).IsSent);
        }

        Assert.Equal(Backlog, rx.Count);
        for (int i = 0; i < Backlog; i++)
        {
            Assert.True(rx.TryReceive(out int item));
            Assert.Equal(i, item);
            if (i % 100_003 == 0)
            {
                Assert.Equal(Backlog - i - 1, rx.Count);
            }
        }

        Assert.Equal(ReceiveStatus.Empty, rx.TryReceive().Status);
        Assert.Equal(0, rx.Count);

        // A second backlog, drained by two receivers at once: each item exactly once.
        for (int i = 0; i < Backlog / 5; i++)
        {
            Assert.True(tx.TrySend(i).IsSent);
        }

        tx.Dispose();
        var seen = new int[Backlog / 5];
        var rx2 = rx.Clone();
        await Task.WhenAll(new[] { rx, rx2 }.Select(r => Task.Run(() =>
        {
            foreach (var v in r) Interlocked.Increment(ref seen[v]);
        }))).WaitAsync(Long);
        Assert.All(seen, count => Assert.Equal(1, count));
    }

    /// <summary>
    /// The buffer is written and read through the lock at every offset, the last slot
    /// included: an interop read watcher waiting on the empty channel keeps the fast paths
    /// frozen, so the next send buffers on the locked path (installing the next block there
    /// when it lands on the last slot), and the lock-free paths then continue from there.
    /// </summary>
    [Fact]
    public async Task The_locked_paths_cross_block_boundaries_too()
    {
        var (tx, rx) = Chan.Unbounded<int>();
        var reader = rx.AsChannelReader();
        for (int i = 0; i < 5 * Block; i++)
        {
            var watcher = reader.WaitToReadAsync();
            Assert.False(watcher.IsCompleted);
            Assert.Equal((0, 0, 1, 0), rx.Core.QueuedNodes);
            Assert.True(tx.TrySend(2 * i).IsSent); // locked: buffers, wakes the watcher
            Assert.True(await watcher.AsTask().WaitAsync(Long));
            Assert.True(tx.TrySend((2 * i) + 1).IsSent); // lock-free again
            Assert.Equal(2, rx.Count);
            Assert.True(rx.TryReceive(out int a));
            Assert.True(rx.TryReceive(out int b));
            Assert.Equal((2 * i, (2 * i) + 1), (a, b));
        }

        // Disposing the receiver drops a backlog through the locked receive, block by block.
        for (int i = 0; i < 10 * Block; i++)
        {
            Assert.True(tx.TrySend(i).IsSent);
        }

        rx.Dispose();
        Assert.Equal(0, tx.Count);
        Assert.Equal(SendStatus.Disconnected, tx.TrySend(0).Status);
    }

    /// <summary>A 128-byte item is never seen torn or mixed with another, across blocks, with two senders and two receivers.</summary>
    [Fact]
    public async Task Large_items_arrive_whole()
    {
        const int PerSender = 50_000;
        var (tx, rx) = Chan.Unbounded<Wide>();
        var tx2 = tx.Clone();
        var rx2 = rx.Clone();
        var senders = new[] { tx, tx2 }.Select((mine, s) => Task.Factory.StartNew(() =>
        {
            using (mine)
            {
                for (int i = 0; i < PerSender; i++)
                {
                    Assert.True(mine.TrySend(Wide.Of((s * PerSender) + i)).IsSent);
                }
            }
        }, TaskCreationOptions.LongRunning)).ToArray();
        var seen = new int[2 * PerSender];
        var receivers = new[] { rx, rx2 }.Select(mine => Task.Factory.StartNew(() =>
        {
            foreach (var w in mine)
            {
                Assert.True(w.IsWhole, "a torn item");
                Interlocked.Increment(ref seen[w.A]);
            }
        }, TaskCreationOptions.LongRunning)).ToArray();
        await Task.WhenAll(senders.Concat(receivers)).WaitAsync(Long * 3);
        Assert.All(seen, count => Assert.Equal(1, count));
    }

    /// <summary>
    /// A received item is no longer referenced by the channel (its slot is cleared, in the
    /// current block as in the passed ones), and neither are items dropped when the last
    /// receiver goes.
    /// </summary>
    [Fact]
    public void References_are_released_after_receive_and_after_the_receivers_leave()
    {
        var (tx, rx) = Chan.Unbounded<object>();
        var received = SendAndReceive(tx, rx, (3 * Block) + 5); // the head ends mid-block
        var dropped = SendOnly(tx, (2 * Block) + 3);
        Collect();
        Assert.All(received, w => Assert.False(w.IsAlive, "a received item is still referenced"));
        Assert.All(dropped, w => Assert.True(w.IsAlive, "a buffered item must stay alive"));

        rx.Dispose();
        Collect();
        Assert.All(dropped, w => Assert.False(w.IsAlive, "an item dropped with the receivers is still referenced"));
        GC.KeepAlive(tx);
    }

    /// <summary>
    /// With a backlog of many blocks, steady sending and receiving reuses the blocks the
    /// receivers are done with: 0 bytes per message (single-threaded, so every retired block
    /// is fully read when the sender needs the next one).
    /// </summary>
    [Fact]
    public void A_steady_backlog_reuses_its_blocks_and_allocates_nothing()
    {
        var (tx, rx) = Chan.Unbounded<long>();
        for (int i = 0; i < 1_000; i++)
        {
            tx.TrySend(i);
        }

        void Body()
        {
            for (int i = 0; i < 10_000; i++)
            {
                tx.TrySend(i);
                rx.TryReceive(out _);
            }
        }

        Body();
        Body();
        long before = GC.GetAllocatedBytesForCurrentThread();
        Body();
        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
        Assert.Equal(1_000, rx.Count);
    }

    private static void Collect()
    {
        GC.Collect();
        GC.WaitForPendingFinalizers();
        GC.Collect();
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static WeakReference[] SendAndReceive(Sender<object> tx, Receiver<object> rx, int count)
    {
        var refs = SendOnly(tx, count);
        for (int i = 0; i < count; i++)
        {
            Assert.True(rx.TryReceive(out _));
        }

        return refs;
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static WeakReference[] SendOnly(Sender<object> tx, int count)
    {
        var refs = new WeakReference[count];
        for (int i = 0; i < count; i++)
        {
            var item = new object();
            refs[i] = new WeakReference(item);
            Assert.True(tx.TrySend(item).IsSent);
        }

        return refs;
    }

    /// <summary>A 128-byte item whose sixteen fields all carry the same number.</summary>
    private readonly record struct Wide(long A, long B, long C, long D, long E, long F, long G, long H, long I, long J, long K, long L, long M, long N, long O, long P)
    {
        public static Wide Of(long v) => new(v, v, v, v, v, v, v, v, v, v, v, v, v, v, v, v);

        public bool IsWhole
        {
            get
            {
                long a = A;
                return new[] { B, C, D, E, F, G, H, I, J, K, L, M, N, O, P }.All(x => x == a);
            }
        }
    }
}
