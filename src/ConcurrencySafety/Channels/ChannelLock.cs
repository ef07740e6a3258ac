// The channel's own lock: a compare-and-swap to enter, an exchange to leave, and nothing else
// on the uncontended path.
//
// Why not System.Threading.Lock: that lock records its owner's thread id (a thread-static read,
// which on Linux is a call into the dynamic loader, __tls_get_addr), supports recursion and
// checks the owner on exit. The channel needs none of that: every locked region in
// ChannelCore is short (O(1), or O(waiters) for a bulk wake) and never takes the channel's lock
// again (checked in debug builds below). On the async hand-over the lock is entered about twice per
// item, and in a cycles profile of cs-async mpsc bounded(1) Lock.EnterAndGetCurrentThreadId,
// Lock.Exit and the loader's thread-static lookup were together about 16 % (bench/README.md,
// "Session 13").
//
// The state word, three values:
//   Free       nobody holds the lock;
//   Held       held, and no thread has parked on it since the lock was last free;
//   Contended  held, and some thread may be parked (or about to park) on the gate.
// A thread that takes the lock from Free moves it to Held with one compare-and-swap. The owner
// leaves with an exchange to Free, and if that exchange returns Contended it wakes one parked
// thread. The exchange (not a plain store) is what makes the "anyone parked?" question exact:
// a plain release store followed by a read of a separate waiter count can be reordered with
// the parker's own write on x86 (store-load), and the wake-up would be lost.
//
// Contended entry: poll first (the owner's region is O(1), so on a multi-core machine it is
// usually over within the first polls), then park. Parking is the classic three-state futex
// mutex with a monitor as the futex: under the gate, the parker exchanges the state to
// Contended; if the lock was Free it now owns it (the state says Contended although nobody may
// be parked: that only costs the next owner one harmless pulse), otherwise it waits on the gate.
// The owner's wake takes the gate to pulse, and the parker holds the gate from its exchange
// until Monitor.Wait releases it, so the pulse can never fall between the parker's decision to
// wait and its wait: no lost wake-up. A pulse that finds nobody waiting (the parker took the
// lock by spinning meanwhile) is harmless too, since a parker always re-examines the state
// before it waits.
//
// Thread.Interrupt: a monitor wait (or a contended monitor entry) throws
// ThreadInterruptedException. Thrown out of the lock's wait, it would fail a caller that may be
// a cleanup path which must not fail (an unregistration after a wait, a handle's release), and
// an interrupted wait may have used up the pulse meant for it. So waiting here is not
// interruptible: an interrupt is noted, waiting goes on until the lock is taken, and the lock
// owes the thread its interrupt. It is raised again only in Exit, after the lock is released,
// never inside the locked region: a region that completes waiters must not be cut short by an
// exception half-way (the waiter's own pulse, Waiter.Signal, is uninterruptible for the same
// reason). The caller's next blocking wait then sees it. The waits and pulses themselves are
// Uninterruptible.cs's, which Scope.Run's wait for its children shares.
using System.Runtime.CompilerServices;

namespace ConcurrencySafety.Channels;

/// <summary>A non-recursive lock for the channel's O(1) regions (see the file header).</summary>
internal sealed class ChannelLock
{
    private const int Free = 0;
    private const int Held = 1;
    private const int Contended = 2;

    /// <summary>
    /// How many polls a contended entry makes before it parks (multi-core machines only): about
    /// 53 µs on the 2-core machine of bench/README.md. Chosen by alternated runs against 0, 40
    /// and 1,000 ("Session 13" there): parking at once and 40 polls were slower for the async
    /// hand-over, mostly with the machine oversubscribed, where a parked pool thread costs a
    /// futex sleep and wake; 1,000 was slower for the blocking forms under load.
    /// </summary>
    private const int SpinPolls = 200;

    /// <summary>Free, Held or Contended (see the file header).</summary>
    private int _state;

    /// <summary>The monitor that parked threads wait on; only the slow paths touch it.</summary>
    private readonly object _gate = new();

