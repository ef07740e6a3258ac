// Monitor entries, waits and pulses that a Thread.Interrupt cannot cut short.
//
// Why: a monitor's Wait, and its Enter when the monitor is contended, throw
// ThreadInterruptedException on a thread that is (or gets) interrupted. In a few places that
// exception would break a promise: a scope's body must not return while a child runs
// (Scope.Run), a thread that parks on the channel lock must come out owning it (ChannelLock),
// a pulse that wakes a blocked partner must happen, or the partner sleeps for ever
// (ChannelLock, Waiter), and a pool thread that becomes a hand-off runner must register with
// the watchdog before it runs its first waiter (HandOff). Each helper here swallows the interrupt, finishes its job, and
// returns whether it swallowed one; the caller raises it again (Thread.CurrentThread.Interrupt)
// at the point where that can no longer break anything, so the thread's next blocking wait
// sees it.
//
// Why a swallowed interrupt loses nothing: a Wait that throws has re-acquired the monitor first,
// and the lock statement releases it; the loop then takes the monitor again and re-evaluates the
// condition under it before waiting again, so a pulse that the interrupted Wait used up is
// answered by that re-evaluation.
namespace ConcurrencySafety;

/// <summary>Monitor entries, waits and pulses that ignore <see cref="Thread.Interrupt"/> until they are done (see the file header).</summary>
internal static class Uninterruptible
{
    /// <summary>
    /// Blocks on <paramref name="monitor"/> until <paramref name="done"/> returns true. The
    /// condition runs under the monitor, before the first wait and after every wake-up, so it may
    /// also act (take a lock state, say); whoever makes it true must pulse the monitor under it.
    /// </summary>
    /// <returns>Whether an interrupt arrived meanwhile, for the caller to raise again.</returns>
    internal static bool WaitUntil<TState>(object monitor, TState state, Func<TState, bool> done)
    {
        bool interrupted = false;
        while (true)
        {
            try
            {
                lock (monitor)
                {
                    while (!done(state))
                    {
                        Monitor.Wait(monitor);
                    }
                }

                return interrupted;
            }
            catch (ThreadInterruptedException)
            {
                interrupted = true; // the condition is evaluated again under the monitor
            }
        }
    }

    /// <summary>
    /// Takes <paramref name="monitor"/>, waiting for it if it is contended, whatever interrupts
    /// arrive meanwhile. The caller releases it with <see cref="Monitor.Exit"/>.
    /// </summary>
    /// <returns>Whether an interrupt arrived meanwhile, for the caller to raise again.</returns>
    internal static bool Enter(object monitor)
    {
        bool interrupted = false;
        bool taken = false;
        while (!taken)
        {
            try
            {
                Monitor.Enter(monitor, ref taken);
            }
            catch (ThreadInterruptedException)
            {
                interrupted = true; // not taken (a throwing Enter leaves taken false): try again
            }
        }

        return interrupted;
    }

    /// <summary>Pulses one waiter of <paramref name="monitor"/>, or all of them if <paramref name="all"/>, under the monitor.</summary>
    /// <returns>Whether taking the monitor was interrupted, for the caller to raise again.</returns>
    internal static bool Pulse(object monitor, bool all)
    {
        bool interrupted = Enter(monitor);
        try
        {
            if (all)
            {
                Monitor.PulseAll(monitor);
            }
            else
            {
                Monitor.Pulse(monitor);
            }
        }
        finally
        {
            Monitor.Exit(monitor);
        }

        return interrupted;
    }
}
