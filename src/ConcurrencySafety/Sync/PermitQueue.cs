// PermitQueue: a counting semaphore with weighted requests and a strict FIFO wait queue
// (the scheme of Go's golang.org/x/sync/semaphore.Weighted), shared by PermitSemaphore,
// Locked<T>, RwLocked<T> and the TaskScope concurrency limit.
//
// Algorithm
// - All state (the available count and the doubly linked wait queue) is guarded by `_sync`.
// - A request is granted on the fast path only when nobody is queued; otherwise it queues.
//   Newcomers never overtake queued requests, so a large request at the head is not starved
//   by a stream of small ones: it blocks them until enough permits were released.
// - Barging mode (locks only, `fair: false`), after Go's sync.Mutex: strict hand-off makes
//   every acquisition under contention wait for a thread wake-up (a lock convoy; measured 600x
//   slower than Monitor with 8 threads). In barging mode a release does not hand the permits
//   to a queued *blocking* waiter; it wakes it to retry, and newcomers (who may spin briefly)
//   can take the free permits first. Once the head has waited longer than 1 ms, the queue is
//   "starving": releases hand off in FIFO order and newcomers queue, so nobody waits forever.
//   Async waiters are always handed off (they cannot retry cheaply).
// - Every release grants queued requests from the head while the head fits. The woken
//   waiters are collected under the lock and completed after it is released, so no user
//   continuation and no other lock ever runs while `_sync` is held (except the re-entrant
//   cancellation callback during registration, see Enqueue).
// - Each grant is represented by a PermitWaiter node; the node doubles as the async
//   IValueTaskSource and as the identity of the held permit (see Permit). Nodes are pooled.
using System.Runtime.CompilerServices;
using ConcurrencySafety.Channels;

namespace ConcurrencySafety;

internal sealed class PermitQueue
{
    /// <summary>Nodes kept for reuse; beyond this, released nodes are left to the GC.</summary>
    private const int MaxPooled = 32;

    /// <summary>How long the head may wait before barging stops (1 ms, as in Go).</summary>
    private static readonly long s_starvationTicks = Stopwatch.Frequency / 1000;

    /// <summary>Strict FIFO hand-off (semaphores) or barging with starvation hand-off (locks).</summary>
    private readonly bool _fair;

    /// <summary>Blocking waiters woken to retry that have not re-checked yet (barging mode).</summary>
    private int _woken;

    /// <summary>Guards every mutable field below.</summary>
    private readonly object _sync = new();

    /// <summary>Permits currently not held by anybody.</summary>
    private int _available; // read without the lock only as a spin hint

    /// <summary>Oldest queued request (the next to be granted).</summary>
    private PermitWaiter? _head;

    /// <summary>Newest queued request.</summary>
    private PermitWaiter? _tail;

    /// <summary>Number of queued requests (diagnostics and invariants).</summary>
    private int _queued;

    /// <summary>Singly linked stack of reusable nodes (through <see cref="PermitWaiter.Next"/>).</summary>
    private PermitWaiter? _pool;

    /// <summary>Number of nodes in <see cref="_pool"/>.</summary>
    private int _pooled;

    internal PermitQueue(int capacity, bool fair = true)
    {
        _fair = fair;
        Capacity = capacity;
        _available = capacity;
    }

    /// <summary>The total number of permits.</summary>
    internal int Capacity { get; }

    /// <summary>A snapshot of the permits not held.</summary>
    internal int Available
    {
        get { lock (_sync) return _available; }
    }

    /// <summary>A snapshot of the number of queued requests.</summary>
    internal int Queued
    {
        get { lock (_sync) return _queued; }
    }

    /// <summary>Takes <paramref name="weight"/> permits if that is possible without waiting.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal bool TryTake(int weight, out Permit permit)
    {
        lock (_sync)
        {
            AssertInvariants();
            if (CanTakeNow(weight))
            {
                _available -= weight;
                PermitWaiter node = Rent(weight);
                node.State = PermitWaiter.Held;
                permit = new Permit(node, node.Stamp);
                return true;
            }
        }
        permit = default;
        return false;
    }

