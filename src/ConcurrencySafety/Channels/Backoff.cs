// How a blocking owner waits before it parks in the kernel: spin for a while, adapting how long
// to whether spinning has been paying off on this thread, then yield once, then park.
//
// Why adapt: parking costs a futex wait here and a wake (a system call) on the partner's side,
// a few microseconds each, so on a quiet machine where the partner runs on the other core and
// arrives within a microsecond or two, spinning a little is much cheaper. On an oversubscribed
// machine (more runnable threads than cores: a CI runner, a container with a CPU quota, the
// anchors' `--load 2`) the partner is often not running at all; every microsecond spent
// spinning is then taken from it, and every yield hands the core to whichever thread the kernel
// picks, for a whole time slice. A fixed spin-then-yield loop (what this replaced: 10 spins and
// 90 yields of SpinWait) therefore collapsed under load: the rendezvous hand-over of two
// blocking threads took 3.6 s per million items with two busy processes beside it.
//
// The rule (as the BCL's SpinWait and Go's scheduler spin only while it pays): each thread keeps
// a spin budget, in time. A wait that is signalled while spinning raises the budget to at least
// twice what it took (up to MaxSpin); a spin that runs out halves it (down to MinSpin). So the
// budget stays high where partners answer quickly, and under load, where spins keep failing, a
// waiter parks after about half a microsecond and leaves the core to threads that can use it.
// Parking, not yielding, is what answers load: a parked waiter is woken by its partner's signal
// (and a woken thread that has slept gets the core soon), a yielded one only when the kernel
// gets back to it. So the one yield after the spin is skipped for a while once one was slow.
// On a single core spinning can never help (the partner cannot run meanwhile): only the yield.
//
// The trap this leaves, and the way out: once one side of a hand-over parks, its partner's next
// wait lasts at least the parked side's wake-up (tens of microseconds here), longer than any
// budget, so that spin fails, the budget halves, the partner parks too, and from then on every
// item costs a kernel wake-up on each side, even on a quiet machine. So a thread that has just
// woken a parked owner (Waiter.Signal had to pulse it) spins through the next wait for up to
// WakeLatencyNanoseconds, without halving its budget if that runs out: the reply it waits for
// comes from the thread it woke, after its wake-up. Not after a slow yield (the skip counter
// below), which says the machine is oversubscribed.
//
// A second use of the same budget, before a wait registers (SpinUntil): a blocking send that
// finds a buffered channel full, or a receive that finds it empty, first re-tries the
// flavour's lock-free fast path for up to the budget, as crossbeam-channel's operations back
// off before they register and park. Registering freezes the fast paths of every other party
// (ChannelCore.cs), so a consumer that catches up with its producer and registers at once turns
// each following item into a locked hand-over with a wake; re-trying first keeps both sides on
// the fast path while the partner is running. The probe gives up at once when the fast path
// answers "use the lock" (somebody is registered, or the channel is disconnected), so spinning
// never overtakes a registered waiter, and FIFO among registered waiters is unchanged.
using System.Runtime.CompilerServices;

namespace ConcurrencySafety.Channels;

/// <summary>What one probe of <see cref="Backoff.SpinUntil{TProbe}"/> found.</summary>
internal enum SpinOutcome : byte
{
    /// <summary>Not yet: spin and probe again, while the budget lasts.</summary>
    Again,

    /// <summary>Done: the operation completed (the spin paid off).</summary>
    Done,

    /// <summary>Spinning cannot help (the lock is needed): stop, leaving the budget as it is.</summary>
    GiveUp,
}

/// <summary>One attempt of an operation that <see cref="Backoff.SpinUntil{TProbe}"/> re-tries (a struct, so the loop is specialised and allocates nothing).</summary>
internal interface ISpinProbe
{
    /// <summary>Tries the operation once.</summary>
    SpinOutcome Probe();
}

/// <summary>The adaptive spin-then-yield phase of a blocking wait (see the file header).</summary>
internal static class Backoff
{
    /// <summary>The shortest spin budget, in nanoseconds.</summary>
    internal const long MinSpinNanoseconds = 500;

