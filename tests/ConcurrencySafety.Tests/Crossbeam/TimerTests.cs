// Ported from crossbeam-channel's tests/after.rs, tests/tick.rs and tests/never.rs
// (https://github.com/crossbeam-rs/crossbeam, crossbeam-channel/tests/, MIT OR Apache-2.0),
// rewritten for Chan.After, Chan.Tick and Chan.Never. crossbeam measures these with the wall
// clock and sleeps; here every test runs on a FakeTimeProvider, so nothing depends on how fast
// the machine is. Differences on purpose (see README.md): crossbeam's after() channel has
// capacity 1 and reports is_full once fired; this library's After and Tick also hold one
// pending delivery (capacity 1).
using Microsoft.Extensions.Time.Testing;

namespace ConcurrencySafety.Tests.Crossbeam;

/// <summary>after.rs, tick.rs, never.rs.</summary>
public sealed class TimerTests
{
    private static readonly TimeSpan Ms50 = TimeSpan.FromMilliseconds(50);

    [Fact]
    public void After_fire()
    {
        // after.rs fire: one delivery, at the due time, then nothing more.
        var time = new FakeTimeProvider();
        using var r = Chan.After(Ms50, time);
        var start = time.GetUtcNow();
        Assert.Equal(ReceiveStatus.Empty, r.TryReceive().Status);
        time.Advance(Ms50);
        var fired = r.TryReceive();
        Assert.True(fired.IsReceived);
        Assert.True(fired.Value >= start + Ms50);
        time.Advance(TimeSpan.FromSeconds(10));
        Assert.Equal(ReceiveStatus.Empty, r.TryReceive().Status);
        Assert.Equal(ReceiveStatus.Timeout, r.TryReceive(TimeSpan.Zero).Status);
    }

    [Fact]
    public void After_capacity_and_len_empty_full()
    {
        var time = new FakeTimeProvider();
        using var r = Chan.After(Ms50, time);
        Assert.Equal(1, r.Capacity);
        Assert.Equal((0, true, false), (r.Count, r.IsEmpty, r.IsFull));
        time.Advance(Ms50);
        Assert.Equal((1, false, true), (r.Count, r.IsEmpty, r.IsFull));
        r.Receive();
        Assert.Equal((0, true, false), (r.Count, r.IsEmpty, r.IsFull));
    }

    [Fact]
    public void After_recv_two()
    {
        // Two clones of one After: exactly one of them gets the delivery.
        var time = new FakeTimeProvider();
        using var r1 = Chan.After(Ms50, time);
        using var r2 = r1.Clone();
        time.Advance(Ms50);
        var got = new[] { r1.TryReceive().IsReceived, r2.TryReceive().IsReceived };
        Assert.Equal(1, got.Count(g => g));
    }

    [Fact]
    public void After_select()
    {
        // after.rs select: a select over many After channels gets one delivery from each,
        // all of them, once their time has passed.
        const int Count = 100;
        var time = new FakeTimeProvider();
        var receivers = Enumerable.Range(0, Count).Select(i => Chan.After(TimeSpan.FromMilliseconds(i), time)).ToList();
        time.Advance(TimeSpan.FromMilliseconds(Count));
        var hits = 0;
        var selector = new Selector();
        foreach (var r in receivers)
        {
            selector.Receive(r, _ => hits++);
        }

        selector.Default(() => { });
        while (selector.Select() >= 0)
        {
        }

        Assert.Equal(Count, hits);
        receivers.ForEach(r => r.Dispose());
    }

    [Fact]
    public void After_stress_default()
    {
        // after.rs stress_default: a zero delay delivers at once; a select with default sees it.
        var time = new FakeTimeProvider();
        for (var i = 0; i < 100; i++)
        {
            using var r = Chan.After(TimeSpan.Zero, time);
            var chosen = new Selector().Receive(r, _ => { }).Default(() => { }).Select();
            Assert.Equal(0, chosen);
        }
    }

