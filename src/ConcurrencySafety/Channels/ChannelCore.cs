// The part shared by every channel flavour: handle counts, disconnection, and the waiter and
// select registration protocol. The buffers and their lock-free fast paths are the flavours'
// own (BoundedChannel.cs: the array flavour; UnboundedChannel.cs: the list flavour;
// RendezvousChannel.cs: the zero flavour, which has no buffer).
//
// Two paths:
// - The fast path belongs to the flavour (TrySendFast, TryReceiveFast) and takes no lock. It
//   completes an operation only at an instant when no waiter of any kind is registered, so it
//   never has anybody to hand over to or to wake. The array and list flavours guarantee that
//   with a frozen bit in their head and tail positions (the array's ring in SlotRing.cs, the
//   list's blocks in UnboundedChannel.cs): a claim fails while the positions are frozen.
// - The locked path is the protocol below. Every locked region that reads or changes the buffer
//   or a wait queue first freezes the flavour's fast paths (Freeze), so that inside it the
//   buffer changes only under the lock, and leaves them frozen for as long as any waiter is
//   registered or every receiver is gone (ThawIfIdle). Waiters therefore meet only the locked
//   algorithm, which is unchanged from the single-lock design: its hand-over rules and its FIFO
//   order hold as before.
//
// The lock is held only for O(1) work (plus skipping stale select registrations, and a rare
// buffer growth; a bulk wake is O(waiters)), never while user code runs (a captured
// SynchronizationContext's Post or TaskScheduler's QueueTask counts as user code: a bulk wake
// posts from the pool instead, Waiter.SignalUnderLock, and Drained is completed after the
// release, CompleteDrainedIfDue), and never taken twice by one thread: it is our
// own non-recursive lock (ChannelLock.cs), which records no owner and so costs no thread-static
// read. A hand-over claims the partner and writes its
// node under the lock, and wakes it after releasing the lock (Wake): the woken party usually
// takes the lock again at once. By default an asynchronous party's code never runs inside the
// waking call: it runs next on the waking pool thread once the waker's code returns to it, or
// on the pool (HandOff.cs); with ChanOptions.AllowSynchronousContinuations it runs on the
// waking thread right there. Bulk wakes (closing the channel, interop watchers, abandoned
// waits) signal under the lock and never run a continuation there: it is parked on the waking
// runner thread (HandOff.cs) or queued to the thread pool, and one that captured a context or
// scheduler is posted to it from the pool.
//
// Who wakes whom:
// - A sender that finds a waiting receiver hands the item to it directly (claim, write, signal).
// - A receiver that takes an item from a full bounded buffer moves the longest-waiting sender's
//   item into the freed slot and wakes that sender, so blocked senders are served in arrival
//   order and a newcomer can never overtake them (a newcomer's fast path fails while they wait:
//   the ring is frozen).
// - A receiver that finds no buffered item takes directly from a waiting sender (the only way a
//   rendezvous channel ever moves an item).
// - Disposing the last sender wakes every waiting receiver with "disconnected" (they only wait
//   when the buffer is empty, so nothing is left to drain). Disposing the last receiver wakes
//   every waiting sender with "disconnected"; their items stay in their nodes and go back to
//   the callers.
// - Either dispose also ends the waits of its own side, which came through handles that are now
//   all disposed and which nothing could complete any more, as "abandoned"
//   (ObjectDisposedException); an operation of that side that arrives afterwards is refused
//   before it registers (CompleteAll with Abandoned, RefuseIfSideGone).
// Invariant (checked in debug builds at the end of every locked region): while a claimable
// receiver waits, the buffer is empty; while a claimable sender waits, the buffer is full; while
// any node is queued, the fast paths are frozen.
using System.Runtime.CompilerServices;

namespace ConcurrencySafety.Channels;

/// <summary>The state and the waiter protocol shared by the rendezvous, bounded and unbounded flavours.</summary>
internal abstract class ChannelCore<T>
{
    /// <summary>Guards the buffer, both queues and both counts (ChannelLock.cs: not recursive).</summary>
    private protected readonly ChannelLock _sync = new();

    /// <summary>Blocked senders (and select send arms), oldest first. Under <see cref="_sync"/>.</summary>
    private WaitQueue<T> _senders;

    /// <summary>Blocked receivers (and select receive arms), oldest first. Under <see cref="_sync"/>.</summary>
    private WaitQueue<T> _receivers;

    /// <summary>Interop waits for "an item can be received" (ChannelReader.WaitToReadAsync). Under <see cref="_sync"/>.</summary>
    private WaitQueue<T> _readWatchers;

    /// <summary>Interop waits for "an item can be sent" (ChannelWriter.WaitToWriteAsync). Under <see cref="_sync"/>.</summary>
    private WaitQueue<T> _writeWatchers;

    /// <summary>
    /// The clock of this channel's timeouts and deadlines (<see cref="ChanOptions.TimeProvider"/>).
    /// Set by the factory before the channel is handed out, never changed after.
    /// </summary>
    internal TimeProvider Time = TimeProvider.System;

    /// <summary>Run once, outside the lock, when the last receiver goes (timer channels stop their timer).</summary>
    internal Action? ReceiversGone;

    /// <summary>Live sender handles. Written under <see cref="_sync"/>; read without it for introspection.</summary>
    private int _senderCount = 1;

    /// <summary>Live receiver handles. Written under <see cref="_sync"/>; read without it for introspection.</summary>
    private int _receiverCount = 1;

    /// <summary>A few pooled nodes for asynchronous waits, so that steady-state async waiting does not allocate.</summary>
    private readonly WaitNode<T>?[] _asyncNodes = new WaitNode<T>?[8];

    /// <summary>Completed once no sender is left and the buffer is empty (created on first request). Under <see cref="_sync"/>.</summary>
    private TaskCompletionSource? _drained;

    /// <summary>
    /// Creates the shared part of a flavour. The flavour's buffer steps are virtual: they run
    /// only on the locked path, since the uncontended operations complete on the flavour's own
    /// fast path before any of this code runs.
    /// </summary>
    private protected ChannelCore(bool allowSynchronousContinuations)
    {
        _allowSynchronousContinuations = allowSynchronousContinuations;
    }

    // ------------------------------------------------------------------ the flavour's part

    /// <summary>Gets the capacity: 0 for rendezvous, n for bounded, null for unbounded.</summary>
    public abstract int? Capacity { get; }

    /// <summary>
    /// Sends without any lock if that is possible right now (see the file header for what the
    /// flavour must guarantee). <see cref="FastPath.WouldBlock"/> means "full, with no waiter
    /// and receivers alive, at one instant"; <see cref="FastPath.Slow"/> means "use the lock".
    /// </summary>
    private protected abstract FastPath TrySendFast(T item);

    /// <summary>Receives without any lock if that is possible right now. <see cref="FastPath.WouldBlock"/> means "empty, with no waiter, at one instant". See <see cref="TrySendFast"/>.</summary>
    private protected abstract FastPath TryReceiveFast(out T item);

    /// <summary>
    /// <see cref="TrySendFast"/> for the blocking send, whose answer to a WouldBlock is to spin
    /// and try again (SpinToSend) or to take the lock, which decides exactly. Here WouldBlock
    /// means only "full, or about to have room: a receiver is taking the item in the way", so
    /// the flavour can answer it without reading the receivers' end (SlotRing's TryPush,
    /// exact: false). Done and Slow mean what they mean for <see cref="TrySendFast"/>.
    /// </summary>
    /// <remarks>
    /// Measured quiet (3 alternated rounds, session 6), cs-sync bounded(1): spsc 0.65 of the
    /// time, mpsc 0.85, mpmc 0.90; with two busy processes, spsc 0.74 and mpsc 0.35. The
    /// asynchronous forms keep the exact answer: they take the lock on anything but Done, so a
    /// loose "full" sent them to the lock (freezing the ring for everybody) whenever a partner
    /// was between its claim and its release, where the exact path waits those few
    /// instructions; that cost cs-async bounded(1) spsc 1.18, mpsc 1.09 and mpmc 1.16. A
    /// blocking form that does not spin (a zero timeout, one core, or the spin gated off after a
    /// slow yield, Backoff.cs) pays the same trip to the lock in that window; the measured runs
    /// do not isolate that case. TrySend, select's try phase and Count answer the caller, and
    /// stay exact too. A flavour without a loose answer returns what <see cref="TrySendFast"/>
    /// returns (abstract rather than a forwarding default, so that its call is direct in the
    /// sealed flavour instead of a second virtual call).
    /// </remarks>
    private protected abstract FastPath TrySendFastLoose(T item);