    /// <summary>The longest spin budget, in nanoseconds: a few park/wake round trips.</summary>
    internal const long MaxSpinNanoseconds = 20_000;

    /// <summary>The longest pause between two probes of <see cref="SpinUntil{TProbe}"/>, in <see cref="Thread.SpinWait(int)"/> iterations.</summary>
    private const int MaxPauseBetweenProbes = 256;

    /// <summary>How many probes of <see cref="SpinUntil{TProbe}"/> come one pause unit apart before the pauses start doubling.</summary>
    private const int EagerProbes = 8;

    /// <summary>How long a wait right after waking a parked partner may spin, in nanoseconds: a partner's wake-up and its reply (see the file header).</summary>
    internal const long WakeLatencyNanoseconds = 50_000;

    /// <summary>A new thread's budget, in nanoseconds.</summary>
    private const long InitialSpinNanoseconds = 5_000;

    /// <summary>A yield that takes longer than this gave the core away (to another thread for its time slice).</summary>
    private const long SlowYieldNanoseconds = 50_000;

    /// <summary>How many waits skip the yield after a slow one.</summary>
    private const int SkipYieldsAfterSlowOne = 64;

    /// <summary>Waits left that skip their yield and park right after spinning.</summary>
    [ThreadStatic]
    private static int t_skipYields;

    private static readonly bool s_multiCore = Environment.ProcessorCount > 1;

    private static readonly long s_ticksPerMicrosecond = Math.Max(1, Stopwatch.Frequency / 1_000_000);

    /// <summary>This thread's spin budget in Stopwatch ticks; 0 until the thread first spins.</summary>
    [ThreadStatic]
    private static long t_budget;

    private static long ToTicks(long nanoseconds) => Math.Max(1, nanoseconds * s_ticksPerMicrosecond / 1000);

    /// <summary>Gets this thread's current spin budget in nanoseconds (for tests).</summary>
    internal static long CurrentBudgetNanoseconds => (t_budget == 0 ? ToTicks(InitialSpinNanoseconds) : t_budget) * 1000 / s_ticksPerMicrosecond;

    /// <summary>Set when this thread last woke a parked owner, until its next wait spins.</summary>
    [ThreadStatic]
    private static bool t_wokeParked;

    /// <summary>Notes that this thread just woke a parked owner: its next wait covers that owner's wake-up (see the file header).</summary>
    internal static void NoteWokeParked() => t_wokeParked = true;

    /// <summary>This thread's budget in ticks (the initial one for a thread that never spun).</summary>
    private static long Budget()
    {
        long budget = t_budget;
        return budget == 0 ? ToTicks(InitialSpinNanoseconds) : budget;
    }

    /// <summary>A spin that began at <paramref name="start"/> with <paramref name="budget"/> succeeded: keep a budget of at least twice what it needed.</summary>
    private static void PaidOff(long start, long budget)
    {
        long needed = 2 * (Stopwatch.GetTimestamp() - start) + ToTicks(MinSpinNanoseconds);
        t_budget = Math.Min(ToTicks(MaxSpinNanoseconds), Math.Max(budget, needed));
    }

    /// <summary>A spin with <paramref name="budget"/> ran out: halve the budget.</summary>
    private static void RanOut(long budget) => t_budget = Math.Max(ToTicks(MinSpinNanoseconds), budget / 2);