    /// <summary>Takes permits, waiting asynchronously in FIFO order when none are free.</summary>
    /// <param name="weight">The number of permits.</param>
    /// <param name="cancellationToken">Cancels the wait.</param>
    /// <param name="cancelledFirst">
    /// true (every public API): a token already cancelled fails the request even when permits
    /// are free, the library's rule for pre-cancelled tokens. false (a scope's concurrency
    /// limit, whose token is the scope's): a free slot is taken, and the scope decides whether
    /// the child runs.
    /// </param>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal ValueTask<Permit> TakeAsync(int weight, CancellationToken cancellationToken, bool cancelledFirst = true)
    {
        if (cancelledFirst && cancellationToken.IsCancellationRequested)
        {
            return ValueTask.FromCanceled<Permit>(cancellationToken);
        }

        PermitWaiter waiter;
        short version;
        lock (_sync)
        {
            AssertInvariants();
            if (CanTakeNow(weight))
            {
                _available -= weight;
                PermitWaiter node = Rent(weight);
                node.State = PermitWaiter.Held;
                return new ValueTask<Permit>(new Permit(node, node.Stamp));
            }
            if (cancellationToken.IsCancellationRequested)
                return ValueTask.FromCanceled<Permit>(cancellationToken);
            waiter = Rent(weight);
            waiter.IsSync = false;
            waiter.PrepareAsync();
            version = waiter.AsyncVersion;
            Enqueue(waiter, cancellationToken);
        }

        if (AbandonedAfterFault(waiter, WaitPath.PermitAsync) is { } failure)
        {
            return ValueTask.FromException<Permit>(failure);
        }

        return new ValueTask<Permit>(waiter, version);
    }

    /// <summary>
    /// The fault-injection point of the asynchronous path, whose node is queued and armed by
    /// now (Enqueue registers the cancellation callback). Returns the failure once the request
    /// is abandoned, or null when it goes on.
    /// </summary>
    private Exception? AbandonedAfterFault(PermitWaiter waiter, WaitPath path)
    {
        try
        {
            WaitFaults.Hit(path, WaitStage.Registered);
            WaitFaults.Hit(path, WaitStage.Armed);
            return null;
        }
        catch (Exception failure)
        {
            Abandon(waiter);
            return failure;
        }
    }

    /// <summary>
    /// The failure exit of a queued request (an exception after it was queued, a thread
    /// interrupt while blocked): it leaves the queue, or, if it was granted meanwhile, gives
    /// the permits straight back, so a failed request neither holds nor blocks any permit.
    /// The node is poisoned rather than pooled: a granter or the cancellation callback may
    /// still be finishing with it.
    /// </summary>
    private void Abandon(PermitWaiter waiter)
    {
        PermitWaiter? wake = null;
        bool granted = false;
        lock (_sync)
        {
            waiter.Poisoned = true;
            switch (waiter.State)
            {
                case PermitWaiter.Waiting:
                    // Still queued: removing it (a large head, say) may let others through.
                    Remove(waiter);
                    waiter.State = PermitWaiter.Canceled;
                    wake = GrantOrWake();
                    break;
                case PermitWaiter.Retry:
                    // Woken to retry in barging mode but gone: pass the wake-up on.
                    _woken--;
                    waiter.State = PermitWaiter.Canceled;
                    wake = GrantOrWake();
                    break;
                case PermitWaiter.Held:
                    granted = true;
                    break;
            }

            AssertInvariants();
        }

        Wake(wake);

        // Waits for a cancellation callback that is running (it takes _sync, which we no longer hold).
        waiter.Registration.Dispose();
        if (granted)
        {
            waiter.Release(waiter.Stamp); // poisoned, so not pooled by the release either
        }
    }

