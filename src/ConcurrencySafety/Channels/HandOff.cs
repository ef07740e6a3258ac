// The default hand-over of a woken asynchronous party: "run next on this thread", as Go's
// scheduler puts a readied goroutine on its processor's own run queue.
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
// woken waiter is parked in the runner's small FIFO queue (QueueCapacity waiters) and runs on
// this thread right AFTER the completer's code has returned to the runner, that is once the
// completer has reached an await that did not complete (or has finished); the runner then runs
// the parked waiters oldest first. Nothing of a woken party ever runs inside the completer's
// code, so a woken continuation that blocks cannot block the completer; the completer and the
// woken parties simply take turns on one thread, which is what a ping-pong on a rendezvous
// channel needs, and what four producers and one consumer on a one-slot channel need: the
// consumer wakes several producers before it awaits, and with a one-waiter slot (the design
// until session 4) every wake but the first went to the pool, woke an idle worker, and ran on
// the other core against the same channel lock (bench/README.md, "Session 4").
//
// Who can be delayed, and by how much: a parked waiter waits for the completer's code to
// return, and for the parked waiters ahead of it. If that code blocks in one of this library's
// own waits, the wait first gives every parked waiter to the pool (FlushParked), since the
// party it waits for may be one parked here. If it blocks anywhere else or keeps computing,
// the watchdog (a thread of its own that wakes every millisecond while anything is parked, and
// sleeps on an event otherwise) moves all of this runner's parked waiters to the thread pool
// when the runner made no progress for a whole tick, or when a waiter that was parked at the
// previous tick is still parked (the continuations ahead of it keep the runner busy). The delay
// is then one to two periods where sleeps have millisecond resolution (Linux; about 15.6 ms on
// Windows' default timer), and longer on a machine whose cores are all busy (the watchdog is a
// thread like any other and waits for a core too) or whose thread pool is starved (the watchdog
// needs no pool thread to notice, but the moved waiters run only once one is free). Delayed,
// then, never stuck: no deadlock even when the completer waits for
// a party it woke, or a woken party for one parked behind it, but code that blocks after each
// wake outside this library pays a watchdog period per hand-over, and parties woken together
// that each compute for long start on other cores only after that period (with the one-waiter
// slot, the second and later went to the pool at once).
//
// Everything else goes to the pool as before: a completion from a thread that is not a runner
// (a dedicated thread, a timer, a cancellation), a wake while the queue is full, a
// continuation that captured a synchronization context or task scheduler (posted there, as
// always), and one that flows an ExecutionContext.
//
// Fairness: every RunBudget continuations the runner asks the pool whether any other work is
// waiting (ThreadPool.PendingWorkItemCount: the global queue and every worker's local queue).
// If some is, it gives its parked waiters back to the pool and returns, so that parties handing
// over forever cannot keep a pool thread from the rest of the pool's work. If none is, it goes
// on for another budget, for as long as that stays so.
//
// Why the watchdog is a thread and not a timer, and why there is no cap on the renewals (issue
// 16, session 15; bench/README.md has the figures). Until then the watchdog was a
// System.Threading.Timer, and a timer's callback is pool work: every tick queued a work item,
// and a runner that asked at the end of its budget found that item waiting, so it gave its
// parties back and returned about once a millisecond during any long hand-over (counted: 362
// of 1,243 loop ends in one spsc bounded(0) run, and 416 of 417 once the cap below was
// lifted). Returning spreads the parties over two runners: an idle worker wakes and steals
// some, and until they drift back onto one thread each hand-over crosses cores. A cap of three
// renewals (session 10) made runners return every 1,024 continuations even with the timer
// silent. With the watchdog on its own thread and no cap, a quiet run kept one runner for the
// whole case, and the alternated cs-async rendezvous and one-slot cases mostly took 0.60-0.97
// of the time (select_rx 0.68-0.94; single cases up to 1.26 in one run); under --load 2 the
// same comparisons moved 0.79-1.43 either way, and mpmc was slower in every loaded run
// (bounded(1) 1.10-1.43, bounded(0) 1.03-1.27; most likely because two runners on two cores
// get a larger share of a contended machine, not proven by a profile). A timer callback of
// the user's, or any other queued work, still makes a runner yield within a budget of the
// moment it is queued.
//
// The watchdog's thread, once started, lives as long as the process, asleep in this library's
// code while nothing is parked. A collectible AssemblyLoadContext that loaded this library
// therefore cannot unload (the timer it replaced, disarmed, did not hold one back).
namespace ConcurrencySafety.Channels;

