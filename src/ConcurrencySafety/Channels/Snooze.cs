// One step of a short wait for another thread that is a few instructions from finishing: a
// sender between its claim and its stamp, a receiver between its claim and the slot's release.
//
// Why not SpinWait.SpinOnce alone: after its spinning rounds it yields, and every fifth yield is
// Thread.Sleep(0), which throws ThreadInterruptedException when the thread has an interrupt
// pending. These waits run inside the channel lock (in the middle of moving items from a ring that
// is being replaced, or of clearing the buffer of the last receiver) and inside non-blocking
// calls (TrySend, TryReceive), where an exception would leave half-moved state or surprise a
// caller that never blocks. Thread.Yield never throws, so once spinning is over we only yield:
// the thread we wait for is running, or runnable and about to get the core we give away.
//
// Never inlined: Thread.Yield is a call into the runtime (a P/Invoke), and a method that inlines
// one sets up the runtime's P/Invoke frame in its prologue, on every call, whether it ever yields
// or not (CORINFO_HELP_INIT_PINVOKE_FRAME, which reads the thread's runtime TLS). Inlined here,
// that prologue ran on every TrySend/TryReceive of the ring and every list receive (issue 16,
// session 3: about a tenth of the list's TryReceiveFast samples sat on that prologue call).
// This step runs only when a claim or a publish is contended, where a call costs nothing.
using System.Runtime.CompilerServices;

namespace ConcurrencySafety.Channels;

/// <summary>A spin step that never throws <see cref="ThreadInterruptedException"/> (see the file header).</summary>
internal static class Snooze
{
    /// <summary>Spins while <paramref name="spinner"/> is in its spinning rounds, then yields the core.</summary>
    [MethodImpl(MethodImplOptions.NoInlining)] // keeps the P/Invoke frame out of the fast paths (see the file header)
    internal static void Once(ref SpinWait spinner)
    {
        if (spinner.NextSpinWillYield)
        {
            Thread.Yield();
        }
        else
        {
            spinner.SpinOnce();
        }
    }

    /// <summary>The most pause units one back-off step after a lost claim waits: 2^6 (about 3 µs here).</summary>
    private const int MaxContendedStep = 6;

    /// <summary>
    /// Backs off after a lost compare-and-swap on a head or tail: waits 2^<paramref name="step"/>
    /// pause units and raises the step (up to 2^6), as crossbeam's Backoff::spin does after a
    /// failed claim. Why: every retry reads the contended line again, and while several
    /// claimants retry at once the line ping-pongs between cores without anyone getting further;
    /// a loser that steps back lets the winner's line settle and lets the next winner claim on
    /// its first try. Never yields: the winner is running (it just won), so this wait is short.
    /// </summary>
    [MethodImpl(MethodImplOptions.NoInlining)] // contended path only: keeps the fast paths small
    internal static void AfterLostClaim(ref int step)
    {
        Thread.SpinWait(1 << step);
        if (step < MaxContendedStep)
        {
            step++;
        }
    }
}
