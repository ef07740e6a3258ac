// Scope: the std::thread::scope shape for blocking, CPU-bound work. Children run on the
// thread pool (measured faster than dedicated threads by orders of magnitude for short
// children, see docs/scopes.md and bench/README.md). Run blocks until the body and every
// child finished, so children may use the caller's locals: they cannot outlive the call.
//
// Children reach the pool through the scope's own run queue (ChildRunQueue, as for the task
// scope): a FIFO of ready children drained by a few pool work items, with a runner always on
// its way while children wait, so a blocked child never strands its siblings.
//
// Join and the final wait never simply block while a child is still queued: a child is
// claimed with a compare-exchange by whoever runs it first (a runner, a joiner, or the body's
// thread). When the body returns, its thread drains the run queue itself, running every child
// nobody has started yet, before it blocks for the running ones. So a scope nested inside a
// pool thread never waits for its own children to reach the front of the pool's queue (which
// could take the pool's slow thread injection, or forever). A dequeued child is no longer
// referenced by the queue, so finished children are collectable during a long body.
// (Until session 4 each child was its own pool work item and was also pushed on an intrusive
// stack that the body's thread took at the end; the stack needed pruning, and the pushes a
// compare-exchange of an object reference per spawn. bench/README.md, "Session 4: spawn".)
using System.Runtime.ExceptionServices;

using System.Runtime.CompilerServices;

namespace ConcurrencySafety;

/// <summary>
/// A scope for blocking parallel work, like Rust's <c>std::thread::scope</c>:
/// <c>Scope.Run(s => { s.Spawn(() => ...); })</c> returns only after every spawned child has
/// finished, so children may safely use the caller's local data.
/// </summary>
/// <remarks>
/// <para>Children run on the thread pool. <see cref="JoinHandle{T}.Join"/> returns a child's
/// result, or rethrows its exception; a child that has not started yet is run inline by the
/// joining thread.</para>
/// <para><b>Failures.</b> A failure that was observed through <c>Join</c> is the caller's to
/// handle and is not reported again (as in Rust). Every other failure (the body's, and those
/// of children nobody joined) is rethrown from <c>Run</c> after all children have finished: a
/// single failure is rethrown unchanged; several are thrown as one
/// <see cref="AggregateException"/>, in the order they happened. There is no cancellation:
/// siblings of a failed child run to completion (use a <see cref="CancellationToken"/> of your
/// own, or <see cref="TaskScope"/>, when they should stop).</para>
/// <para>Do not block a child on another child that has not been spawned yet, and keep
/// children short and CPU-bound; use <see cref="TaskScope"/> for I/O.</para>
/// </remarks>
public sealed class Scope
{
    /// <summary>The body and the unfinished children; ended is final (see LiveCount.cs).
    /// Padded: spawners and finishing children write different cache lines.</summary>
    private LiveCount _live;

    /// <summary>Ready children, drained by pool runners, and by the body's thread once the body has returned.</summary>
    private readonly ChildRunQueue _runQueue = new();

    /// <summary>Guards <see cref="_failures"/>; also the monitor the body's thread waits on.</summary>
    private readonly object _gate = new();

    /// <summary>Failed children and the body's failure, in order (null until the first).</summary>
    private List<object>? _failures;

    private Scope()
    {
    }

    /// <summary>Runs <paramref name="body"/> and blocks until it and every child it spawned have finished.</summary>
    /// <param name="body">Spawns children into the scope it receives.</param>
    /// <exception cref="ArgumentNullException"><paramref name="body"/> is null.</exception>
    public static void Run(Action<Scope> body)
    {
        ArgumentNullException.ThrowIfNull(body);
        var scope = new Scope();
        try
        {
            body(scope);
        }
        catch (Exception e)
        {
            scope.AddFailure(e);
        }
        scope.Finish();
    }

    /// <summary>Runs <paramref name="body"/>, waits for every child, and returns the body's result.</summary>
    /// <typeparam name="T">The result type.</typeparam>
    /// <param name="body">Spawns children into the scope it receives and computes the result.</param>
    /// <returns>The body's result.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="body"/> is null.</exception>
    public static T Run<T>(Func<Scope, T> body)
    {
        ArgumentNullException.ThrowIfNull(body);
        var scope = new Scope();
        T result = default!;
        try
        {
            result = body(scope);
        }
        catch (Exception e)
        {
            scope.AddFailure(e);
        }
        scope.Finish();
        return result;
    }

