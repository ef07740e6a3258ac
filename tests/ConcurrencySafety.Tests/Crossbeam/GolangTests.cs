// Ported from crossbeam-channel's tests/golang.rs (https://github.com/crossbeam-rs/crossbeam,
// crossbeam-channel/tests/golang.rs, MIT OR Apache-2.0), which is itself a port of Go's channel
// tests (https://github.com/golang/go: test/chan/*.go, test/ken/chan*.go,
// src/runtime/chan_test.go; BSD-3-Clause). Rewritten for this library's API; no code copied.
//
// Mapping: Go's make(chan T, n) is Chan.Bounded<T>(n) (0 gives a rendezvous channel), close(c)
// is disposing the sender, a receive from a closed channel is a ReceiveResult that reports
// Disconnected (or an arm's disconnected handler), a nil channel in a select is an arm left out
// (SelectSet.Disable, or not added), a goroutine is a thread (Goroutines below joins them all).
// Go's loops that never end (generators, receivers looping for ever) end here by disposal, so
// that every thread a test starts is joined before it returns.
//
// Timing: Go's and crossbeam's tests sleep (1 ms) before checking that something has NOT
// happened; those checks hold whatever the sleep (nothing could have happened), so the sleeps
// only make the interesting interleaving likely. Where Go gives up after a number of tries
// (nonblock.go), the port spins until the other side acts, with a one-minute limit that only
// turns a hang into a failure. Statistical checks use margins of 10 standard deviations.
//
// Counts: Go's large iteration counts are scaled down in the suite; CSA_GOLANG_FULL=1 runs them
// in full. Not ported, and why: see README.md in this folder.
using System.Diagnostics;

namespace ConcurrencySafety.Tests.Crossbeam;

/// <summary>golang.rs: Go's own channel tests.</summary>
public sealed class GolangTests
{
    /// <summary>Whether to run Go's full iteration counts (<c>CSA_GOLANG_FULL=1</c>) instead of the suite's.</summary>
    private static readonly bool Full = Environment.GetEnvironmentVariable("CSA_GOLANG_FULL") == "1";

    private static readonly TimeSpan Forever = Timeout.InfiniteTimeSpan;

    private static int Scaled(int suite, int full) => Full ? full : suite;

    // ---------------------------------------------------------------- test/chan/doubleselect.go

    /// <summary>
    /// One sender selects over four rendezvous channels; four muxes forward each into one
    /// channel; the receiver must see every value exactly once (Go checks duplicates only; the
    /// port also checks that none is missing).
    /// </summary>
    [Fact]
    public void Doubleselect()
    {
        var n = Scaled(2_000, 10_000);
        var channels = Enumerable.Range(0, 4).Select(_ => Chan.Rendezvous<int>()).ToArray();
        var (muxTx, muxRx) = Chan.Rendezvous<int>();
        var (doneTx, doneRx) = Chan.Rendezvous<bool>();
        var seen = new HashSet<int>();
        using var go = new Goroutines();
        go.Run(() =>
        {
            var next = 0;
            var selector = new Selector();
            foreach (var (tx, _) in channels)
            {
                selector.Send(tx, () => next);
            }

            for (; next < n; next++)
            {
                selector.Select();
            }

            foreach (var (tx, _) in channels)
            {
                tx.Dispose();
            }
        });
        foreach (var (_, rx) in channels)
        {
            go.Run(() =>
            {
                foreach (var v in rx)
                {
                    muxTx.Send(v);
                }

                doneTx.Send(true);
            });
        }

        go.Run(() =>
        {
            for (var i = 0; i < 4; i++)
            {
                doneRx.Receive();
            }

            muxTx.Dispose();
        });
        foreach (var v in muxRx)
        {
            Assert.True(seen.Add(v), $"got duplicate value {v}");
        }

        go.Join();
        Assert.Equal(n, seen.Count);
    }

    // ---------------------------------------------------------------- test/chan/fifo.go

    [Fact]
    public void Asynch_fifo()
    {
        const int N = 10;
        var (tx, rx) = Chan.Bounded<int>(N);
        for (var i = 0; i < N; i++)
        {
            tx.Send(i);
        }

        for (var i = 0; i < N; i++)
        {
            Assert.Equal(i, rx.Receive());
        }
    }

    /// <summary>
    /// Ten threads wait in a chain, each for its predecessor's signal, then receive once from a
    /// shared rendezvous channel: the values arrive in the order the chain releases them.
    /// </summary>
    [Fact]
    public void Synch_fifo()
    {
        const int N = 10;
        var (chTx, chRx) = Chan.Rendezvous<int>();
        var start = Chan.Rendezvous<int>();
        var input = start;
        using var go = new Goroutines();
        for (var i = 0; i < N; i++)
        {
            var output = Chan.Rendezvous<int>();
            var (value, inRx, outTx) = (i, input.Receiver, output.Sender);
            go.Run(() =>
            {
                inRx.Receive();
                Assert.Equal(value, chRx.Receive());
                outTx.Send(1);
            });
            input = output;
        }

        start.Sender.Send(0);
        for (var i = 0; i < N; i++)
        {
            chTx.Send(i);
        }

        input.Receiver.Receive();
        go.Join();
    }

