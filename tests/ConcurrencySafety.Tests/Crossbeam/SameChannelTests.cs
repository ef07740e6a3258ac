// Ported from crossbeam-channel's tests/same_channel.rs (https://github.com/crossbeam-rs/crossbeam,
// crossbeam-channel/tests/same_channel.rs, MIT OR Apache-2.0). crossbeam asks
// `a.same_channel(&b)`; this library has no identity query on purpose (handles are owned
// values; what a program needs to know is what a handle does), so each test asks the
// channels themselves: an item sent through one handle arrives at the other exactly when both
// are handles of one channel. A wait that must expire is only ever made on a channel nobody
// can fill; see README.md in this folder.
using Microsoft.Extensions.Time.Testing;

namespace ConcurrencySafety.Tests.Crossbeam;

/// <summary>same_channel.rs.</summary>
public sealed class SameChannelTests
{
    private static readonly TimeSpan Short = TimeSpan.FromMilliseconds(10);
    private static readonly TimeSpan Long = TimeSpan.FromSeconds(60);
    private static readonly TimeSpan Ms50 = TimeSpan.FromMilliseconds(50);

    public static TheoryData<int> Capacities() => new() { 0, 1 };

    /// <summary>array.rs's bounded(1) and zero.rs's bounded(0): clones share the channel, a second channel is another one.</summary>
    [Theory]
    [MemberData(nameof(Capacities))]
    public void Bounded_and_zero_same_channel(int capacity)
    {
        var (s, r) = Chan.Bounded<int>(capacity);
        var (s3, r3) = Chan.Bounded<int>(capacity);
        AssertSame(s.Clone(), r);
        AssertSame(s, r.Clone());
        AssertDifferent(s3, r3, r);
        AssertDifferent(s.Clone(), r, r3);
    }

    /// <summary>list.rs's unbounded().</summary>
    [Fact]
    public void List_same_channel()
    {
        var (s, r) = Chan.Unbounded<int>();
        var (s3, r3) = Chan.Unbounded<int>();
        AssertSame(s.Clone(), r);
        AssertSame(s, r.Clone());
        AssertDifferent(s3, r3, r);
        AssertDifferent(s.Clone(), r, r3);
    }

    /// <summary>A rendezvous channel and an unbounded one are different channels.</summary>
    [Fact]
    public void Different_flavors_same_channel()
    {
        var (s1, r1) = Chan.Rendezvous<int>();
        var (s2, r2) = Chan.Unbounded<int>();
        AssertDifferent(s1, r1, r2);
        AssertDifferent(s2, r2, r1);
    }

    /// <summary>A clone of an After channel shares its single delivery; another After (same or different delay) delivers on its own.</summary>
    [Fact]
    public void After_same_channel()
    {
        var time = new FakeTimeProvider();
        using var r = Chan.After(Ms50, time);
        using var r2 = r.Clone();
        using var r3 = Chan.After(Ms50, time);
        using var r4 = Chan.After(TimeSpan.FromMilliseconds(100), time);
        time.Advance(TimeSpan.FromMilliseconds(100));
        Assert.True(r.TryReceive().IsReceived);
        Assert.Equal(ReceiveStatus.Empty, r2.TryReceive().Status); // the same channel: already taken
        Assert.True(r3.TryReceive().IsReceived);
        Assert.True(r4.TryReceive().IsReceived);
    }

    /// <summary>A clone of a ticker shares its ticks; another ticker ticks on its own.</summary>
    [Fact]
    public void Tick_same_channel()
    {
        var time = new FakeTimeProvider();
        using var r = Chan.Tick(Ms50, time);
        using var r2 = r.Clone();
        using var r3 = Chan.Tick(Ms50, time);
        using var r4 = Chan.Tick(TimeSpan.FromMilliseconds(100), time);
        time.Advance(TimeSpan.FromMilliseconds(100));
        Assert.True(r.TryReceive().IsReceived);
        Assert.Equal(ReceiveStatus.Empty, r2.TryReceive().Status); // one pending tick, taken through r
        Assert.True(r3.TryReceive().IsReceived);
        Assert.True(r4.TryReceive().IsReceived);
    }

    /// <summary>
    /// crossbeam's never() channels are all the same channel. Here each Chan.Never is its own
    /// channel, which no program can tell apart from another: none ever delivers or disconnects,
    /// clone or not.
    /// </summary>
    [Fact]
    public void Never_same_channel()
    {
        using var r = Chan.Never<int>();
        using var r2 = r.Clone();
        using var r3 = Chan.Never<int>();
        foreach (var receiver in new[] { r, r2, r3 })
        {
            Assert.Equal(ReceiveStatus.Timeout, receiver.TryReceive(Short).Status);
        }
    }

    /// <summary>An item sent through <paramref name="s"/> arrives at <paramref name="r"/> (both waits are long: the other side will act).</summary>
    private static void AssertSame(Sender<int> s, Receiver<int> r)
    {
        ReceiveResult<int> received = default;
        Threads.Run(
            () => Assert.Equal(SendStatus.Sent, s.TrySend(7, Long).Status),
            () => received = r.TryReceive(Long));
        Assert.Equal(7, received.Value);
    }

    /// <summary>
    /// An item sent through <paramref name="s"/> never arrives at <paramref name="r"/>: the
    /// receive's short wait expires on a channel nobody sends to. On a buffered channel the
    /// send succeeds into its own channel, where <paramref name="own"/> takes it back; on a
    /// rendezvous channel it finds no receiver there.
    /// </summary>
    private static void AssertDifferent(Sender<int> s, Receiver<int> own, Receiver<int> r)
    {
        SendStatus sent = default;
        ReceiveStatus received = default;
        Threads.Run(
            () => sent = s.TrySend(9, Short).Status,
            () => received = r.TryReceive(Short).Status);
        Assert.Equal(ReceiveStatus.Timeout, received);
        Assert.Equal(s.Capacity == 0 ? SendStatus.Timeout : SendStatus.Sent, sent);
        if (sent == SendStatus.Sent)
        {
            Assert.Equal(9, own.TryReceive().Value);
        }
    }
}