    /// <summary>Spawns a child that runs <paramref name="work"/> on the thread pool.</summary>
    /// <param name="work">The child's work.</param>
    /// <returns>The join handle.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="work"/> is null.</exception>
    /// <exception cref="InvalidOperationException">The scope has ended.</exception>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public JoinHandle Spawn([RunsConcurrently] Action work)
    {
        ArgumentNullException.ThrowIfNull(work);
        Enter();
        var child = new ThreadChild<VoidResult>(this, work);
        _runQueue.Enqueue(child);
        return new JoinHandle(child);
    }

    /// <summary>Spawns a child that computes a result on the thread pool.</summary>
    /// <typeparam name="T">The result type.</typeparam>
    /// <param name="work">The child's work.</param>
    /// <returns>The join handle; <see cref="JoinHandle{T}.Join"/> returns the result.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="work"/> is null.</exception>
    /// <exception cref="InvalidOperationException">The scope has ended.</exception>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public JoinHandle<T> Spawn<T>([RunsConcurrently] Func<T> work)
    {
        ArgumentNullException.ThrowIfNull(work);
        Enter();
        var child = new ThreadChild<T>(this, work);
        _runQueue.Enqueue(child);
        return new JoinHandle<T>(child);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void Enter()
    {
        if (!_live.TryJoin())
            throw new InvalidOperationException(
                "This Scope has ended: Scope.Run has returned, so nothing can be spawned into it any more. " +
                "Spawn inside the body passed to Scope.Run (or from one of its children).");
    }

    private void AddFailure(object failure)
    {
        lock (_gate) (_failures ??= new List<object>(1)).Add(failure);
    }

    /// <summary>Called by a child after it published its outcome.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal void ChildFinished(object child, bool failed)
    {
        if (failed) AddFailure(child);
        // Only a child that finishes after the body can end the scope, so the body's thread is
        // in Finish: it waits (or is about to) on the gate for the end, re-checked under the
        // lock, so this pulse under the same lock cannot be lost.
        if (_live.ChildLeft())
        {
            lock (_gate) Monitor.PulseAll(_gate);
        }
    }

    /// <summary>The body returned: wait for the children, then report failures.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void Finish()
    {
        // Run every child nobody has started yet, here, in spawn order (a child a runner or a
        // joiner claimed first is skipped by its claim).
        while (_runQueue.TryRunOne())
        {
        }

        // The body's participation ends. If children are still running, the last of them ends
        // the scope (LiveCount's Dekker handshake makes sure one of us does) and pulses the gate.
        bool interrupted = false;
        if (!_live.BodyFinished())
        {
            // Running children may still spawn siblings: help with those while spinning.
            var spinner = new SpinWait();
            while (!_live.HasEnded && !spinner.NextSpinWillYield)
            {
                if (!_runQueue.TryRunOne()) spinner.SpinOnce();
            }
            interrupted = WaitForEnd();
        }

        try
        {
            ThrowUnobservedFailures();
        }
        finally
        {
            // Re-raised only now, once every child has ended and the failures are collected:
            // the thread's next blocking call throws it, as it would have thrown here.
            if (interrupted) Thread.CurrentThread.Interrupt();
        }
    }

    /// <summary>
    /// Blocks until the last child ends the scope. An interrupt of the body's thread
    /// (<see cref="Thread.Interrupt"/>) does not end the wait: a scope never returns while a
    /// child runs. Returns true if one arrived, for the caller to re-raise.
    /// </summary>
    private bool WaitForEnd() => Uninterruptible.WaitUntil(_gate, this, static scope => scope._live.HasEnded); // the scope, not its LiveCount: that is a struct, and a copy would never end

    /// <summary>Throws the failures nobody observed (the body's, and thread children's not seen through Join).</summary>
    private void ThrowUnobservedFailures()
    {
        List<Exception>? unobserved = null;
        lock (_gate)
        {
            if (_failures is null) return;
            foreach (object f in _failures)
            {
                Exception? e = f switch
                {
                    Exception body => body,
                    IThreadChild child => child.TakeUnobservedFailure(),
                    _ => null,
                };
                if (e is not null) (unobserved ??= new List<Exception>(1)).Add(e);
            }
        }
        if (unobserved is null) return;
        if (unobserved.Count == 1) ExceptionDispatchInfo.Throw(unobserved[0]);
        throw new AggregateException(unobserved);
    }
}

internal interface IThreadChild
{
    /// <summary>The child's exception if nobody observed it through Join (then it is marked observed).</summary>
    Exception? TakeUnobservedFailure();
}

internal sealed class ThreadChild<T> : IThreadPoolWorkItem, IThreadChild
{
    private const int Queued = 0, Running = 1, Done = 2;

    private readonly Scope _scope;
    private Delegate? _work;
    private int _state;

    /// <summary>Set (full fence) by a joiner before it blocks on this object's monitor.</summary>
    private int _hasJoiner;