    [Fact]
    public void Tick_intervals()
    {
        // tick.rs intervals: deliveries one period apart, on the clock of the provider.
        var time = new FakeTimeProvider();
        using var r = Chan.Tick(Ms50, time);
        var start = time.GetUtcNow();
        for (var i = 1; i <= 5; i++)
        {
            time.Advance(Ms50);
            Assert.Equal(start + (Ms50 * i), r.Receive());
        }
    }

    [Fact]
    public void Tick_capacity_and_len_empty_full()
    {
        var time = new FakeTimeProvider();
        using var r = Chan.Tick(Ms50, time);
        Assert.Equal(1, r.Capacity);
        Assert.Equal((0, true, false), (r.Count, r.IsEmpty, r.IsFull));
        time.Advance(Ms50);
        Assert.Equal((1, false, true), (r.Count, r.IsEmpty, r.IsFull));
        time.Advance(Ms50 * 3); // ticks a slow receiver missed are dropped, not queued
        Assert.Equal(1, r.Count);
        r.Receive();
        Assert.Equal((0, true, false), (r.Count, r.IsEmpty, r.IsFull));
    }

    [Fact]
    public void Tick_recv_two()
    {
        // Two clones of one ticker: each tick goes to exactly one of them.
        var time = new FakeTimeProvider();
        using var r1 = Chan.Tick(Ms50, time);
        using var r2 = r1.Clone();
        var total = 0;
        for (var i = 0; i < 10; i++)
        {
            time.Advance(Ms50);
            total += (r1.TryReceive().IsReceived ? 1 : 0) + (r2.TryReceive().IsReceived ? 1 : 0);
        }

        Assert.Equal(10, total);
    }

    [Fact]
    public void Tick_fairness()
    {
        // tick.rs fairness: two tickers always ready; a fair select picks each at least a quarter of the time.
        const int Count = 1_000;
        var time = new FakeTimeProvider();
        using var r1 = Chan.Tick(TimeSpan.FromMilliseconds(1), time);
        using var r2 = Chan.Tick(TimeSpan.FromMilliseconds(1), time);
        var hits = new int[2];
        var selector = new Selector().Receive(r1, _ => hits[0]++).Receive(r2, _ => hits[1]++);
        for (var i = 0; i < Count; i++)
        {
            time.Advance(TimeSpan.FromMilliseconds(1));
            selector.Select();
            r1.TryReceive(out _);
            r2.TryReceive(out _);
        }

        Assert.All(hits, h => Assert.True(h >= Count / 4, $"hits {hits[0]} and {hits[1]}"));
    }

    [Fact]
    public void Never_smoke_and_try_recv()
    {
        using var r = Chan.Never<int>();
        Assert.Equal(ReceiveStatus.Empty, r.TryReceive().Status);
        Assert.Equal(ReceiveStatus.Timeout, r.TryReceive(TimeSpan.Zero).Status);
        Assert.False(r.IsClosed);
    }

    [Fact]
    public void Never_capacity_and_len_empty_full()
    {
        using var r = Chan.Never<int>();
        Assert.Equal((0, true), (r.Count, r.IsEmpty));
    }

    [Fact]
    public void Never_optional()
    {
        // never.rs optional: a "nil" arm in a select never wins; the real arm does.
        var (s, r) = Chan.Unbounded<int>();
        using var never = Chan.Never<int>();
        s.Send(1);
        var got = 0;
        var chosen = new Selector().Receive(never, _ => got = -1).Receive(r, x => got = x).Select();
        Assert.Equal((1, 1), (chosen, got));
    }

    [Fact]
    public void Never_tick_n()
    {
        // never.rs tick_n: a select loop over a ticker and a never channel counts the ticks.
        var time = new FakeTimeProvider();
        using var tick = Chan.Tick(Ms50, time);
        using var never = Chan.Never<DateTimeOffset>();
        var count = 0;
        var selector = new Selector().Receive(tick, _ => count++).Receive(never, _ => count = -100).Default(() => { });
        for (var i = 0; i < 5; i++)
        {
            time.Advance(Ms50);
            Assert.Equal(0, selector.Select());
        }

        Assert.Equal(5, count);
    }
}
