// Ported from crossbeam-channel's tests/array.rs (https://github.com/crossbeam-rs/crossbeam,
// crossbeam-channel/tests/array.rs, MIT OR Apache-2.0), rewritten for Chan.Bounded. The
// behaviours shared with list.rs and zero.rs are in FlavourTests; see README.md for what was
// not ported.
namespace ConcurrencySafety.Tests.Crossbeam;

/// <summary>array.rs: the bounded flavour.</summary>
public sealed class ArrayTests : FlavourTests
{
    protected override (Sender<T> Sender, Receiver<T> Receiver) Create<T>(int capacity) => Chan.Bounded<T>(capacity);

    protected override int? ExpectedCapacity(int capacity) => capacity;

    [Fact]
    public void Smoke()
    {
        var (s, r) = Chan.Bounded<int>(1);
        s.Send(7);
        Assert.Equal(7, r.TryReceive().Value);
        s.Send(8);
        Assert.Equal(8, r.Receive());
        Assert.Equal(ReceiveStatus.Empty, r.TryReceive().Status);
        Assert.Equal(ReceiveStatus.Timeout, r.TryReceive(Short).Status);
    }

    [Fact]
    public void Len_empty_full()
    {
        var (s, r) = Chan.Bounded<int>(2);
        Assert.Equal((0, true, false), (s.Count, s.IsEmpty, s.IsFull));
        Assert.Equal((0, true, false), (r.Count, r.IsEmpty, r.IsFull));
        s.Send(0);
        Assert.Equal((1, false, false), (s.Count, s.IsEmpty, s.IsFull));
        Assert.Equal((1, false, false), (r.Count, r.IsEmpty, r.IsFull));
        s.Send(0);
        Assert.Equal((2, false, true), (s.Count, s.IsEmpty, s.IsFull));
        Assert.Equal((2, false, true), (r.Count, r.IsEmpty, r.IsFull));
        r.Receive();
        Assert.Equal((1, false, false), (s.Count, s.IsEmpty, s.IsFull));
        Assert.Equal((1, false, false), (r.Count, r.IsEmpty, r.IsFull));
    }

    [Fact]
    public void Try_recv()
    {
        var (s, r) = Chan.Bounded<int>(100);
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
        var (s, r) = Chan.Bounded<int>(1);
        using var first = new ManualResetEventSlim();
        using var second = new ManualResetEventSlim();
        Threads.Run(
            () =>
            {
                Assert.Equal(SendResult(SendStatus.Sent, -1), Describe(s.TrySend(1)));
                Assert.Equal(SendResult(SendStatus.Full, 2), Describe(s.TrySend(2)));
                first.Set();
                second.Wait();
                Assert.Equal(SendResult(SendStatus.Sent, -1), Describe(s.TrySend(3)));
                Assert.Equal(SendResult(SendStatus.Disconnected, 4), Describe(SpinUntil(() => s.TrySend(4), x => x.Status != SendStatus.Disconnected)));
            },
            () =>
            {
                first.Wait();
                Assert.Equal(1, r.TryReceive().Value);
                Assert.Equal(ReceiveStatus.Empty, r.TryReceive().Status);
                second.Set();
                Assert.Equal(3, r.Receive());
                r.Dispose();
            });
    }

    [Fact]
    public void Send_timeout()
    {
        var (s, r) = Chan.Bounded<int>(2);
        using var go = new ManualResetEventSlim();
        using var done = new ManualResetEventSlim();
        Threads.Run(
            () =>
            {
                Assert.Equal(SendStatus.Sent, s.TrySend(1, Long).Status);
                Assert.Equal(SendStatus.Sent, s.TrySend(2, Long).Status);
                Assert.Equal(SendResult(SendStatus.Timeout, 3), Describe(s.TrySend(3, Short)));
                go.Set();
                Assert.Equal(SendStatus.Sent, s.TrySend(4, Long).Status);
                done.Wait();
                Assert.Equal(SendResult(SendStatus.Disconnected, 5), Describe(s.TrySend(5, Long)));
            },
            () =>
            {
                go.Wait();
                Assert.Equal(1, r.Receive());
                Assert.Equal(2, r.Receive());
                Assert.Equal(4, r.Receive());
                r.Dispose();
                done.Set();
            });
    }

    [Fact]
    public void Recv_after_disconnect()
    {
        var (s, r) = Chan.Bounded<int>(100);
        s.Send(1);
        s.Send(2);
        s.Send(3);
        s.Dispose();
        Assert.Equal(new[] { 1, 2, 3 }, new[] { r.Receive(), r.Receive(), r.Receive() });
        Assert.Throws<ChannelDisconnectedException>(() => r.Receive());
    }

    [Fact]
    public void Len()
    {
        const int Count = 25_000;
        const int Cap = 1_000;
        var (s, r) = Chan.Bounded<int>(Cap);
        Assert.Equal(0, s.Count);
        for (var i = 0; i < 50; i++)
        {
            s.Send(i);
            Assert.Equal(1, s.Count);
            r.Receive();
            Assert.Equal(0, r.Count);
        }

        for (var i = 0; i < Cap; i++)
        {
            s.Send(i);
            Assert.Equal(i + 1, r.Count);
        }

        for (var i = 0; i < Cap; i++)
        {
            r.Receive();
            Assert.Equal(Cap - i - 1, s.Count);
        }

        Threads.Run(
            () =>
            {
                for (var i = 0; i < Count; i++)
                {
                    Assert.Equal(i, r.Receive());
                    Assert.InRange(r.Count, 0, Cap);
                }
            },
            () =>
            {
                for (var i = 0; i < Count; i++)
                {
                    s.Send(i);
                    Assert.InRange(s.Count, 0, Cap);
                }
            });
        Assert.Equal(0, r.Count);
    }

    [Fact]
    public void Disconnect_wakes_sender()
    {
        var (s, r) = Chan.Bounded<int>(1);
        Threads.Run(
            () =>
            {
                s.Send(0);
                Assert.Throws<ChannelDisconnectedException>(() => s.Send(0));
            },
            () =>
            {
                Threads.Pause();
                r.Dispose();
            });
    }

    [Fact]
    public void Linearizable()
    {
        // Each thread sends one item and at once takes one: with room for every thread, the
        // non-blocking receive must always find an item.
        const int Count = 25_000;
        const int ThreadCount = 4;
        var (s, r) = Chan.Bounded<int>(ThreadCount);
        Threads.Run(ThreadCount, _ =>
        {
            for (var i = 0; i < Count; i++)
            {
                s.Send(0);
                Assert.True(r.TryReceive().IsReceived);
            }
        });
    }

    [Fact]
    public void Recv_in_send()
    {
        // The second half of crossbeam's test: the value of a send arm is produced by a
        // receive (here a Func<T>, evaluated at the start of the select, as Go does).
        var (s, r) = Chan.Bounded<int>(2);
        Threads.Run(
            () =>
            {
                var selector = new Selector().Send(s, () => r.Receive() + 1);
                Assert.Equal(0, selector.Select());
            },
            () => s.Send(41));
        Assert.Equal(42, r.TryReceive(Long).Value);
    }
}