    /// <summary><see cref="TryReceiveFast"/> for the blocking receive (see <see cref="TrySendFastLoose"/>): WouldBlock means "empty, or a sender is writing the next item".</summary>
    private protected abstract FastPath TryReceiveFastLoose(out T item);

    /// <summary>Stops the fast paths from completing anything, so that the buffer changes only under the lock. Call under <see cref="_sync"/>; idempotent.</summary>
    private protected abstract void Freeze();

    /// <summary>Lets the fast paths run again. Called under <see cref="_sync"/> only by <see cref="ThawIfIdle"/>.</summary>
    private protected abstract void Thaw();

    /// <summary>Gets a value indicating whether the fast paths are frozen (for invariant checks).</summary>
    private protected abstract bool IsFrozen { get; }

    /// <summary>Gets the number of buffered items. Call under <see cref="_sync"/>, frozen (then it is exact).</summary>
    private protected abstract int BufferCount { get; }

    /// <summary>Stores an item if the buffer has room. Call under <see cref="_sync"/>, frozen.</summary>
    private protected abstract bool TryBuffer(T item);

    /// <summary>Takes the oldest buffered item, if any. Call under <see cref="_sync"/>, frozen.</summary>
    private protected abstract bool TryUnbuffer(out T item);

    /// <summary>Drops every buffered item (the last receiver is gone). Call under <see cref="_sync"/>, frozen.</summary>
    private protected abstract void ClearBuffer();

    /// <summary>Gets a value indicating whether a send would be buffered. Call under <see cref="_sync"/>, frozen.</summary>
    private protected abstract bool HasRoom();

    /// <summary>
    /// Gets a value indicating whether a blocking send that finds the buffer full, or a
    /// receive that finds it empty, re-tries the fast path within the thread's spin budget
    /// before it registers (<see cref="SpinToSend"/>). True for the array flavour only. There,
    /// both sides can wait (bounded(1) most of all), and a party that registers at once freezes
    /// the ring for its partner, so each item becomes two locked hand-overs. Measured quiet
    /// against registering at once (3 alternated rounds, session 4), cs-sync: spsc bounded(1)
    /// 0.51 of the time, select_rx bounded(1) 0.59, select_both bounded(1) 0.81, spsc
    /// bounded(10^6) 0.39, but mpmc bounded(1) 1.18 and mpmc bounded(10^6) 1.21 (eight threads
    /// spinning on two cores). In the list flavour only receivers ever wait; re-trying there was
    /// neutral (0.85-1.14 in the same kind of run), so it registers at once, as before.
    /// </summary>
    internal virtual bool SpinsBeforeRegistering => false;

    /// <summary>Gets a hint, read without the lock, that an item may be buffered.</summary>
    private protected abstract bool MayHaveItems { get; }

    /// <summary>Gets a hint, read without the lock, that the buffer may have room.</summary>
    private protected abstract bool MayHaveRoom { get; }

    /// <summary>
    /// Thaws the fast paths unless something still needs the lock: a registered node of any
    /// kind (waiting senders and receivers, select arms, interop watchers, stale nodes not yet
    /// unregistered), or no receiver left (a fast send must then fail). Call at the end of
    /// every locked region that froze.
    /// </summary>
    /// <remarks>
    /// Only a region that finds the fast paths frozen may thaw them: while they run, their
    /// claims change the positions, and only while frozen is the lock holder their one writer.
    /// Unregistering a node that was already dequeued may find them running; it leaves them be.
    /// </remarks>
    private void ThawIfIdle()
    {
        if (IsFrozen && _receiverCount != 0 && _senders.IsEmpty && _receivers.IsEmpty && _readWatchers.IsEmpty && _writeWatchers.IsEmpty)
        {
            Thaw();
        }
    }

    /// <summary>
    /// True when a hand-over may run the woken asynchronous party's continuation on the
    /// completing thread (<see cref="ChanOptions.AllowSynchronousContinuations"/>).
    /// </summary>
    private readonly bool _allowSynchronousContinuations;

    /// <summary>
    /// Wakes the partner of a hand-over (claimed and written under the lock by
    /// <see cref="TrySendLocked"/> or <see cref="TryReceiveLocked"/>). Called after the lock
    /// is released, always: the woken party's first step is usually to take this lock again
    /// (an async sender re-registers, a select unregisters), and with synchronous
    /// continuations its code runs right here, where holding the lock would let it re-enter
    /// the channel half-way through an operation.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void Wake(WaitNode<T>? partner)
    {
        // Reading Owner after the lock is safe: the owner cannot re-arm the node (or reuse its
        // waiter) before this signal, because it waits for the signal of the claim we won.
        partner?.Owner.Signal(_allowSynchronousContinuations);
    }

    /// <summary>Gets a value indicating whether no item is buffered. Call under <see cref="_sync"/>, frozen.</summary>
    private bool BufferIsEmpty => BufferCount == 0;

    /// <summary>Gets a value indicating whether every sender is gone and nothing is buffered (what <see cref="Drained"/> waits for). Call under <see cref="_sync"/>.</summary>
    private bool IsDrained => _senderCount == 0 && BufferIsEmpty;

    /// <summary>
    /// Receives on the flavour's fast path. An item taken there needs no hand-over and wakes
    /// nobody (no waiter was registered at that instant), except that the last item of a
    /// closed channel completes <see cref="Drained"/>.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private bool TryReceiveUnlocked(out T item) => ReceiveUnlocked(out item, loose: false) == FastPath.Done; // no retry: see TrySendUnlocked

    /// <summary>One fast-path receive (<see cref="TryReceiveFast"/>, or <see cref="TryReceiveFastLoose"/> if <paramref name="loose"/>) that completes <see cref="Drained"/> after the last item of a closed channel; returns what the fast path found.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private FastPath ReceiveUnlocked(out T item, bool loose)
    {
        var fast = loose ? TryReceiveFastLoose(out item) : TryReceiveFast(out item);

        // The claim was a full fence before these reads of the sender count and _drained;
        // ReleaseSender fences between its write of the count and its emptiness check, and the
        // Drained getter between publishing _drained and its check. So at least one of the two
        // sides sees the channel drained (both may: completing is idempotent).
        if (fast == FastPath.Done && Volatile.Read(ref _senderCount) == 0 && Volatile.Read(ref _drained) is not null)
        {
            SignalDrainedIfDrained();
        }

        return fast;
    }

    /// <summary>Sends on the fast path (see <see cref="TrySendFast"/>).</summary>
    /// <remarks>
    /// No retry here when the ring is full. A fixed spin before registering (as crossbeam-channel
    /// backs off before it parks) was measured and dropped for every form: on a loaded 2-core
    /// machine it cost bounded(1) far more than it saved bounded(10^6): spsc bounded(1) blocking
    /// took 15 s with it and 6 s without, async 5.0 s and 0.6 s, and with synchronous
    /// continuations spsc bounded(10^6) took 6.3 s against 0.47 s (the partner runs inline on
    /// this very stack and cannot move until we return). The blocking forms now re-try within
    /// the thread's adaptive spin budget instead (<see cref="SpinToSend"/>), which shrinks to
    /// half a microsecond where spins keep failing; the asynchronous forms never spin. How a
    /// wait spins once registered is Waiter.WaitSignal's.
    /// </remarks>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private bool TrySendUnlocked(T item) => TrySendFast(item) == FastPath.Done;

    /// <summary>
    /// Before a blocking send registers: re-tries the fast path while the buffer stays full with
    /// nobody registered, for up to this thread's spin budget (Backoff.SpinUntil, which says why).
    /// </summary>
    private bool SpinToSend(T item)
    {
        var probe = new SendProbe(this, item);
        return Backoff.SpinUntil(ref probe);
    }

    /// <summary>Before a blocking receive registers: re-tries the fast path while the buffer stays empty with nobody registered (see <see cref="SpinToSend"/>).</summary>
    private bool SpinToReceive(out T item)
    {
        var probe = new ReceiveProbe(this);
        if (!Backoff.SpinUntil(ref probe))
        {
            item = default!;
            return false;
        }

        item = probe.Item;
        return true;
    }

