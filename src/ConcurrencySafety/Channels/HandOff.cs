// The default hand-over of a woken asynchronous party: "run next on this thread", as Go's
// scheduler puts a readied goroutine in its processor's runnext slot.
//
// Why: on a rendezvous or one-slot channel every message wakes the partner. Queueing the
// woken continuation to the thread pool costs a pool enqueue and, most of the time, a worker
// wake-up (a futex call on each side); the woken party then runs on another core and its
// reply comes back the same way. Running it inline on the completing thread is several times
// faster, but it runs the woken party's code inside the completer's call: a continuation that
// blocks would block the completer (and deadlock if it waits for it). Only an opt-in
// (ChanOptions.AllowSynchronousContinuations) may do that.
//
// What this does instead: when the completing code is itself a continuation that one of our
// own work items is running (a Waiter executed as an IThreadPoolWorkItem, the "runner"), the
// woken waiter is parked in the runner's one-item slot and runs on this thread right AFTER the
// completer's code has returned to the runner, that is once the completer has reached an await
// that did not complete (or has finished). Nothing of the woken party ever runs inside the
// completer's code, so a woken continuation that blocks cannot block the completer; the
// completer and the woken party simply take turns on one thread, which is what a ping-pong on
// a rendezvous channel needs.
//
// Who can be delayed, and by how much: a parked waiter waits for the completer's code to
// return. If that code blocks or keeps computing instead, the watchdog (a timer that ticks
// every millisecond while anything is parked) sees that the runner made no progress for a
// whole tick and moves the parked waiter to the thread pool. So a woken party is delayed by at
// most about two milliseconds, never indefinitely: no deadlock even when the completer waits
// for the party it woke. Everything else goes to the pool as before: a completion from a
// thread that is not a runner (a dedicated thread, a timer, a cancellation), a second wake
// while the slot is taken, a continuation that captured a synchronization context or task
// scheduler (posted there, as always), and one that flows an ExecutionContext.
//
// Fairness: a runner runs at most RunBudget continuations, then gives its parked waiter back
// to the pool and returns, so that a pair of parties handing over forever cannot keep a pool
// thread from the rest of the pool's work.
namespace ConcurrencySafety.Channels;

/// <summary>Per-thread "run next" slot for woken asynchronous waiters, and the loop that runs them.</summary>
internal sealed class HandOff
{
    /// <summary>How many continuations one runner loop runs before it returns to the pool.</summary>
    internal const int RunBudget = 256;

    /// <summary>The watchdog's period in milliseconds.</summary>
    private const int WatchdogPeriod = 1;

    /// <summary>The runner loop active on this thread, or null outside one.</summary>
    [ThreadStatic]
    private static HandOff? t_active;

    /// <summary>This thread's runner (made the first time the thread runs one, registered with the watchdog).</summary>
    [ThreadStatic]
    private static HandOff? t_mine;

    /// <summary>The parked waiter: set by this thread only (from null), taken by this thread or stolen by the watchdog.</summary>
    private Waiter? _next;

    /// <summary>Bumped by the runner each time it finishes a continuation; the watchdog compares it between ticks.</summary>
    private int _progress;

    /// <summary>The watchdog's copy of <see cref="_progress"/> from its previous tick.</summary>
    private int _progressSeen;

    // ------------------------------------------------------------------ the watchdog

    /// <summary>Every runner ever made, weakly (a runner dies with its thread). Under its own lock.</summary>
    private static readonly List<WeakReference<HandOff>> s_all = [];

    /// <summary>1 while the watchdog timer is armed.</summary>
    private static int s_armed;

    private static readonly Timer s_watchdog = new(static _ => Watch(), null, Timeout.Infinite, Timeout.Infinite);

    /// <summary>
    /// Parks <paramref name="waiter"/> in the runner slot of this thread, if this thread is running
    /// a runner loop and its slot is free. The caller holds no promise about when the runner
    /// gets to it beyond the watchdog's bound (see the file header).
    /// </summary>
    internal static bool TryPark(Waiter waiter)
    {
        var runner = t_active;
        if (runner is null || runner._next is not null)
        {
            return false;
        }

        // The watchdog may only take the slot from non-null to null, so a CAS from null settles
        // who owns it; a plain write could overwrite nothing, but the CAS also publishes the
        // waiter's continuation fields to a watchdog that steals it.
        if (Interlocked.CompareExchange(ref runner._next, waiter, null) is not null)
        {
            return false;
        }

        if (Volatile.Read(ref s_armed) == 0)
        {
            ArmWatchdog();
        }

        return true;
    }

