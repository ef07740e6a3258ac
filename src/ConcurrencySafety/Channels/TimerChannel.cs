// Timer channels: a capacity-1 channel fed by a TimeProvider timer. The timer holds the only
// sender and never disposes it, so the channel never reports "disconnected": a select arm on
// it fires only when a tick is delivered. Ticks that find the slot full are dropped (Go's
// ticker behaviour). When the last receiver goes, the core runs ReceiversGone, which stops the
// timer, and any tick already in flight fails its TrySend harmlessly.
//
// Durations are rounded up to whole milliseconds first: the system timer counts whole
// milliseconds and truncates, so a 0.5 ms period would become 0, which means "fire once"
// (issue 13, bug 2). A timer also takes at most 2^32-2 ms (about 49.7 days) per due time or
// period; longer durations (bug 3) run on a one-shot timer that is re-armed in steps of at most
// that, each step measuring what is left on the provider's own clock, so a long delay still
// fires on time and a long period does not drift.
namespace ConcurrencySafety.Channels;

/// <summary>Starts the timer behind <see cref="Chan.After"/> and <see cref="Chan.Tick"/>.</summary>
internal static class TimerChannel
{
    /// <summary>The longest due time or period one timer arming takes (the system timer's limit).</summary>
    internal static readonly TimeSpan MaxStep = TimeSpan.FromMilliseconds(uint.MaxValue - 1);

    /// <summary>Starts a timer channel: first delivery after <paramref name="dueTime"/>, then every <paramref name="period"/> (<see cref="Timeout.InfiniteTimeSpan"/>: once).</summary>
    public static Receiver<DateTimeOffset> Start(TimeSpan dueTime, TimeSpan period, TimeProvider timeProvider)
    {
        Debug.Assert(dueTime >= TimeSpan.Zero && (period > TimeSpan.Zero || period == Timeout.InfiniteTimeSpan));
        dueTime = Timeouts.RoundUpToMilliseconds(dueTime);
        if (period != Timeout.InfiniteTimeSpan)
        {
            period = Timeouts.RoundUpToMilliseconds(period); // at least 1 ms, never 0 ("once")
        }

        var core = new BoundedChannel<DateTimeOffset>(1);
        var sender = new Sender<DateTimeOffset>(core);
        var receiver = new Receiver<DateTimeOffset>(core);
        IDisposable timer = dueTime <= MaxStep && (period == Timeout.InfiniteTimeSpan || period <= MaxStep)
            ? timeProvider.CreateTimer(static s => ((Feed)s!).Fire(), new Feed(sender, timeProvider), dueTime, period)
            : new SteppedTimer(sender, timeProvider, dueTime, period);
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

    /// <summary>The callback state of a timer whose durations the provider takes as they are.</summary>
    private sealed class Feed(Sender<DateTimeOffset> sender, TimeProvider timeProvider)
    {
        public void Fire() => sender.TrySend(timeProvider.GetUtcNow());
    }

    /// <summary>
    /// A timer for durations longer than <see cref="MaxStep"/>: a one-shot provider timer re-armed
    /// from its own callback. All fields are guarded by the instance lock; the callback and
    /// <see cref="Dispose"/> may run on different threads at once.
    /// </summary>
    private sealed class SteppedTimer : IDisposable
    {
        private readonly Sender<DateTimeOffset> _sender;
        private readonly TimeProvider _time;
        private readonly TimeSpan _period;

        /// <summary>The provider timestamp all due times are measured from.</summary>
        private readonly long _start;

        /// <summary>When the next delivery is due, as time elapsed since <see cref="_start"/>.</summary>
        private TimeSpan _due;

        private readonly ITimer _timer;
        private bool _stopped;

        /// <summary>Guards <see cref="_due"/>, <see cref="_stopped"/> and the arming of <see cref="_timer"/>.</summary>
        private readonly object _gate = new();

        public SteppedTimer(Sender<DateTimeOffset> sender, TimeProvider time, TimeSpan dueTime, TimeSpan period)
        {
            _sender = sender;
            _time = time;
            _period = period;
            _start = time.GetTimestamp();
            _due = dueTime;

            // Created unarmed and armed under the lock, so that the callback (which re-arms it)
            // always finds _timer assigned.
            _timer = time.CreateTimer(static s => ((SteppedTimer)s!).OnTimer(), this, Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
            lock (_gate)
            {
                ArmForRemaining(TimeSpan.Zero);
            }
        }

        private void OnTimer()
        {
            lock (_gate)
            {
                if (_stopped)
                {
                    return;
                }

                var now = _time.GetElapsedTime(_start);
                if (now < _due)
                {
                    ArmForRemaining(now); // an intermediate step (or an early firing)
                    return;
                }

                _sender.TrySend(_time.GetUtcNow());
                if (_period == Timeout.InfiniteTimeSpan)
                {
                    return;
                }

                // Periods count from the previous due time, so steps add no drift; a tick more
                // than a period late is not caught up (the channel keeps one tick anyway).
                _due = Add(_due, _period);
                if (_due <= now)
                {
                    _due = Add(now, _period);
                }

                ArmForRemaining(now);
            }
        }

        /// <summary>Adds without overflowing: a due time past <see cref="TimeSpan.MaxValue"/> is never reached anyway.</summary>
        private static TimeSpan Add(TimeSpan a, TimeSpan b) => b > TimeSpan.MaxValue - a ? TimeSpan.MaxValue : a + b;

        /// <summary>Arms the timer for what is left until <see cref="_due"/>, at most one step. Under the lock.</summary>
        private void ArmForRemaining(TimeSpan now)
        {
            var left = _due - now;
            _timer.Change(left < MaxStep ? left : MaxStep, Timeout.InfiniteTimeSpan);
        }

        public void Dispose()
        {
            lock (_gate)
            {
                _stopped = true;
            }

            _timer.Dispose();
        }
    }
}