/// <summary>Per-thread "run next" queue for woken asynchronous waiters, and the loop that runs them.</summary>
internal sealed class HandOff
{
    /// <summary>How many continuations a runner runs before it asks whether to return to the pool (one budget).</summary>
    internal const int RunBudget = 256;

    /// <summary>How many woken waiters one runner holds at most (a power of two); a wake beyond it goes to the pool.</summary>
    internal const int QueueCapacity = 8;

    private const int QueueMask = QueueCapacity - 1;

    /// <summary>The watchdog's period in milliseconds.</summary>
    private const int WatchdogPeriod = 1;

    /// <summary>The runner loop active on this thread, or null outside one.</summary>
    [ThreadStatic]
    private static HandOff? t_active;

    /// <summary>This thread's runner (made the first time the thread runs one, registered with the watchdog).</summary>
    [ThreadStatic]
    private static HandOff? t_mine;

    /// <summary>
    /// The parked waiters, oldest at <see cref="_head"/>. A slot is set (from null) by this
    /// thread only, and emptied by this thread (running it) or by the watchdog (moving it to the
    /// pool), each with an exchange, so that exactly one of them gets each waiter.
    /// </summary>
    private readonly Slot[] _queue = new Slot[QueueCapacity];

    /// <summary>How many waiters this runner may hold: <see cref="QueueCapacity"/>, or 0 if the watchdog could not be started (see <see cref="Register"/>).</summary>
    private int _room;

    /// <summary>Count of slots this thread has taken (run or found stolen). Written by this thread only.</summary>
    private int _head;

    /// <summary>Count of waiters this thread has parked. Written by this thread only; <c>_tail - _head</c> never exceeds the capacity.</summary>
    private int _tail;

    /// <summary>Bumped by the runner each time it finishes a continuation; the watchdog compares it between ticks.</summary>
    private int _progress;

    /// <summary>The watchdog's copy of <see cref="_progress"/> from its previous tick.</summary>
    private int _progressSeen;

    /// <summary>The watchdog's copy of <see cref="_tail"/> from its previous tick: a head still below it means a waiter has been parked for a whole tick.</summary>
    private int _tailSeen;

    /// <summary>
    /// One slot of <see cref="_queue"/>. A struct around the reference, not a bare
    /// <c>Waiter?[]</c>: <see cref="Waiter"/> is not sealed (WaitNode derives from it), so
    /// every reference taken into an array of it (the <c>ref</c> that each exchange and
    /// volatile read needs) pays the runtime's array-covariance type check, which showed up as
    /// <c>CastHelpers.LdelemaRef</c> at about 1 % of the samples of a quiet async hand-over
    /// (bench/README.md, session 8). An array of structs has no covariance, so the reference
    /// into it is a plain address.
    /// </summary>
    private struct Slot
    {
        /// <summary>The parked waiter, or null when the slot is empty.</summary>
        public Waiter? Waiter;
    }

    // ------------------------------------------------------------------ the watchdog

    /// <summary>Every runner ever made, weakly (a runner dies with its thread). Under its own lock.</summary>
    private static readonly List<WeakReference<HandOff>> s_all = [];

    /// <summary>1 while the watchdog ticks (armed); 0 while its thread sleeps on <see cref="s_wake"/>.</summary>
    private static int s_armed;