    // ---------------------------------------------------------------- test/chan/goroutines.go

    /// <summary>A chain of 100 threads, each passing one value from its right to its left rendezvous channel.</summary>
    [Fact]
    public void Goroutines_chain()
    {
        const int N = 100;
        var leftmost = Chan.Rendezvous<int>();
        var left = leftmost;
        using var go = new Goroutines();
        for (var i = 0; i < N; i++)
        {
            var right = Chan.Rendezvous<int>();
            var (l, r) = (left.Sender, right.Receiver);
            go.Run(() => l.Send(r.Receive()));
            left = right;
        }

        var last = left.Sender;
        go.Run(() => last.Send(1));
        Assert.Equal(1, leftmost.Receiver.Receive());
        go.Join();
    }

    // ---------------------------------------------------------------- test/chan/nonblock.go

    /// <summary>
    /// Non-blocking sends and receives (a select with a default) against a partner thread, on
    /// rendezvous and one-slot channels, for four element types: an empty channel's receive
    /// takes the default, and repeated tries eventually meet the partner.
    /// </summary>
    [Fact]
    public void Nonblock()
    {
        for (var buffer = 0; buffer < 2; buffer++)
        {
            NonblockRound(buffer, 123, 234);
            NonblockRound(buffer, 123456L, 234567L);
            NonblockRound(buffer, true, true);
            NonblockRound(buffer, "hello", "hello again");
        }
    }

    private static void NonblockRound<T>(int buffer, T toReceiver, T fromSender)
    {
        var (tx, rx) = Chan.Bounded<T>(buffer);
        var (syncTx, syncRx) = Chan.Rendezvous<bool>();

        Assert.Equal(-1, new Selector().Receive(rx, _ => Assert.Fail("blocked sender")).Default(() => { }).Select());

        // A receiver thread; we send without blocking until it has taken the value.
        using (var go = new Goroutines())
        {
            go.Run(() =>
            {
                Assert.Equal(toReceiver, rx.Receive());
                syncTx.Send(true);
            });
            SpinSelect(new Selector().Send(tx, toReceiver).Default(() => { }));
            syncRx.Receive();
            go.Join();
        }

        // A sender thread; we receive without blocking until its value is there.
        using (var go = new Goroutines())
        {
            go.Run(() =>
            {
                tx.Send(fromSender);
                syncTx.Send(true);
            });
            if (buffer > 0)
            {
                syncRx.Receive();
            }

            var got = default(T);
            SpinSelect(new Selector().Receive(rx, v => got = v).Default(() => { }));
            Assert.Equal(fromSender, got);
            if (buffer == 0)
            {
                syncRx.Receive();
            }

            go.Join();
        }
    }

    /// <summary>Runs a select with a default until an arm other than the default completes (Go's retry loop, without its time limit).</summary>
    private static void SpinSelect(Selector selector)
    {
        var clock = Stopwatch.StartNew();
        while (selector.Select() == -1)
        {
            Assert.True(clock.Elapsed < Goroutines.HangLimit, "the partner never became ready");
            Thread.Yield();
        }
    }

    // ---------------------------------------------------------------- test/chan/select.go

    /// <summary>
    /// A send select over two one-slot channels, a channel set to nil once it was sent on, and a
    /// default: each channel gets exactly one value, and every select evaluates both values
    /// (Go evaluates every send arm's expression once per select, chosen or not).
    /// </summary>
    [Fact]
    public void Select()
    {
        var shift = 0;
        var counter = 0;
        uint GetValue()
        {
            counter++;
            return 1u << shift;
        }

        int Send(Sender<uint>? a, Sender<uint>? b)
        {
            var i = 0;
            while (true)
            {
                // Both values are computed every round, as Go computes both arms' expressions.
                var (v1, v2) = (GetValue(), GetValue());
                var selector = new Selector();
                var broke = false;
                if (a is not null)
                {
                    selector.Send(a, v1, () => { i++; a = null; });
                }

                if (b is not null)
                {
                    selector.Send(b, v2, () => { i++; b = null; });
                }

                selector.Default(() => broke = true).Select();
                if (broke)
                {
                    return i;
                }

                shift++;
            }
        }

        var (aTx, aRx) = Chan.Bounded<uint>(1);
        var (bTx, bRx) = Chan.Bounded<uint>(1);
        Assert.Equal(2, Send(aTx, bTx));
        Assert.Equal(3u, aRx.Receive() | bRx.Receive());
        Assert.Equal(1, Send(aTx, null));
        Assert.Equal(10, counter);
    }

    // ---------------------------------------------------------------- test/chan/select2.go

