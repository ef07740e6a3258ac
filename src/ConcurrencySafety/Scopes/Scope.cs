// Scope: the std::thread::scope shape for blocking, CPU-bound work. Children run on the
// thread pool (measured faster than dedicated threads by orders of magnitude for short
// children, see docs/scopes.md and bench/README.md). Run blocks until the body and every
// child finished, so children may use the caller's locals: they cannot outlive the call.
//
// Join and the final wait never simply block while a child is still queued: a child is
// claimed with a compare-exchange by whoever runs it first (a pool thread, a joiner, or the
// body's thread). Every spawned child is also pushed on the scope's intrusive stack of
// children; when the body returns, its thread takes the whole stack (one exchange) and runs
// every child nobody has claimed yet, before it blocks for the running ones. So a scope
// nested inside a pool thread never waits for its own children to reach the front of the
// pool's queue (which could take the pool's slow thread injection, or forever). To keep
// finished children collectable, a spawner occasionally prunes the stack down to the children
// nobody has started (amortized: only when it doubled since the last pruning).
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

    /// <summary>Children pushed by Spawn, linked through their Next field (taken by Finish).</summary>
    private IThreadChild? _spawned;

    /// <summary>Pushes since the last pruning (a heuristic: racy increments are harmless).</summary>
    private int _pushesSincePrune;

    /// <summary>Prune when <see cref="_pushesSincePrune"/> exceeds this (doubles with the kept size).</summary>
    private int _pruneThreshold = 1024;

    /// <summary>1 while one thread prunes the stack.</summary>
    private int _pruning;

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
        Push(child);
        ThreadPool.UnsafeQueueUserWorkItem(child, preferLocal: true);
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
        Push(child);
        ThreadPool.UnsafeQueueUserWorkItem(child, preferLocal: true);
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

    /// <summary>Pushes a child on the intrusive stack (lock-free; Finish takes all at once, so no ABA).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void Push(IThreadChild child)
    {
        IThreadChild? head = Volatile.Read(ref _spawned);
        while (true)
        {
            child.Next = head;
            IThreadChild? seen = Interlocked.CompareExchange(ref _spawned, child, head);
            if (ReferenceEquals(seen, head)) break;
            head = seen;
        }
        if (++_pushesSincePrune > _pruneThreshold) Prune();
    }

    /// <summary>
    /// Drops started children from the stack (their threads finish them; only unstarted ones
    /// need the owner's help), so finished children can be collected during a long body.
    /// </summary>
    private void Prune()
    {
        if (Interlocked.Exchange(ref _pruning, 1) != 0) return;
        IThreadChild? chain = Interlocked.Exchange(ref _spawned, null);
        IThreadChild? keptHead = null, keptTail = null;
        int kept = 0;
        for (IThreadChild? c = chain; c is not null;)
        {
            IThreadChild? next = c.Next;
            c.Next = null;
            if (!c.IsStarted)
            {
                if (keptTail is null) keptHead = c; else keptTail.Next = c;
                keptTail = c;
                kept++;
            }
            c = next;
        }
        if (keptHead is not null)
        {
            // Splice the kept children back under whatever was pushed meanwhile.
            IThreadChild? head = Volatile.Read(ref _spawned);
            while (true)
            {
                keptTail!.Next = head;
                IThreadChild? seen = Interlocked.CompareExchange(ref _spawned, keptHead, head);
                if (ReferenceEquals(seen, head)) break;
                head = seen;
            }
        }
        _pushesSincePrune = 0;
        _pruneThreshold = Math.Max(1024, 2 * kept);
        Volatile.Write(ref _pruning, 0);
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
        // Run every child nobody has started yet, here (newest first); children spawned
        // meanwhile by running children are picked up by the next round.
        while (_live.HasLiveChildren && Interlocked.Exchange(ref _spawned, null) is { } chain)
        {
            for (IThreadChild? c = chain; c is not null;)
            {
                IThreadChild? next = c.Next;
                c.Next = null;
                c.TryRunInline();
                c = next;
            }
        }
        Volatile.Write(ref _spawned, null);

        // The body's participation ends. If children are still running, the last of them ends
        // the scope (LiveCount's Dekker handshake makes sure one of us does) and pulses the gate.
        if (!_live.BodyFinished())
        {
            var spinner = new SpinWait();
            while (!_live.HasEnded && !spinner.NextSpinWillYield) spinner.SpinOnce();
            lock (_gate)
            {
                while (!_live.HasEnded) Monitor.Wait(_gate);
            }
        }

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
    /// <summary>Link of the scope's stack of spawned children.</summary>
    IThreadChild? Next { get; set; }

    /// <summary>Runs the child on this thread if nobody has claimed it yet.</summary>
    void TryRunInline();

    /// <summary>Whether a thread has claimed the child (it is running or finished).</summary>
    bool IsStarted { get; }

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

    public IThreadChild? Next { get; set; }

    public bool IsStarted => Volatile.Read(ref _state) != Queued;

    void IThreadPoolWorkItem.Execute() => TryRunInline();

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public void TryRunInline()
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