    /// <summary>
    /// Re-tries <paramref name="probe"/> until it completes, gives up, or this thread's budget
    /// runs out (no yield: the caller's wait, if it comes to one, has its own). Returns true when
    /// the operation completed. On a single core it probes nothing: the partner cannot run
    /// while we spin.
    /// </summary>
    [MethodImpl(MethodImplOptions.NoInlining)] // off the fast path that precedes it
    internal static bool SpinUntil<TProbe>(ref TProbe probe)
        where TProbe : struct, ISpinProbe
    {
        // Not on one core (the partner cannot run meanwhile), and not while the machine looks
        // oversubscribed (a recent yield gave the core away for a time slice): there the partner
        // is often not running at all, and a party that spins instead of registering keeps it
        // from the core. Measured with two busy processes beside it, cs-sync spsc bounded(1)
        // took 12.6 s with this re-try ungated (1.07 s in session 3 without it).
        if (!s_multiCore || t_skipYields > 0)
        {
            return false;
        }

        long budget = Budget();
        long start = Stopwatch.GetTimestamp();
        long deadline = start + budget;

        // Exponential back-off between probes (as crossbeam's Backoff::snooze): each probe reads
        // lines the partner is writing, so probing less often as the wait grows leaves the
        // partner's cache lines alone; measured against a fixed 4-unit pause in one quiet run,
        // cs-sync bounded(1) spsc 0.83 -> 0.66 s, mpsc 0.98 -> 0.83 s, select_rx 1.05 -> 0.91 s.
        // But the first EagerProbes probes come one pause unit apart (about 50 ns here): in a
        // ping-pong the partner's answer is due within a few hundred nanoseconds, and a first
        // pause of 4 units, then 8, made the waiter see it up to 400 ns late on each side of
        // every item. Measured against starting at 4 units (3 alternated rounds, session 6),
        // cs-sync bounded(1): quiet spsc 0.60, mpsc 0.86, mpmc 0.89, select_rx 0.97,
        // select_both 1.10; with two busy processes spsc 0.81, mpsc 0.81, mpmc 0.89,
        // select_both 0.93, select_rx 1.15.
        int pause = 1;
        int probes = 0;
        while (true)
        {
            Thread.SpinWait(pause);
            if (++probes >= EagerProbes)
            {
                pause = Math.Min(pause * 2, MaxPauseBetweenProbes);
            }

            switch (probe.Probe())
            {
                case SpinOutcome.Done:
                    PaidOff(start, budget);
                    return true;
                case SpinOutcome.GiveUp:
                    return false;
            }

            if (Stopwatch.GetTimestamp() >= deadline)
            {
                RanOut(budget);
                return false;
            }
        }
    }

    /// <summary>
    /// Spins (then yields once) until <paramref name="flag"/> is non-zero or this thread's budget
    /// runs out, and adapts the budget to the outcome. Returns true when the flag was set: the
    /// caller need not park.
    /// </summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    internal static bool SpinUntilSet(ref int flag)
    {
        if (!s_multiCore)
        {
            Thread.Yield();
            return Volatile.Read(ref flag) != 0;
        }

        long budget = Budget();

        // Right after waking a parked owner (and not on an oversubscribed machine): spin through
        // its wake-up, and do not count a spin that still ran out against the budget.
        bool throughWakeUp = t_wokeParked && t_skipYields == 0;
        t_wokeParked = false;
        long start = Stopwatch.GetTimestamp();
        long deadline = start + (throughWakeUp ? Math.Max(budget, ToTicks(WakeLatencyNanoseconds)) : budget);
        while (true)
        {
            if (Volatile.Read(ref flag) != 0)
            {
                PaidOff(start, budget);
                return true;
            }

            Thread.SpinWait(4);
            if (Stopwatch.GetTimestamp() >= deadline)
            {
                break;
            }
        }

        if (!throughWakeUp)
        {
            RanOut(budget);
        }

        // One yield: a partner that is runnable but waiting for this very core gets to run now,
        // and on a quiet machine the yield returns at once. But a yield that gives the core to
        // another process lasts a whole time slice, during which a signal cannot wake us (we
        // are not parked, so nobody pulses us): under load that is a millisecond per item. So a
        // yield that took long turns yielding off for this thread's next waits.
        if (t_skipYields > 0)
        {
            t_skipYields--;
            return false;
        }

        long before = Stopwatch.GetTimestamp();
        Thread.Yield();
        if (Stopwatch.GetTimestamp() - before > ToTicks(SlowYieldNanoseconds))
        {
            t_skipYields = SkipYieldsAfterSlowOne;
        }

        return Volatile.Read(ref flag) != 0;
    }
}