    /// <summary>
    /// A receiver selects between a busy unbounded channel and an idle one: the idle arm is never
    /// chosen, every value arrives. Go's check that the select retains no memory becomes: the
    /// receiving thread's second run of selects, on one reused selector, allocates less than one
    /// byte per select (the library promises that a select in steady state allocates nothing).
    /// </summary>
    [Fact]
    public void Select2()
    {
        var n = Scaled(20_000, 100_000);
        var (tx, rx) = Chan.Unbounded<int>();
        var (_, dummy) = Chan.Unbounded<int>();
        var received = 0;
        var selector = new Selector().Receive(rx, _ => received++).Receive(dummy, _ => Assert.Fail("dummy"));

        void Round()
        {
            using var go = new Goroutines();
            go.Run(() =>
            {
                for (var i = 0; i < n; i++)
                {
                    tx.Send(1);
                }
            });
            for (var i = 0; i < n; i++)
            {
                selector.Select();
            }

            go.Join();
        }

        Round();
        var before = GC.GetAllocatedBytesForCurrentThread();
        Round();
        var allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.Equal(2 * n, received);

        // The round itself allocates a thread and its bookkeeping (a few kilobytes): the margin.
        Assert.True(allocated < n + 16_384, $"{n} selects allocated {allocated} bytes on the receiving thread");
    }

    // ---------------------------------------------------------------- test/chan/select4.go

    [Fact]
    public void Select4()
    {
        var (cTx, cRx) = Chan.Bounded<int>(1);
        var (_, c1Rx) = Chan.Rendezvous<int>();
        cTx.Send(42);
        var got = 0;
        Assert.Equal(1, new Selector().Receive(c1Rx, _ => Assert.Fail("BUG")).Receive(cRx, v => got = v).Select());
        Assert.Equal(42, got);
    }

    // ---------------------------------------------------------------- test/chan/select6.go

    /// <summary>
    /// Go issue 2075: a select that lost its arm on c1 to another receiver, and completed on c2,
    /// must leave no trace on c1; two later sends on c1 both reach receivers.
    /// </summary>
    [Fact]
    public void Select6()
    {
        var (c1Tx, c1Rx) = Chan.Rendezvous<bool>();
        var (c2Tx, c2Rx) = Chan.Rendezvous<bool>();
        var (c3Tx, c3Rx) = Chan.Rendezvous<bool>();
        using var go = new Goroutines();
        go.Run(() => c1Rx.Receive());
        go.Run(() =>
        {
            new Selector().Receive(c1Rx, _ => Assert.Fail("dummy")).Receive(c2Rx, _ => c3Tx.Send(true)).Select();
            c1Rx.Receive();
        });
        go.Run(() => c2Tx.Send(true));
        c3Rx.Receive();
        c1Tx.Send(true);
        c1Tx.Send(true);
        go.Join();
    }

    // ---------------------------------------------------------------- test/chan/select7.go

    /// <summary>
    /// Every pairing of a plain, a one-arm-select and a two-arm-select receive with the same
    /// three kinds of send. The channels are rendezvous channels, as in Go's select7.go
    /// (crossbeam's port makes them one-slot channels; then a two-arm send select may fill the
    /// idle second channel and leave the receiver blocked for ever, which a Rust test process
    /// does not notice at exit, and a joined thread here does).
    /// </summary>
    [Fact]
    public void Select7()
    {
        Action<Receiver<int>>[] receives =
        [
            c => c.Receive(),
            c => new Selector().Receive(c, _ => { }).Select(),
            c =>
            {
                var (_, c2) = Chan.Rendezvous<int>();
                new Selector().Receive(c, _ => { }).Receive(c2, _ => { }).Select();
            },
        ];
        Action<Sender<int>>[] sends =
        [
            c => c.Send(1),
            c => new Selector().Send(c, 1).Select(),
            c =>
            {
                var (c2, _) = Chan.Rendezvous<int>();
                new Selector().Send(c, 1).Send(c2, 1).Select();
            },
        ];
        foreach (var receive in receives)
        {
            foreach (var send in sends)
            {
                var (tx, rx) = Chan.Rendezvous<int>();
                using var go = new Goroutines();
                go.Run(() => receive(rx));
                Thread.Yield();
                send(tx);
                go.Join();
            }
        }
    }

    // ---------------------------------------------------------------- test/chan/sieve1.go

    /// <summary>
    /// The concurrent prime sieve: a generator and a chain of filters, one thread each. Go's
    /// goroutines run for ever; here the first 25 primes are checked, then disposing the primes
    /// receiver disconnects the chain stage by stage back to the generator.
    /// </summary>
    [Fact]
    public void Sieve1()
    {
        int[] expected = [2, 3, 5, 7, 11, 13, 17, 19, 23, 29, 31, 37, 41, 43, 47, 53, 59, 61, 67, 71, 73, 79, 83, 89, 97];
        using var go = new Goroutines();
        var (primesTx, primesRx) = Chan.Bounded<int>(1);

        void Generate(Sender<int> tx)
        {
            using (tx)
            {
                for (var i = 2; tx.TrySend(i, Forever).Status == SendStatus.Sent; i++)
                {
                }
            }
        }

        void Filter(Receiver<int> input, Sender<int> output, int prime)
        {
            using (input)
            using (output)
            {
                foreach (var i in input)
                {
                    if (i % prime != 0 && output.TrySend(i, Forever).Status != SendStatus.Sent)
                    {
                        return;
                    }
                }
            }
        }

        go.Run(() =>
        {
            var (genTx, ch) = Chan.Bounded<int>(1);
            go.Run(() => Generate(genTx));
            try
            {
                while (true)
                {
                    var prime = ch.Receive();
                    if (primesTx.TrySend(prime, Forever).Status != SendStatus.Sent)
                    {
                        return;
                    }

                    var (nextTx, nextRx) = Chan.Bounded<int>(1);
                    var (input, p) = (ch, prime);
                    go.Run(() => Filter(input, nextTx, p));
                    ch = nextRx;
                }
            }
            finally
            {
                ch.Dispose();
                primesTx.Dispose();
            }
        });

        foreach (var prime in expected)
        {
            Assert.Equal(prime, primesRx.Receive());
        }

        primesRx.Dispose();
        go.Join();
    }

