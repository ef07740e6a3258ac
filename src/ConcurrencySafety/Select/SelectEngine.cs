// The select algorithm shared by the typed Selector and the dynamic SelectSet.
//
// Idea (crossbeam-channel's select.rs, written anew for .NET):
// 1. Try phase: try every arm once without waiting, in a random order (fair) or in arm order
//    (biased). The first arm that can proceed completes; we are registered nowhere, so
//    no other arm can be affected. With a default, a second pass comes before the default
//    (see TryPhase).
// 2. Registration phase: reset the shared Waiter and register one node per arm in its
//    channel's wait queue. If a channel turns out to be ready while we register, we *abort*
//    (finish our own waiter with Aborted), unregister everything and go back to step 1 —
//    completing it here would need two claims at once (ours and the partner's). If a partner
//    claims our waiter through an arm we already registered, registration stops.
// 3. Wait for the signal: a partner's completion, the timeout timer or the cancellation
//    callback. Each of them first wins the waiter's single compare-and-swap, which is what
//    makes exactly one arm complete and the others leave no trace.
// 4. Unregister every node (each under its channel's lock), then report the winner.
// A waiter is reused across rounds; its generation changes on every reset, so a stale node
// left in some queue can never be claimed for a later round.
using System.Runtime.CompilerServices;
using System.Runtime.ExceptionServices;
using System.Runtime.InteropServices;
using ConcurrencySafety.Channels;

namespace ConcurrencySafety.Selection;

/// <summary>Runs selects over a fixed list of arms. One select at a time per engine.</summary>
internal sealed class SelectEngine
{
    /// <summary>Returned when the default arm ran because nothing was ready.</summary>
    internal const int DefaultChosen = -1;

    /// <summary>Returned when the timeout passed before any arm completed.</summary>
    internal const int TimeoutChosen = -2;

    private readonly List<SelectArm> _arms = [];
    private readonly Waiter _waiter = new();
    private readonly TimeProvider _time;

    /// <summary>The timeout per select; <see cref="Timeout.InfiniteTimeSpan"/> when none.</summary>
    private TimeSpan _timeout = System.Threading.Timeout.InfiniteTimeSpan;

    /// <summary>Timer for timeouts on a non-system clock; created on first use and re-armed after.</summary>
    private ITimer? _timer;

    /// <summary>Timestamp (of <see cref="_time"/>) when the current select started; the timer callback checks it.</summary>
    private long _startTimestamp;

    /// <summary>1 while a select runs: concurrent use of one engine is a caller bug we report.</summary>
    private int _busy;

    /// <summary>xorshift state for the fair start position.</summary>
    private uint _random;

    /// <summary>The current xorshift state (tests check that engines are seeded independently).</summary>
    internal uint RandomState => _random;

    public SelectEngine(TimeProvider? timeProvider, Action<int>? onChosen = null)
    {
        _time = timeProvider ?? TimeProvider.System;
        _onChosen = onChosen;
        // Each engine draws its own seed: a clock-based seed gave every selector created in the
        // same millisecond the same sequence of arm permutations, so two selectors competing for
        // the same channels made correlated choices. Random.Shared is thread-safe; this runs
        // once per selector, not per select. Any nonzero value is a valid xorshift state.
        _random = (uint)Random.Shared.Next() | 1u;
    }

    internal List<SelectArm> Arms => _arms;

    /// <summary>Adds an arm; remembers whether any arm needs per-select preparation.</summary>
    internal void Add(SelectArm arm)
    {
        _arms.Add(arm);
        _hasValueFactories |= arm.NeedsBegin;
        _spinsBeforeRegistering |= arm.SpinsBeforeRegistering;
    }

    /// <summary>True once an arm on a channel whose blocking operations spin before they register was added (see <see cref="Run"/>).</summary>
    private bool _spinsBeforeRegistering;

    /// <summary>True once a send arm with a value factory was added (only those evaluate their value per select).</summary>
    private bool _hasValueFactories;

    internal bool HasDefault { get; set; }

    internal bool Biased { get; set; }

    internal TimeSpan Timeout
    {
        get => _timeout;
        set => _timeout = value;
    }