    /// <summary>
    /// Set to start the watchdog's ticks (ArmWatchdog). An auto-reset kernel event, not a
    /// monitor or a SemaphoreSlim: its Set never throws ThreadInterruptedException, so a
    /// completer with an interrupt pending can arm the watchdog from inside a channel operation
    /// (TryPark) and keep its interrupt for its next blocking wait.
    /// </summary>
    private static readonly AutoResetEvent s_wake = new(initialState: false);

    /// <summary>The watchdog's thread once it runs; written under the lock of <see cref="s_all"/>, read by ArmWatchdog's debug check.</summary>
    private static Thread? s_watchdogThread;

    /// <summary>
    /// Starts the watchdog's thread unless it runs already; false if it cannot be started.
    /// Under the lock of <see cref="s_all"/> (Register). A thread of its own, not a pool timer:
    /// see "Why the watchdog is a thread" in the file header. Started without the caller's
    /// ExecutionContext (UnsafeStart), which it would otherwise keep for the life of the process
    /// along with whatever AsyncLocal values the first runner's thread happened to hold. A
    /// background thread: it never keeps the process alive, and while nothing is parked it
    /// sleeps on <see cref="s_wake"/>.
    /// </summary>
    private static bool StartWatchdogLocked()
    {
        if (t_watchdogStartFailsForTests)
        {
            return false; // a test stands in for a thread that could not be started
        }

        if (s_watchdogThread is not null)
        {
            return true;
        }

        try
        {
            var thread = new Thread(WatchdogLoop) { IsBackground = true, Name = "ConcurrencySafety hand-off watchdog" };
            thread.UnsafeStart();
            Volatile.Write(ref s_watchdogThread, thread);
            return true;
        }
        catch (Exception)
        {
            // Out of memory, no thread to be had, or a platform without threads: the caller's
            // runner never parks (Register); runners made later on other threads try again.
            return false;
        }
    }

    /// <summary>The watchdog's thread: asleep until armed, then one Watch per period for as long as anything is parked.</summary>
    private static void WatchdogLoop()
    {
        while (true)
        {
            s_wake.WaitOne();
            do
            {
                Thread.Sleep(WatchdogPeriod);
            }
            while (Watch());
        }
    }

    /// <summary>
    /// Gives this thread's parked waiters, if any, to the pool, oldest first. Called by a
    /// blocking wait of the library before it blocks: the party it waits for may be one parked
    /// on this thread, which would otherwise run only when the watchdog moves it.
    /// </summary>
    internal static void FlushParked()
    {
        var runner = t_active;
        if (runner is not null && runner._head != runner._tail)
        {
            while (runner.TakeNext() is { } parked)
            {
                runner._flushed++;
                ThreadPool.UnsafeQueueUserWorkItem(parked, preferLocal: false); // this thread is about to block
            }
        }
    }

    /// <summary>How many parked waiters <see cref="FlushParked"/> gave away on this thread's runner (written by this thread only).</summary>
    private int _flushed;

    /// <summary>How many times this runner found no other pool work at the end of a budget and went on (written by this thread only).</summary>
    private int _renewals;

    /// <summary>For tests: replaces the pool's answer to "is other work waiting" for the rest of this runner's current loop (this thread only).</summary>
    private Func<bool>? _pendingWorkProbe;

    /// <summary>Gets a value indicating whether the pool holds work that this runner's thread should make room for.</summary>
    private bool OtherWorkPending() => _pendingWorkProbe?.Invoke() ?? ThreadPool.PendingWorkItemCount != 0;

    /// <summary>For tests: how many budgets this thread's runner has renewed since it was made, or -1 outside a runner loop.</summary>
    internal static int RenewalsOnThisThread => t_active?._renewals ?? -1;

    /// <summary>
    /// For tests: makes this thread's runner answer "is other pool work waiting" with
    /// <paramref name="probe"/> instead of asking the pool, until its current loop returns to
    /// the pool (null restores the pool's answer). Call inside a runner loop.
    /// </summary>
    internal static void SetPendingWorkProbeOnThisThread(Func<bool>? probe)
    {
        var runner = t_active ?? throw new InvalidOperationException("Not inside a runner loop: call this from a continuation a runner runs.");
        runner._pendingWorkProbe = probe;
    }