    // ---------------------------------------------------------------- test/chan/zerosize.go

    private readonly struct ZeroSize
    {
    }

    [Fact]
    public void Zero_size_struct()
    {
        // Go only makes the channel; the port also passes a value through it.
        var (tx, rx) = Chan.Rendezvous<ZeroSize>();
        Threads.Run(() => tx.Send(default), () => rx.Receive());
    }

    [Fact]
    public void Zero_size_array()
    {
        var (tx, rx) = Chan.Rendezvous<byte[]>();
        Threads.Run(() => tx.Send([]), () => Assert.Empty(rx.Receive()));
    }

    // ---------------------------------------------------------------- src/runtime/chan_test.go

    /// <summary>
    /// TestChan, for every capacity from 0: a receive from an empty channel blocks, a send to a
    /// full one blocks, a closed channel gives its buffered values then reports disconnected,
    /// closing unblocks a receiver, and 100 values arrive in order (twice).
    /// </summary>
    [Fact]
    public void Test_chan()
    {
        var capacities = Scaled(24, 200);
        const int Messages = 100;
        for (var cap = 0; cap < capacities; cap++)
        {
            {
                // A receive from an empty channel blocks; a non-blocking one does not.
                var (tx, rx) = Chan.Bounded<int>(cap);
                var received = 0;
                using var go = new Goroutines();
                go.Run(() => { rx.Receive(); Interlocked.Increment(ref received); });
                go.Run(() => { rx.Receive(); Interlocked.Increment(ref received); });
                Thread.Sleep(1);
                Assert.Equal(0, Volatile.Read(ref received));
                Assert.Equal(-1, new Selector().Receive(rx, _ => Assert.Fail("received")).Default(() => { }).Select());
                Assert.Equal(-1, new Selector().Receive(rx, _ => Assert.Fail("received")).Default(() => { }).Select());
                tx.Send(0);
                tx.Send(0);
                go.Join();
                Assert.Equal(2, received);
            }

            {
                // A send to a full channel blocks; a non-blocking one does not.
                var (tx, rx) = Chan.Bounded<int>(cap);
                for (var i = 0; i < cap; i++)
                {
                    tx.Send(i);
                }

                var sent = 0;
                using var go = new Goroutines();
                go.Run(() => { tx.Send(0); Volatile.Write(ref sent, 1); });
                Thread.Sleep(1);
                Assert.Equal(0, Volatile.Read(ref sent));
                Assert.Equal(-1, new Selector().Send(tx, 0, () => Assert.Fail("sent")).Default(() => { }).Select());
                rx.Receive();
                go.Join();
                Assert.Equal(1, sent);
            }

            {
                // A closed channel gives its buffered values, then reports disconnected.
                var (tx, rx) = Chan.Bounded<int>(cap);
                for (var i = 0; i < cap; i++)
                {
                    tx.Send(i);
                }

                tx.Dispose();
                for (var i = 0; i < cap; i++)
                {
                    Assert.Equal(i, rx.Receive());
                }

                Assert.True(rx.TryReceive(Forever).IsDisconnected);
                Assert.True(rx.TryReceive().IsDisconnected);
            }

            {
                // Closing unblocks a receiver.
                var (tx, rx) = Chan.Bounded<int>(cap);
                var (doneTx, doneRx) = Chan.Rendezvous<bool>();
                using var go = new Goroutines();
                go.Run(() => doneTx.Send(rx.TryReceive(Forever).IsDisconnected));
                Thread.Sleep(1);
                tx.Dispose();
                Assert.True(doneRx.Receive());
                go.Join();
            }

            {
                // Many values arrive uncorrupted and in order, twice over one channel.
                var (tx, rx) = Chan.Bounded<int>(cap);
                for (var round = 0; round < 2; round++)
                {
                    using var go = new Goroutines();
                    go.Run(() =>
                    {
                        for (var i = 0; i < Messages; i++)
                        {
                            tx.Send(i);
                        }
                    });
                    for (var i = 0; i < Messages; i++)
                    {
                        Assert.Equal(i, rx.TryReceive(Forever).Value);
                    }

                    go.Join();
                }
            }
        }
    }