    /// <summary>Runs one blocking select. Returns the winning arm's index, <see cref="DefaultChosen"/> or <see cref="TimeoutChosen"/>.</summary>
    /// <param name="cancellationToken">Cancels the wait.</param>
    /// <param name="claimed">True when <see cref="ClaimForCall"/> has claimed the engine for this select.</param>
    internal int Run(CancellationToken cancellationToken, bool claimed = false)
    {
        Enter(claimed);
        try
        {
            Begin(cancellationToken);
            bool spun = false;
            while (true)
            {
                int chosen = TryPhase();
                if (chosen != NoneReady)
                {
                    return chosen;
                }

                // Once per select, before the first registration, when an arm is on an array
                // (bounded) channel: re-try within the thread's spin budget, as a blocking send or
                // receive on such a channel does (ChannelCore.SpinsBeforeRegistering says why).
                // Registering a node on every arm freezes each buffered arm's fast path for
                // every other party, so a select that registers whenever its channels are
                // momentarily empty turns its producers' sends into locked hand-overs.
                if (!spun && _spinsBeforeRegistering)
                {
                    spun = true;
                    var probe = new TryPhaseProbe(this, cancellationToken);
                    if (Backoff.SpinUntil(ref probe))
                    {
                        return probe.Chosen;
                    }
                }

                int attempted;
                try
                {
                    uint generation = RegisterAll(isAsync: false, out attempted, out bool selfAborted);
                    if (!selfAborted)
                    {
                        WaitFaults.Hit(WaitPath.SelectBlocking, WaitStage.Registered);
                        WaitSync(generation, cancellationToken);
                    }
                }
                catch (Exception failure)
                {
                    if (!CompletedDespiteFailure(failure, out chosen))
                    {
                        throw;
                    }

                    return chosen;
                }

                chosen = Finish(attempted, cancellationToken);
                if (chosen != NoneReady)
                {
                    return chosen;
                }
            }
        }
        finally
        {
            Exit();
        }
    }

    /// <summary>
    /// Runs one asynchronous select; completes synchronously (without allocating) when an arm
    /// is ready at once. Runs <see cref="_onChosen"/> (if given) once the engine is free again.
    /// </summary>
    /// <param name="cancellationToken">Cancels the wait.</param>
    /// <param name="claimed">As for <see cref="Run"/>.</param>
    /// <remarks>
    /// A misuse (a disposed handle, nothing to wait for, a select already running) throws here,
    /// synchronously, as a send on a disposed handle does. Everything that happens during the
    /// select goes into the returned task instead, on the ready path as on the waiting one: a
    /// cancelled token, a failing clock or value factory, a disconnected arm without a handler,
    /// a handler that throws. Before, the ready path threw those synchronously, so the same
    /// select failed in two ways depending on timing.
    /// </remarks>
    internal ValueTask<int> RunAsync(CancellationToken cancellationToken, bool claimed = false)
    {
        Enter(claimed);
        int chosen;
        try
        {
            Begin(cancellationToken);
            chosen = TryPhase();
            if (chosen == NoneReady)
            {
                return RunSlowAsync(cancellationToken); // exits the engine itself
            }
        }
        catch (Exception failure)
        {
            Exit();
            return Failed(failure);
        }

        Exit();
        if (_onChosen is { } onChosen)
        {
            try
            {
                onChosen(chosen);
            }
            catch (Exception failure)
            {
                return Failed(failure);
            }
        }

        return new ValueTask<int>(chosen);
    }