    /// <summary>
    /// Takes permits, blocking the thread for at most <paramref name="millisecondsTimeout"/>
    /// (-1 = forever). Returns false on timeout.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal bool Take(int weight, long millisecondsTimeout, CancellationToken cancellationToken, out Permit permit)
    {
        // A token already cancelled wins even when permits are free (see TakeAsync).
        cancellationToken.ThrowIfCancellationRequested();
        lock (_sync)
        {
            AssertInvariants();
            if (CanTakeNow(weight))
            {
                permit = TakeLocked(weight);
                return true;
            }
            if (millisecondsTimeout == 0)
            {
                permit = default;
                return false;
            }
        }

        if (!_fair)
        {
            // Barging mode: spin briefly before queueing; a lock is usually held for a short
            // time, and a thread wake-up costs far more than a few spins.
            var spinner = new SpinWait();
            while (!spinner.NextSpinWillYield)
            {
                spinner.SpinOnce();
                if (Volatile.Read(ref _available) < weight) continue;
                lock (_sync)
                {
                    if (CanTakeNow(weight))
                    {
                        permit = TakeLocked(weight);
                        return true;
                    }
                }
            }
        }

        PermitWaiter waiter;
        lock (_sync)
        {
            if (CanTakeNow(weight))
            {
                permit = TakeLocked(weight);
                return true;
            }
            waiter = Rent(weight);
            waiter.IsSync = true;
            Enqueue(waiter, cancellationToken);
        }

        try
        {
            return WaitQueued(waiter, weight, millisecondsTimeout, cancellationToken, out permit);
        }
        catch
        {
            Abandon(waiter);
            throw;
        }
    }

    /// <summary>The blocking wait of a queued request (see <see cref="Take"/>); a failure in here is undone by the caller.</summary>
    private bool WaitQueued(PermitWaiter waiter, int weight, long millisecondsTimeout, CancellationToken cancellationToken, out Permit permit)
    {
        WaitFaults.Hit(WaitPath.PermitBlocking, WaitStage.Registered);
        WaitFaults.Hit(WaitPath.PermitBlocking, WaitStage.Armed);

        long deadline = millisecondsTimeout < 0 ? 0 : Environment.TickCount64 + millisecondsTimeout;
        bool tookItself = false;
        while (true)
        {
            if (!WaitForSignal(waiter, millisecondsTimeout >= 0, deadline))
            {
                // The deadline passed without a signal. If the node is still queued, the wait is
                // ours to end. Otherwise a granter, the cancellation callback or a barging
                // wake-up changed the state first and is about to signal: wait for that, so
                // that it has stopped touching the node before we use (and maybe recycle) it.
                PermitWaiter? expired = null;
                bool timedOut = false;
                lock (_sync)
                {
                    if (waiter.State == PermitWaiter.Waiting)
                    {
                        // Removing a large head may let others through.
                        Remove(waiter);
                        waiter.State = PermitWaiter.TimedOut;
                        expired = GrantOrWake();
                        timedOut = true;
                    }
                }

                if (timedOut)
                {
                    Wake(expired);
                    break;
                }

                WaitForSignal(waiter, timed: false, 0);
            }

            PermitWaiter? wake = null;
            bool again = false;
            lock (_sync)
            {
                switch (waiter.State)
                {
                    case PermitWaiter.Retry:
                        // Woken in barging mode: compete for the permits like a newcomer.
                        _woken--;
                        if (_available >= weight)
                        {
                            _available -= weight;
                            waiter.State = PermitWaiter.Held;
                            tookItself = true;
                            wake = GrantOrWake(); // more may fit (several readers)
                        }
                        else if (cancellationToken.IsCancellationRequested)
                        {
                            waiter.State = PermitWaiter.Canceled;
                            wake = GrantOrWake(); // pass the wake-up on
                        }
                        else
                        {
                            EnqueueFront(waiter); // keeps its place and its QueuedAt
                            again = true;
                        }
                        break;
                }
            }
            Wake(wake);
            if (!again) break;
        }

        int state = waiter.State;
        if (state == PermitWaiter.TimedOut || (tookItself || state == PermitWaiter.Canceled) && waiter.Registration != default)
        {
            // We finished the wait ourselves, so nobody unregistered the callback yet.
            if (!waiter.Registration.Unregister() && waiter.Registration != default)
                waiter.Poisoned = true; // the callback ran or is running: never reuse this node
        }
        if (state == PermitWaiter.TimedOut)
        {
            ReturnToPool(waiter);
            permit = default;
            return false;
        }
        if (state == PermitWaiter.Canceled)
            throw new OperationCanceledException(waiter.CancelToken);
        permit = new Permit(waiter, waiter.Stamp);
        return true;
    }

