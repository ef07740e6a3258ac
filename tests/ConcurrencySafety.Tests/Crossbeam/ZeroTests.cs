// Ported from crossbeam-channel's tests/zero.rs (https://github.com/crossbeam-rs/crossbeam,
// crossbeam-channel/tests/zero.rs, MIT OR Apache-2.0), rewritten for Chan.Rendezvous. The
// behaviours shared with array.rs and list.rs are in FlavourTests; see README.md for what was
// not ported.
namespace ConcurrencySafety.Tests.Crossbeam;

/// <summary>zero.rs: the rendezvous flavour (capacity 0).</summary>
public sealed class ZeroTests : FlavourTests
{
    protected override (Sender<T> Sender, Receiver<T> Receiver) Create<T>(int capacity) => Chan.Rendezvous<T>();

    protected override int? ExpectedCapacity(int capacity) => 0;

    [Fact]
    public void Smoke()
    {
        var (s, r) = Chan.Rendezvous<int>();
        Assert.Equal(SendResult(SendStatus.Full, 7), Describe(s.TrySend(7)));
        Assert.Equal(ReceiveStatus.Empty, r.TryReceive().Status);
    }

    [Fact]
    public void Len_empty_full()
    {
        var (s, r) = Chan.Rendezvous<int>();
        Assert.Equal((0, true, true), (s.Count, s.IsEmpty, s.IsFull));
        Assert.Equal((0, true, true), (r.Count, r.IsEmpty, r.IsFull));
        Threads.Run(() => s.Send(0), () => r.Receive());
        Assert.Equal((0, true, true), (s.Count, s.IsEmpty, s.IsFull));
        Assert.Equal((0, true, true), (r.Count, r.IsEmpty, r.IsFull));
    }

    [Fact]
    public void Try_recv()
    {
        // A non-blocking receive succeeds once a sender is blocked in Send.
        var (s, r) = Chan.Rendezvous<int>();
        using var go = new ManualResetEventSlim();
        Threads.Run(
            () =>
            {
                Assert.Equal(ReceiveStatus.Empty, r.TryReceive().Status);
                go.Set();
                Assert.Equal(7, SpinUntil(r.TryReceive, x => x.Status == ReceiveStatus.Empty).Value);
                Assert.Equal(ReceiveStatus.Disconnected, SpinUntil(r.TryReceive, x => x.Status == ReceiveStatus.Empty).Status);
            },
            () =>
            {
                go.Wait();
                s.Send(7);
                s.Dispose();
            });
    }

    [Fact]
    public void Try_send()
    {
        // A non-blocking send succeeds once a receiver is blocked in Receive.
        var (s, r) = Chan.Rendezvous<int>();
        using var go = new ManualResetEventSlim();
        Threads.Run(
            () =>
            {
                Assert.Equal(SendResult(SendStatus.Full, 7), Describe(s.TrySend(7)));
                go.Set();
                Assert.Equal(SendStatus.Sent, SpinUntil(() => s.TrySend(8), x => x.Status == SendStatus.Full).Status);
                Assert.Equal(SendResult(SendStatus.Disconnected, 9), Describe(SpinUntil(() => s.TrySend(9), x => x.Status == SendStatus.Full)));
            },
            () =>
            {
                go.Wait();
                Assert.Equal(8, r.Receive());
                r.Dispose();
            });
    }

    [Fact]
    public void Send_timeout()
    {
        var (s, r) = Chan.Rendezvous<int>();
        using var go = new ManualResetEventSlim();
        Threads.Run(
            () =>
            {
                Assert.Equal(SendResult(SendStatus.Timeout, 7), Describe(s.TrySend(7, Short)));
                go.Set();
                Assert.Equal(SendStatus.Sent, s.TrySend(8, Long).Status);
                Assert.Equal(SendResult(SendStatus.Disconnected, 9), Describe(s.TrySend(9, Long)));
            },
            () =>
            {
                go.Wait();
                Assert.Equal(8, r.Receive());
                r.Dispose();
            });
    }

    [Fact]
    public void Len()
    {
        const int Count = 25_000;
        var (s, r) = Chan.Rendezvous<int>();
        Threads.Run(
            () =>
            {
                for (var i = 0; i < Count; i++)
                {
                    Assert.Equal(i, r.Receive());
                    Assert.Equal(0, r.Count);
                }
            },
            () =>
            {
                for (var i = 0; i < Count; i++)
                {
                    s.Send(i);
                    Assert.Equal(0, s.Count);
                }
            });
    }

    [Fact]
    public void Disconnect_wakes_sender()
    {
        var (s, r) = Chan.Rendezvous<int>();
        Threads.Run(
            () => Assert.Throws<ChannelDisconnectedException>(() => s.Send(0)),
            () =>
            {
                Threads.Pause();
                r.Dispose();
            });
    }

    [Fact]
    public override void Fairness()
    {
        // zero.rs: a thread selects over two receives while the other selects over two sends.
        const int Count = 10_000;
        var (s1, r1) = Chan.Rendezvous<int>();
        var (s2, r2) = Chan.Rendezvous<int>();
        var hits = new int[2];
        Threads.Run(
            () =>
            {
                var receive = new Selector().Receive(r1, _ => hits[0]++).Receive(r2, _ => hits[1]++);
                for (var i = 0; i < Count; i++)
                {
                    receive.Select();
                }
            },
            () =>
            {
                var send = new Selector().Send(s1, 0).Send(s2, 0);
                for (var i = 0; i < Count; i++)
                {
                    send.Select();
                }
            });
        Assert.All(hits, h => Assert.True(h >= Count / 4, $"hits {hits[0]} and {hits[1]}"));
    }

    // A finding of this port: blocking selects registered their arms in arm order, so a partner
    // arriving later always completed arm 0 (~60% of the items). RegisterAll now starts at a
    // random arm, as the try phase does.
    [Fact]
    public override void Fairness_duplicates()
    {
        const int Count = 10_000;
        var (s, r) = Chan.Rendezvous<int>();
        var hits = new int[5];
        Threads.Run(
            () =>
            {
                var receive = new Selector();
                for (var arm = 0; arm < hits.Length; arm++)
                {
                    var index = arm;
                    receive.Receive(r, _ => hits[index]++);
                }

                for (var i = 0; i < Count; i++)
                {
                    receive.Select();
                }
            },
            () =>
            {
                for (var i = 0; i < Count; i++)
                {
                    s.Send(0);
                }
            });
        Assert.All(hits, h => Assert.True(h >= Count / hits.Length / 2, $"hits {string.Join(", ", hits)}"));
    }
}