    /// <summary>
    /// The runner loop: runs <paramref name="first"/>'s continuation, then whatever that code
    /// parked here, and so on, up to <see cref="RunBudget"/> continuations. Called by the pool.
    /// </summary>
    internal static void Run(Waiter first)
    {
        if (t_active is not null)
        {
            // A runner is already active on this thread (its continuation somehow runs pool work
            // inline): do not nest loops, just run this one.
            first.RunContinuation();
            return;
        }

        var runner = t_mine ?? Register();
        var clean = ExecutionContext.Capture(); // the pool starts each work item with its default context
        t_active = runner;
        Waiter? current = first;
        try
        {
            int budget = RunBudget;
            do
            {
                current.RunContinuation();
                current = null;
                runner._progress++;
                ResetThreadContexts(clean);
                if (--budget == 0)
                {
                    break;
                }

                current = Interlocked.Exchange(ref runner._next, null);
            }
            while (current is not null);
        }
        finally
        {
            t_active = null;

            // Out of budget (or a continuation threw, which the pool reports as unhandled): the
            // parked waiter is not lost, it goes to the pool like any other wake.
            if (Interlocked.Exchange(ref runner._next, null) is { } parked)
            {
                ThreadPool.UnsafeQueueUserWorkItem(parked, preferLocal: true);
            }
        }
    }

    /// <summary>
    /// Undoes what a continuation left on the thread: the pool resets the execution context and
    /// synchronization context after each work item, and the next continuation of this loop
    /// must start as clean as if the pool had run it.
    /// </summary>
    private static void ResetThreadContexts(ExecutionContext? clean)
    {
        if (ExecutionContext.Capture() != clean)
        {
            if (ExecutionContext.IsFlowSuppressed())
            {
                ExecutionContext.RestoreFlow();
            }

            if (clean is not null)
            {
                ExecutionContext.Restore(clean);
            }
        }

        if (SynchronizationContext.Current is not null)
        {
            SynchronizationContext.SetSynchronizationContext(null);
        }
    }

    private static HandOff Register()
    {
        var runner = new HandOff();
        t_mine = runner;
        lock (s_all)
        {
            s_all.RemoveAll(static w => !w.TryGetTarget(out _)); // runners of threads that ended
            s_all.Add(new WeakReference<HandOff>(runner));
        }

        return runner;
    }

    private static void ArmWatchdog()
    {
        if (Interlocked.Exchange(ref s_armed, 1) == 0)
        {
            s_watchdog.Change(WatchdogPeriod, Timeout.Infinite);
        }
    }

    /// <summary>
    /// One watchdog tick: a runner whose slot is taken and that finished no continuation since
    /// the previous tick is blocked or busy in its current one; its parked waiter moves to the
    /// pool. Re-arms while anything is parked.
    /// </summary>
    private static void Watch()
    {
        bool anyParked = false;
        lock (s_all)
        {
            foreach (var weak in s_all)
            {
                if (!weak.TryGetTarget(out var runner))
                {
                    continue;
                }

                int progress = Volatile.Read(ref runner._progress);
                bool stuck = progress == runner._progressSeen;
                runner._progressSeen = progress;
                if (Volatile.Read(ref runner._next) is null)
                {
                    continue;
                }

                if (stuck && Interlocked.Exchange(ref runner._next, null) is { } parked)
                {
                    ThreadPool.UnsafeQueueUserWorkItem(parked, preferLocal: false);
                }
                else
                {
                    anyParked = true;
                }
            }
        }

        if (anyParked)
        {
            s_watchdog.Change(WatchdogPeriod, Timeout.Infinite);
            return;
        }

        // Disarm, then look once more: a waiter parked after the scan above saw the watchdog
        // still armed and did not arm it again.
        Volatile.Write(ref s_armed, 0);
        lock (s_all)
        {
            foreach (var weak in s_all)
            {
                if (weak.TryGetTarget(out var runner) && Volatile.Read(ref runner._next) is not null)
                {
                    ArmWatchdog();
                    return;
                }
            }
        }
    }

    /// <summary>For tests: whether a runner loop is active on this thread.</summary>
    internal static bool IsRunnerThread => t_active is not null;
}