    /// <summary>
    /// Blocks on the node's monitor until <see cref="PermitWaiter.Signaled"/> (or the deadline,
    /// when <paramref name="timed"/>). The signalling party sets the flag and pulses under the
    /// node's monitor, and we test it under the same monitor, so the pulse cannot be lost. We
    /// never take _sync while holding the node's monitor (lock order: _sync before node).
    /// </summary>
    private static bool WaitForSignal(PermitWaiter waiter, bool timed, long deadline)
    {
        lock (waiter)
        {
            while (Volatile.Read(ref waiter.Signaled) == 0)
            {
                int wait = -1;
                if (timed)
                {
                    long left = deadline - Environment.TickCount64;
                    if (left <= 0) return false;
                    wait = (int)Math.Min(left, int.MaxValue);
                }
                Monitor.Wait(waiter, wait);
            }
            return true;
        }
    }

    /// <summary>Ends a blocking wait: the caller's last touch of <paramref name="node"/> (see <see cref="PermitWaiter.Signaled"/>).</summary>
    private static void SignalSync(PermitWaiter node)
    {
        lock (node)
        {
            node.Signaled = 1;
            Monitor.PulseAll(node);
        }
    }

    private Permit TakeLocked(int weight)
    {
        _available -= weight;
        PermitWaiter node = Rent(weight);
        node.State = PermitWaiter.Held;
        return new Permit(node, node.Stamp);
    }

    /// <summary>Called by <see cref="Permit.Dispose"/> exactly once per grant.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal void Release(PermitWaiter node)
    {
        PermitWaiter? wake;
        lock (_sync)
        {
            AssertInvariants();
            _available += node.Weight;
            node.State = PermitWaiter.Idle;
            ReturnToPoolLocked(node);
            wake = GrantOrWake();
        }
        Wake(wake);
    }

    /// <summary>Cancellation callback of a queued request.</summary>
    internal void Cancel(PermitWaiter node)
    {
        PermitWaiter? wake;
        lock (_sync)
        {
            if (node.State != PermitWaiter.Waiting) return; // granted or timed out first
            Remove(node);
            node.State = PermitWaiter.Canceled;
            // The registration has fired, so it can no longer be unregistered; a canceled
            // node is simply not reused.
            node.Poisoned = true;
            wake = GrantOrWake();
        }
        if (node.IsSync)
        {
            SignalSync(node);
        }
        else
        {
            node.SetCanceled();
        }
        Wake(wake);
    }

    /// <summary>Whether a newcomer may take <paramref name="weight"/> permits now (under _sync).</summary>
    private bool CanTakeNow(int weight)
        => _available >= weight && (_head is null || (!_fair && !IsStarving(_head)));

    private static bool IsStarving(PermitWaiter head)
        => Stopwatch.GetTimestamp() - head.QueuedAt > s_starvationTicks;

    /// <summary>
    /// After permits were freed: grant in FIFO order (fair mode, async head, or a starving
    /// head), or wake one blocking head to retry (barging mode). Under _sync.
    /// </summary>
    private PermitWaiter? GrantOrWake()
    {
        PermitWaiter? head = _head;
        if (head is null) return null;
        if (_fair || !head.IsSync || IsStarving(head)) return GrantQueued();
        if (_woken > 0 || head.Weight > _available) return null; // a woken waiter is already on its way
        Remove(head);
        head.State = PermitWaiter.Retry;
        head.NextToWake = null;
        _woken++;
        return head;
    }

    private void EnqueueFront(PermitWaiter waiter)
    {
        waiter.State = PermitWaiter.Waiting;
        waiter.Signaled = 0; // the wake-up that brought it here has finished with the node
        waiter.Prev = null;
        waiter.Next = _head;
        if (_head is null) _tail = waiter; else _head.Prev = waiter;
        _head = waiter;
        _queued++;
    }

