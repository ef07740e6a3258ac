// The waiting machinery shared by every channel flavour and by select.
//
// Algorithm (the idea of crossbeam-channel's context.rs/waker.rs, written for .NET):
// A blocked operation is represented by a Waiter. The waiter may be registered in the wait
// queues of one channel (a plain send or receive) or of several channels (a select). Whoever
// wants to complete a registered operation must first *claim* the waiter with one
// compare-and-swap on its state word; exactly one claim can succeed, so exactly one
// registration of a select completes and the others become stale. The owner of the waiter can
// also end the wait itself (cancellation, timeout, or "abort" during select registration)
// with the same compare-and-swap, which is how cancellation can never race with a completion:
// either the item moved (the completer won) or it did not (the owner won).
//
// The state word packs a generation (high 32 bits) with an outcome code (low 32 bits). The
// generation is bumped every time a pooled waiter is reused, so a claim that carries an old
// generation can never complete a newer operation.
//
// Ordering rule: the party that wins the claim writes the results (item, status) into the
// registration node first and calls Signal() last. The owner reads results only after it has
// observed the signal, never merely after observing the state change.
using System.Runtime.CompilerServices;
using System.Threading.Tasks.Sources;

namespace ConcurrencySafety.Channels;

/// <summary>A waiting party: one thread or one asynchronous operation that waits to be completed.</summary>
internal class Waiter : IValueTaskSource, IThreadPoolWorkItem
{
    /// <summary>Outcome code: nobody has claimed the waiter yet.</summary>
    internal const int Waiting = 0;
    /// <summary>Outcome code: the owner withdrew during select registration (a channel was ready) and will retry.</summary>
    internal const int Aborted = 1;
    /// <summary>Outcome code: the cancellation token fired before any completion.</summary>
    internal const int Cancelled = 2;
    /// <summary>Outcome code: the timeout elapsed before any completion.</summary>
    internal const int TimedOut = 3;
    /// <summary>Outcome code: the wait failed after registering (see <see cref="CompletedDespiteFailure"/>) and was withdrawn.</summary>
    internal const int Withdrawn = 4;
    /// <summary>Outcome code base: <c>SelectedBase + arm</c> means the registration with that arm index completed.</summary>
    internal const int SelectedBase = 5;

    /// <summary>Generation (high 32 bits) and outcome code (low 32 bits). Changed only by CAS or by <see cref="Reset"/>.</summary>
    private long _state;

    /// <summary>1 once the winner of the claim has written its results. The owner waits on this.</summary>
    private int _signaled;

    /// <summary>1 while a synchronous owner may be blocked in Monitor.Wait on this object.</summary>
    private int _blocked;

    /// <summary>True when the owner awaits asynchronously (signalled through <see cref="_core"/>).</summary>
    private bool _isAsync;

    /// <summary>
    /// The async completion source. It never runs the owner's continuation itself: the owner's
    /// await registers <see cref="s_dispatch"/> with it (see <see cref="OnCompletedCore"/>),
    /// which the core calls synchronously inside <see cref="Signal(bool)"/>, and which decides
    /// where the continuation runs (see HandOff.cs and <see cref="Dispatch"/>).
    /// </summary>
    private ManualResetValueTaskSourceCore<bool> _core = new() { RunContinuationsAsynchronously = false };

    /// <summary>The owner's continuation, stored by its await until <see cref="Dispatch"/> runs it.</summary>
    private Action<object?>? _continuation;

    /// <summary>The state for <see cref="_continuation"/>.</summary>
    private object? _continuationState;

    /// <summary>The synchronization context or task scheduler the owner's await captured, or null.</summary>
    private object? _schedulingContext;

    /// <summary>The execution context an await that asked for it (OnCompleted rather than UnsafeOnCompleted) captured, or null.</summary>
    private ExecutionContext? _executionContext;

    /// <summary>Written by the winner of the claim before it signals: may the continuation run inline (the channel's opt-in)?</summary>
    private bool _inlineAllowed;

    /// <summary>Written by the winner of the claim before it signals: does it signal under a channel lock (<see cref="SignalUnderLock"/>)?</summary>
    private bool _signalledUnderLock;

    /// <summary>The core's continuation: the owner has been signalled, now dispatch its continuation.</summary>
    private static readonly Action<object?> s_dispatch = static state => ((Waiter)state!).Dispatch();

