// Timer channels: a capacity-1 channel fed by a TimeProvider timer. The timer holds the only
// sender and never disposes it, so the channel never reports "disconnected": a select arm on
// it fires only when a tick is delivered. Ticks that find the slot full are dropped (Go's
// ticker behaviour). When the last receiver goes, the core runs ReceiversGone, which disposes
// the timer, and any tick already in flight fails its TrySend harmlessly.
namespace ConcurrencySafety.Channels;

/// <summary>Starts the timer behind <see cref="Chan.After"/> and <see cref="Chan.Tick"/>.</summary>
internal static class TimerChannel
{
    public static Receiver<DateTimeOffset> Start(TimeSpan dueTime, TimeSpan period, TimeProvider timeProvider)
    {
        var core = new BoundedChannel<DateTimeOffset>(1);
        var sender = new Sender<DateTimeOffset>(core);
        var receiver = new Receiver<DateTimeOffset>(core);
        var state = new State(sender, timeProvider);
        var timer = timeProvider.CreateTimer(static s => ((State)s!).Fire(), state, dueTime, period);
        try
        {
            WaitFaults.Hit(WaitPath.TimerStart, WaitStage.Registered);
            core.ReceiversGone = timer.Dispose;
        }
        catch
        {
            // The caller never gets the receiver, so nobody could ever stop this timer.
            timer.Dispose();
            throw;
        }

        return receiver;
    }

    private sealed class State(Sender<DateTimeOffset> sender, TimeProvider timeProvider)
    {
        public void Fire() => sender.TrySend(timeProvider.GetUtcNow());
    }
}