    /// <summary>For tests: <see cref="FlushParked"/>'s count on this thread's active runner, or -1 outside one.</summary>
    internal static int FlushedOnThisThread => t_active?._flushed ?? -1;

    /// <summary>For tests: whether this thread's active runner has a parked waiter.</summary>
    internal static bool HasParkedOnThisThread => t_active is { } runner && runner.AnyParked();

    /// <summary>For tests: how many waiters this thread's active runner holds (parked, not yet run or stolen), or -1 outside one.</summary>
    internal static int ParkedOnThisThread
    {
        get
        {
            if (t_active is not { } runner)
            {
                return -1;
            }

            int n = 0;
            for (int i = 0; i < QueueCapacity; i++)
            {
                if (Volatile.Read(ref runner._queue[i].Waiter) is not null)
                {
                    n++;
                }
            }

            return n;
        }
    }

    /// <summary>
    /// Parks <paramref name="waiter"/> at the end of the runner queue of this thread, if this
    /// thread is running a runner loop and its queue has room. The caller holds no promise
    /// about when the runner gets to it beyond the watchdog's bound (see the file header).
    /// </summary>
    internal static bool TryPark(Waiter waiter)
    {
        var runner = t_active;
        if (runner is null || runner._tail - runner._head >= runner._room)
        {
            return false;
        }

        // The slot at the tail was emptied when the head passed it (by this thread or by the
        // watchdog), so nobody else writes it now. The exchange is a full fence: it publishes
        // the waiter's continuation fields to a watchdog that steals it, and orders this store
        // before the load of s_armed below (the watchdog's disarm does the mirror image).
        int tail = runner._tail;
        var previous = Interlocked.Exchange(ref runner._queue[tail & QueueMask].Waiter, waiter);
        Debug.Assert(previous is null, "a runner slot is reused only after it was emptied");
        Volatile.Write(ref runner._tail, tail + 1);

        if (Volatile.Read(ref s_armed) == 0)
        {
            ArmWatchdog();
        }

        return true;
    }

    /// <summary>Takes the oldest parked waiter that the watchdog has not moved, or null. This thread only.</summary>
    private Waiter? TakeNext()
    {
        int head = _head;
        while (head != _tail)
        {
            var waiter = Interlocked.Exchange(ref _queue[head & QueueMask].Waiter, null);
            head++;
            Volatile.Write(ref _head, head);
            if (waiter is not null)
            {
                return waiter;
            }
        }

        return null;
    }