    /// <summary>
    /// How many continuations this thread is running inline right now. A chain of parties that
    /// complete each other inline (a pipeline of stages) would otherwise grow the stack
    /// without bound; past the limit the next continuation goes to the thread pool.
    /// </summary>
    [ThreadStatic]
    private static int t_inlineDepth;

    /// <summary>The deepest nesting of inline continuations on one thread.</summary>
    internal const int MaxInlineDepth = 8;

    /// <summary>Gets the current generation.</summary>
    internal uint Generation => (uint)((ulong)Volatile.Read(ref _state) >> 32);

    /// <summary>Gets the current outcome code.</summary>
    internal int Outcome => (int)(Volatile.Read(ref _state) & 0xFFFFFFFF);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static long Pack(uint generation, int code) => ((long)generation << 32) | (uint)code;

    /// <summary>Prepares the waiter for a new operation. Only the owner calls this, when nobody else references it.</summary>
    internal void Reset(bool isAsync)
    {
        uint next = Generation + 1;
        _isAsync = isAsync;
        _signaled = 0;
        _blocked = 0;
        _signalledUnderLock = false;
        if (isAsync)
        {
            Debug.Assert(_continuation is null, "the previous continuation was dispatched before the owner reused the waiter");
            _core.Reset();
        }

        // Publish the new generation last: a stale claim with the old generation now fails.
        Volatile.Write(ref _state, Pack(next, Waiting));
    }

    /// <summary>Claims the waiter for registration <paramref name="arm"/> of generation <paramref name="generation"/>.</summary>
    /// <returns>true if this caller won and must now write results and call <see cref="Signal(bool)"/>.</returns>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal bool TryClaim(uint generation, int arm)
    {
        long waiting = Pack(generation, Waiting);
        return Interlocked.CompareExchange(ref _state, Pack(generation, SelectedBase + arm), waiting) == waiting;
    }

    /// <summary>Ends the wait without a completion (cancel, timeout, abort). Same exclusivity as a claim.</summary>
    internal bool TryFinish(uint generation, int code)
    {
        Debug.Assert(code is Aborted or Cancelled or TimedOut or Withdrawn);
        long waiting = Pack(generation, Waiting);
        return Interlocked.CompareExchange(ref _state, Pack(generation, code), waiting) == waiting;
    }

    /// <summary>
    /// The undo protocol of every wait that fails after it has registered (an exception while
    /// arming its cancellation or timer, a thread interrupt while blocked, an injected test
    /// fault). The owner first ends its own wait as <see cref="Withdrawn"/>, with the same
    /// compare-and-swap a completer uses, so that from here on no channel can complete it:
    /// a node left in a queue is stale and skipped. If somebody else ended the wait first, the
    /// owner waits (spinning: the winner never blocks between its claim and its signal) until
    /// that party has written its results and signalled.
    /// </summary>
    /// <param name="failure">The exception that ends the wait. A thread interrupt that is dropped because the operation completed is re-raised on this thread, so its next blocking call still sees it.</param>
    /// <returns>
    /// true when a completer won: the operation really happened (an item moved), so the caller
    /// must report the completion and drop <paramref name="failure"/>, since reporting the failure
    /// would lose a received item or make a delivered item look unsent. false when nothing
    /// completed: the caller unregisters everything it registered and rethrows.
    /// </returns>
    internal bool CompletedDespiteFailure(Exception failure)
    {
        if (TryFinish(Generation, Withdrawn))
        {
            return false;
        }

        var spinner = default(SpinWait);
        while (!IsSignaled)
        {
            spinner.SpinOnce(sleep1Threshold: -1);
        }

        if (Outcome < SelectedBase)
        {
            return false; // cancelled or timed out first: nothing moved
        }

        if (failure is ThreadInterruptedException)
        {
            Thread.CurrentThread.Interrupt();
        }

        return true;
    }

    /// <summary>Gets a value indicating whether the winner of the current operation has signalled (its results are readable).</summary>
    private bool IsSignaled => _isAsync
        ? _core.GetStatus(_core.Version) != ValueTaskSourceStatus.Pending
        : Volatile.Read(ref _signaled) != 0;

    /// <summary>Gets a value indicating whether the waiter of <paramref name="generation"/> can still be claimed.</summary>
    internal bool IsWaiting(uint generation) => Volatile.Read(ref _state) == Pack(generation, Waiting);