    /// <summary>
    /// A select that failed before it waited, as a task that has failed the way an async method's
    /// would: cancelled for an <see cref="OperationCanceledException"/> (the exception object
    /// itself is rethrown by the await), faulted for anything else.
    /// </summary>
    private static ValueTask<int> Failed(Exception failure)
    {
        var captured = ExceptionDispatchInfo.Capture(failure);
        return Rethrow(captured);

        [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
#pragma warning disable CS1998 // no await: the builder turns the rethrow into the task's outcome
        static async ValueTask<int> Rethrow(ExceptionDispatchInfo failure)
#pragma warning restore CS1998
        {
            failure.Throw();
            return NoneReady;
        }
    }

    /// <summary>
    /// Runs the chosen arm's handler at the end of an asynchronous select, once the engine is
    /// free again (so a handler may start the next select). Given by the typed selector; doing
    /// it here saves a second async state machine around <see cref="RunSlowAsync"/>.
    /// </summary>
    private readonly Action<int>? _onChosen;

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    private async ValueTask<int> RunSlowAsync(CancellationToken cancellationToken)
    {
        int chosen;
        try
        {
            while (true)
            {
                int attempted;
                bool selfAborted;
                try
                {
                    uint generation = RegisterAll(isAsync: true, out attempted, out selfAborted);
                    if (!selfAborted)
                    {
                        WaitFaults.Hit(WaitPath.SelectAsync, WaitStage.Registered);
                        ArmWait(generation, cancellationToken);
                        WaitFaults.Hit(WaitPath.SelectAsync, WaitStage.Armed);
                    }
                }
                catch (Exception failure)
                {
                    if (!CompletedDespiteFailure(failure, out chosen))
                    {
                        throw;
                    }

                    break;
                }

                if (!selfAborted)
                {
                    try
                    {
                        await _waiter.AsValueTask().ConfigureAwait(false);
                        Disarm();
                    }
                    catch (Exception failure)
                    {
                        // A disarm that throws (a TimeProvider's timer that fails to stop) takes
                        // the failure exit, as the blocking path's does: a completion stands.
                        if (!CompletedDespiteFailure(failure, out chosen))
                        {
                            throw;
                        }

                        break;
                    }
                }

                chosen = Finish(attempted, cancellationToken);
                if (chosen != NoneReady)
                {
                    break;
                }

                chosen = TryPhase();
                if (chosen != NoneReady)
                {
                    break;
                }
            }
        }
        finally
        {
            Exit();
        }

        _onChosen?.Invoke(chosen);
        return chosen;
    }

    private const int NoneReady = int.MinValue;

    /// <summary>
    /// Claims the engine and checks for misuse: a disposed handle, or a select with nothing to
    /// wait for. Throws with the engine free again.
    /// </summary>
    private void Enter(bool claimed)
    {
        // Claimed first, so that the checks below run on an engine no other select can touch
        // (Add is not synchronized with a select either; adding during one is a caller bug).
        // Every exit below releases it again. A SelectSet call has claimed it already (Claim).
        if (!claimed)
        {
            Claim();
        }

        // One pass over the arms per select (this and the try phase are the whole cost of a
        // select that finds an arm ready): each live arm's handle is checked for disposal, so
        // a disposed handle is reported on every select, even when another arm is ready.
        int active = 0;
        foreach (var arm in CollectionsMarshal.AsSpan(_arms))
        {
            if (!arm.Retired)
            {
                if (arm.HandleDisposed)
                {
                    Volatile.Write(ref _busy, 0);
                    arm.ThrowIfDisposed();
                }

                active++;
            }
        }

        if (active == 0 && !HasDefault && _timeout == System.Threading.Timeout.InfiniteTimeSpan)
        {
            Volatile.Write(ref _busy, 0);
            ThrowWouldWaitForever();
        }
    }

    /// <summary>
    /// Starts the select that <see cref="Enter"/> admitted: the cancellation check, then the user
    /// code a select runs before its try phase. If any of it throws, the select does not start;
    /// the caller (inside the region whose exit frees the engine) reports the failure.
    /// </summary>
    private void Begin(CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();

        if (_timeout != System.Threading.Timeout.InfiniteTimeSpan || _hasValueFactories)
        {
            // User code last (a TimeProvider's clock, send arms' value factories), run only for
            // a select that goes ahead.
            // The clock is read only when a timeout needs it (it costs as much as a ready select).
            if (_timeout != System.Threading.Timeout.InfiniteTimeSpan)
            {
                Volatile.Write(ref _startTimestamp, _time.GetTimestamp());
            }

            if (_hasValueFactories)
            {
                foreach (var arm in CollectionsMarshal.AsSpan(_arms))
                {
                    if (arm.NeedsBegin)
                    {
                        arm.Begin();
                    }
                }
            }
        }
    }

    /// <summary>Claims the engine for one select, or throws if a select is running on it.</summary>
    private void Claim()
    {
        if (Interlocked.Exchange(ref _busy, 1) != 0)
        {
            throw new InvalidOperationException("This selector is already running a select on another thread or task. A selector runs one select at a time: create one selector per thread or task.");
        }
    }

    /// <summary>
    /// Claims the engine for one <see cref="SelectSet"/> call and only then writes that call's
    /// settings: written before the claim, a call that is then rejected as concurrent would
    /// already have changed the default or the timeout of the select that is running (its
    /// timer re-reads the timeout). The caller passes <c>claimed: true</c> to Run or RunAsync
    /// next, with nothing that can throw in between.
    /// </summary>
    internal void ClaimForCall(bool hasDefault, TimeSpan timeout)
    {
        Claim();
        HasDefault = hasDefault;
        _timeout = timeout;
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private void ThrowWouldWaitForever()
    {
        if (_arms.Count == 0)
        {
            throw new ArgumentException("A select with no operations, no default and no timeout would wait forever. Add at least one receive or send arm, a Default or a Timeout.");
        }

        throw new InvalidOperationException("Every arm of this select has been retired (its channel reported disconnected, or it was disabled), so it would wait forever. Stop selecting once every channel is closed, or add a Default or a Timeout.");
    }

    private void Exit() => Volatile.Write(ref _busy, 0);

    /// <summary>One try phase for the spin of <see cref="Run"/> (a select with no default: its try phase never takes the default).</summary>
    private struct TryPhaseProbe(SelectEngine engine, CancellationToken cancellationToken) : ISpinProbe
    {
        /// <summary>The completed arm or the timeout code, once <see cref="Probe"/> answered Done.</summary>
        public int Chosen = NoneReady;

        /// <inheritdoc/>
        public SpinOutcome Probe()
        {
            if (cancellationToken.IsCancellationRequested)
            {
                return SpinOutcome.GiveUp; // the registration path reports the cancellation
            }

            Chosen = engine.TryPhase();
            return Chosen == NoneReady ? SpinOutcome.Again : SpinOutcome.Done;
        }
    }

    /// <summary>Step 1. Returns the completed arm, the default/timeout code, or <see cref="NoneReady"/>.</summary>
    private int TryPhase()
    {
        int chosen = TryEveryArm();
        if (chosen != NoneReady)
        {
            return chosen;
        }

        if (HasDefault)
        {
            return TryDefault();
        }

        if (_timeout != System.Threading.Timeout.InfiniteTimeSpan && _time.GetElapsedTime(_startTimestamp) >= _timeout)
        {
            return TimeoutChosen;
        }

        return NoneReady;
    }

    /// <summary>
    /// The default of a select whose try pass found nothing: taken only if no arm was ready at
    /// one instant; otherwise the arm that was. Returns an arm, or <see cref="DefaultChosen"/>.
    /// </summary>
    /// <remarks>
    /// The try pass tries the arms one after another, not at one instant: an arm found idle
    /// early may become ready before a later arm is found idle, so that some arm is ready at
    /// every moment and still none completes (Go's TestNonblockSelectRace: c2 filled, then c1
    /// drained, between our two tries). Trying again only narrows that window: a partner that
    /// switches the ready arm twice defeats any fixed number of passes. Go locks every channel
    /// of the select at once. We get the same instant from the registration protocol instead:
    /// register a node on every arm (each registration looks at its channel under that
    /// channel's lock and refuses if it is ready), then finish our own waiter. Between an arm's
    /// registration and that finish, whatever makes its channel ready (a send, a receive that
    /// frees room, the last partner leaving) takes the channel lock, finds our node queued and
    /// completes our waiter through it, so our finish fails. A finish that succeeds therefore
    /// happens at an instant when no arm was ready: that instant is the default's linearization
    /// point. The buffered flavours' lock-free paths cannot bypass this, because a queued node
    /// freezes their ring. Cost: one lock per arm, paid only when the default is about to be
    /// taken (Go pays the same on every select).
    /// </remarks>
    private int TryDefault()
    {
        while (true)
        {
            int attempted;
            uint generation;
            try
            {
                // Always the blocking flavour of the waiter: this select never parks here, it
                // waits at most for a partner that has already won to deliver its result.
                generation = RegisterAll(isAsync: false, out attempted, out bool selfAborted);
                if (!selfAborted && !_waiter.TryFinish(generation, Waiter.TimedOut))
                {
                    // A partner completed one of our arms (during or after the registration):
                    // its result is on the way, a few instructions behind its CAS.
                    _waiter.WaitSignal(System.Threading.Timeout.Infinite);
                }
            }
            catch (Exception failure)
            {
                if (!CompletedDespiteFailure(failure, out int completed))
                {
                    throw;
                }

                return completed;
            }

            // No cancellation was armed, so the outcome is an arm, Aborted (an arm was ready
            // when we registered it: go back to trying) or our own finish (the default).
            int chosen = Finish(attempted, CancellationToken.None);
            if (chosen == TimeoutChosen)
            {
                return DefaultChosen;
            }

            if (chosen != NoneReady)
            {
                return chosen;
            }

            chosen = TryEveryArm();
            if (chosen != NoneReady)
            {
                return chosen;
            }
        }
    }

    /// <summary>One pass of the try phase, in a fresh order; the completed arm, or <see cref="NoneReady"/>.</summary>
    private int TryEveryArm()
    {
        var arms = CollectionsMarshal.AsSpan(_arms);
        var order = NextOrder(arms.Length);
        for (int k = 0; k < order.Length; k++)
        {
            int i = order[k];
            var arm = arms[i];
            if (!arm.Retired && arm.TryComplete())
            {
                return i;
            }
        }

        return NoneReady;
    }

    /// <summary>Step 2. Registers the arms; <paramref name="selfAborted"/> is true if we withdrew because one was ready.</summary>
    private uint RegisterAll(bool isAsync, out int attempted, out bool selfAborted)
    {
        _waiter.Reset(isAsync);
        uint generation = _waiter.Generation;
        selfAborted = false;
        attempted = 0;

        // Register in a fresh random order, as the try phase tries: a partner that arrives
        // later completes whichever of our nodes it finds first in its queue, so with several
        // arms on one channel a fixed order would always hand it the first arm (unfair
        // duplicates). Finish unregisters the first `attempted` arms of this same order.
        int n = _arms.Count;
        var order = NextOrder(n);
        for (int k = 0; k < n; k++)
        {
            int i = order[k];
            attempted = k + 1;
            if (_arms[i].Retired)
            {
                continue;
            }

            if (!_arms[i].Register(_waiter, i))
            {
                // Ready now. Withdraw unless a partner already completed us through an earlier arm.
                selfAborted = _waiter.TryFinish(generation, Waiter.Aborted);
                break;
            }

            if (!_waiter.IsWaiting(generation))
            {
                break; // a partner completed one of our registered arms already
            }
        }

        return generation;
    }

    /// <summary>Step 3 (blocking).</summary>
    private void WaitSync(uint generation, CancellationToken cancellationToken)
    {
        if (_time == TimeProvider.System && _timeout != System.Threading.Timeout.InfiniteTimeSpan)
        {
            // System clock: a timed monitor wait is cheaper than a timer.
            _arming.ArmCancellation(cancellationToken, _waiter);
            WaitFaults.Hit(WaitPath.SelectBlocking, WaitStage.Armed);
            // A monitor wait takes at most int.MaxValue ms (24.8 days): a longer timeout is
            // waited in steps, each one for what is left on the clock.
            while (!_waiter.WaitSignal(RemainingMilliseconds()))
            {
                if (RemainingMilliseconds() > 0)
                {
                    continue;
                }

                if (!_waiter.TryFinish(generation, Waiter.TimedOut))
                {
                    _waiter.WaitSignal(System.Threading.Timeout.Infinite); // someone else won: their results are on the way
                }

                break;
            }

            Disarm();
            return;
        }

        ArmWait(generation, cancellationToken);
        WaitFaults.Hit(WaitPath.SelectBlocking, WaitStage.Armed);
        _waiter.WaitSignal(System.Threading.Timeout.Infinite);
        Disarm();
    }

    private int RemainingMilliseconds()
    {
        var left = _timeout - _time.GetElapsedTime(_startTimestamp);
        return left <= TimeSpan.Zero ? 0 : (int)Math.Min(int.MaxValue - 1, Math.Ceiling(left.TotalMilliseconds));
    }

    /// <summary>
    /// The cancellation callback of the current select (the engine runs one select at a
    /// time). A field rather than a local so that the failure exit can disarm whatever was
    /// armed before the failure.
    /// </summary>
    private WaitArming _arming;

    /// <summary>True while <see cref="_timer"/> is armed for the current select.</summary>
    private bool _timerArmed;

    /// <summary>Arms the cancellation callback and, with a timeout, the timer. Either may finish the waiter and signal it.</summary>
    private void ArmWait(uint generation, CancellationToken cancellationToken)
    {
        _arming.ArmCancellation(cancellationToken, _waiter);
        if (_timeout != System.Threading.Timeout.InfiniteTimeSpan && _waiter.IsWaiting(generation))
        {
            _timer ??= _time.CreateTimer(static s => ((SelectEngine)s!).OnTimer(), this, System.Threading.Timeout.InfiniteTimeSpan, System.Threading.Timeout.InfiniteTimeSpan);
            _timerArmed = true; // before Change, which may throw: Disarm then stops the timer

            // The timer counts its due time from when Change runs, but we read the clock just
            // before. If the clock moved in between (a test advancing a fake clock on another
            // thread), the timer would fire that much after the deadline, and a test that
            // advances exactly to the deadline would wait forever. So arm again until the clock
            // held still across the Change (a real clock may move by less than a timer's
            // resolution), a few rounds at most. A deadline already passed times out now.
            var slack = ReferenceEquals(_time, TimeProvider.System) ? TimeSpan.FromMilliseconds(1) : TimeSpan.Zero;
            for (int round = 0; round < 4; round++)
            {
                var elapsed = _time.GetElapsedTime(_startTimestamp);
                if (elapsed >= _timeout)
                {
                    OnTimer();
                    break;
                }

                _timer.Change(TimerStep(_timeout - elapsed), System.Threading.Timeout.InfiniteTimeSpan);
                if (_time.GetElapsedTime(_startTimestamp) - elapsed <= slack)
                {
                    break;
                }
            }
        }
    }

    /// <summary>
    /// Caps one arming of the timer at what a timer takes (2^32-2 ms, about 49.7 days). A longer
    /// timeout fires "early" at the end of each step, and <see cref="OnTimer"/> arms the next
    /// step for what is left, so any timeout works.
    /// </summary>
    private static TimeSpan TimerStep(TimeSpan left) => left < TimerChannel.MaxStep ? left : TimerChannel.MaxStep;

    /// <summary>Undoes <see cref="ArmWait"/> (idempotent): disposes the cancellation registration, waiting for a running callback, and stops the timer.</summary>
    private void Disarm()
    {
        _arming.Disarm();
        if (_timerArmed)
        {
            _timerArmed = false;
            _timer!.Change(System.Threading.Timeout.InfiniteTimeSpan, System.Threading.Timeout.InfiniteTimeSpan);
        }
    }

    /// <summary>
    /// The failure exit of a select that may have registered arms (an exception while
    /// registering, arming the timer or the cancellation callback, or blocking): withdraw the
    /// waiter, disarm, and unregister every arm (see WaitArming.cs). Returns true, with the
    /// winning arm, when a partner completed one of our arms before the withdrawal: that
    /// completion stands (its item has moved) and the failure is dropped.
    /// </summary>
    private bool CompletedDespiteFailure(Exception failure, out int chosen)
    {
        bool completed = _waiter.CompletedDespiteFailure(failure);
        try
        {
            Disarm();
        }
        finally
        {
            // Every arm, not only those registered this round: Unregister is idempotent, and
            // the failure may have come from inside an arm's registration.
            foreach (var arm in _arms)
            {
                arm.Unregister();
            }

            AssertUnregistered();
        }

        chosen = NoneReady;
        if (completed)
        {
            chosen = _waiter.Outcome - Waiter.SelectedBase;
            _arms[chosen].TakeResult();
        }

        return completed;
    }

    /// <summary>Checks that no arm's node is left in a channel queue (between selects). Debug builds only.</summary>
    [Conditional("DEBUG")]
    private void AssertUnregistered()
    {
        foreach (var arm in _arms)
        {
            Debug.Assert(!arm.IsRegistered, "a select left an arm registered");
        }
    }

    /// <summary>
    /// Timer callback. It may be late and belong to an earlier select, so it times out the
    /// current one only if the current one's own timeout has really elapsed.
    /// </summary>
    private void OnTimer()
    {
        // Read the generation before the start time: Enter writes the start time before the
        // waiter's reset publishes a new generation, so a new generation implies the new start.
        uint generation = _waiter.Generation;
        var timeout = _timeout;
        if (timeout == System.Threading.Timeout.InfiniteTimeSpan)
        {
            return; // a stale tick from an earlier select that had a timeout
        }

        var left = timeout - _time.GetElapsedTime(Volatile.Read(ref _startTimestamp));
        if (left > TimeSpan.Zero)
        {
            // Early (a timer may fire slightly before the deadline as the clock measures it, and
            // a timeout longer than one timer step fires at the end of each step) or stale (from
            // an earlier select): schedule again for what is left of this one.
            _timer?.Change(TimerStep(left), System.Threading.Timeout.InfiniteTimeSpan);
            return;
        }

        if (_waiter.TryFinish(generation, Waiter.TimedOut))
        {
            _waiter.Signal();
        }
    }

    /// <summary>Step 4. Unregisters and interprets the outcome; <see cref="NoneReady"/> means "aborted: try again".</summary>
    private int Finish(int attempted, CancellationToken cancellationToken)
    {
        // The arms RegisterAll visited: the first `attempted` of its order (no phase has drawn
        // a new order since: the next try phase comes after this).
        Debug.Assert(attempted <= _order.Length && _order.Length == _arms.Count, "Finish runs on the order RegisterAll drew");
        for (int k = 0; k < attempted; k++)
        {
            int i = _order[k];
            if (!_arms[i].Retired)
            {
                _arms[i].Unregister();
            }
        }

        AssertUnregistered();

        int outcome = _waiter.Outcome;
        if (outcome >= Waiter.SelectedBase)
        {
            int index = outcome - Waiter.SelectedBase;
            _arms[index].TakeResult();
            return index;
        }

        return outcome switch
        {
            Waiter.Aborted => NoneReady,
            Waiter.TimedOut => TimeoutChosen,
            Waiter.Cancelled => throw new OperationCanceledException(cancellationToken),
            _ => throw new InvalidOperationException("Unexpected select state " + outcome),
        };
    }

    /// <summary>
    /// The order in which the current phase visits the arms (read again by <see cref="Finish"/>
    /// for the registration phase); engine-exclusive, like the arms. Reallocated only when the
    /// number of arms changed, so a select in steady state allocates nothing.
    /// </summary>
    private int[] _order = [];

    /// <summary>
    /// Draws the visiting order for one phase: arm order when <see cref="Biased"/>, otherwise a
    /// uniformly random permutation (Fisher-Yates). A random rotation (a random start, then arm
    /// order) is not enough: it chooses the first ready arm after the start, so a ready arm
    /// that follows several idle ones wins for all of their starts (Go's TestSelectFairness:
    /// two idle arms before two ready ones gave the first ready arm 75% of the selects).
    /// </summary>
    private int[] NextOrder(int n)
    {
        if (_order.Length != n)
        {
            _order = new int[n];
        }

        var order = _order;
        for (int i = 0; i < n; i++)
        {
            order[i] = i;
        }

        if (!Biased)
        {
            for (int i = n - 1; i > 0; i--)
            {
                int j = NextRandom(i + 1);
                (order[i], order[j]) = (order[j], order[i]);
            }
        }

        return order;
    }

    private int NextRandom(int n)
    {
        uint x = _random;
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        _random = x;
        return (int)((ulong)x * (ulong)n >> 32);
    }
}