    /// <summary>1 once the failure was handed out (by Join or by the scope), so it is reported once.</summary>
    private int _observed;

    private T? _result;
    private Exception? _exception;

    internal ThreadChild(Scope scope, Delegate work)
    {
        _scope = scope;
        _work = work;
    }

    internal bool IsFinished => Volatile.Read(ref _state) == Done;

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    void IThreadPoolWorkItem.Execute()
    {
        // A runner runs many children on one pool thread, and children of a thread scope get
        // the pool thread's context, not the spawner's (as with UnsafeQueueUserWorkItem): put
        // the context back if the child changed it (set an AsyncLocal), so that its siblings
        // do not see the change. (A joiner or the body's thread running the child inline keeps
        // what it changes, as with any method call.)
        ExecutionContext? before = ExecutionContext.Capture();
        try
        {
            TryRunInline();
        }
        finally
        {
            if (before is not null && !ReferenceEquals(ExecutionContext.Capture(), before)) ExecutionContext.Restore(before);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void TryRunInline()
    {
        // Whoever claims the child first runs it: a pool thread, a joiner or the scope owner.
        if (Volatile.Read(ref _state) == Queued && Interlocked.CompareExchange(ref _state, Running, Queued) == Queued) RunClaimed();
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void RunClaimed()
    {
        Delegate work = _work!;
        _work = null;
        try
        {
            if (work is Func<T> f) _result = f();
            else ((Action)work)();
        }
        catch (Exception e)
        {
            _exception = e;
        }
        Interlocked.Exchange(ref _state, Done);
        if (Volatile.Read(ref _hasJoiner) != 0)
        {
            lock (this) Monitor.PulseAll(this);
        }
        _scope.ChildFinished(this, _exception is not null);
    }

    internal T Join()
    {
        if (Volatile.Read(ref _state) != Done)
        {
            if (Interlocked.CompareExchange(ref _state, Running, Queued) == Queued)
            {
                RunClaimed(); // not started yet: run it here instead of waiting for it
            }
            else
            {
                var spinner = new SpinWait();
                while (Volatile.Read(ref _state) != Done && !spinner.NextSpinWillYield) spinner.SpinOnce();
                if (Volatile.Read(ref _state) != Done)
                {
                    Interlocked.Exchange(ref _hasJoiner, 1);
                    lock (this)
                    {
                        while (Volatile.Read(ref _state) != Done) Monitor.Wait(this);
                    }
                }
            }
        }
        if (_exception is not null)
        {
            Interlocked.Exchange(ref _observed, 1);
            ExceptionDispatchInfo.Throw(_exception);
        }
        return _result!;
    }

    public Exception? TakeUnobservedFailure()
        => Interlocked.Exchange(ref _observed, 1) == 0 ? _exception : null;
}

/// <summary>Handle of a child spawned with <see cref="Scope.Spawn(Action)"/>.</summary>
public readonly struct JoinHandle
{
    private readonly ThreadChild<VoidResult>? _child;

    internal JoinHandle(ThreadChild<VoidResult> child) => _child = child;

    private ThreadChild<VoidResult> Child => _child ?? throw new InvalidOperationException(
        "This JoinHandle is a default value; obtain join handles from Scope.Spawn.");

    /// <summary>Gets a value indicating whether the child has finished.</summary>
    public bool IsFinished => Child.IsFinished;

    /// <summary>Waits for the child (running it here if it has not started) and rethrows its exception, if any.</summary>
    /// <remarks>A failure rethrown here counts as handled: <see cref="Scope.Run(Action{Scope})"/> does not rethrow it again.</remarks>
    public void Join() => Child.Join();
}

/// <summary>Handle of a child spawned with <see cref="Scope.Spawn{T}(Func{T})"/>.</summary>
/// <typeparam name="T">The result type.</typeparam>
public readonly struct JoinHandle<T>
{
    private readonly ThreadChild<T>? _child;

    internal JoinHandle(ThreadChild<T> child) => _child = child;

    private ThreadChild<T> Child => _child ?? throw new InvalidOperationException(
        "This JoinHandle is a default value; obtain join handles from Scope.Spawn.");

    /// <summary>Gets a value indicating whether the child has finished.</summary>
    public bool IsFinished => Child.IsFinished;

    /// <summary>Waits for the child (running it here if it has not started) and returns its result or rethrows its exception.</summary>
    /// <returns>The child's result.</returns>
    /// <remarks>A failure rethrown here counts as handled: <see cref="Scope.Run(Action{Scope})"/> does not rethrow it again.</remarks>
    public T Join() => Child.Join();
}
