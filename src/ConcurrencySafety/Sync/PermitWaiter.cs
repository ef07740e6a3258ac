// PermitWaiter: one request for permits. The same node is the async waiter
// (IValueTaskSource<Permit>), the blocking waiter (its monitor is pulsed), and, once
// granted, the identity of the held permit. `Stamp` changes on every release, which makes a
// Permit copy that was already released (or whose node was reused) harmless.
using System.Threading.Tasks.Sources;

namespace ConcurrencySafety;

internal sealed class PermitWaiter : IValueTaskSource<Permit>
{
    internal const int Idle = 0;
    internal const int Waiting = 1;
    internal const int Held = 2;
    internal const int Canceled = 3;
    internal const int TimedOut = 4;
    internal const int Retry = 5;

    /// <summary>Stopwatch timestamp of the first enqueue (starvation check in barging mode).</summary>
    internal long QueuedAt;

    /// <summary>The queue this node belongs to (releases go back there).</summary>
    internal readonly PermitQueue Owner;

    /// <summary>Number of permits requested / held. Written under the owner's lock.</summary>
    internal int Weight;

    /// <summary>One of the constants above. Written under the owner's lock.</summary>
    internal int State;

    /// <summary>
    /// Identity of the current grant. A Permit is valid while its stamp equals this value;
    /// releasing advances it with a compare-exchange, so only one release can win.
    /// </summary>
    internal long Stamp;

    /// <summary>Queue links (under the owner's lock); <see cref="Next"/> also links the pool.</summary>
    internal PermitWaiter? Prev, Next;

    /// <summary>Chain of nodes granted in one step, completed after the lock is released.</summary>
    internal PermitWaiter? NextToWake;

    /// <summary>
    /// For a blocking waiter: 1 once whoever changed <see cref="State"/> for it (a granter, the
    /// cancellation callback, a barging wake-up) has finished touching the node, set under the
    /// node's monitor as that party's last step. The waiter returns (and may release and
    /// recycle the node) only after seeing it, never merely after seeing <see cref="State"/>
    /// change, which is written earlier under the queue's lock. Reset when it queues.
    /// </summary>
    internal int Signaled;

    /// <summary>True for a blocking waiter (pulse the monitor), false for an async one.</summary>
    internal bool IsSync;

    /// <summary>Set when the node must not be reused (its cancellation callback may still run).</summary>
    internal bool Poisoned;

    /// <summary>Registration of the waiter's cancellation token, if it can be canceled.</summary>
    internal CancellationTokenRegistration Registration;

    /// <summary>The token whose cancellation is reported.</summary>
    internal CancellationToken CancelToken;

    private ManualResetValueTaskSourceCore<Permit> _core;

    internal PermitWaiter(PermitQueue owner)
    {
        Owner = owner;
        // Continuations of AcquireAsync never run inside Release (which would let user code
        // run on the releasing thread, possibly deep inside another lock holder's stack).
        _core.RunContinuationsAsynchronously = true;
    }

    internal short AsyncVersion => _core.Version;

    internal void PrepareAsync() => _core.Reset();

    internal void SetGranted() => _core.SetResult(new Permit(this, Stamp));

    internal void SetCanceled() => _core.SetException(new OperationCanceledException(CancelToken));

    /// <summary>Releases the grant identified by <paramref name="stamp"/>, at most once.</summary>
    internal void Release(long stamp)
    {
        if (Interlocked.CompareExchange(ref Stamp, stamp + 1, stamp) != stamp) return;
        Owner.Release(this);
    }

    Permit IValueTaskSource<Permit>.GetResult(short token) => _core.GetResult(token);

    ValueTaskSourceStatus IValueTaskSource<Permit>.GetStatus(short token) => _core.GetStatus(token);

    void IValueTaskSource<Permit>.OnCompleted(Action<object?> continuation, object? state, short token,
        ValueTaskSourceOnCompletedFlags flags) => _core.OnCompleted(continuation, state, token, flags);
}