    private bool AnyParked()
    {
        for (int i = 0; i < QueueCapacity; i++)
        {
            if (Volatile.Read(ref _queue[i].Waiter) is not null)
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>
    /// The runner loop: runs <paramref name="first"/>'s continuation, then whatever that code
    /// parked here, oldest first, and so on, up to <see cref="RunBudget"/> continuations, or
    /// more budgets of them for as long as the pool has no other work waiting.
    /// Called by the pool.
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
                    // Give the thread back if other pool work waits; otherwise keep it for
                    // another budget (see "Fairness" in the file header).
                    if (runner.OtherWorkPending())
                    {
                        break;
                    }

                    runner._renewals++;
                    budget = RunBudget;
                }

                current = runner.TakeNext();
            }
            while (current is not null);
        }
        finally
        {
            t_active = null;
            runner._pendingWorkProbe = null;

            // Out of budget (or a continuation threw, which the pool reports as unhandled): the
            // parked waiters are not lost, they go to the pool like any other wake (queued in
            // wake order; the pool's local queue then runs them in its own order).
            while (runner.TakeNext() is { } parked)
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

        // The lock is taken even if an interrupt is pending on this pool thread: let out of
        // here, the ThreadInterruptedException of a contended Monitor.Enter would end the runner
        // loop before its first waiter ran (the waiter would be lost, the exception unhandled in
        // a pool work item). The interrupt is raised again below, once the lock is released.
        bool interrupted = Uninterruptible.Enter(s_all);
        try
        {
            // Parking is safe only with a watchdog to move a stuck runner's parties: without one
            // (its thread could not be started), this runner's wakes go to the pool, as every
            // wake did before runners existed.
            runner._room = StartWatchdogLocked() ? QueueCapacity : 0;

            // Registered with the watchdog before it is this thread's runner: a runner the
            // watchdog does not know of could hold parked waiters that nothing moves.
            s_all.RemoveAll(static w => !w.TryGetTarget(out _)); // runners of threads that ended
            s_all.Add(new WeakReference<HandOff>(runner));
        }
        finally
        {
            Monitor.Exit(s_all);
            if (interrupted)
            {
                Thread.CurrentThread.Interrupt(); // for the first continuation's next blocking wait
            }
        }

        t_mine = runner;
        return runner;
    }

    /// <summary>
    /// Starts the watchdog's ticks unless they run already. Never throws (see <see cref="s_wake"/>),
    /// and the watchdog's thread exists: a runner parks only once it was started (Register).
    /// </summary>
    private static void ArmWatchdog()
    {
        Debug.Assert(s_watchdogThread is not null, "a runner parks only once the watchdog runs");
        if (Interlocked.Exchange(ref s_armed, 1) == 0)
        {
            s_wake.Set();
        }
    }

    /// <summary>
    /// One watchdog tick. A runner's parked waiters move to the pool when the runner finished no
    /// continuation since the previous tick (it is blocked or busy in its current one), or when
    /// a waiter that was already parked at the previous tick is still there (the continuations
    /// ahead of it keep the runner busy). Either way no waiter stays parked longer than about
    /// two periods. Returns true to tick again (something is still parked); false once disarmed.
    /// </summary>
    private static bool Watch()
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
                int head = Volatile.Read(ref runner._head);
                int tail = Volatile.Read(ref runner._tail);
                bool aged = head - runner._tailSeen < 0;
                runner._tailSeen = tail;
                if (head == tail)
                {
                    continue;
                }

                if (stuck || aged)
                {
                    // Oldest first, as the runner would have run them. The runner may take some
                    // of them meanwhile; the exchange gives each waiter to exactly one of us.
                    for (int i = 0; i < QueueCapacity; i++)
                    {
                        if (Interlocked.Exchange(ref runner._queue[(head + i) & QueueMask].Waiter, null) is { } parked)
                        {
                            ThreadPool.UnsafeQueueUserWorkItem(parked, preferLocal: false);
                        }
                    }
                }
                else
                {
                    anyParked = true;
                }
            }
        }

        if (anyParked)
        {
            return true; // still armed: the loop sleeps one period and calls again
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
                if (weak.TryGetTarget(out var runner) && runner.AnyParked())
                {
                    ArmWatchdog(); // sets the event: the loop's next wait returns at once
                    return false;
                }
            }
        }

        return false;
    }

    /// <summary>For tests: whether a runner loop is active on this thread.</summary>
    internal static bool IsRunnerThread => t_active is not null;

    /// <summary>For tests: makes the watchdog's start fail for a runner registered on this thread from now on (one that is not registered yet).</summary>
    [ThreadStatic]
    private static bool t_watchdogStartFailsForTests;

    /// <summary>
    /// For tests: the next runner registered on this thread finds that the watchdog's thread
    /// could not be started (as if its construction or start had thrown), whether or not the
    /// watchdog runs already. Call it on a thread that has not run a runner loop yet.
    /// </summary>
    internal static void FailWatchdogStartOnThisThreadForTests()
    {
        if (t_mine is not null)
        {
            throw new InvalidOperationException("This thread has a runner already: call this on a thread that has not run a runner loop.");
        }

        t_watchdogStartFailsForTests = true;
    }

    /// <summary>For tests: the lock that guards the watchdog's registry, which registering a runner takes.</summary>
    internal static object RegistryLockForTests => s_all;
}