    /// <summary>One fast-path send attempt for <see cref="SpinToSend"/>.</summary>
    private struct SendProbe(ChannelCore<T> channel, T item) : ISpinProbe
    {
        /// <inheritdoc/>
        public readonly SpinOutcome Probe() => channel.TrySendFastLoose(item) switch
        {
            FastPath.Done => SpinOutcome.Done,
            FastPath.WouldBlock => SpinOutcome.Again, // full, nobody registered, receivers alive
            _ => SpinOutcome.GiveUp, // frozen: a waiter exists, or the ring must grow (or, loosely, a receiver is releasing a slot of a ring below its capacity), or no receiver is left
        };
    }

    /// <summary>One fast-path receive attempt for <see cref="SpinToReceive"/>.</summary>
    private struct ReceiveProbe(ChannelCore<T> channel) : ISpinProbe
    {
        /// <summary>The item, once <see cref="Probe"/> answered Done.</summary>
        public T Item = default!;

        /// <inheritdoc/>
        public SpinOutcome Probe() => channel.ReceiveUnlocked(out Item, loose: true) switch
        {
            FastPath.Done => SpinOutcome.Done,

            // Empty with nobody registered; once every sender is gone nothing more can come (the
            // locked path answers Disconnected and completes Drained).
            FastPath.WouldBlock => Volatile.Read(ref channel._senderCount) == 0 ? SpinOutcome.GiveUp : SpinOutcome.Again,
            _ => SpinOutcome.GiveUp,
        };
    }

    private void SignalDrainedIfDrained()
    {
        using (_sync.EnterScope())
        {
            Freeze();
            if (IsDrained)
            {
                SignalDrained();
            }

            ThawIfIdle();
        }

        CompleteDrainedIfDue();
    }

    /// <summary>Gets the number of buffered items.</summary>
    /// <remarks>
    /// Without the lock while the fast paths are open (<see cref="TryCountUnlocked"/>), so that a
    /// caller polling <c>Count</c>, <c>IsEmpty</c> or <c>IsFull</c> beside busy senders and
    /// receivers does not freeze their fast paths on every call: the locked count freezes both
    /// ends, and every fast operation that meets the freeze retries through the lock.
    /// </remarks>
    public int Count
    {
        get
        {
            // A few attempts only: beside a sender that moves the tail every few nanoseconds the
            // snapshot may keep failing, and under the lock the frozen buffer holds still.
            int count;
            for (int attempt = 0; attempt < UnlockedCountAttempts; attempt++)
            {
                if (TryCountUnlocked(out count))
                {
                    return count;
                }
            }

            using (_sync.EnterScope())
            {
                Freeze();
                count = BufferCount;
                ThawIfIdle();
                return count;
            }
        }
    }

    /// <summary>How many times <see cref="Count"/> tries <see cref="TryCountUnlocked"/> before it takes the lock.</summary>
    private const int UnlockedCountAttempts = 4;

    /// <summary>
    /// One attempt at counting the buffered items without the lock, when the flavour can answer
    /// exactly: at an instant during the call, as the locked count would. False when the fast
    /// paths are frozen or the ends moved during the reading (<see cref="Count"/> tries again a
    /// few times, then takes the lock).
    /// </summary>
    private protected virtual bool TryCountUnlocked(out int count)
    {
        count = 0;
        return false;
    }

    /// <summary>Gets a value indicating whether every sender is gone.</summary>
    public bool IsClosed => Volatile.Read(ref _senderCount) == 0;

    /// <summary>Gets a value indicating whether every receiver is gone.</summary>
    public bool IsReceiverGone => Volatile.Read(ref _receiverCount) == 0;

    // ------------------------------------------------------------------ handles

    /// <summary>Counts one more sender handle (a clone).</summary>
    public void AddSender()
    {
        using (_sync.EnterScope())
        {
            if (_senderCount == 0)
            {
                // The handle passed its disposal check, then another thread disposed it, the
                // last sender: the channel has closed, and a clone must not reopen it.
                throw ChannelErrors.CloneOfClosedSide<T>(sender: true);
            }

            _senderCount++;
        }
    }

    /// <summary>Counts one more receiver handle (a clone).</summary>
    public void AddReceiver()
    {
        using (_sync.EnterScope())
        {
            if (_receiverCount == 0)
            {
                // As in AddSender: every sender was disconnected already, a clone must not undo that.
                throw ChannelErrors.CloneOfClosedSide<T>(sender: false);
            }

            _receiverCount++;
        }
    }

    /// <summary>Drops a sender handle; the last one closes the channel.</summary>
    public void ReleaseSender()
    {
        using (_sync.EnterScope())
        {
            Debug.Assert(_senderCount > 0);
            Freeze();
            if (Interlocked.Decrement(ref _senderCount) == 0) // a full fence: see TryReceiveUnlocked
            {
                // Receivers wait only while the buffer is empty, so each of them (and every
                // select receive arm) learns now that nothing will ever arrive.
                CompleteAll(ref _receivers, NodeStatus.Disconnected);

                CompleteAll(ref _readWatchers, NodeStatus.Done);
                CompleteAll(ref _writeWatchers, NodeStatus.Done); // they learn "never again" (ReadyState)

                // A send still waiting came through a sender that is now disposed (this was the
                // last): it can never complete, and an item that a receiver could still take
                // from it would arrive after Drained said nothing more will (Go's send on a
                // closed channel fails the same way).
                CompleteAll(ref _senders, NodeStatus.Abandoned);
                if (BufferIsEmpty)
                {
                    SignalDrained();
                }
            }

            ThawIfIdle();
            AssertInvariants();
        }

        CompleteDrainedIfDue();
    }

    /// <summary>
    /// Gets a task that completes when the channel is closed and drained: every sender is
    /// disposed and no buffered item is left (ChannelReader.Completion for the adapter).
    /// </summary>
    internal Task Drained
    {
        get
        {
            Task task;
            using (_sync.EnterScope())
            {
                Freeze();
                if (IsDrained)
                {
                    ThawIfIdle();
                    return Task.CompletedTask;
                }

                var drained = _drained;
                if (drained is null)
                {
                    drained = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                    Interlocked.Exchange(ref _drained, drained); // publish, with a full fence, before the re-check
                }

                // The last item may have gone on a fast path just now, by a receiver that read
                // _drained before we set it (see TryReceiveUnlocked).
                if (IsDrained)
                {
                    SignalDrained();
                }

                ThawIfIdle();
                task = drained.Task;
            }

            CompleteDrainedIfDue();
            return task;
        }
    }

    /// <summary>
    /// Notes, under the lock, that <see cref="Drained"/> is due; the caller completes it with
    /// <see cref="CompleteDrainedIfDue"/> after releasing the lock. Not completed here: the task
    /// runs its continuations asynchronously, but that means handing each one to the context or
    /// scheduler its await captured (Post, QueueTask), which is user code and must not run under
    /// the lock (see Waiter.SignalUnderLock).
    /// </summary>
    private void SignalDrained()
    {
        if (_drained is not null)
        {
            _drainedDue = true;
        }
    }

    /// <summary>Set under the lock by <see cref="SignalDrained"/>; cleared by whichever thread completes <see cref="Drained"/> after its release (completing twice is harmless).</summary>
    private bool _drainedDue;

