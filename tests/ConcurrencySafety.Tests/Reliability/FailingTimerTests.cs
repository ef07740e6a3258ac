using ConcurrencySafety.Channels;
using ConcurrencySafety.Selection;
using Microsoft.Extensions.Time.Testing;

namespace ConcurrencySafety.Tests.Reliability;

/// <summary>
/// A wait whose timer fails to stop once the wait has ended (a <see cref="TimeProvider"/>
/// whose timers throw from Change or Dispose): a completion stands and its item is not lost,
/// and a wait that timed out leaves no node queued. (A channel wait's timeout is a
/// CancellationTokenSource, which disposes its timer itself when it fires, so only a completed
/// channel wait meets a timer that fails in Disarm.)
/// </summary>
public sealed class FailingTimerTests
{
    [Fact]
    public async Task A_channel_wait_completed_by_a_partner_keeps_its_item_when_the_timer_fails_to_stop()
    {
        var time = new StopFailingTime();
        var (tx, rx) = Chan.Rendezvous<int>(new ChanOptions { TimeProvider = time });
        var receive = rx.TryReceiveAsync(TimeSpan.FromHours(1)).AsTask();
        TestWaits.Until(() => rx.Core.WaitingCounts.Receivers == 1, "the receiver waits");

        tx.Send(5);

        var result = await receive.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.True(result.IsReceived);
        Assert.Equal(5, result.Value);
        Assert.True(time.Failures > 0, "the timer's stop was attempted and failed");
    }

    [Fact]
    public async Task An_async_select_that_timed_out_leaves_no_node_when_the_timer_fails_to_stop()
    {
        var time = new StopFailingTime();
        var (aTx, a) = Chan.Rendezvous<int>(new ChanOptions { TimeProvider = time });
        var (_, b) = Chan.Rendezvous<int>(new ChanOptions { TimeProvider = time });
        bool timedOut = false;
        var selector = new Selector(time).Receive(a, _ => { }).Receive(b, _ => { }).Timeout(TimeSpan.FromSeconds(1), () => timedOut = true);
        var select = selector.SelectAsync().AsTask();
        TestWaits.Until(() => a.Core.WaitingCounts.Receivers == 1 && b.Core.WaitingCounts.Receivers == 1, "both arms wait");

        time.Advance(TimeSpan.FromSeconds(2));

        // The timer's failure is reported (no arm completed), and neither arm is left queued.
        await Assert.ThrowsAsync<TimeZoneNotFoundException>(() => select.WaitAsync(TimeSpan.FromSeconds(10)));
        Assert.False(timedOut);
        Assert.Equal((0, 0, 0, 0), a.Core.QueuedNodes);
        Assert.Equal((0, 0, 0, 0), b.Core.QueuedNodes);
        Assert.False(aTx.TrySend(1).IsSent, "no stale arm took the item");
    }

    [Fact]
    public async Task An_async_select_completed_by_a_partner_keeps_its_item_and_unregisters_the_other_arms()
    {
        var time = new StopFailingTime();
        var (aTx, a) = Chan.Rendezvous<int>(new ChanOptions { TimeProvider = time });
        var (_, b) = Chan.Rendezvous<int>(new ChanOptions { TimeProvider = time });
        int got = 0;
        var selector = new Selector(time).Receive(a, x => got = x).Receive(b, _ => { }).Timeout(TimeSpan.FromHours(1), () => { });
        var select = selector.SelectAsync().AsTask();
        TestWaits.Until(() => a.Core.WaitingCounts.Receivers == 1 && b.Core.WaitingCounts.Receivers == 1, "both arms wait");

        aTx.Send(5);

        Assert.Equal(0, await select.WaitAsync(TimeSpan.FromSeconds(10)));
        Assert.Equal(5, got);
        Assert.Equal((0, 0, 0, 0), b.Core.QueuedNodes);
        Assert.True(time.Failures > 0, "the timer's stop was attempted and failed");
    }

    /// <summary>A fake clock whose timers throw whenever they are stopped: Change to infinite, or Dispose.</summary>
    private sealed class StopFailingTime : TimeProvider
    {
        private readonly FakeTimeProvider _fake = new();
        private int _failures;

        public int Failures => Volatile.Read(ref _failures);

        public void Advance(TimeSpan by) => _fake.Advance(by);

        public override DateTimeOffset GetUtcNow() => _fake.GetUtcNow();

        public override long GetTimestamp() => _fake.GetTimestamp();

        public override long TimestampFrequency => _fake.TimestampFrequency;

        public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period) =>
            new Failing(this, _fake.CreateTimer(callback, state, dueTime, period));

        private sealed class Failing(StopFailingTime owner, ITimer inner) : ITimer
        {
            public bool Change(TimeSpan dueTime, TimeSpan period)
            {
                if (dueTime == Timeout.InfiniteTimeSpan)
                {
                    inner.Change(dueTime, period);
                    throw Fail();
                }

                return inner.Change(dueTime, period);
            }

            public void Dispose()
            {
                inner.Dispose();
                throw Fail();
            }

            public ValueTask DisposeAsync()
            {
                Dispose();
                return ValueTask.CompletedTask;
            }

            private Exception Fail()
            {
                Interlocked.Increment(ref owner._failures);
                return new TimeZoneNotFoundException("test timer failure");
            }
        }
    }
}
