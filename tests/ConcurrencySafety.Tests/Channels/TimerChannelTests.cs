using Microsoft.Extensions.Time.Testing;

namespace ConcurrencySafety.Tests.Channels;

public class TimerChannelTests
{
    [Fact]
    public void After_delivers_once_when_the_delay_has_passed_and_never_closes()
    {
        var time = new FakeTimeProvider();
        using var after = Chan.After(TimeSpan.FromSeconds(3), time);
        Assert.Equal(ReceiveStatus.Empty, after.TryReceive().Status);
        time.Advance(TimeSpan.FromSeconds(2));
        Assert.Equal(ReceiveStatus.Empty, after.TryReceive().Status);
        time.Advance(TimeSpan.FromSeconds(1));
        var fired = after.TryReceive();
        Assert.True(fired.IsReceived);
        Assert.Equal(time.GetUtcNow(), fired.Value);
        time.Advance(TimeSpan.FromHours(1));
        Assert.Equal(ReceiveStatus.Empty, after.TryReceive().Status); // once only, and still open
        Assert.False(after.IsClosed);
    }

    [Fact]
    public void Tick_delivers_every_period_and_drops_ticks_a_slow_receiver_missed()
    {
        var time = new FakeTimeProvider();
        using var tick = Chan.Tick(TimeSpan.FromMilliseconds(500), time);
        time.Advance(TimeSpan.FromMilliseconds(500));
        Assert.True(tick.TryReceive().IsReceived);
        Assert.Equal(ReceiveStatus.Empty, tick.TryReceive().Status);

        // Three periods pass without a receive: one tick is kept, the others are dropped.
        for (int i = 0; i < 3; i++) time.Advance(TimeSpan.FromMilliseconds(500));
        Assert.True(tick.TryReceive().IsReceived);
        Assert.Equal(ReceiveStatus.Empty, tick.TryReceive().Status);
        Assert.Equal(1, tick.Capacity);
    }

    [Fact]
    public void Disposing_a_ticker_stops_its_timer()
    {
        var time = new FakeTimeProvider();
        var tick = Chan.Tick(TimeSpan.FromSeconds(1), time);
        var clone = tick.Clone();
        tick.Dispose();
        time.Advance(TimeSpan.FromSeconds(1));
        Assert.True(clone.TryReceive().IsReceived); // a clone keeps it running
        clone.Dispose();
        time.Advance(TimeSpan.FromSeconds(5)); // no receiver: the timer is gone, nothing throws
    }

    [Fact]
    public async Task Never_never_delivers_and_never_closes()
    {
        using var never = Chan.Never<string>();
        Assert.Equal(ReceiveStatus.Empty, never.TryReceive().Status);
        Assert.Equal(ReceiveStatus.Timeout, (await never.TryReceiveAsync(TimeSpan.FromMilliseconds(20))).Status);
        Assert.False(never.IsClosed);
    }

    [Fact]
    public void Blocking_receive_on_after_wakes_when_fake_time_advances()
    {
        var time = new FakeTimeProvider();
        using var after = Chan.After(TimeSpan.FromMinutes(10), time);
        var waiting = Task.Run(() => after.Receive());
        Thread.Sleep(20);
        Assert.False(waiting.IsCompleted);
        time.Advance(TimeSpan.FromMinutes(10));
        Assert.True(waiting.Wait(TimeSpan.FromSeconds(30)));
    }
}

/// <summary>Issue 13, bugs 2 and 3: sub-millisecond periods and durations past the system timer's 49.7-day limit.</summary>
public class TimerChannelDurationTests
{
    [Fact]
    public void A_tick_period_below_one_millisecond_keeps_ticking()
    {
        // The system timer truncated 0.5 ms to 0, which means "once": the second tick never came.
        using var tick = Chan.Tick(TimeSpan.FromTicks(5_000));
        for (int i = 0; i < 3; i++)
        {
            Assert.True(tick.TryReceive(TimeSpan.FromSeconds(30)).IsReceived, $"tick {i + 1} arrives");
        }
    }

    [Fact]
    public void After_and_tick_accept_durations_longer_than_the_system_timer_takes()
    {
        using var after = Chan.After(TimeSpan.FromDays(60));
        using var tick = Chan.Tick(TimeSpan.FromDays(365));
        Assert.Equal(ReceiveStatus.Empty, after.TryReceive().Status);
        Assert.Equal(ReceiveStatus.Empty, tick.TryReceive().Status);
    }