    private void Enqueue(PermitWaiter waiter, CancellationToken cancellationToken)
    {
        waiter.QueuedAt = Stopwatch.GetTimestamp();
        waiter.State = PermitWaiter.Waiting;
        waiter.Signaled = 0;
        waiter.Prev = _tail;
        waiter.Next = null;
        if (_tail is null) _head = waiter; else _tail.Next = waiter;
        _tail = waiter;
        _queued++;
        if (cancellationToken.CanBeCanceled)
        {
            waiter.CancelToken = cancellationToken;
            // Registered under _sync so that the granter, which reads Registration after
            // dequeuing under _sync, always sees it. If the token was canceled meanwhile,
            // the callback runs right here on this thread and re-enters _sync (Monitor is
            // re-entrant); it then dequeues the node itself.
            try
            {
                waiter.Registration = cancellationToken.UnsafeRegister(
                    static s => { var n = (PermitWaiter)s!; n.Owner.Cancel(n); }, waiter);
            }
            catch
            {
                // Registering failed after the node was linked: unlink it again (the callback
                // cannot have run, or it would have unlinked it itself).
                if (waiter.State == PermitWaiter.Waiting)
                {
                    Remove(waiter);
                    waiter.State = PermitWaiter.Canceled;
                }

                waiter.Poisoned = true;
                throw;
            }
        }
    }

    private void Remove(PermitWaiter node)
    {
        if (node.Prev is null) _head = node.Next; else node.Prev.Next = node.Next;
        if (node.Next is null) _tail = node.Prev; else node.Next.Prev = node.Prev;
        node.Prev = node.Next = null;
        _queued--;
    }

    /// <summary>
    /// Grants queued requests from the head while the head fits (strict FIFO: a head that
    /// does not fit blocks everyone behind it). Returns the granted nodes, chained through
    /// <see cref="PermitWaiter.NextToWake"/>, to be completed after _sync is released.
    /// </summary>
    private PermitWaiter? GrantQueued()
    {
        PermitWaiter? first = null, last = null;
        while (_head is { } head && head.Weight <= _available)
        {
            Remove(head);
            _available -= head.Weight;
            head.State = PermitWaiter.Held;
            head.NextToWake = null;
            if (last is null) first = head; else last.NextToWake = head;
            last = head;
        }
        return first;
    }

    /// <summary>Completes granted nodes; runs outside _sync.</summary>
    private static void Wake(PermitWaiter? node)
    {
        while (node is not null)
        {
            PermitWaiter next = node.NextToWake!;
            node.NextToWake = null;
            if (node.State == PermitWaiter.Retry)
            {
                // Barging mode: not granted, only woken; the registration stays in place.
                SignalSync(node);
                node = next;
                continue;
            }
            // If the cancellation callback is already running it will find State == Held
            // and do nothing; but then the node must not be pooled (the callback still
            // references it and would cancel a future request on the same node).
            if (node.Registration != default && !node.Registration.Unregister())
                node.Poisoned = true;
            // The last touch: a blocking waiter may return, release and recycle the node as
            // soon as it sees the signal, and an async one as soon as its continuation runs.
            if (node.IsSync)
            {
                SignalSync(node);
            }
            else
            {
                node.SetGranted();
            }
            node = next;
        }
    }

    private PermitWaiter Rent(int weight)
    {
        PermitWaiter? node = _pool;
        if (node is not null)
        {
            _pool = node.Next;
            node.Next = null;
            _pooled--;
        }
        else
        {
            node = new PermitWaiter(this);
        }
        node.Weight = weight;
        node.Registration = default;
        node.CancelToken = default;
        node.IsSync = false;
        return node;
    }

    private void ReturnToPool(PermitWaiter node)
    {
        lock (_sync) ReturnToPoolLocked(node);
    }

    private void ReturnToPoolLocked(PermitWaiter node)
    {
        if (node.Poisoned || _pooled >= MaxPooled) return;
        node.State = PermitWaiter.Idle;
        node.Next = _pool;
        _pool = node;
        _pooled++;
    }

    [Conditional("DEBUG")]
    private void AssertInvariants()
    {
        Debug.Assert(Monitor.IsEntered(_sync));
        Debug.Assert(_available >= 0 && _available <= Capacity, "available out of range");
        Debug.Assert((_head is null) == (_tail is null) && (_head is null) == (_queued == 0), "queue links");
        Debug.Assert(!_fair || _head is null || _head.Weight > _available, "a fitting head was left queued");
        Debug.Assert(_woken >= 0, "woken count below zero");
    }
}