    /// <summary>A non-blocking receive racing close: the item sent before the close is ready, so the default never runs.</summary>
    [Fact]
    public void Test_nonblock_recv_race()
    {
        for (var k = 0; k < 1_000; k++)
        {
            var (tx, rx) = Chan.Bounded<int>(1);
            tx.Send(1);
            var rx2 = rx.Clone();
            using var go = new Goroutines();
            go.Run(() => new Selector().Receive(rx2, _ => { }, () => { }).Default(() => Assert.Fail("chan is not ready")).Select());
            tx.Dispose();
            rx.TryReceive(Forever);
            go.Join();
        }
    }

    /// <summary>A non-blocking two-arm select while the main thread fills the second channel and drains the first: one of them is always ready.</summary>
    [Fact]
    public void Test_nonblock_select_race()
    {
        for (var k = 0; k < 1_000; k++)
        {
            var (c1Tx, c1Rx) = Chan.Bounded<int>(1);
            var (c2Tx, c2Rx) = Chan.Bounded<int>(1);
            c1Tx.Send(1);
            var ready = false;
            using var go = new Goroutines();
            go.Run(() => ready = new Selector().Receive(c1Rx, _ => { }).Receive(c2Rx, _ => { }).Default(() => { }).Select() >= 0);
            c2Tx.Send(1);
            new Selector().Receive(c1Rx, _ => { }).Default(() => { }).Select();
            go.Join();
            Assert.True(ready, "no chan is ready");
        }
    }

    /// <summary>As <see cref="Test_nonblock_select_race"/>, the second channel being closed (a rendezvous channel) instead of filled.</summary>
    [Fact]
    public void Test_nonblock_select_race2()
    {
        for (var k = 0; k < 1_000; k++)
        {
            var (c1Tx, c1Rx) = Chan.Bounded<int>(1);
            var (c2Tx, c2Rx) = Chan.Rendezvous<int>();
            c1Tx.Send(1);
            var ready = false;
            using var go = new Goroutines();
            go.Run(() => ready = new Selector().Receive(c1Rx, _ => { }).Receive(c2Rx, _ => { }, () => { }).Default(() => { }).Select() >= 0);
            c2Tx.Dispose();
            new Selector().Receive(c1Rx, _ => { }).Default(() => { }).Select();
            go.Join();
            Assert.True(ready, "no chan is ready");
        }
    }

    /// <summary>
    /// Two threads each select send-or-receive on one channel, in both arm orders: nothing
    /// deadlocks, and on a rendezvous channel no thread receives its own value.
    /// </summary>
    [Fact]
    public void Test_self_select()
    {
        const int N = 1_000;
        foreach (var cap in new[] { 0, 10 })
        {
            var (tx, rx) = Chan.Bounded<int>(cap);
            using var go = new Goroutines();
            for (var p = 0; p < 2; p++)
            {
                var self = p;
                go.Run(() =>
                {
                    void OnReceive(int v) => Assert.False(cap == 0 && v == self, "self receive");
                    var sendFirst = new Selector().Send(tx, self).Receive(rx, OnReceive);
                    var receiveFirst = new Selector().Receive(rx, OnReceive).Send(tx, self);
                    for (var i = 0; i < N; i++)
                    {
                        (self == 0 || i % 2 == 0 ? sendFirst : receiveFirst).Select();
                    }
                });
            }

            go.Join();
        }
    }

    /// <summary>
    /// Per channel (two rendezvous, capacities 2 and 3): a plain sender and a plain receiver,
    /// plus one thread sending on all four in one select and one receiving from all four in
    /// one select, each retiring a channel once it has done its share. Nothing deadlocks.
    /// </summary>
    [Fact]
    public void Test_select_stress()
    {
        var n = Scaled(2_000, 10_000);
        var channels = new[] { Chan.Bounded<int>(0), Chan.Bounded<int>(0), Chan.Bounded<int>(2), Chan.Bounded<int>(3) };
        using var go = new Goroutines();
        foreach (var (tx, rx) in channels)
        {
            go.Run(() =>
            {
                for (var i = 0; i < n; i++)
                {
                    tx.Send(0);
                }
            });
            go.Run(() =>
            {
                for (var i = 0; i < n; i++)
                {
                    rx.Receive();
                }
            });
        }

        go.Run(() =>
        {
            var set = new SelectSet();
            var index = new int[4];
            foreach (var i in new[] { 3, 2, 0, 1 })
            {
                index[i] = set.AddReceive(channels[i].Receiver);
            }

            var counts = new int[4];
            for (var k = 0; k < 4 * n; k++)
            {
                var op = set.Select();
                var i = Array.IndexOf(index, op.Index);
                op.Receive(channels[i].Receiver);
                if (++counts[i] == n)
                {
                    set.Disable(index[i]);
                }
            }
        });
        go.Run(() =>
        {
            var set = new SelectSet();
            var index = new int[4];
            for (var i = 0; i < 4; i++)
            {
                index[i] = set.AddSend(channels[i].Sender, 0);
            }

            var counts = new int[4];
            for (var k = 0; k < 4 * n; k++)
            {
                var op = set.Select();
                var i = Array.IndexOf(index, op.Index);
                Assert.Equal(SendStatus.Sent, op.Send(channels[i].Sender).Status);
                if (++counts[i] == n)
                {
                    set.Disable(index[i]);
                }
            }
        });
        go.Join();
    }

