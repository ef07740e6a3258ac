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
// return. If that code blocks in one of this library's own waits, the wait first gives the
// parked waiter to the pool (FlushParked), since the party it waits for may be the very one
// parked here. If it blocks anywhere else or keeps computing, the watchdog (a timer that ticks
// every millisecond while anything is parked) sees that the runner made no progress for a
// whole tick and moves the parked waiter to the thread pool. The delay is then one to two
// timer periods where the system timer has millisecond resolution (Linux; about 15.6 ms
// periods on Windows' default timer), and longer if the thread pool itself is starved, since
// the watchdog's callback runs on the pool: when every pool thread is blocked, it runs only
// once the pool has injected a thread. Delayed, then, never stuck: no deadlock even when the
// completer waits for the party it woke, but code that blocks after each wake outside this
// library pays a watchdog period per hand-over.
//
// Everything else goes to the pool as before: a completion from a thread that is not a runner
// (a dedicated thread, a timer, a cancellation), a second wake while the slot is taken, a
// continuation that captured a synchronization context or task scheduler (posted there, as
// always), and one that flows an ExecutionContext.
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

    private static readonly Timer s_watchdog = CreateWatchdog();

    /// <summary>
    /// Creates the watchdog timer without the creating thread's ExecutionContext: a timer keeps
    /// the context it captured for its lifetime, here the process's, and with it the AsyncLocal
    /// values of whichever completer happened to touch this class first.
    /// </summary>
    private static Timer CreateWatchdog()
    {
        if (ExecutionContext.IsFlowSuppressed())
        {
            return new Timer(static _ => Watch(), null, Timeout.Infinite, Timeout.Infinite);
        }

        using (ExecutionContext.SuppressFlow())
        {
            return new Timer(static _ => Watch(), null, Timeout.Infinite, Timeout.Infinite);
        }
    }

    /// <summary>
    /// Gives this thread's parked waiter, if any, to the pool. Called by a blocking wait of the
    /// library before it blocks: the party it waits for may be the one parked on this thread,
    /// which would otherwise run only when the watchdog moves it.
    /// </summary>
    internal static void FlushParked()
    {
        var runner = t_active;
        if (runner is not null && Volatile.Read(ref runner._next) is not null
            && Interlocked.Exchange(ref runner._next, null) is { } parked)
        {
            runner._flushed++;
            ThreadPool.UnsafeQueueUserWorkItem(parked, preferLocal: false); // this thread is about to block
        }
    }

    /// <summary>How many parked waiters <see cref="FlushParked"/> gave away on this thread's runner (written by this thread only).</summary>
    private int _flushed;

    /// <summary>For tests: <see cref="FlushParked"/>'s count on this thread's active runner, or -1 outside one.</summary>
    internal static int FlushedOnThisThread => t_active?._flushed ?? -1;

    /// <summary>For tests: whether this thread's active runner has a parked waiter.</summary>
    internal static bool HasParkedOnThisThread => t_active is { } runner && Volatile.Read(ref runner._next) is not null;

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
            // A runner is already active on this thread: the pool ran a work item inside
            // another one, which it does not do today. Do not nest loops, and do not run the
            // waiter here either (that would run it inside the active continuation's code):
            // give it back to the pool.
            Debug.Fail("a runner loop started inside another one");
            ThreadPool.UnsafeQueueUserWorkItem(first, preferLocal: true);
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
        // A full fence between this store and the loads below (a lock's entry only promises
        // acquire): TryPark stores its waiter, then loads s_armed; we store s_armed, then load
        // the slots. With both fenced, at least one of us sees the other's store.
        Interlocked.Exchange(ref s_armed, 0);
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
