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

    /// <summary>Starts a timer that times <paramref name="waiter"/> out after <paramref name="millisecondsTimeout"/> (nothing for <see cref="Timeout.Infinite"/>).</summary>
    internal void ArmTimeout(int millisecondsTimeout, Waiter waiter)
    {
        Debug.Assert(_timer is null, "armed twice");
        if (millisecondsTimeout == Timeout.Infinite)
        {
            return;
        }

        // Stored before it can fail to register, so that Disarm also disposes a timer whose
        // registration threw.
        _timer = new CancellationTokenSource(millisecondsTimeout);
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
        _timer?.Dispose();
        _timer = null;
    }
}
