using Microsoft.Extensions.Time.Testing;

namespace ConcurrencySafety.Tests.Reliability;

/// <summary>
/// Issue 17, item 6: one timeout converter for the whole library, and deadlines on the
/// channel's clock. The converter's edges first, then every public API that takes a timeout,
/// which must accept and reject exactly what the converter does.
/// </summary>
public class TimeoutConverterTests
{
    private static readonly TimeSpan Long = TimeSpan.FromSeconds(30);

    private static void WaitUntil(Func<bool> condition, string what)
    {
        var deadline = DateTime.UtcNow + Long;
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < deadline, "timed out waiting until " + what);
            Thread.Sleep(1);
        }
    }

    // ------------------------------------------------------------------ the converter

    [Fact]
    public void Infinite_becomes_minus_one_and_zero_stays_zero()
    {
        Assert.Equal(-1, Timeouts.ToMilliseconds(Timeout.InfiniteTimeSpan, "t"));
        Assert.Equal(-1, Timeouts.ToMilliseconds(TimeSpan.FromMilliseconds(-1), "t")); // the same value
        Assert.Equal(0, Timeouts.ToMilliseconds(TimeSpan.Zero, "t"));
    }

    [Theory]
    [InlineData(1, 1)] // one tick
    [InlineData(5_000, 1)] // 0.5 ms
    [InlineData(9_999, 1)]
    [InlineData(10_000, 1)] // exactly 1 ms
    [InlineData(10_001, 2)]
    [InlineData(15_000, 2)]
    public void Positive_timeouts_round_up_to_whole_milliseconds(long ticks, long expected)
    {
        Assert.Equal(expected, Timeouts.ToMilliseconds(TimeSpan.FromTicks(ticks), "t"));
    }

    [Theory]
    [InlineData(-1)] // -1 tick: negative, and not infinite
    [InlineData(-9_999)]
    [InlineData(-10_001)]
    [InlineData(-20_000)] // -2 ms
    [InlineData(long.MinValue)]
    public void Negative_timeouts_other_than_infinite_throw_naming_the_parameter(long ticks)
    {
        var ex = Assert.Throws<ArgumentOutOfRangeException>(() => Timeouts.ToMilliseconds(TimeSpan.FromTicks(ticks), "myTimeout"));
        Assert.Equal("myTimeout", ex.ParamName);
        Assert.Contains("InfiniteTimeSpan", ex.Message);
    }

    [Fact]
    public void Timeouts_past_int_max_value_milliseconds_are_kept()
    {
        Assert.Equal(int.MaxValue + 1L, Timeouts.ToMilliseconds(TimeSpan.FromMilliseconds(int.MaxValue + 1L), "t"));
        Assert.Equal(TimeSpan.FromDays(60).Ticks / TimeSpan.TicksPerMillisecond, Timeouts.ToMilliseconds(TimeSpan.FromDays(60), "t"));
        Assert.Equal(Timeouts.MaxMilliseconds, Timeouts.ToMilliseconds(TimeSpan.MaxValue, "t"));
        _ = TimeSpan.FromMilliseconds(Timeouts.MaxMilliseconds); // converting back never overflows
    }

    [Fact]
    public void Deadlines_are_read_on_the_given_clock_and_a_past_one_tries_once()
    {
        var clock = new FakeTimeProvider(new DateTimeOffset(2100, 1, 1, 0, 0, 0, TimeSpan.Zero));
        var now = clock.GetUtcNow();
        Assert.Equal(0, Timeouts.FromDeadline(now, clock));
        Assert.Equal(0, Timeouts.FromDeadline(now - TimeSpan.FromDays(1), clock));
        Assert.Equal(1, Timeouts.FromDeadline(now + TimeSpan.FromTicks(5_000), clock));
        Assert.Equal(60_000, Timeouts.FromDeadline(now + TimeSpan.FromMinutes(1), clock));
    }

    // ------------------------------------------------------------------ every API uses it

    /// <summary>Every public method that takes a timeout, called with <paramref name="timeout"/> on a resource that is ready.</summary>
    private static readonly Dictionary<string, Action<TimeSpan>> TimeoutApis = new()
    {
        ["Sender.TrySend"] = t => Chan.Bounded<int>(1).Sender.TrySend(1, t),
        ["Sender.TrySendAsync"] = t => _ = Chan.Bounded<int>(1).Sender.TrySendAsync(1, t),
        ["Receiver.TryReceive"] = t => Ready().TryReceive(t),
        ["Receiver.TryReceiveAsync"] = t => _ = Ready().TryReceiveAsync(t),
        ["SelectSet.Select"] = t =>
        {
            var set = new SelectSet();
            set.AddReceive(Ready());
            _ = set.Select(t);
        },
        ["Selector.Timeout"] = t => new Selector().Receive(Ready(), _ => { }).Timeout(t, () => { }).Select(),
        ["PermitSemaphore.TryAcquire"] = t => new PermitSemaphore(1).TryAcquire(t, out _),
        ["PermitSemaphore.TryAcquire(weight)"] = t => new PermitSemaphore(2).TryAcquire(2, t, out _),
        ["Locked.TryLock"] = t => new Locked<int>(0).TryLock(t, out _),
        ["RwLocked.TryRead"] = t => new RwLocked<int>(0).TryRead(t, out _),
        ["RwLocked.TryWrite"] = t => new RwLocked<int>(0).TryWrite(t, out _),
    };

    private static Receiver<int> Ready()
    {
        var (tx, rx) = Chan.Bounded<int>(1);
        tx.TrySend(1);
        return rx;
    }

    public static TheoryData<string> TimeoutApiNames() => new(TimeoutApis.Keys);

    [Theory]
    [MemberData(nameof(TimeoutApiNames))]
    public void Every_timeout_api_rejects_negative_timeouts_naming_its_parameter(string api)
    {
        foreach (var bad in new[] { TimeSpan.FromTicks(-1), TimeSpan.FromMilliseconds(-2), TimeSpan.FromDays(-1) })
        {
            var ex = Assert.Throws<ArgumentOutOfRangeException>(() => TimeoutApis[api](bad));
            Assert.Equal("timeout", ex.ParamName);
        }
    }

    [Theory]
    [MemberData(nameof(TimeoutApiNames))]
    public void Every_timeout_api_accepts_infinite_zero_sub_millisecond_and_huge_timeouts(string api)
    {
        foreach (var ok in new[] { Timeout.InfiniteTimeSpan, TimeSpan.Zero, TimeSpan.FromTicks(5_000), TimeSpan.FromMilliseconds(int.MaxValue + 1L), TimeSpan.FromDays(3650), TimeSpan.MaxValue })
        {
            TimeoutApis[api](ok); // ready resources: completes at once
        }
    }

    [Fact]
    public void A_sub_millisecond_timeout_waits_at_least_a_millisecond_instead_of_polling()
    {
        var clock = new TestClocks.CountingFakeTime();
        var (tx, rx) = Chan.Bounded<int>(1, new ChanOptions { TimeProvider = clock });
        var receive = Task.Run(() => rx.TryReceive(TimeSpan.FromTicks(5_000)));
        WaitUntil(() => rx.Core.WaitingCounts.Receivers == 1 && clock.LiveTimers == 1, "the receive waits with its timer armed (a poll would have returned)");
        clock.Fake.Advance(TimeSpan.FromTicks(9_999));
        Assert.False(receive.IsCompleted);
        clock.Fake.Advance(TimeSpan.FromTicks(1));
        Assert.Equal(ReceiveStatus.Timeout, receive.Result.Status);
        tx.Dispose();
    }

    [Fact]
    public async Task Waits_longer_than_int_max_value_milliseconds_complete_and_time_out_on_the_clock()
    {
        var clock = new TestClocks.SystemLimitedFakeTime();
        var (tx, rx) = Chan.Bounded<int>(1, new ChanOptions { TimeProvider = clock });

        // 60 days: past one arming of a system timer, so the timeout is stepped.
        var blocking = Task.Run(() => rx.TryReceive(TimeSpan.FromDays(60)));
        WaitUntil(() => rx.Core.WaitingCounts.Receivers == 1 && clock.LiveTimers == 1, "the blocking receive waits with its timer armed");
        clock.Fake.Advance(TimeSpan.FromDays(50));
        Assert.True(tx.TrySend(1).IsSent);
        Assert.Equal(1, (await blocking.WaitAsync(Long)).Value);

        var async = rx.TryReceiveAsync(TimeSpan.FromDays(60)).AsTask();
        clock.Fake.Advance(TimeSpan.FromDays(50));
        Assert.False(async.IsCompleted);
        clock.Fake.Advance(TimeSpan.FromDays(10));
        Assert.Equal(ReceiveStatus.Timeout, (await async.WaitAsync(Long)).Status);
        Assert.Equal((0, 0, 0, 0), rx.Core.QueuedNodes);

        // The system clock takes them too (the wait is completed long before).
        var (stx, srx) = Chan.Bounded<int>(1);
        var systemWait = srx.TryReceiveAsync(TimeSpan.FromDays(60)).AsTask();
        Assert.True(stx.TrySend(2).IsSent);
        Assert.Equal(2, (await systemWait.WaitAsync(Long)).Value);
        tx.Dispose();
        stx.Dispose();
    }

    // ------------------------------------------------------------------ deadlines on the channel's clock

    [Fact]
    public void A_deadline_passed_on_the_channel_clock_tries_once_although_the_system_clock_is_far_before_it()
    {
        var clock = new FakeTimeProvider(DateTimeOffset.UtcNow + TimeSpan.FromDays(365 * 50));
        var (tx, rx) = Chan.Bounded<int>(1, new ChanOptions { TimeProvider = clock });
        var deadline = clock.GetUtcNow() - TimeSpan.FromSeconds(1);
        Assert.Equal(ReceiveStatus.Timeout, rx.TryReceiveUntil(deadline).Status);
        Assert.True(tx.TrySend(1).IsSent);
        Assert.Equal(SendStatus.Timeout, tx.TrySendUntil(2, deadline).Status);
        Assert.Equal(1, rx.TryReceiveUntil(deadline).Value); // ready: a past deadline still tries once
        tx.Dispose();
    }

    [Fact]
    public async Task A_deadline_on_the_channel_clock_times_out_when_that_clock_reaches_it()
    {
        // The system clock is far past this deadline; only the channel's clock counts.
        var clock = new TestClocks.CountingFakeTime(start: new DateTimeOffset(2000, 1, 1, 0, 0, 0, TimeSpan.Zero));
        var (tx, rx) = Chan.Bounded<int>(1, new ChanOptions { TimeProvider = clock });
        var deadline = clock.GetUtcNow() + TimeSpan.FromMinutes(5);

        var blocking = Task.Run(() => rx.TryReceiveUntil(deadline));
        WaitUntil(() => rx.Core.WaitingCounts.Receivers == 1 && clock.LiveTimers == 1, "the receive waits with its timer armed");
        var asyncReceive = rx.TryReceiveUntilAsync(deadline).AsTask();
        Assert.Equal(2, clock.LiveTimers);
        clock.Fake.Advance(TimeSpan.FromMinutes(4));
        Assert.False(asyncReceive.IsCompleted);
        clock.Fake.Advance(TimeSpan.FromMinutes(1));
        Assert.Equal(ReceiveStatus.Timeout, (await blocking.WaitAsync(Long)).Status);
        Assert.Equal(ReceiveStatus.Timeout, (await asyncReceive.WaitAsync(Long)).Status);

        Assert.True(tx.TrySend(1).IsSent);
        var sendDeadline = clock.GetUtcNow() + TimeSpan.FromMinutes(1);
        WaitUntil(() => clock.LiveTimers == 0, "the receives' timers are gone");
        var blockedSend = Task.Run(() => tx.TrySendUntil(2, sendDeadline));
        WaitUntil(() => rx.Core.WaitingCounts.Senders == 1 && clock.LiveTimers == 1, "the send waits with its timer armed");
        var asyncSend = tx.TrySendUntilAsync(3, sendDeadline).AsTask();
        Assert.Equal(2, clock.LiveTimers);
        clock.Fake.Advance(TimeSpan.FromMinutes(1));
        Assert.Equal(SendStatus.Timeout, (await blockedSend.WaitAsync(Long)).Status);
        Assert.Equal(3, (await asyncSend.WaitAsync(Long)).UnsentItem);
        Assert.Equal((0, 0, 0, 0), rx.Core.QueuedNodes);
        tx.Dispose();
    }
}
