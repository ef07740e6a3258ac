namespace ConcurrencySafety.Tests.Select;

/// <summary>Issue 13, bug 3 for selects: a select timeout longer than one timer arming (about 49.7 days) works.</summary>
public class SelectLongTimeoutTests
{
    private static readonly TimeSpan Long = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task A_sixty_day_select_timeout_has_not_fired_after_fifty_days()
    {
        var time = new TestClocks.SystemLimitedFakeTime();
        var (tx, rx) = Chan.Bounded<int>(1);
        int got = 0;
        var selector = new Selector(time).Receive(rx, x => got = x).Timeout(TimeSpan.FromDays(60), () => got = -1);
        var select = selector.SelectAsync().AsTask();
        time.Fake.Advance(TimeSpan.FromDays(50)); // one timer step has ended
        Assert.Equal(SendStatus.Sent, tx.TrySend(7).Status);
        Assert.Equal(0, await select.WaitAsync(Long));
        Assert.Equal(7, got);
        tx.Dispose();
    }

    [Fact]
    public async Task A_sixty_day_select_timeout_fires_at_sixty_days()
    {
        var time = new TestClocks.SystemLimitedFakeTime();
        var (tx, rx) = Chan.Bounded<int>(1);
        int got = 0;
        var selector = new Selector(time).Receive(rx, x => got = x).Timeout(TimeSpan.FromDays(60), () => got = -1);
        var select = selector.SelectAsync().AsTask();
        time.Fake.Advance(TimeSpan.FromDays(50));
        time.Fake.Advance(TimeSpan.FromDays(10));
        Assert.Equal(-2, await select.WaitAsync(Long));
        Assert.Equal(-1, got);
        Assert.Equal((0, 0, 0, 0), rx.Core.QueuedNodes);
        tx.Dispose();
    }

    [Fact]
    public async Task A_blocking_select_set_with_a_sixty_day_timeout_times_out_on_the_clock()
    {
        var time = new TestClocks.SystemLimitedFakeTime();
        var (tx, rx) = Chan.Bounded<int>(1);
        var set = new SelectSet(time);
        set.AddReceive(rx);
        var select = Task.Run(() => set.Select(TimeSpan.FromDays(60)));
        var deadline = DateTime.UtcNow + Long;
        while (rx.Core.WaitingCounts.Receivers == 0)
        {
            Assert.True(DateTime.UtcNow < deadline, "the select registers");
            Thread.Sleep(1);
        }

        time.Fake.Advance(TimeSpan.FromDays(60));
        Assert.Null(await select.WaitAsync(Long));
        tx.Dispose();
    }
}