    /// <summary>Publishes the results written by the winner and wakes the owner; an async owner's continuation never runs on this thread before the call returns.</summary>
    internal void Signal() => Signal(allowInline: false);

    /// <summary>
    /// <see cref="Signal()"/> for a completer that holds a channel lock (a bulk wake: a close,
    /// woken watchers). Besides never running the continuation here, it keeps the owner's
    /// synchronization context or task scheduler out of the locked region: their Post and
    /// QueueTask are user code, and one that runs the callback inline (which breaks their
    /// contract, but test schedulers do it) would re-enter the channel on this thread and
    /// deadlock on the channel's non-recursive lock. The continuation is posted from the pool.
    /// </summary>
    internal void SignalUnderLock()
    {
        _signalledUnderLock = true;
        Signal(allowInline: false);
    }

    /// <summary>
    /// Publishes the results written by the winner and wakes the owner. With
    /// <paramref name="allowInline"/> (the channel's opt-in), an async owner's continuation runs
    /// on this thread before the call returns (unless the inline depth limit or the stack says
    /// otherwise); the caller must then hold no lock, since that continuation is the owner's
    /// code and may use the same channel. Without it, the continuation runs later: on this
    /// thread once the caller's own code has returned to the runner loop, or on the pool (see
    /// HandOff.cs). That is safe under a lock.
    /// </summary>
    internal void Signal(bool allowInline)
    {
        if (_isAsync)
        {
            // Only the winner of the claim signals, so only one thread writes this flag for the
            // current operation; Dispatch reads it inside SetResult on this same thread (or,
            // when the owner registers its continuation only after this, on a pool thread,
            // where running inline is harmless).
            _inlineAllowed = allowInline;
            _core.SetResult(true); // calls Dispatch now if the owner awaits already

            // Nothing below may touch this waiter: its owner may already be reusing it.
            return;
        }

        // Dekker-style handshake with WaitSignal: both sides write their flag with a full fence
        // and then read the other's. Either the owner sees _signaled before it blocks, or we see
        // _blocked and pulse under the monitor, which the owner holds while it checks again.
        Interlocked.Exchange(ref _signaled, 1);
        if (Volatile.Read(ref _blocked) != 0)
        {
            Backoff.NoteWokeParked(); // our own next wait will see its reply only after it wakes up
            PulseOwner();
        }
    }

    /// <summary>
    /// Pulses the blocked owner. The pulse must happen even if this thread has an interrupt
    /// pending (the item has moved, and the owner would sleep for ever), so the interrupt is held
    /// until the pulse is done and raised again after it, for this thread's next blocking wait.
    /// </summary>
    private void PulseOwner()
    {
        if (Uninterruptible.Pulse(this, all: true))
        {
            Thread.CurrentThread.Interrupt();
        }
    }

    /// <summary>Blocks the (synchronous) owner until <see cref="Signal(bool)"/> or until <paramref name="millisecondsTimeout"/> passes.</summary>
    /// <returns>true if signalled; false on timeout (the owner must then try to finish the waiter itself).</returns>
    internal bool WaitSignal(long millisecondsTimeout)
    {
        Debug.Assert(!_isAsync);

        // About to wait for a partner: if this thread runs hand-over continuations and has
        // parked a woken party, that party may be the partner; let the pool run it now rather
        // than after a watchdog period (HandOff.cs).
        HandOff.FlushParked();

        // Spin (adaptively), then yield, before blocking: on a busy channel the partner usually
        // arrives within microseconds, and parking in the kernel costs a context switch on each
        // side; under oversubscription spinning stops paying and the budget shrinks (Backoff.cs).
        if (Volatile.Read(ref _signaled) != 0 || Backoff.SpinUntilSet(ref _signaled))
        {
            return true;
        }

        long start = millisecondsTimeout == Timeout.Infinite ? 0 : Environment.TickCount64;
        Interlocked.Exchange(ref _blocked, 1);
        lock (this)
        {
            while (Volatile.Read(ref _signaled) == 0)
            {
                int wait = Timeout.Infinite;
                if (millisecondsTimeout != Timeout.Infinite)
                {
                    long left = millisecondsTimeout - (Environment.TickCount64 - start);
                    if (left <= 0)
                    {
                        return false;
                    }

                    wait = (int)Math.Min(left, int.MaxValue); // a longer wait loops
                }

                Monitor.Wait(this, wait);
            }
        }

        return true;
    }

