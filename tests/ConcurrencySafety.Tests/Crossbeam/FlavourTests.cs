// Ported from crossbeam-channel's tests/array.rs, tests/list.rs and tests/zero.rs
// (https://github.com/crossbeam-rs/crossbeam, crossbeam-channel/tests/, MIT OR Apache-2.0),
// rewritten for this library's API: bounded(n) is Chan.Bounded(n), unbounded() is
// Chan.Unbounded(), bounded(0) is Chan.Rendezvous(). The three files test the same behaviours
// per flavour, so they share this base class; what differs per flavour is in the subclasses.
// Timing: crossbeam orders events with sleeps of 0.5-1.5 s and asserts on what a timed call
// returns. Here the order that matters is forced with signals (or by spinning on a non-blocking
// call until the other side has acted), timeouts are only ever expected to expire on a channel
// nobody can fill, and the sleeps that remain only make an interleaving likely, never decide an
// assertion. Not ported, and why: see README.md in this folder.
using System.Collections.Concurrent;

namespace ConcurrencySafety.Tests.Crossbeam;

/// <summary>The behaviours array.rs, list.rs and zero.rs share, run on each flavour.</summary>
public abstract class FlavourTests
{
    /// <summary>A short timeout, for waits that must expire (nothing can arrive).</summary>
    protected static readonly TimeSpan Short = TimeSpan.FromMilliseconds(10);

    /// <summary>A long timeout, for waits that must not expire (the other side will act).</summary>
    protected static readonly TimeSpan Long = TimeSpan.FromSeconds(60);

    /// <summary>A channel of this flavour; <paramref name="capacity"/> is ignored where it means nothing.</summary>
    protected abstract (Sender<T> Sender, Receiver<T> Receiver) Create<T>(int capacity);

    /// <summary>The capacity this flavour really has when asked for <paramref name="capacity"/>.</summary>
    protected abstract int? ExpectedCapacity(int capacity);

    [Fact]
    public void Capacity()
    {
        for (var i = 1; i < 10; i++)
        {
            var (s, r) = Create<int>(i);
            Assert.Equal(ExpectedCapacity(i), s.Capacity);
            Assert.Equal(ExpectedCapacity(i), r.Capacity);
        }
    }

    [Fact]
    public void Recv()
    {
        var (s, r) = Create<int>(100);
        Threads.Run(
            () =>
            {
                Assert.Equal(7, r.Receive());
                Assert.Equal(8, r.Receive());
                Assert.Equal(9, r.Receive());
                Assert.Throws<ChannelDisconnectedException>(() => r.Receive());
            },
            () =>
            {
                Threads.Pause();
                s.Send(7);
                s.Send(8);
                Threads.Pause();
                s.Send(9);
                s.Dispose();
            });
    }

    [Fact]
    public void Recv_timeout()
    {
        var (s, r) = Create<int>(100);
        using var go = new ManualResetEventSlim();
        Threads.Run(
            () =>
            {
                // Nothing can arrive before the signal: the short wait must time out.
                Assert.Equal(ReceiveStatus.Timeout, r.TryReceive(Short).Status);
                go.Set();
                Assert.Equal(7, r.TryReceive(Long).Value);
                Assert.Equal(ReceiveStatus.Disconnected, r.TryReceive(Long).Status);
            },
            () =>
            {
                go.Wait();
                s.Send(7);
                s.Dispose();
            });
    }

    [Fact]
    public void Send()
    {
        var (s, r) = Create<int>(1);
        Threads.Run(
            () =>
            {
                s.Send(7);
                Threads.Pause();
                s.Send(8);
                Threads.Pause();
                s.Send(9);
                Threads.Pause();
                s.Send(10);
            },
            () =>
            {
                Threads.Pause();
                Assert.Equal(7, r.Receive());
                Assert.Equal(8, r.Receive());
                Assert.Equal(9, r.Receive());
                Assert.Equal(10, r.Receive());
            });
    }

    [Fact]
    public void Send_after_disconnect()
    {
        var (s, r) = Create<int>(100);
        foreach (var i in new[] { 1, 2, 3 })
        {
            s.TrySend(i); // fills a buffer; a rendezvous channel has no receiver waiting
        }

        r.Dispose();
        Assert.Throws<ChannelDisconnectedException>(() => s.Send(4));
        Assert.Equal(SendResult(SendStatus.Disconnected, 5), Describe(s.TrySend(5, Long)));
        Assert.Equal(SendResult(SendStatus.Disconnected, 6), Describe(s.TrySend(6)));
    }

    [Fact]
    public void Disconnect_wakes_receiver()
    {
        var (s, r) = Create<int>(1);
        Threads.Run(
            () => Assert.Throws<ChannelDisconnectedException>(() => r.Receive()),
            () =>
            {
                Threads.Pause();
                s.Dispose();
            });
    }

    [Fact]
    public void Spsc()
    {
        const int Count = 100_000;
        var (s, r) = Create<int>(3);
        Threads.Run(
            () =>
            {
                for (var i = 0; i < Count; i++)
                {
                    Assert.Equal(i, r.Receive());
                }

                Assert.Equal(ReceiveStatus.Disconnected, r.TryReceive(Long).Status);
            },
            () =>
            {
                for (var i = 0; i < Count; i++)
                {
                    s.Send(i);
                }

                s.Dispose();
            });
    }

