// The undo half of every wait path.
//
// A wait registers in two kinds of places: its node(s) in wait queues (undone by each
// structure's own Unregister, under that structure's lock), and callbacks that can end the wait
// from outside: the cancellation token and a timeout timer. WaitArming holds the second kind for
// one wait and undoes all of it in one idempotent Disarm, which every wait path calls on every
// exit: completion, cancellation, timeout and failure alike. The failure exit additionally runs
// Waiter.CompletedDespiteFailure before unregistering, so the order on that exit is:
//   1. withdraw the waiter (one CAS: afterwards no channel can complete it),
//   2. disarm (disposing a registration waits for a callback that is running right now),
//   3. unregister every queue node (under each channel's lock: no partner keeps a reference),
// and only then rethrow. A wait that fails that way leaves nothing behind that could swallow a
// later item or cancel a later operation.
namespace ConcurrencySafety.Channels;

/// <summary>The cancellation callback and timeout timer one wait has armed; <see cref="Disarm"/> undoes both.</summary>
internal struct WaitArming
{
    /// <summary>The registration of the caller's cancellation token (default when it cannot be cancelled).</summary>
    private CancellationTokenRegistration _cancellation;

    /// <summary>The registration on <see cref="_timer"/>'s token.</summary>
    private CancellationTokenRegistration _timeout;

    /// <summary>The one-shot timeout source of an asynchronous wait, or null.</summary>
    private CancellationTokenSource? _timer;

    /// <summary>Registers <paramref name="waiter"/>'s cancellation callback on <paramref name="cancellationToken"/>, if it can be cancelled.</summary>
    internal void ArmCancellation(CancellationToken cancellationToken, Waiter waiter)
    {
        Debug.Assert(_cancellation == default, "armed twice");
        if (cancellationToken.CanBeCanceled)
        {
            _cancellation = cancellationToken.UnsafeRegister(Waiter.CancelCallback, waiter);
        }
    }

    /// <summary>Steps a timeout longer than one timer arming takes (null for shorter ones).</summary>
    private LongDelay? _longDelay;

    /// <summary>
    /// Starts a timer on <paramref name="time"/> that times <paramref name="waiter"/> out after
    /// <paramref name="millisecondsTimeout"/> (nothing for <see cref="Timeout.Infinite"/>).
    /// </summary>
    internal void ArmTimeout(long millisecondsTimeout, TimeProvider time, Waiter waiter)
    {
        Debug.Assert(_timer is null, "armed twice");
        if (millisecondsTimeout == Timeout.Infinite)
        {
            return;
        }

        // Stored before it can fail to register, so that Disarm also disposes a timer whose
        // registration threw.
        var delay = TimeSpan.FromMilliseconds(millisecondsTimeout);
        if (delay <= TimerChannel.MaxStep)
        {
            _timer = ReferenceEquals(time, TimeProvider.System)
                ? new CancellationTokenSource(delay)
                : new CancellationTokenSource(delay, time);
        }
        else
        {
            _timer = new CancellationTokenSource();
            _longDelay = new LongDelay(_timer, time, delay);
        }

        _timeout = _timer.Token.UnsafeRegister(Waiter.TimeoutCallback, waiter);
    }

    /// <summary>
    /// Undoes everything armed. Idempotent. Returns only once no callback of this wait is
    /// running any more (CancellationTokenRegistration.Dispose waits for it), so the owner may
    /// then reset or recycle the waiter.
    /// </summary>
    internal void Disarm()
    {
        _cancellation.Dispose();
        _cancellation = default;
        _timeout.Dispose();
        _timeout = default;

        // Each field is cleared before its object is disposed, and the timer's source is
        // disposed even if the long delay's timer threw (a TimeProvider's timer may): a failed
        // Disarm can be repeated by the failure exit without disposing anything twice.
        var longDelay = _longDelay;
        _longDelay = null;
        var timer = _timer;
        _timer = null;
        try
        {
            longDelay?.Dispose();
        }
        finally
        {
            timer?.Dispose();
        }
    }

    /// <summary>
    /// Cancels a token source after a delay longer than one timer arming takes (2^32-2 ms), by
    /// re-arming a one-shot timer in steps of at most that, each measured on the clock.
    /// </summary>
    private sealed class LongDelay : IDisposable
    {
        private readonly CancellationTokenSource _source;
        private readonly TimeProvider _time;
        private readonly long _start;
        private readonly TimeSpan _delay;
        private readonly ITimer _timer;

        /// <summary>Guards the arming of <see cref="_timer"/> against <see cref="Dispose"/>.</summary>
        private readonly object _gate = new();

        private bool _stopped;

        public LongDelay(CancellationTokenSource source, TimeProvider time, TimeSpan delay)
        {
            _source = source;
            _time = time;
            _delay = delay;
            _start = time.GetTimestamp();
            _timer = time.CreateTimer(static s => ((LongDelay)s!).OnTimer(), this, Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
            lock (_gate)
            {
                Arm(TimeSpan.Zero);
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

                var elapsed = _time.GetElapsedTime(_start);
                if (elapsed < _delay)
                {
                    Arm(elapsed);
                    return;
                }

                _stopped = true;
            }

            // Outside the lock: Cancel runs the wait's timeout callback. The source is disposed
            // only after this object (Disarm), but a whole Disarm can still run between the
            // lock's release above and this call: the wait completed some other way, disposed
            // this object (finding _stopped already set) and then the source. The timeout is
            // moot then, and the exception must not escape on the timer's thread (on the
            // system clock that ends the process).
            try
            {
                _source.Cancel();
            }
            catch (ObjectDisposedException)
            {
                // The wait is over: see above.
            }
        }

        private void Arm(TimeSpan elapsed)
        {
            var left = _delay - elapsed;
            _timer.Change(left < TimerChannel.MaxStep ? left : TimerChannel.MaxStep, Timeout.InfiniteTimeSpan);
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