    /// <summary>Gets a ValueTask that completes when the (asynchronous) owner is signalled.</summary>
    internal ValueTask AsValueTask() => new(this, _core.Version);

    // The two callbacks below read the current generation instead of capturing it (which would
    // box a tuple per registration). That is safe because the owner disposes its token
    // registrations — which waits for a running callback — before it resets the waiter.

    /// <summary>Callback for a cancellation token: ends the wait as cancelled if nobody completed it yet.</summary>
    internal static readonly Action<object?> CancelCallback = static state =>
    {
        var waiter = (Waiter)state!;
        if (waiter.TryFinish(waiter.Generation, Cancelled))
        {
            waiter.Signal();
        }
    };

    /// <summary>Callback for a timeout: ends the wait as timed out if nobody completed it yet.</summary>
    internal static readonly Action<object?> TimeoutCallback = static state =>
    {
        var waiter = (Waiter)state!;
        if (waiter.TryFinish(waiter.Generation, TimedOut))
        {
            waiter.Signal();
        }
    };

    /// <summary>Gets the version of the current async operation (the ValueTask token).</summary>
    internal short Version => _core.Version;

    /// <summary>Consumes the async signal; throws if the token does not match the current operation.</summary>
    private protected void ConsumeSignal(short token) => _core.GetResult(token);

    /// <summary>What awaiting this waiter as a non-generic ValueTask returns; nodes that are awaited directly override it to finish their operation.</summary>
    private protected virtual void GetResultCore(short token) => _core.GetResult(token);

    void IValueTaskSource.GetResult(short token) => GetResultCore(token);

    /// <summary>Gets the status of the async signal.</summary>
    internal ValueTaskSourceStatus GetStatusCore(short token) => _core.GetStatus(token);

    /// <summary>
    /// Stores the owner's continuation, with the context it asked to run in, and registers
    /// <see cref="s_dispatch"/> with the core in its place. The context checks are those of
    /// ManualResetValueTaskSourceCore: a synchronization context other than the base class,
    /// else a task scheduler other than the default, is captured when the await asks for it.
    /// </summary>
    internal void OnCompletedCore(Action<object?> continuation, object? state, short token, ValueTaskSourceOnCompletedFlags flags)
    {
        ArgumentNullException.ThrowIfNull(continuation);
        if (token != _core.Version || _continuation is not null)
        {
            throw new InvalidOperationException("This ValueTask was awaited more than once or after it completed; await each channel operation exactly once.");
        }

        object? context = null;
        if ((flags & ValueTaskSourceOnCompletedFlags.UseSchedulingContext) != 0)
        {
            var sc = SynchronizationContext.Current;
            if (sc is not null && sc.GetType() != typeof(SynchronizationContext))
            {
                context = sc;
            }
            else if (TaskScheduler.Current != TaskScheduler.Default)
            {
                context = TaskScheduler.Current;
            }
        }

        _schedulingContext = context;
        _executionContext = (flags & ValueTaskSourceOnCompletedFlags.FlowExecutionContext) != 0 ? ExecutionContext.Capture() : null;
        _continuationState = state;
        _continuation = continuation;

        // The core's compare-and-swap publishes the fields above to whichever thread calls
        // Dispatch; if the signal came first, the core queues Dispatch to the pool at once.
        _core.OnCompleted(s_dispatch, this, token, ValueTaskSourceOnCompletedFlags.None);
    }