    /// <summary>
    /// A select over two idle rendezvous channels and two always-ready buffered ones, the idle
    /// arms first: the two ready arms are chosen about equally often. Go allows 4.4172/(2·√N)
    /// (five nines); the port allows ten standard deviations, 10·0.5/√N (0.05 at N = 10,000),
    /// which a fair select misses with a probability far below 1e-20, while an unfair one (a
    /// random rotation picks the first ready arm after the start: 75%/25% here) misses by five times.
    /// </summary>
    [Fact]
    public void Test_select_fairness()
    {
        const int Trials = 10_000;
        var (c1Tx, c1Rx) = Chan.Bounded<byte>(Trials + 1);
        var (c2Tx, c2Rx) = Chan.Bounded<byte>(Trials + 1);
        for (var i = 0; i < Trials + 1; i++)
        {
            c1Tx.Send(1);
            c2Tx.Send(2);
        }

        var (_, c3Rx) = Chan.Rendezvous<byte>();
        var (_, c4Rx) = Chan.Rendezvous<byte>();
        var (outTx, outRx) = Chan.Rendezvous<byte>();
        var (doneTx, doneRx) = Chan.Rendezvous<byte>();
        using var go = new Goroutines();
        go.Run(() =>
        {
            byte b = 0;
            var receive = new Selector().Receive(c3Rx, m => b = m).Receive(c4Rx, m => b = m).Receive(c1Rx, m => b = m).Receive(c2Rx, m => b = m);
            var done = false;
            var forward = new Selector().Send(outTx, () => b).Receive(doneRx, _ => { }, () => done = true);
            while (!done)
            {
                receive.Select();
                forward.Select();
            }
        });

        var (count1, count2) = (0, 0);
        for (var i = 0; i < Trials; i++)
        {
            switch (outRx.Receive())
            {
                case 1: count1++; break;
                case 2: count2++; break;
                case var b: Assert.Fail($"unexpected value {b} on channel"); break;
            }
        }

        doneTx.Dispose();
        go.Join();
        var e = Math.Abs(((double)count1 / Trials) - 0.5);
        Assert.True(e <= 10 * 0.5 / Math.Sqrt(Trials), $"unfair select: in {Trials} trials, results were {count1}, {count2}");
    }

    /// <summary>Go's interface-typed channel: boxed values through send arms with a default, one and two arms on the same full channel.</summary>
    [Fact]
    public void Test_chan_send_interface()
    {
        var (tx, rx) = Chan.Bounded<object>(1);
        tx.Send(new object());
        Assert.Equal(-1, new Selector().Send(tx, new object()).Default(() => { }).Select());
        Assert.Equal(-1, new Selector().Send(tx, new object()).Send(tx, new object()).Default(() => { }).Select());
        Assert.Equal(1, rx.Count);
    }

    /// <summary>
    /// A select of two send arms on one channel (values 1 and 0), at every capacity from 0 to
    /// 99: both values appear more than 10 times in 100 (a fair choice misses that with a
    /// probability of about 1e-17).
    /// </summary>
    [Fact]
    public void Test_pseudo_random_send()
    {
        const int N = 100;
        for (var cap = 0; cap < N; cap++)
        {
            var (tx, rx) = Chan.Bounded<int>(cap);
            var got = new int[N];
            using var go = new Goroutines();
            go.Run(() =>
            {
                for (var i = 0; i < N; i++)
                {
                    Thread.Yield();
                    got[i] = rx.Receive();
                }
            });
            var selector = new Selector().Send(tx, 1).Send(tx, 0);
            for (var i = 0; i < N; i++)
            {
                selector.Select();
            }

            go.Join();
            var ones = got.Sum();
            var zeros = N - ones;
            Assert.True(zeros > N / 10 && ones > N / 10, $"want pseudorandom, got {zeros} zeros and {ones} ones (chan cap {cap})");
        }
    }

    /// <summary>
    /// 23 workers take values from one queue and pass them to one result channel, some yielding
    /// on some values: every value arrives once (count and sum).
    /// </summary>
    [Fact]
    public void Test_multi_consumer()
    {
        const int Workers = 23;
        var iterations = Scaled(20_000, 271_828);
        int[] pn = [2, 3, 7, 11, 13, 17, 19, 23, 27, 31];
        var (qTx, qRx) = Chan.Bounded<int>(Workers * 3);
        var (rTx, rRx) = Chan.Bounded<int>(Workers * 3);
        using var workersDone = new CountdownEvent(Workers);
        long expect = 0;
        using var go = new Goroutines();
        for (var w = 0; w < Workers; w++)
        {
            var worker = w;
            go.Run(() =>
            {
                foreach (var v in qRx)
                {
                    if (pn[worker % pn.Length] == v)
                    {
                        Thread.Yield();
                    }

                    rTx.Send(v);
                }

                workersDone.Signal();
            });
        }

        go.Run(() =>
        {
            for (var i = 0; i < iterations; i++)
            {
                var v = pn[i % pn.Length];
                expect += v;
                qTx.Send(v);
            }

            qTx.Dispose();
            workersDone.Wait();
            rTx.Dispose();
        });
        var (n, s) = (0, 0L);
        foreach (var v in rRx)
        {
            n++;
            s += v;
        }

        go.Join();
        Assert.Equal((iterations, expect), (n, s));
    }

