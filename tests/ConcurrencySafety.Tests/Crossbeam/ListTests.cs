// Ported from crossbeam-channel's tests/list.rs (https://github.com/crossbeam-rs/crossbeam,
// crossbeam-channel/tests/list.rs, MIT OR Apache-2.0), rewritten for Chan.Unbounded. The
// behaviours shared with array.rs and zero.rs are in FlavourTests; see README.md for what was
// not ported.
namespace ConcurrencySafety.Tests.Crossbeam;

/// <summary>list.rs: the unbounded flavour.</summary>
public sealed class ListTests : FlavourTests
{
    protected override (Sender<T> Sender, Receiver<T> Receiver) Create<T>(int capacity) => Chan.Unbounded<T>();

    protected override int? ExpectedCapacity(int capacity) => null;

    [Fact]
    public void Smoke()
    {
        var (s, r) = Chan.Unbounded<int>();
        s.TrySend(7);
        Assert.Equal(7, r.TryReceive().Value);
        s.Send(8);
        Assert.Equal(8, r.Receive());
        Assert.Equal(ReceiveStatus.Empty, r.TryReceive().Status);
        Assert.Equal(ReceiveStatus.Timeout, r.TryReceive(Short).Status);
    }

    [Fact]
    public void Len_empty_full()
    {
        var (s, r) = Chan.Unbounded<int>();
        Assert.Equal((0, true, false), (s.Count, s.IsEmpty, s.IsFull));
        s.Send(0);
        Assert.Equal((1, false, false), (r.Count, r.IsEmpty, r.IsFull));
        r.Receive();
        Assert.Equal((0, true, false), (r.Count, r.IsEmpty, r.IsFull));
    }

    [Fact]
    public void Recv_timeout_nonempty_expired()
    {
        // An item already there is received even with a zero timeout.
        var (s, r) = Chan.Unbounded<int>();
        s.Send(1);
        Assert.Equal(1, r.TryReceive(TimeSpan.Zero).Value);
    }

    [Fact]
    public void Try_send_never_fills()
    {
        var (s, r) = Chan.Unbounded<int>();
        for (var i = 0; i < 1_000; i++)
        {
            Assert.Equal(SendStatus.Sent, s.TrySend(i).Status);
        }

        r.Dispose();
        Assert.Equal(SendResult(SendStatus.Disconnected, 1_000), Describe(s.TrySend(1_000)));
    }

    [Fact]
    public void Send_timeout_never_expires()
    {
        var (s, _) = Chan.Unbounded<int>();
        for (var i = 0; i < 1_000; i++)
        {
            Assert.Equal(SendStatus.Sent, s.TrySend(i, TimeSpan.Zero).Status);
        }
    }

    [Fact]
    public void Len()
    {
        var (s, r) = Chan.Unbounded<int>();
        for (var i = 0; i < 1_000; i++)
        {
            s.Send(i);
            Assert.Equal(i + 1, r.Count);
        }

        for (var i = 0; i < 1_000; i++)
        {
            r.Receive();
            Assert.Equal(1_000 - i - 1, s.Count);
        }
    }

    [Fact]
    public void Linearizable()
    {
        const int Count = 25_000;
        const int ThreadCount = 4;
        var (s, r) = Chan.Unbounded<int>();
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
    public void Stack_overflow()
    {
        // Dropping a long queue must not recurse once per item: dispose both ends of a
        // channel holding a hundred thousand items.
        var (s, r) = Chan.Unbounded<object>();
        for (var i = 0; i < 100_000; i++)
        {
            s.Send(new object());
        }

        r.Dispose();
        Assert.True(s.IsDisconnected);
        s.Dispose();
    }

    [Fact]
    public void Recv_in_send()
    {
        // The second half of crossbeam's test: the value of a send arm is produced by a
        // receive (here a Func<T>, evaluated at the start of the select, as Go does).
        var (s, r) = Chan.Unbounded<int>();
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