    /// <summary>
    /// Decides where the signalled owner's continuation runs. Called by the core, synchronously
    /// inside <see cref="Signal(bool)"/> (on the completer's thread, possibly under a channel
    /// lock unless inline is allowed), or from the pool when the owner awaited after the signal.
    /// The policy, strongest rule first:
    /// 1. a captured synchronization context or task scheduler gets the continuation posted
    ///    (from the pool if the completer holds a channel lock: <see cref="SignalUnderLock"/>);
    /// 2. with the channel's opt-in, it runs here, now (nesting-limited);
    /// 3. without an execution context to restore, it is parked in this thread's runner queue,
    ///    to run once the completer's code has returned to the runner loop (HandOff.TryPark);
    /// 4. else it goes to the thread pool, as this waiter itself (an IThreadPoolWorkItem: no allocation).
    /// </summary>
    private void Dispatch()
    {
        Debug.Assert(_continuation is not null);
        if (_schedulingContext is not null) // tested first: the type tests in PostToSchedulingContext cost a cast helper call each
        {
            if (_signalledUnderLock)
            {
                // Not under the lock (see SignalUnderLock): post from the pool instead.
                ThreadPool.UnsafeQueueUserWorkItem(static w => w.PostFromPool(), this, preferLocal: false);
                return;
            }

            if (PostToSchedulingContext())
            {
                return;
            }
        }

        if (_inlineAllowed && t_inlineDepth < MaxInlineDepth && RuntimeHelpers.TryEnsureSufficientExecutionStack())
        {
            t_inlineDepth++;
            try
            {
                RunContinuation();
            }
            finally
            {
                t_inlineDepth--;
            }

            return;
        }

        if (_executionContext is null && HandOff.TryPark(this))
        {
            return;
        }

        ThreadPool.UnsafeQueueUserWorkItem(this, preferLocal: true);
    }

    /// <summary>Rule 1 of <see cref="Dispatch"/> for a waiter signalled under a channel lock, run by the pool.</summary>
    private void PostFromPool()
    {
        if (!PostToSchedulingContext())
        {
            RunContinuation(); // not reached: the captured object is a context or a scheduler
        }
    }

    /// <summary>Rule 1 of <see cref="Dispatch"/>, kept out of it (its exception handling would weigh on the common path): false if the captured object is neither a context nor a scheduler.</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private bool PostToSchedulingContext()
    {
        try
        {
            switch (_schedulingContext)
            {
                case SynchronizationContext sc:
                    sc.Post(static s => ((Waiter)s!).RunContinuation(), this);
                    return true;
                case TaskScheduler ts:
                    Task.Factory.StartNew(static s => ((Waiter)s!).RunContinuation(), this, CancellationToken.None, TaskCreationOptions.DenyChildAttach, ts);
                    return true;
                default:
                    return false;
            }
        }
        catch (Exception refusal)
        {
            RefusedBySchedulingContext();
            if (refusal is ThreadInterruptedException)
            {
                // Not a refusal of the context's: this thread was interrupted while Post or
                // QueueTask blocked (on a lock of theirs, say). The continuation still runs (on
                // the pool); the interrupt is raised again for this thread's next blocking wait
                // rather than swallowed.
                Thread.CurrentThread.Interrupt();
            }

            return true;
        }
    }

    /// <summary>
    /// The owner's context refused its continuation (its Post or its scheduler's QueueTask
    /// threw: typically a UI context that has shut down). The continuation then runs on the
    /// thread pool. The alternatives are worse: dropping it leaves the owner waiting for an
    /// operation that has completed (a received item would be lost with it), and letting the
    /// exception out fails the completer, which may be a sender whose item has already moved,
    /// or a close that is waking every other waiter under the channel's lock.
    /// </summary>
    private void RefusedBySchedulingContext() => ThreadPool.UnsafeQueueUserWorkItem(static w => w.RunContinuation(), this, preferLocal: false);

    /// <summary>Runs the stored continuation (in its execution context, if it captured one), once.</summary>
    internal void RunContinuation()
    {
        var ec = _executionContext;
        if (ec is null)
        {
            InvokeStored();
        }
        else
        {
            _executionContext = null;
            ExecutionContext.Run(ec, static s => ((Waiter)s!).InvokeStored(), this);
        }
    }

    private void InvokeStored()
    {
        // Cleared before the call: the continuation may reset and re-await this waiter.
        var continuation = _continuation!;
        var state = _continuationState;
        _continuation = null;
        _continuationState = null;
        _schedulingContext = null;
        _executionContext = null;
        continuation(state);
    }

    /// <summary>Run by the pool: the runner loop of HandOff, starting with this waiter's continuation.</summary>
    void IThreadPoolWorkItem.Execute() => HandOff.Run(this);

    ValueTaskSourceStatus IValueTaskSource.GetStatus(short token) => _core.GetStatus(token);

    void IValueTaskSource.OnCompleted(Action<object?> continuation, object? state, short token, ValueTaskSourceOnCompletedFlags flags) =>
        OnCompletedCore(continuation, state, token, flags);
}