    /// <summary>One select waits on three channels; a plain receiver then queues on one of them too: both are served, each once.</summary>
    [Fact]
    public void Test_select_duplicate_channel()
    {
        var (cTx, cRx) = Chan.Rendezvous<int>();
        var (dTx, dRx) = Chan.Rendezvous<int>();
        var (eTx, eRx) = Chan.Rendezvous<int>();
        using var go = new Goroutines();
        go.Run(() =>
        {
            new Selector().Receive(cRx, _ => { }).Receive(dRx, _ => { }).Receive(eRx, _ => { }).Select();
            eTx.Send(9);
        });
        Thread.Sleep(1);
        go.Run(() => cRx.Receive());
        Thread.Sleep(1);
        dTx.Send(7);
        Assert.Equal(9, eRx.Receive());
        cTx.Send(8);
        go.Join();
    }

    // ---------------------------------------------------------------- test/ken/chan.go

    /// <summary>
    /// Direct sends and receives, and selects of up to four receive and four send arms, against
    /// each other over 4, 8 and 12 channels, at capacities 0, 1, 10 and 100. Every channel
    /// carries 76 values in order; the totals of sends and receives are exact.
    /// </summary>
    [Fact]
    public void Ken_chan() => new KenChan().Run();

    private sealed class KenChan
    {
        private const int PerChannel = 76;
        private const int RangeLength = 100;
        private const int End = 10_000;
        private readonly object _randomLock = new();
        private int _cval;
        private int _randx;
        private int _sends;
        private int _receives;

        public void Run()
        {
            foreach (var capacity in new[] { 0, 1, 10, 100 })
            {
                Tests(capacity);
            }

            const int Expected = 4 * ((4 * 4) + 8 + 12) * PerChannel;
            Assert.Equal((Expected, Expected), (_sends, _receives));
        }

        /// <summary>A channel with the next value its sender sends and its receiver expects.</summary>
        private sealed class Counted(Sender<int> sender, Receiver<int> receiver, int first)
        {
            public Sender<int> Sender { get; } = sender;

            public Receiver<int> Receiver { get; } = receiver;

            public int Sv { get; set; } = first;

            public int Rv { get; set; } = first;
        }

        private void Tests(int capacity)
        {
            var ca = MakeChannels(capacity, 4);
            Go(ca.Select(c => (Action)(() => Send(c))).Concat(ca.Select(c => (Action)(() => Receive(c)))));

            ca = MakeChannels(capacity, 4);
            Go(ca.Select(c => (Action)(() => Send(c))).Append(() => Select(ca, [])));

            ca = MakeChannels(capacity, 4);
            Go(ca.Select(c => (Action)(() => Receive(c))).Append(() => Select([], ca)));

            ca = MakeChannels(capacity, 4);
            Go([() => Select([], ca), () => Select(ca, [])]);

            ca = MakeChannels(capacity, 8);
            Go([() => Select(ca[4..8], ca[0..4]), () => Select(ca[0..4], ca[4..8])]);

            ca = MakeChannels(capacity, 12);
            Go(ca[4..8].Select(c => (Action)(() => Send(c)))
                .Concat(ca[8..12].Select(c => (Action)(() => Receive(c))))
                .Append(() => Select(ca[4..8], ca[0..4]))
                .Append(() => Select(ca[0..4], ca[8..12])));
        }

        private static void Go(IEnumerable<Action> bodies)
        {
            using var go = new Goroutines();
            foreach (var body in bodies)
            {
                go.Run(body);
            }

            go.Join();
        }

        private Counted[] MakeChannels(int capacity, int count)
        {
            var result = new Counted[count];
            for (var i = 0; i < count; i++)
            {
                _cval += RangeLength;
                var (tx, rx) = Chan.Bounded<int>(capacity);
                result[i] = new Counted(tx, rx, _cval);
            }

            return result;
        }

        private int NextRandom(int n)
        {
            lock (_randomLock)
            {
                _randx += 10007;
                if (_randx >= 1_000_000)
                {
                    _randx -= 1_000_000;
                }

                return _randx % n;
            }
        }

        private static int Expect(int v, int v0)
        {
            Assert.True(v == v0, $"got {v}, expected {v0 + 1}");
            return v % RangeLength == PerChannel - 1 ? End : v + 1;
        }

        /// <summary>Counts a completed send; true (and the channel closed) after the channel's last value.</summary>
        private bool Sent(Counted c)
        {
            Interlocked.Increment(ref _sends);
            c.Sv = Expect(c.Sv, c.Sv);
            if (c.Sv == End)
            {
                c.Sender.Dispose();
                return true;
            }

            return false;
        }

        /// <summary>Checks and counts a received value; true (and the receiver closed) after the channel's last value.</summary>
        private bool Received(Counted c, int v)
        {
            Interlocked.Increment(ref _receives);
            c.Rv = Expect(c.Rv, v);
            if (c.Rv == End)
            {
                c.Receiver.Dispose();
                return true;
            }

            return false;
        }