    [Fact]
    public void A_sixty_day_after_fires_once_at_sixty_days_on_a_clock_with_the_system_limit()
    {
        var time = new TestClocks.SystemLimitedFakeTime();
        using var after = Chan.After(TimeSpan.FromDays(60), time);
        time.Fake.Advance(TimeSpan.FromDays(50)); // past one timer step
        Assert.Equal(ReceiveStatus.Empty, after.TryReceive().Status);
        time.Fake.Advance(TimeSpan.FromDays(10) - TimeSpan.FromMilliseconds(1));
        Assert.Equal(ReceiveStatus.Empty, after.TryReceive().Status);
        time.Fake.Advance(TimeSpan.FromMilliseconds(1));
        var fired = after.TryReceive();
        Assert.True(fired.IsReceived);
        Assert.Equal(time.GetUtcNow(), fired.Value);
        time.Fake.Advance(TimeSpan.FromDays(200));
        Assert.Equal(ReceiveStatus.Empty, after.TryReceive().Status); // once only
    }

    [Fact]
    public void A_sixty_day_tick_fires_every_sixty_days_without_drift()
    {
        var time = new TestClocks.SystemLimitedFakeTime();
        var start = time.GetUtcNow();
        using var tick = Chan.Tick(TimeSpan.FromDays(60), time);
        for (int n = 1; n <= 3; n++)
        {
            time.Fake.Advance(TimeSpan.FromDays(60) - TimeSpan.FromMilliseconds(1));
            Assert.Equal(ReceiveStatus.Empty, tick.TryReceive().Status);
            time.Fake.Advance(TimeSpan.FromMilliseconds(1));
            Assert.Equal(start + (n * TimeSpan.FromDays(60)), tick.TryReceive().Value);
        }
    }

    [Fact]
    public void Disposing_a_long_tick_stops_its_stepped_timer()
    {
        var time = new TestClocks.SystemLimitedFakeTime();
        var tick = Chan.Tick(TimeSpan.FromDays(60), time);
        var clone = tick.Clone();
        tick.Dispose();
        clone.Dispose();
        time.Fake.Advance(TimeSpan.FromDays(600)); // nothing fires, nothing throws
    }
}

public class ChannelFactoryBadInputTests
{
    [Fact]
    public void Negative_capacity_throws_with_a_message_that_says_what_is_valid()
    {
        var ex = Assert.Throws<ArgumentOutOfRangeException>(() => Chan.Bounded<int>(-1));
        Assert.Equal("capacity", ex.ParamName);
        Assert.Contains("0 (rendezvous) or more", ex.Message);
    }

    [Fact]
    public void Capacity_zero_is_a_rendezvous_channel()
    {
        var (tx, rx) = Chan.Bounded<int>(0);
        Assert.Equal(0, tx.Capacity);
        Assert.Equal(SendStatus.Full, tx.TrySend(1).Status);
        rx.Dispose();
        tx.Dispose();
    }

    [Fact]
    public void Negative_or_zero_timer_durations_throw()
    {
        Assert.Equal("delay", Assert.Throws<ArgumentOutOfRangeException>(() => Chan.After(TimeSpan.FromMilliseconds(-1))).ParamName);
        Assert.Equal("period", Assert.Throws<ArgumentOutOfRangeException>(() => Chan.Tick(TimeSpan.Zero)).ParamName);
        Assert.Throws<ArgumentOutOfRangeException>(() => Chan.Tick(TimeSpan.FromSeconds(-1)));
    }

    [Fact]
    public void Unsent_item_and_missing_value_access_throw_invalid_operation_with_guidance()
    {
        var (tx, rx) = Chan.Bounded<int>(1);
        var sent = tx.TrySend(1);
        Assert.Contains("Check IsSent", Assert.Throws<InvalidOperationException>(() => sent.UnsentItem).Message);
        tx.Dispose();
        rx.Receive();
        var none = rx.TryReceive();
        Assert.Contains("Disconnected", Assert.Throws<InvalidOperationException>(() => none.Value).Message);
        rx.Dispose();
    }
}