    [Fact]
    public void Mpmc()
    {
        const int Count = 25_000;
        const int ThreadCount = 4;
        var (s, r) = Create<int>(3);
        var seen = new int[Count];
        Threads.Run(2 * ThreadCount, t =>
        {
            for (var i = 0; i < Count; i++)
            {
                if (t < ThreadCount)
                {
                    Interlocked.Increment(ref seen[r.Receive()]);
                }
                else
                {
                    s.Send(i);
                }
            }
        });
        Assert.All(seen, c => Assert.Equal(ThreadCount, c));
    }

    [Fact]
    public void Stress_oneshot()
    {
        const int Count = 2_000;
        for (var i = 0; i < Count; i++)
        {
            var (s, r) = Create<int>(1);
            Threads.Run(() => Assert.Equal(i, r.Receive()), () => s.Send(i));
        }
    }

    [Fact]
    public void Stress_iter()
    {
        // Requests by TrySend, responses drained with non-blocking receives, as in zero.rs.
        const int Count = 1_000;
        var (requestS, requestR) = Create<bool>(1);
        var (responseS, responseR) = Create<int>(1);
        Threads.Run(
            () =>
            {
                var count = 0;
                while (true)
                {
                    while (responseR.TryReceive(out var x))
                    {
                        count += x;
                        if (count == Count)
                        {
                            responseR.Dispose();
                            requestS.Dispose();
                            return;
                        }
                    }

                    requestS.TrySend(true);
                }
            },
            () =>
            {
                foreach (var _ in requestR)
                {
                    try
                    {
                        responseS.Send(1);
                    }
                    catch (ChannelDisconnectedException)
                    {
                        break;
                    }
                }
            });
    }

    [Fact]
    public void Stress_timeout_two_threads()
    {
        // Sends and receives with short timeouts, retried until they succeed: every item still
        // arrives once and in order, whatever the timeouts did.
        const int Count = 100;
        var (s, r) = Create<int>(2);
        Threads.Run(
            () =>
            {
                for (var i = 0; i < Count; i++)
                {
                    if (i % 2 == 0)
                    {
                        Thread.Sleep(1);
                    }

                    while (!s.TrySend(i, TimeSpan.FromMilliseconds(1)).IsSent)
                    {
                    }
                }
            },
            () =>
            {
                for (var i = 0; i < Count; i++)
                {
                    if (i % 2 == 0)
                    {
                        Thread.Sleep(1);
                    }

                    ReceiveResult<int> result;
                    while (!(result = r.TryReceive(TimeSpan.FromMilliseconds(1))).IsReceived)
                    {
                        Assert.Equal(ReceiveStatus.Timeout, result.Status);
                    }

                    Assert.Equal(i, result.Value);
                }
            });
    }

    [Fact]
    public virtual void Fairness()
    {
        // Two channels always ready: a fair select picks each at least a quarter of the time
        // (crossbeam's bound; a fair coin falls under it with a probability far below 1e-100).
        const int Count = 10_000;
        var (s1, r1) = Create<int>(Count);
        var (s2, r2) = Create<int>(Count);
        for (var i = 0; i < Count; i++)
        {
            s1.Send(0);
            s2.Send(0);
        }

        var hits = new int[2];
        var selector = new Selector().Receive(r1, _ => hits[0]++).Receive(r2, _ => hits[1]++);
        for (var i = 0; i < Count; i++)
        {
            selector.Select();
        }

        Assert.All(hits, h => Assert.True(h >= Count / 4, $"hits {hits[0]} and {hits[1]}"));
    }

    [Fact]
    public virtual void Fairness_duplicates()
    {
        // One receiver in three arms of a select: each arm is chosen at least a sixth of the time.
        const int Count = 10_000;
        var (s, r) = Create<int>(Count);
        for (var i = 0; i < Count; i++)
        {
            s.Send(0);
        }

        var hits = new int[3];
        var selector = new Selector().Receive(r, _ => hits[0]++).Receive(r, _ => hits[1]++).Receive(r, _ => hits[2]++);
        for (var i = 0; i < Count; i++)
        {
            selector.Select();
        }

        Assert.All(hits, h => Assert.True(h >= Count / 6, $"hits {string.Join(", ", hits)}"));
    }

    [Fact]
    public void Channel_through_channel()
    {
        // Each message carries the receiver of the next channel.
        const int Count = 1_000;
        var (s, r) = Create<object>(1);
        Threads.Run(
            () =>
            {
                var sender = s;
                for (var i = 0; i < Count; i++)
                {
                    var (nextS, nextR) = Create<object>(1);
                    sender.Send(nextR);
                    sender.Dispose();
                    sender = nextS;
                }

                sender.Dispose();
            },
            () =>
            {
                var receiver = r;
                for (var i = 0; i < Count; i++)
                {
                    var next = Assert.IsType<Receiver<object>>(receiver.Receive());
                    receiver.Dispose();
                    receiver = next;
                }

                Assert.Throws<ChannelDisconnectedException>(() => receiver.Receive());
            });
    }

    protected static (SendStatus Status, int Unsent) SendResult(SendStatus status, int unsent) => (status, unsent);

    protected static (SendStatus Status, int Unsent) Describe(SendResult<int> result) => (result.Status, result.TryGetUnsentItem(out var item) ? item : -1);

    /// <summary>Spins on a non-blocking call until it returns something else than <paramref name="notYet"/> (the other thread acts meanwhile).</summary>
    protected static T SpinUntil<T>(Func<T> call, Func<T, bool> notYet)
    {
        var spin = new SpinWait();
        var deadline = DateTime.UtcNow + Long;
        while (true)
        {
            var result = call();
            if (!notYet(result))
            {
                return result;
            }

            Assert.True(DateTime.UtcNow < deadline, "the other thread never acted");
            spin.SpinOnce();
        }
    }
}