        private void Send(Counted c)
        {
            do
            {
                for (var i = 0; i <= NextRandom(10); i++)
                {
                    Thread.Yield();
                }

                c.Sender.Send(c.Sv);
            }
            while (!Sent(c));
        }

        private void Receive(Counted c)
        {
            do
            {
                for (var i = NextRandom(10); i > 0; i--)
                {
                    Thread.Yield();
                }
            }
            while (!Received(c, c.Receiver.Receive()));
        }

        /// <summary>One select over receives from <paramref name="receiveFrom"/> and sends to <paramref name="sendTo"/>; a finished channel's arm is disabled (Go sets it to nil).</summary>
        private void Select(Counted[] receiveFrom, Counted[] sendTo)
        {
            var set = new SelectSet();
            var arms = new List<(int Index, Counted Channel, bool IsReceive)>();
            foreach (var c in receiveFrom)
            {
                arms.Add((set.AddReceive(c.Receiver), c, true));
            }

            foreach (var c in sendTo)
            {
                arms.Add((set.AddSend(c.Sender, () => c.Sv), c, false));
            }

            for (var active = arms.Count; active > 0;)
            {
                for (var i = 0; i <= NextRandom(5); i++)
                {
                    Thread.Yield();
                }

                var op = set.Select();
                var (index, channel, isReceive) = arms.Single(a => a.Index == op.Index);
                var finished = isReceive
                    ? Received(channel, op.Receive(channel.Receiver))
                    : SentBy(op, channel);
                if (finished)
                {
                    set.Disable(index);
                    active--;
                }
            }
        }

        private bool SentBy(SelectedOperation op, Counted channel)
        {
            Assert.Equal(SendStatus.Sent, op.Send(channel.Sender).Status);
            return Sent(channel);
        }
    }

    // ---------------------------------------------------------------- test/ken/chan1.go

    /// <summary>
    /// One sender, ten receivers selecting on a two-slot channel: every value is marked sent
    /// before it is received, and received exactly once. Go's receivers loop for ever; here they
    /// stop when the sender closes the channel, and the port checks every value was received.
    /// </summary>
    [Fact]
    public void Ken_chan1()
    {
        const int N = 1_000;
        const int M = 10;
        const int W = 2;
        var h = new int[N];
        var (tx, rx) = Chan.Bounded<int>(W);
        using var go = new Goroutines();
        for (var m = 0; m < M; m++)
        {
            go.Run(() =>
            {
                var done = false;
                var selector = new Selector().Receive(
                    rx,
                    r =>
                    {
                        lock (h)
                        {
                            Assert.True(h[r] == 1, $"r={r} h={h[r]}");
                            h[r] = 2;
                        }
                    },
                    () => done = true);
                while (!done)
                {
                    selector.Select();
                }
            });
            Thread.Yield();
        }

        for (var n = 0; n < N; n++)
        {
            lock (h)
            {
                Assert.Equal(0, h[n]);
                h[n] = 1;
            }

            tx.Send(n);
        }

        tx.Dispose();
        go.Join();
        Assert.All(h, x => Assert.Equal(2, x));
    }

    /// <summary>
    /// Go's goroutines as threads: <see cref="Run"/> starts one (also from inside another),
    /// <see cref="Join"/> waits for all of them (a minute at most: that limit only turns a hang
    /// into a failure, it times nothing) and rethrows the first failure. Dispose joins too, so an
    /// assertion failing in the test body leaves no thread behind for long.
    /// </summary>
    private sealed class Goroutines : IDisposable
    {
        public static readonly TimeSpan HangLimit = TimeSpan.FromMinutes(1);

        private readonly List<Thread> _threads = [];
        private readonly System.Collections.Concurrent.ConcurrentQueue<Exception> _failures = new();
        private bool _joined;

        public void Run(Action body)
        {
            var thread = new Thread(() =>
            {
                try
                {
                    body();
                }
                catch (Exception e)
                {
                    _failures.Enqueue(e);
                }
            })
            { IsBackground = true };
            lock (_threads)
            {
                _threads.Add(thread);
            }

            thread.Start();
        }

        public void Join()
        {
            _joined = true;
            var deadline = Stopwatch.StartNew();
            for (var i = 0; ; i++)
            {
                Thread thread;
                lock (_threads)
                {
                    if (i == _threads.Count)
                    {
                        break;
                    }

                    thread = _threads[i];
                }

                var left = HangLimit - deadline.Elapsed;
                Assert.True(left > TimeSpan.Zero && thread.Join(left), "a thread of the test did not finish within a minute (a lost wake-up?)");
            }

            if (_failures.TryDequeue(out var first))
            {
                throw new AggregateException(first);
            }
        }

        public void Dispose()
        {
            if (!_joined)
            {
                // The test body failed before joining: give the threads a moment, report nothing
                // (the body's own failure is the one that matters).
                lock (_threads)
                {
                    foreach (var thread in _threads)
                    {
                        thread.Join(TimeSpan.FromSeconds(1));
                    }
                }
            }
        }
    }
}