    /// <summary>
    /// Set by an owner whose wait for the lock swallowed a Thread.Interrupt; read and cleared by
    /// that owner in <see cref="Exit"/>, which raises the interrupt again once the lock is free.
    /// Only the owner touches it, so the lock itself guards it.
    /// </summary>
    private bool _interruptOwed;

    private static readonly bool s_multiCore = Environment.ProcessorCount > 1;

#if DEBUG
    /// <summary>The owner's managed thread id (debug builds: recursion and foreign exits are bugs).</summary>
    private int _owner;
#endif

    /// <summary>Takes the lock; the returned scope releases it when disposed (<c>using (lock.EnterScope())</c>).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public Scope EnterScope()
    {
        Enter();
        return new Scope(this);
    }

    /// <summary>Takes the lock, waiting for it if another thread holds it.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Enter()
    {
#if DEBUG
        Debug.Assert(Volatile.Read(ref _owner) != Environment.CurrentManagedThreadId, "the channel lock is not recursive");
#endif
        if (Interlocked.CompareExchange(ref _state, Held, Free) != Free)
        {
            EnterContended();
        }
#if DEBUG
        _owner = Environment.CurrentManagedThreadId;
#endif
    }

    /// <summary>Releases the lock and wakes one parked thread if any may be parked.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Exit()
    {
#if DEBUG
        Debug.Assert(_owner == Environment.CurrentManagedThreadId, "the channel lock is released by a thread that does not hold it");
        _owner = 0;
#endif
        bool owed = _interruptOwed;
        if (owed)
        {
            _interruptOwed = false; // before the release: the next owner must find it clear
        }

        if (Interlocked.Exchange(ref _state, Free) == Contended)
        {
            WakeOne();
        }

        if (owed)
        {
            RaiseOwedInterrupt();
        }
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void RaiseOwedInterrupt() => Thread.CurrentThread.Interrupt();

    /// <summary>Gets whether some thread holds the lock (a snapshot, for assertions and tests).</summary>
    internal bool IsHeld => Volatile.Read(ref _state) != Free;

#if DEBUG
    /// <summary>Gets whether this thread holds the lock (debug builds, for assertions).</summary>
    internal bool IsHeldByCurrentThread => IsHeld && Volatile.Read(ref _owner) == Environment.CurrentManagedThreadId;
#endif

    /// <summary>Gets whether the lock is held and some thread may be parked on it (a snapshot, for tests).</summary>
    internal bool IsContended => Volatile.Read(ref _state) == Contended;

    [MethodImpl(MethodImplOptions.NoInlining)]
    private void EnterContended()
    {
        if (s_multiCore)
        {
            // The owner runs O(1) work, so it usually leaves within a few polls; the long tail
            // of the poll budget covers an owner that was briefly descheduled. Only a Free
            // state is worth a compare-and-swap: a failed one moves the cache line for nothing.
            for (int i = 0; i < SpinPolls; i++)
            {
                Thread.SpinWait(8);
                if (Volatile.Read(ref _state) == Free && Interlocked.CompareExchange(ref _state, Held, Free) == Free)
                {
                    return;
                }
            }
        }

        // From here on this thread may be parked, so it enters as Contended: the owner it waits
        // for will then pulse on leaving. Exchanging from Free means it owns the lock. The
        // exchange runs under the gate, which orders it against the owner's pulse.
        if (Uninterruptible.WaitUntil(_gate, this, static l => Interlocked.Exchange(ref l._state, Contended) == Free))
        {
            _interruptOwed = true; // this thread owns the lock now; Exit raises it
        }
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private void WakeOne()
    {
        // A parker woken here exchanges the state again: if a poller took the lock in between,
        // it parks again as Contended, so that poller's exit pulses in turn.
        if (Uninterruptible.Pulse(_gate, all: false))
        {
            RaiseOwedInterrupt(); // Exit's region is over: the lock is already free
        }
    }

    /// <summary>Releases the lock when disposed; made by <see cref="EnterScope"/>.</summary>
    public readonly ref struct Scope
    {
        private readonly ChannelLock _lock;

        internal Scope(ChannelLock owner) => _lock = owner;

        /// <summary>Releases the lock.</summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public void Dispose() => _lock.Exit();
    }
}