    /// <summary>After the lock is released: completes <see cref="Drained"/> if a locked region found the channel drained.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void CompleteDrainedIfDue()
    {
        // Volatile: the flag is set under the lock by another thread, and this read must not be
        // reordered after CompleteDrained's read of _drained (weak memory models reorder loads).
        if (Volatile.Read(ref _drainedDue))
        {
            CompleteDrained();
        }
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private void CompleteDrained()
    {
        Volatile.Write(ref _drainedDue, false);
        Volatile.Read(ref _drained)?.TrySetResult();
    }

    /// <summary>Wakes the partner of a receive step and completes <see cref="Drained"/> if that step took the last item of a closed channel. After the lock is released.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void WakeAfterReceive(WaitNode<T>? partner)
    {
        Wake(partner);
        CompleteDrainedIfDue();
    }

    /// <summary>Drops a receiver handle; the last one disconnects every sender.</summary>
    public void ReleaseReceiver()
    {
        bool last = false;
        using (_sync.EnterScope())
        {
            Debug.Assert(_receiverCount > 0);

            // Freeze before the count can reach zero: from the moment no receiver is left, no
            // fast send may succeed (it would report Sent into a dead channel). An item that a
            // fast send claimed before the freeze is counted in the buffer and dropped below.
            Freeze();
            if (--_receiverCount == 0)
            {
                // Waiting senders keep their items (the node still holds them) and report
                // Disconnected; buffered items can never be received and are dropped.
                CompleteAll(ref _senders, NodeStatus.Disconnected);

                ClearBuffer();
                if (_senderCount == 0)
                {
                    SignalDrained(); // closed before, and the items left are dropped: nothing more to read
                }

                CompleteAll(ref _writeWatchers, NodeStatus.Done);

                // A receive still waiting came through a receiver that is now disposed (this was
                // the last): no send can reach it any more, so it would wait for ever.
                CompleteAll(ref _receivers, NodeStatus.Abandoned);
                CompleteAll(ref _readWatchers, NodeStatus.Abandoned);
                last = true;
            }

            ThawIfIdle(); // stays frozen for good once no receiver is left
            AssertInvariants();
        }

        CompleteDrainedIfDue();
        if (last)
        {
            ReceiversGone?.Invoke();
        }
    }

    // ------------------------------------------------------------------ try forms

    /// <summary>Sends without waiting.</summary>
    public SendStatus TrySend(T item)
    {
        var fast = TrySendFast(item);
        if (fast != FastPath.Slow)
        {
            // WouldBlock: full at an instant with no waiter to hand to and receivers alive
            // (once every receiver is gone the fast path is frozen for good).
            return fast == FastPath.Done ? SendStatus.Sent : SendStatus.Full;
        }

        return TrySendUnderLock(item);
    }

    /// <summary>The locked part of <see cref="TrySend"/>: one send step under the lock, then the wake of the receiver it handed to.</summary>
    private SendStatus TrySendUnderLock(T item)
    {
        SendStatus status;
        WaitNode<T>? partner;
        using (_sync.EnterScope())
        {
            Freeze();
            status = TrySendLocked(item, out partner);
            ThawIfIdle();
            AssertInvariants();
        }

        Wake(partner);
        return status;
    }

    /// <summary>
    /// Gets a hint, read without the lock, that a receive may complete now (an item, a
    /// waiting sender, or no sender left). False only when the channel looked empty at some
    /// moment during this call; select's try phase uses it to skip the lock of an arm that
    /// cannot be ready, and the registration that follows re-checks under the lock.
    /// </summary>
    private bool MayReceiveNow =>
        MayHaveItems || !_senders.IsEmptyVolatile || Volatile.Read(ref _senderCount) == 0;

    /// <summary>Gets a hint, read without the lock, that a send may complete now (room, a waiting receiver, or no receiver left). See <see cref="MayReceiveNow"/>.</summary>
    private bool MaySendNow =>
        MayHaveRoom || !_receivers.IsEmptyVolatile || Volatile.Read(ref _receiverCount) == 0;

    /// <summary>
    /// Select's try phase for a send arm: <see cref="TrySend"/>, except that when the fast path
    /// says "use the lock" (the channel is frozen, or the array flavour's ring must grow) the lock
    /// is taken only if <see cref="MaySendNow"/> says the send may complete.
    /// </summary>
    /// <remarks>
    /// The fast path comes first, the hint second: the hint reads both ends of the buffer (the
    /// array flavour's count), and in a select over busy channels those are the lines every
    /// other party is writing, while the fast path needs only its own end and one slot. Measured
    /// with the hint first, `select_both` spent a tenth of its receive arms' time on the tail
    /// read of the hint (perf, session 5). The hint is what keeps a select over frozen channels
    /// (another party registered) from taking every arm's lock just to find it not ready.
    /// </remarks>
    internal SendStatus TrySendIfReady(T item)
    {
        var fast = TrySendFast(item);
        if (fast != FastPath.Slow)
        {
            return fast == FastPath.Done ? SendStatus.Sent : SendStatus.Full; // see TrySend
        }

        return MaySendNow ? TrySendUnderLock(item) : SendStatus.Full;
    }

    /// <summary>Select's try phase for a receive arm: <see cref="TryReceive"/>, with the lock taken only if <see cref="MayReceiveNow"/> allows (see <see cref="TrySendIfReady"/>).</summary>
    internal ReceiveStatus TryReceiveIfReady(out T item)
    {
        var fast = ReceiveUnlocked(out item, loose: false);
        if (fast == FastPath.Done)
        {
            return ReceiveStatus.Received;
        }

        if (fast == FastPath.WouldBlock && Volatile.Read(ref _senderCount) != 0)
        {
            return ReceiveStatus.Empty; // see TryReceive
        }

        return MayReceiveNow ? TryReceiveUnderLock(out item) : ReceiveStatus.Empty;
    }

    /// <summary>Receives without waiting.</summary>
    public ReceiveStatus TryReceive(out T item)
    {
        var fast = ReceiveUnlocked(out item, loose: false);
        if (fast == FastPath.Done)
        {
            return ReceiveStatus.Received;
        }

        // Empty at an instant with no waiting sender; the sender count, read later and still
        // non-zero, was non-zero then too (it only falls). Zero needs the lock: the answer is
        // Disconnected, and Drained may have to complete.
        if (fast == FastPath.WouldBlock && Volatile.Read(ref _senderCount) != 0)
        {
            return ReceiveStatus.Empty;
        }

        return TryReceiveUnderLock(out item);
    }

    /// <summary>The locked part of <see cref="TryReceive"/>: one receive step under the lock, then the wake of the sender it took from.</summary>
    private ReceiveStatus TryReceiveUnderLock(out T item)
    {
        ReceiveStatus status;
        WaitNode<T>? partner;
        using (_sync.EnterScope())
        {
            Freeze();
            status = TryReceiveLocked(out item, out partner);
            ThawIfIdle();
            AssertInvariants();
        }

        WakeAfterReceive(partner);
        return status;
    }

    /// <summary>
    /// The send step: hand to a waiting receiver, else buffer, else report full. A receiver
    /// that gets the item is claimed and written here but returned in
    /// <paramref name="partner"/> unsignalled: the caller wakes it with <see cref="Wake"/>
    /// after releasing the lock.
    /// </summary>
    private SendStatus TrySendLocked(T item, out WaitNode<T>? partner)
    {
        partner = null;
        if (_receiverCount == 0)
        {
            return SendStatus.Disconnected;
        }

        // A send through a handle disposed meanwhile (it passed its check before the last
        // sender went): refused, so that nothing is buffered after the close on this path.
        RefuseIfSideGone(sender: true);

        while (_receivers.Dequeue() is { } receiver)
        {
            // A failed claim means the receiver was cancelled, timed out, or completed through
            // another select arm: drop the stale node and look at the next one.
            if (receiver.TryClaim())
            {
                receiver.Item = item;
                receiver.Status = NodeStatus.Done;
                partner = receiver;
                return SendStatus.Sent;
            }
        }

        if (TryBuffer(item))
        {
            if (!_readWatchers.IsEmpty)
            {
                CompleteAll(ref _readWatchers, NodeStatus.Done);
            }

            return SendStatus.Sent;
        }

        return SendStatus.Full;
    }

    /// <summary>
    /// The receive step: take from the buffer (refilling it from a waiting sender), else from
    /// a waiting sender. A sender whose item moved is returned in <paramref name="partner"/>
    /// unsignalled, as in <see cref="TrySendLocked"/>.
    /// </summary>
    private ReceiveStatus TryReceiveLocked(out T item, out WaitNode<T>? partner)
    {
        partner = null;
        if (TryUnbuffer(out item))
        {
            // The last buffered item of a closed channel: it is now drained.
            if (_drained is not null && IsDrained)
            {
                SignalDrained();
            }

            // A slot just freed: move the oldest waiting sender's item into it.
            while (_senders.Dequeue() is { } sender)
            {
                if (sender.TryClaim())
                {
                    bool stored = TryBuffer(sender.Item);
                    Debug.Assert(stored, "a slot was just freed");
                    sender.Item = default!;
                    sender.Status = NodeStatus.Done;
                    partner = sender;
                    return ReceiveStatus.Received;
                }
            }

            // The slot stays free: writers waiting for room may proceed.
            if (!_writeWatchers.IsEmpty)
            {
                CompleteAll(ref _writeWatchers, NodeStatus.Done);
            }

            return ReceiveStatus.Received;
        }

        while (_senders.Dequeue() is { } sender)
        {
            if (sender.TryClaim())
            {
                item = sender.Item;
                sender.Item = default!;
                sender.Status = NodeStatus.Done;
                partner = sender;
                return ReceiveStatus.Received;
            }
        }

        item = default!;
        return _senderCount == 0 ? ReceiveStatus.Disconnected : ReceiveStatus.Empty;
    }

    // ------------------------------------------------------------------ blocking forms

    /// <summary>Sends, waiting up to <paramref name="millisecondsTimeout"/>. Returns Sent, Disconnected or Timeout; throws on cancellation.</summary>
    public SendStatus Send(T item, long millisecondsTimeout, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        // Spin only where the fast path said "full, nobody registered": a rendezvous channel,
        // a frozen ring or a disconnected channel answers Slow, and only the lock can help.
        var fast = TrySendFastLoose(item);
        if (fast == FastPath.Done || (fast == FastPath.WouldBlock && millisecondsTimeout != 0 && SpinsBeforeRegistering && SpinToSend(item)))
        {
            return SendStatus.Sent;
        }

        WaitNode<T>? node = null;
        SendStatus status;
        WaitNode<T>? partner;
        using (_sync.EnterScope())
        {
            Freeze();
            status = TrySendLocked(item, out partner);
            if (status == SendStatus.Full)
            {
                if (millisecondsTimeout == 0)
                {
                    ThawIfIdle();
                    return SendStatus.Timeout;
                }

                RefuseIfSideGone(sender: true);
                node = SyncNodeCache.Rent();
                node.PrepareSingle(isAsync: false);
                node.Item = item;
                EnqueueSender(node);
            }

            ThawIfIdle();
            AssertInvariants();
        }

        if (node is null)
        {
            Wake(partner);
            return status;
        }

        int outcome = WaitSync(node, millisecondsTimeout, cancellationToken, sender: true);
        var nodeStatus = outcome >= Waiter.SelectedBase ? node.Status : NodeStatus.None;
        node.Item = default!;
        SyncNodeCache.Return(node);
        var result = outcome >= Waiter.SelectedBase ? SentOrNot(nodeStatus) : SendStatus.Timeout;
        if (outcome == Waiter.Cancelled)
        {
            throw new OperationCanceledException(cancellationToken);
        }

        return result;
    }

    /// <summary>Receives, waiting up to <paramref name="millisecondsTimeout"/>. Returns Received, Disconnected or Timeout; throws on cancellation.</summary>
    public ReceiveStatus Receive(out T item, long millisecondsTimeout, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        var fast = ReceiveUnlocked(out item, loose: true);
        if (fast == FastPath.Done)
        {
            return ReceiveStatus.Received;
        }

        // As for Send: spin only on "empty, nobody registered" with senders alive.
        if (fast == FastPath.WouldBlock && millisecondsTimeout != 0 && SpinsBeforeRegistering && Volatile.Read(ref _senderCount) != 0 && SpinToReceive(out item))
        {
            return ReceiveStatus.Received;
        }

        WaitNode<T>? node = null;
        ReceiveStatus status;
        WaitNode<T>? partner;
        using (_sync.EnterScope())
        {
            Freeze();
            status = TryReceiveLocked(out item, out partner);
            if (status == ReceiveStatus.Empty)
            {
                if (millisecondsTimeout == 0)
                {
                    ThawIfIdle();
                    return ReceiveStatus.Timeout;
                }

                RefuseIfSideGone(sender: false);
                node = SyncNodeCache.Rent();
                node.PrepareSingle(isAsync: false);
                EnqueueReceiver(node);
            }

            ThawIfIdle();
            AssertInvariants();
        }

        if (node is null)
        {
            WakeAfterReceive(partner);
            return status;
        }

        int outcome = WaitSync(node, millisecondsTimeout, cancellationToken, sender: false);
        ReceiveStatus result;
        bool abandoned = false;
        if (outcome >= Waiter.SelectedBase && node.Status == NodeStatus.Done)
        {
            item = node.Item;
            result = ReceiveStatus.Received;
        }
        else
        {
            abandoned = outcome >= Waiter.SelectedBase && node.Status == NodeStatus.Abandoned;
            result = outcome >= Waiter.SelectedBase ? ReceiveStatus.Disconnected : ReceiveStatus.Timeout;
        }

        node.Item = default!;
        SyncNodeCache.Return(node);
        if (outcome == Waiter.Cancelled)
        {
            throw new OperationCanceledException(cancellationToken);
        }

        if (abandoned)
        {
            throw ChannelErrors.ReceiverAbandoned<T>();
        }

        return result;
    }

    /// <summary>Blocks on a registered node until it completes, is cancelled or times out; always leaves it unregistered.</summary>
    /// <remarks>
    /// Any exception after the node was queued (arming the cancellation callback, a thread
    /// interrupt while blocked) runs the undo protocol (<see cref="Waiter.CompletedDespiteFailure"/>):
    /// the wait is withdrawn, disarmed and unregistered before the exception leaves, unless a
    /// partner completed it first, in which case the completion is reported instead.
    /// </remarks>
    private int WaitSync(WaitNode<T> node, long millisecondsTimeout, CancellationToken cancellationToken, bool sender)
    {
        var arming = default(WaitArming);
        try
        {
            WaitFaults.Hit(WaitPath.ChannelBlocking, WaitStage.Registered);
            arming.ArmCancellation(cancellationToken, node);
            if (!ReferenceEquals(Time, TimeProvider.System))
            {
                // Another clock (a fake one in tests): its timer ends the wait, which then
                // blocks without a limit of its own.
                arming.ArmTimeout(millisecondsTimeout, Time, node);
                millisecondsTimeout = Timeout.Infinite;
            }

            WaitFaults.Hit(WaitPath.ChannelBlocking, WaitStage.Armed);
            if (!node.WaitSignal(millisecondsTimeout))
            {
                // Timed out: try to end the wait ourselves. If someone claimed it first, their
                // results are on the way; wait for their signal (it is imminent).
                if (!node.TryFinish(node.Generation, Waiter.TimedOut))
                {
                    node.WaitSignal(Timeout.Infinite);
                }
            }
        }
        catch (Exception failure)
        {
            if (!UndoFailedWait(node, sender, ref arming, failure))
            {
                throw;
            }
        }

        DisarmAfterWait(node, sender, ref arming);
        int outcome = node.Outcome;
        if (outcome < Waiter.SelectedBase)
        {
            Unregister(node, sender);
        }

        return outcome;
    }

    /// <summary>
    /// Disarms a wait whose outcome is decided. Disposing waits for a callback that is running,
    /// so nothing touches the node after this. If disarming throws (a TimeProvider's timer
    /// that fails to stop), the rule of <see cref="UndoFailedWait"/> holds: a completion stands
    /// and the failure is dropped (the item has moved), otherwise the node is unregistered
    /// before the failure leaves.
    /// </summary>
    private void DisarmAfterWait(WaitNode<T> node, bool sender, ref WaitArming arming)
    {
        try
        {
            arming.Disarm();
        }
        catch (Exception) when (node.Outcome >= Waiter.SelectedBase)
        {
            // Completed: see above.
        }
        catch
        {
            Unregister(node, sender);
            throw;
        }
    }

    /// <summary>
    /// The failure exit of a plain wait whose node is queued: withdraw, disarm, unregister (see
    /// WaitArming.cs). Returns true when a partner completed the operation first: the caller
    /// then reports that completion (the node holds its results) and drops the failure.
    /// </summary>
    private bool UndoFailedWait(WaitNode<T> node, bool sender, ref WaitArming arming, Exception failure)
    {
        bool completed = node.CompletedDespiteFailure(failure);
        arming.Disarm();
        Unregister(node, sender);
        Debug.Assert(!node.IsQueued, "a failed wait leaves its node unregistered");
        return completed;
    }

    // ------------------------------------------------------------------ async forms

    /// <summary>
    /// The hot async send: no timeout, throws on disconnection. A waiting send is a pooled
    /// node awaited directly (no state machine); its GetResult finishes the operation.
    /// </summary>
    public ValueTask SendDirectAsync(T item, CancellationToken cancellationToken)
    {
        if (cancellationToken.IsCancellationRequested)
        {
            return ValueTask.FromCanceled(cancellationToken);
        }

        if (TrySendUnlocked(item))
        {
            return default;
        }

        WaitNode<T>? node = null;
        SendStatus status;
        WaitNode<T>? partner;
        short version = 0;
        using (_sync.EnterScope())
        {
            Freeze();
            status = TrySendLocked(item, out partner);
            if (status == SendStatus.Full)
            {
                RefuseIfSideGone(sender: true);
                node = RentAsyncNode();
                node.PrepareSingle(isAsync: true);
                node.Item = item;
                version = node.Version; // read before a completer can see the node
                PrepareDirect(node, sender: true, cancellationToken);
                EnqueueSender(node);
            }

            ThawIfIdle();
            AssertInvariants();
        }

        if (node is not null)
        {
            return WaitFaults.AnyInstalled && WaitFailedDirect(node, sender: true) is { } failure ? ValueTask.FromException(failure) : new ValueTask(node, version);
        }

        Wake(partner);
        return status == SendStatus.Sent ? default : ValueTask.FromException(ChannelErrors.SendDisconnected());
    }

    /// <summary>The hot async receive: no timeout, throws on disconnection. See <see cref="SendDirectAsync"/>.</summary>
    public ValueTask<T> ReceiveDirectAsync(CancellationToken cancellationToken)
    {
        if (cancellationToken.IsCancellationRequested)
        {
            return ValueTask.FromCanceled<T>(cancellationToken);
        }

        if (TryReceiveUnlocked(out T ready))
        {
            return new ValueTask<T>(ready);
        }

        WaitNode<T>? node = null;
        ReceiveStatus status;
        WaitNode<T>? partner;
        T item;
        short version = 0;
        using (_sync.EnterScope())
        {
            Freeze();
            status = TryReceiveLocked(out item, out partner);
            if (status == ReceiveStatus.Empty)
            {
                RefuseIfSideGone(sender: false);
                node = RentAsyncNode();
                node.PrepareSingle(isAsync: true);
                version = node.Version; // read before a completer can see the node
                PrepareDirect(node, sender: false, cancellationToken);
                EnqueueReceiver(node);
            }

            ThawIfIdle();
            AssertInvariants();
        }

        if (node is not null)
        {
            return WaitFaults.AnyInstalled && WaitFailedDirect(node, sender: false) is { } failure ? ValueTask.FromException<T>(failure) : new ValueTask<T>(node, version);
        }

        WakeAfterReceive(partner);
        return status == ReceiveStatus.Received ? new ValueTask<T>(item) : ValueTask.FromException<T>(ChannelErrors.ReceiveDisconnected());
    }

    /// <summary>
    /// The fault-injection point of the directly awaited forms, whose node is queued and armed
    /// by now. Called only while a hook is installed in some async context
    /// (<see cref="WaitFaults.AnyInstalled"/>; it may be another test's, and Hit then finds
    /// none here): with no hook anywhere nothing here can throw, and the try/catch frame kept
    /// this method out of line in the measured runtime. Returns the failure once the wait is
    /// undone, or null when the operation goes on (no failure, or a partner completed it first:
    /// awaiting the node then reports that).
    /// </summary>
    private Exception? WaitFailedDirect(WaitNode<T> node, bool sender)
    {
        try
        {
            WaitFaults.Hit(WaitPath.ChannelDirectAsync, WaitStage.Registered);
            WaitFaults.Hit(WaitPath.ChannelDirectAsync, WaitStage.Armed);
            return null;
        }
        catch (Exception failure)
        {
            if (node.CompletedDespiteFailure(failure))
            {
                return null; // GetResult finishes it as usual
            }

            node.DirectRegistration.Dispose();
            node.DirectRegistration = default;
            node.DirectChannel = null;
            node.DirectToken = default;
            Unregister(node, sender);
            node.Item = default!;
            return failure; // the node is dropped, not pooled
        }
    }

    /// <summary>
    /// Arms a directly awaited node. Called under the lock before the node is queued, so the
    /// registration is stored before any completer can see the node; the cancellation callback
    /// never takes the channel lock, so registering here cannot deadlock even if the token is
    /// cancelled right now and the callback runs inline.
    /// </summary>
    private void PrepareDirect(WaitNode<T> node, bool sender, CancellationToken cancellationToken)
    {
        node.DirectChannel = this;
        node.DirectIsSender = sender;
        node.DirectToken = cancellationToken;
        node.DirectRegistration = cancellationToken.CanBeCanceled
            ? cancellationToken.UnsafeRegister(Waiter.CancelCallback, node)
            : default;
    }

    /// <summary>Sends asynchronously, waiting up to <paramref name="millisecondsTimeout"/>. Completes with Sent, Disconnected or Timeout; faults with OperationCanceledException.</summary>
    public ValueTask<SendStatus> SendAsync(T item, long millisecondsTimeout, CancellationToken cancellationToken)
    {
        if (cancellationToken.IsCancellationRequested)
        {
            return ValueTask.FromCanceled<SendStatus>(cancellationToken);
        }

        if (TrySendUnlocked(item))
        {
            return new ValueTask<SendStatus>(SendStatus.Sent);
        }

        WaitNode<T>? node = null;
        SendStatus status;
        WaitNode<T>? partner;
        using (_sync.EnterScope())
        {
            Freeze();
            status = TrySendLocked(item, out partner);
            if (status == SendStatus.Full)
            {
                if (millisecondsTimeout == 0)
                {
                    ThawIfIdle();
                    return new ValueTask<SendStatus>(SendStatus.Timeout);
                }

                RefuseIfSideGone(sender: true);
                node = RentAsyncNode();
                node.PrepareSingle(isAsync: true);
                node.Item = item;
                EnqueueSender(node);
            }

            ThawIfIdle();
            AssertInvariants();
        }

        if (node is null)
        {
            Wake(partner);
            return new ValueTask<SendStatus>(status);
        }

        return SendSlowAsync(node, millisecondsTimeout, cancellationToken);
    }

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    private async ValueTask<SendStatus> SendSlowAsync(WaitNode<T> node, long millisecondsTimeout, CancellationToken cancellationToken)
    {
        int outcome = await WaitAsync(node, millisecondsTimeout, cancellationToken, sender: true).ConfigureAwait(false);
        var status = outcome >= Waiter.SelectedBase ? node.Status : NodeStatus.None;
        node.Item = default!;
        ReturnAsyncNode(node);
        var result = outcome >= Waiter.SelectedBase ? SentOrNot(status) : SendStatus.Timeout;
        if (outcome == Waiter.Cancelled)
        {
            throw new OperationCanceledException(cancellationToken);
        }

        return result;
    }

    /// <summary>Receives asynchronously, waiting up to <paramref name="millisecondsTimeout"/>. Completes with Received, Disconnected or Timeout; faults with OperationCanceledException.</summary>
    public ValueTask<ReceiveResult<T>> ReceiveAsync(long millisecondsTimeout, CancellationToken cancellationToken)
    {
        if (cancellationToken.IsCancellationRequested)
        {
            return ValueTask.FromCanceled<ReceiveResult<T>>(cancellationToken);
        }

        if (TryReceiveUnlocked(out T ready))
        {
            return new ValueTask<ReceiveResult<T>>(new ReceiveResult<T>(ReceiveStatus.Received, ready));
        }

        WaitNode<T>? node = null;
        ReceiveStatus status;
        WaitNode<T>? partner;
        T item;
        using (_sync.EnterScope())
        {
            Freeze();
            status = TryReceiveLocked(out item, out partner);
            if (status == ReceiveStatus.Empty)
            {
                if (millisecondsTimeout == 0)
                {
                    ThawIfIdle();
                    return new ValueTask<ReceiveResult<T>>(ReceiveResult<T>.Of(ReceiveStatus.Timeout));
                }

                RefuseIfSideGone(sender: false);
                node = RentAsyncNode();
                node.PrepareSingle(isAsync: true);
                EnqueueReceiver(node);
            }

            ThawIfIdle();
            AssertInvariants();
        }

        if (node is null)
        {
            WakeAfterReceive(partner);
            return new ValueTask<ReceiveResult<T>>(new ReceiveResult<T>(status, item));
        }

        return ReceiveSlowAsync(node, millisecondsTimeout, cancellationToken);
    }

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    private async ValueTask<ReceiveResult<T>> ReceiveSlowAsync(WaitNode<T> node, long millisecondsTimeout, CancellationToken cancellationToken)
    {
        int outcome = await WaitAsync(node, millisecondsTimeout, cancellationToken, sender: false).ConfigureAwait(false);
        ReceiveResult<T> result;
        bool abandoned = false;
        if (outcome >= Waiter.SelectedBase)
        {
            abandoned = node.Status == NodeStatus.Abandoned;
            result = node.Status == NodeStatus.Done
                ? new ReceiveResult<T>(ReceiveStatus.Received, node.Item)
                : ReceiveResult<T>.Of(ReceiveStatus.Disconnected);
        }
        else
        {
            result = ReceiveResult<T>.Of(ReceiveStatus.Timeout);
        }

        node.Item = default!;
        ReturnAsyncNode(node);
        if (outcome == Waiter.Cancelled)
        {
            throw new OperationCanceledException(cancellationToken);
        }

        if (abandoned)
        {
            throw ChannelErrors.ReceiverAbandoned<T>();
        }

        return result;
    }

    /// <summary>Awaits a registered node until it completes, is cancelled or times out; always leaves it unregistered (on a failure too, see <see cref="WaitSync"/>).</summary>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    private async ValueTask<int> WaitAsync(WaitNode<T> node, long millisecondsTimeout, CancellationToken cancellationToken, bool sender)
    {
        var arming = default(WaitArming);
        try
        {
            WaitFaults.Hit(WaitPath.ChannelAsync, WaitStage.Registered);
            arming.ArmCancellation(cancellationToken, node);
            arming.ArmTimeout(millisecondsTimeout, Time, node);
            WaitFaults.Hit(WaitPath.ChannelAsync, WaitStage.Armed);
        }
        catch (Exception failure)
        {
            if (!UndoFailedWait(node, sender, ref arming, failure))
            {
                throw;
            }

            return node.Outcome; // a partner completed it first: that completion is the result
        }

        try
        {
            await node.AsValueTask().ConfigureAwait(false);
        }
        catch
        {
            arming.Disarm(); // the await itself failed: that failure is the one reported
            throw;
        }

        DisarmAfterWait(node, sender, ref arming);

        int outcome = node.Outcome;
        if (outcome < Waiter.SelectedBase)
        {
            Unregister(node, sender);
        }

        return outcome;
    }

    /// <summary>Queues a waiting sender; a waiting sender makes a receive possible, so read watchers wake.</summary>
    private void EnqueueSender(WaitNode<T> node)
    {
        Debug.Assert(IsFrozen, "a waiter registers only while the fast paths are frozen");
        _senders.Enqueue(node);
        if (!_readWatchers.IsEmpty)
        {
            CompleteAll(ref _readWatchers, NodeStatus.Done);
        }
    }

    /// <summary>Queues a waiting receiver; a waiting receiver makes a send possible, so write watchers wake.</summary>
    private void EnqueueReceiver(WaitNode<T> node)
    {
        Debug.Assert(IsFrozen, "a waiter registers only while the fast paths are frozen");
        _receivers.Enqueue(node);
        if (!_writeWatchers.IsEmpty)
        {
            CompleteAll(ref _writeWatchers, NodeStatus.Done);
        }
    }

    /// <summary>The outcome of a send that a partner or a disconnection completed; throws for an abandoned one (see <see cref="CompleteAll"/>).</summary>
    private static SendStatus SentOrNot(NodeStatus status) => status switch
    {
        NodeStatus.Done => SendStatus.Sent,
        NodeStatus.Abandoned => throw ChannelErrors.SenderAbandoned<T>(),
        _ => SendStatus.Disconnected,
    };

    /// <summary>
    /// Before an operation registers to wait: refuses it if its own side has no handle left.
    /// That side's last handle was disposed after the operation passed its handle's disposal
    /// check, so the operation came through a disposed handle, and once registered nothing would
    /// ever complete it (<see cref="CompleteAll"/> abandoned the waits already). Call under <see cref="_sync"/>,
    /// frozen, before renting a node; the fast paths are thawed again before the exception leaves.
    /// </summary>
    private void RefuseIfSideGone(bool sender)
    {
        if (sender ? _senderCount == 0 : _receiverCount == 0)
        {
            ThawIfIdle();
            throw sender ? ChannelErrors.SenderAbandoned<T>() : ChannelErrors.ReceiverAbandoned<T>();
        }
    }

    /// <summary>
    /// Empties a queue, completing every node still claimable with <paramref name="status"/>: Done
    /// for woken watchers, Disconnected for the waiters of the other side when a side's last
    /// handle goes, Abandoned for that side's own waiters (see <see cref="ReleaseSender"/> and
    /// <see cref="ReleaseReceiver"/>). A node that fails the claim is stale (cancelled, timed out,
    /// or its select completed through another arm) and is just dropped. Under <see cref="_sync"/>.
    /// </summary>
    private static void CompleteAll(ref WaitQueue<T> queue, NodeStatus status)
    {
        while (queue.Dequeue() is { } node)
        {
            if (node.TryClaim())
            {
                node.Complete(status);
            }
        }
    }

    // ------------------------------------------------------------------ interop waits

    /// <summary>Waits until a receive would not report Empty. True when an item may be available, false once closed and drained.</summary>
    public ValueTask<bool> WaitToReceiveAsync(CancellationToken cancellationToken) =>
        WaitReadyAsync(read: true, cancellationToken);

    /// <summary>Waits until a send would not report Full. True when room may be available, false once every receiver is gone.</summary>
    public ValueTask<bool> WaitToSendAsync(CancellationToken cancellationToken) =>
        WaitReadyAsync(read: false, cancellationToken);

    private ValueTask<bool> WaitReadyAsync(bool read, CancellationToken cancellationToken)
    {
        if (cancellationToken.IsCancellationRequested)
        {
            return ValueTask.FromCanceled<bool>(cancellationToken);
        }

        WaitNode<T> node;
        using (_sync.EnterScope())
        {
            Freeze();
            bool? ready = ReadyState(read);
            if (ready is bool known)
            {
                ThawIfIdle();
                return new ValueTask<bool>(known);
            }

            if (read && _receiverCount == 0)
            {
                // Every receiver is gone (a reader adapter reads through a receiver, so that one is
                // disposed too): nothing would ever wake a read watcher (see RefuseIfSideGone).
                ThawIfIdle();
                return ValueTask.FromException<bool>(ChannelErrors.ReceiverAbandoned<T>());
            }

            node = RentAsyncNode();
            node.PrepareSingle(isAsync: true);
            Debug.Assert(IsFrozen, "a watcher registers only while the fast paths are frozen");
            if (read)
            {
                _readWatchers.Enqueue(node);
            }
            else
            {
                _writeWatchers.Enqueue(node);
            }
        }

        return WaitReadySlowAsync(node, read, cancellationToken);
    }

    /// <summary>true: ready now; false: never again; null: must wait. Call under <see cref="_sync"/>.</summary>
    private bool? ReadyState(bool read)
    {
        if (read)
        {
            if (!BufferIsEmpty || _senders.PeekClaimable(null) is not null)
            {
                return true;
            }

            return _senderCount == 0 ? false : null;
        }

        if (_receiverCount == 0 || _senderCount == 0)
        {
            return false; // nobody will receive, or nobody is left to send
        }

        return HasRoom() || _receivers.PeekClaimable(null) is not null ? true : null;
    }

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    private async ValueTask<bool> WaitReadySlowAsync(WaitNode<T> node, bool read, CancellationToken cancellationToken)
    {
        var arming = default(WaitArming);
        try
        {
            WaitFaults.Hit(WaitPath.ChannelReady, WaitStage.Registered);
            arming.ArmCancellation(cancellationToken, node);
            WaitFaults.Hit(WaitPath.ChannelReady, WaitStage.Armed);
        }
        catch (Exception failure)
        {
            // A watcher only learns "something changed", which it may drop: always rethrow.
            node.CompletedDespiteFailure(failure);
            arming.Disarm();
            using (_sync.EnterScope())
            {
                RemoveWatcher(node, read);
                ThawIfIdle();
            }

            throw;
        }

        try
        {
            await node.AsValueTask().ConfigureAwait(false);
        }
        finally
        {
            arming.Disarm();
        }

        int outcome = node.Outcome;
        bool result;
        using (_sync.EnterScope())
        {
            Freeze();
            RemoveWatcher(node, read);

            // Woken by a change: report what holds now ("ready" is a hint, as in the BCL).
            result = ReadyState(read) ?? true;
            ThawIfIdle();
        }

        bool abandoned = outcome >= Waiter.SelectedBase && node.Status == NodeStatus.Abandoned;
        ReturnAsyncNode(node);
        if (outcome == Waiter.Cancelled)
        {
            throw new OperationCanceledException(cancellationToken);
        }

        if (abandoned)
        {
            throw ChannelErrors.ReceiverAbandoned<T>(); // only read watchers are abandoned
        }

        return result;
    }

    /// <summary>Unlinks an interop watcher if it is still queued. Call under <see cref="_sync"/>.</summary>
    private void RemoveWatcher(WaitNode<T> node, bool read)
    {
        if (read)
        {
            _readWatchers.Remove(node);
        }
        else
        {
            _writeWatchers.Remove(node);
        }
    }

    // ------------------------------------------------------------------ select support

    /// <summary>
    /// Registers a select receive arm unless the channel is ready now (an item, a waiting
    /// sender of another party, or closed). Returns false, without registering, when ready.
    /// </summary>
    internal bool RegisterReceiver(WaitNode<T> node)
    {
        using (_sync.EnterScope())
        {
            Freeze();
            if (!BufferIsEmpty || _senderCount == 0 || _senders.PeekClaimable(node.Owner) is not null)
            {
                ThawIfIdle();
                return false;
            }

            RefuseIfSideGone(sender: false);
            EnqueueReceiver(node);
            AssertInvariants();
            return true;
        }
    }

    /// <summary>
    /// Registers a select send arm unless the channel is ready now (room, a waiting receiver of
    /// another party, or no receiver left). Returns false, without registering, when ready.
    /// </summary>
    internal bool RegisterSender(WaitNode<T> node)
    {
        using (_sync.EnterScope())
        {
            Freeze();
            if (_receiverCount == 0 || HasRoom() || _receivers.PeekClaimable(node.Owner) is not null)
            {
                ThawIfIdle();
                return false;
            }

            RefuseIfSideGone(sender: true);
            EnqueueSender(node);
            AssertInvariants();
            return true;
        }
    }

    /// <summary>Removes a node from its queue if it is still there. Idempotent.</summary>
    /// <remarks>
    /// Always takes the lock, even when the node was already dequeued: a partner dequeues and
    /// then tries to claim the node within one hold of this lock, so acquiring it here is what
    /// guarantees that no partner that lost the claim still holds a stale reference to the node
    /// when the owner re-arms it for its next select round or returns it to the node pool. The
    /// partner that won keeps its reference past the lock only to signal, and the owner waits
    /// for that signal before it touches the node. (Skipping the lock when the node looked
    /// dequeued was tried and is unsafe: a pooled node reused as a sender could be claimed by a
    /// sender that had dequeued it as a receiver.)
    /// </remarks>
    internal void Unregister(WaitNode<T> node, bool sender)
    {
        using (_sync.EnterScope())
        {
            if (sender)
            {
                _senders.Remove(node);
            }
            else
            {
                _receivers.Remove(node);
            }

            ThawIfIdle();
            AssertInvariants();
        }
    }

    /// <summary>Gets how many claimable senders and receivers wait (for tests and diagnostics).</summary>
    internal (int Senders, int Receivers) WaitingCounts
    {
        get
        {
            using (_sync.EnterScope())
            {
                return (CountClaimable(_senders.Head), CountClaimable(_receivers.Head));
            }

            static int CountClaimable(WaitNode<T>? node)
            {
                int n = 0;
                for (; node is not null; node = node.Next)
                {
                    if (node.IsClaimable)
                    {
                        n++;
                    }
                }

                return n;
            }
        }
    }

    /// <summary>
    /// Gets how many nodes are linked into each queue, stale or not (for tests). With no
    /// operation in flight every count is zero: each wait path unregisters its node on every
    /// exit, failures included.
    /// </summary>
    internal (int Senders, int Receivers, int ReadWatchers, int WriteWatchers) QueuedNodes
    {
        get
        {
            using (_sync.EnterScope())
            {
                return (Length(_senders.Head), Length(_receivers.Head), Length(_readWatchers.Head), Length(_writeWatchers.Head));
            }

            static int Length(WaitNode<T>? node)
            {
                int n = 0;
                for (; node is not null; node = node.Next)
                {
                    n++;
                }

                return n;
            }
        }
    }

    // ------------------------------------------------------------------ pooling

    /// <summary>
    /// One node per thread for async waits, shared by every channel of this element type, tried
    /// before the channel's pool: with the default hand-over a woken party usually finishes its
    /// wait (returns the node) on the thread where it waits next (rents one), so the node comes
    /// back without the two interlocked operations of the channel's pool (about 12 ns each on
    /// the 2-core machine of bench/README.md). Only this thread touches it.
    /// </summary>
    [ThreadStatic]
    private static WaitNode<T>? t_asyncNode;

    /// <summary>Takes a pooled node for an async wait, or makes one.</summary>
    private WaitNode<T> RentAsyncNode()
    {
        var cached = t_asyncNode;
        if (cached is not null)
        {
            t_asyncNode = null;
            return cached;
        }

        var pool = _asyncNodes;
        for (int i = 0; i < pool.Length; i++)
        {
            var node = Interlocked.Exchange(ref pool[i], null);
            if (node is not null)
            {
                return node;
            }
        }

        return new WaitNode<T>();
    }

    /// <summary>Gives a node back once nobody references it (it is unregistered and its registrations are disposed).</summary>
    internal void ReturnAsyncNode(WaitNode<T> node)
    {
        Debug.Assert(!node.IsQueued);
        if (t_asyncNode is null)
        {
            t_asyncNode = node;
            return;
        }

        var pool = _asyncNodes;
        for (int i = 0; i < pool.Length; i++)
        {
            if (Interlocked.CompareExchange(ref pool[i], node, null) is null)
            {
                return;
            }
        }
    }

    /// <summary>One node per thread for blocking waits: a thread blocks in at most one operation at a time.</summary>
    private static class SyncNodeCache
    {
        [ThreadStatic]
        private static WaitNode<T>? t_node;

        public static WaitNode<T> Rent()
        {
            var node = t_node;
            if (node is null)
            {
                return new WaitNode<T>();
            }

            t_node = null;
            return node;
        }

        public static void Return(WaitNode<T> node)
        {
            Debug.Assert(!node.IsQueued);
            t_node = node;
        }
    }

    // ------------------------------------------------------------------ invariants

    /// <summary>Checks the queue/buffer invariants. Debug builds only; call under <see cref="_sync"/>.</summary>
    [Conditional("DEBUG")]
    private protected void AssertInvariants()
    {
#if DEBUG
        // ChannelLock is a class, so a stray `lock (_sync)` would compile and take an unrelated
        // monitor that excludes nobody; every locked region ends here, so this catches it.
        Debug.Assert(_sync.IsHeldByCurrentThread, "a locked region must take the channel lock with using (_sync.EnterScope()), not lock (_sync)");
#endif
        Debug.Assert(_senderCount >= 0 && _receiverCount >= 0);
        Debug.Assert(_senderCount > 0 || _senders.PeekClaimable(null) is null, "no send waits once the last sender is gone (CompleteAll with Abandoned, RefuseIfSideGone)");
        Debug.Assert(_receiverCount > 0 || _receivers.PeekClaimable(null) is null, "no receive waits once the last receiver is gone (CompleteAll with Abandoned, RefuseIfSideGone)");
        Debug.Assert(IsFrozen || (_senders.IsEmpty && _receivers.IsEmpty && _readWatchers.IsEmpty && _writeWatchers.IsEmpty), "while any node is queued the fast paths are frozen");
        if (!IsFrozen)
        {
            return; // the buffer may change under our feet: nothing more to check exactly
        }

        Debug.Assert(BufferCount <= (Capacity ?? int.MaxValue), "the buffer never exceeds its capacity");

        if (BufferCount > 0)
        {
            Debug.Assert(_receivers.PeekClaimable(null) is null, "no receiver waits while items are buffered");
        }

        if (_receiverCount == 0)
        {
            Debug.Assert(BufferCount == 0, "nothing is buffered once every receiver is gone");
        }
    }
}
