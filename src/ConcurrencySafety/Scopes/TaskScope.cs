// TaskScope: structured concurrency for async code (Kotlin's coroutineScope, Trio's nursery,
// Go's errgroup). A scope counts its live participants: the body plus every child that was
// spawned and has not finished (LiveCount.cs). The scope ends once the body and every child
// have finished; from then on nothing can join it (Enter refuses an ended count), so "no
// child outlives the scope" holds by construction.
using System.Runtime.CompilerServices;

namespace ConcurrencySafety;

/// <summary>
/// A scope for concurrent child tasks: every child spawned into it finishes before
/// <see cref="RunAsync(Func{TaskScope, Task}, CancellationToken)"/> returns, whether the body
/// completes, throws or is canceled.
/// </summary>
/// <remarks>
/// <para><b>Failure.</b> In a normal scope the first failure (of the body or of any child)
/// cancels <see cref="Token"/>, which every child receives, so its siblings stop. Once every
/// child has finished, the scope's task faults: <c>await</c> rethrows the first failure
/// unchanged, and <see cref="Task.Exception"/> of the returned task lists all failures in
/// the order they happened, first one first (the same shape as <see cref="Task.WhenAll(Task[])"/>).
/// No failure is dropped; an exception object seen twice (a child's failure rethrown by a
/// body that awaited it) is listed once. A supervised scope
/// (<see cref="RunSupervisedAsync(Func{TaskScope, Task}, CancellationToken)"/>) does not cancel
/// siblings when a child fails and throws one <see cref="AggregateException"/> listing every
/// failure.</para>
/// <para><b>Cancellation.</b> <see cref="Token"/> is linked to the caller's token and is also
/// canceled by the first failure (normal scopes) or by <see cref="Cancel"/>. An
/// <see cref="OperationCanceledException"/> thrown (by the body or a child) while
/// <see cref="Token"/> is canceled is the expected reaction to that cancellation and is not a
/// failure; the child's handle is then canceled. An <see cref="OperationCanceledException"/>
/// thrown while the scope token is <i>not</i> canceled (for example a child's own timeout) is
/// an ordinary failure. When there is no failure, the scope returns the body's result if the
/// body completed, and is canceled (with the caller's token if that one was canceled) if the
/// body was canceled. A child whose start comes after the scope token was canceled does not
/// run at all; its handle is canceled. The token is not canceled when the scope ends
/// normally.</para>
/// <para><b>Threads.</b> The body starts on the calling thread; children run on the thread
/// pool and receive the spawner's <see cref="ExecutionContext"/> (AsyncLocal values), like
/// <see cref="Task.Run(Func{Task})"/>. A scope may be used from several threads at once
/// (children may spawn siblings), and scopes nest.</para>
/// <example>
/// <code>
/// int[] sizes = await TaskScope.RunAsync(async scope =>
/// {
///     var a = scope.Spawn(ct => client.GetSizeAsync(urlA, ct));
///     var b = scope.Spawn(ct => client.GetSizeAsync(urlB, ct));
///     return new[] { await a.JoinAsync(), await b.JoinAsync() };
/// }, cancellationToken);
/// </code>
/// </example>
/// </remarks>
public sealed class TaskScope
{
    private readonly CancellationTokenSource _cts;
    private readonly CancellationToken _token;
    private readonly CancellationToken _callerToken;
    private readonly bool _supervised;

    /// <summary>Concurrency limit, or null when unlimited.</summary>
    private readonly PermitQueue? _limiter;

    /// <summary>Ready children, drained by a few pool work items (see ChildRunQueue for why not one per child).</summary>
    private readonly ChildRunQueue _runQueue = new();

    /// <summary>Called once, when the live count reaches zero.</summary>
    private readonly IScopeCompletion _completion;

    /// <summary>The body and the children not yet finished; ended is final (see LiveCount.cs).
    /// Padded: spawners and finishing children write different cache lines.</summary>
    private LiveCount _live;

    /// <summary>Guards <see cref="_failures"/>.</summary>
    private readonly object _failureGate = new();

    /// <summary>Failures in the order they were reported (null until the first).</summary>
    private List<Exception>? _failures;

    private TaskScope(CancellationToken callerToken, TaskScopeOptions? options, bool supervised, IScopeCompletion completion)
    {
        _callerToken = callerToken;
        _cts = callerToken.CanBeCanceled
            ? CancellationTokenSource.CreateLinkedTokenSource(callerToken)
            : new CancellationTokenSource();
        _token = _cts.Token;
        _supervised = supervised;
        _completion = completion;
        if (options?.MaxConcurrency is int limit) _limiter = new PermitQueue(limit);
    }

    /// <summary>
    /// Gets the scope's token: canceled when the caller's token is canceled, on the first
    /// failure (not in a supervised scope), or by <see cref="Cancel"/>. Children receive it.
    /// </summary>
    public CancellationToken Token => _token;

    /// <summary>Gets a value indicating whether the scope has ended (no spawn is possible any more).</summary>
    public bool HasEnded => _live.HasEnded;

    /// <summary>Cancels <see cref="Token"/>: asks the body and every child to stop (not a failure).</summary>
    public void Cancel()
    {
        if (HasEnded) return;
        CancelToken();
    }

    // ---------------------------------------------------------------- running a scope

    /// <summary>Runs <paramref name="body"/> in a new scope and waits for it and every child.</summary>
    /// <param name="body">Spawns children into the scope it receives; runs on the calling thread until its first await.</param>
    /// <param name="cancellationToken">The caller's token; the scope token is linked to it.</param>
    /// <returns>A task completing when the body and every child have finished; see the type remarks for failures.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="body"/> is null.</exception>
    public static Task RunAsync(Func<TaskScope, Task> body, CancellationToken cancellationToken = default)
        => Start<VoidResult>(body, null, false, cancellationToken);

    /// <summary>Runs <paramref name="body"/> in a new scope with <paramref name="options"/>.</summary>
    /// <param name="options">Scope options (for example a concurrency limit).</param>
    /// <param name="body">Spawns children into the scope it receives.</param>
    /// <param name="cancellationToken">The caller's token; the scope token is linked to it.</param>
    /// <returns>A task completing when the body and every child have finished.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="options"/> or <paramref name="body"/> is null.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><see cref="TaskScopeOptions.MaxConcurrency"/> is less than 1.</exception>
    public static Task RunAsync(TaskScopeOptions options, Func<TaskScope, Task> body, CancellationToken cancellationToken = default)
        => Start<VoidResult>(body, CheckOptions(options), false, cancellationToken);

    /// <summary>Runs <paramref name="body"/> in a new scope and returns its result once every child has finished.</summary>
    /// <typeparam name="TResult">The body's result type.</typeparam>
    /// <param name="body">Spawns children into the scope it receives and computes the result.</param>
    /// <param name="cancellationToken">The caller's token; the scope token is linked to it.</param>
    /// <returns>The body's result, available after every child has finished.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="body"/> is null.</exception>
    public static Task<TResult> RunAsync<TResult>(Func<TaskScope, Task<TResult>> body, CancellationToken cancellationToken = default)
        => Start<TResult>(body, null, false, cancellationToken);

    /// <summary>Runs <paramref name="body"/> in a new scope with <paramref name="options"/> and returns its result.</summary>
    /// <typeparam name="TResult">The body's result type.</typeparam>
    /// <param name="options">Scope options (for example a concurrency limit).</param>
    /// <param name="body">Spawns children into the scope it receives and computes the result.</param>
    /// <param name="cancellationToken">The caller's token; the scope token is linked to it.</param>
    /// <returns>The body's result, available after every child has finished.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="options"/> or <paramref name="body"/> is null.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><see cref="TaskScopeOptions.MaxConcurrency"/> is less than 1.</exception>
    public static Task<TResult> RunAsync<TResult>(TaskScopeOptions options, Func<TaskScope, Task<TResult>> body, CancellationToken cancellationToken = default)
        => Start<TResult>(body, CheckOptions(options), false, cancellationToken);

    /// <summary>
    /// Runs <paramref name="body"/> in a supervised scope: a failing child does not cancel its
    /// siblings, and every failure is reported in one <see cref="AggregateException"/> once all
    /// children have finished. A failure of the body itself still cancels the children.
    /// </summary>
    /// <param name="body">Spawns children into the scope it receives.</param>
    /// <param name="cancellationToken">The caller's token; the scope token is linked to it.</param>
    /// <returns>A task completing when the body and every child have finished.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="body"/> is null.</exception>
    public static Task RunSupervisedAsync(Func<TaskScope, Task> body, CancellationToken cancellationToken = default)
        => Start<VoidResult>(body, null, true, cancellationToken);

    /// <summary>Runs <paramref name="body"/> in a supervised scope with <paramref name="options"/>.</summary>
    /// <param name="options">Scope options (for example a concurrency limit).</param>
    /// <param name="body">Spawns children into the scope it receives.</param>
    /// <param name="cancellationToken">The caller's token; the scope token is linked to it.</param>
    /// <returns>A task completing when the body and every child have finished.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="options"/> or <paramref name="body"/> is null.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><see cref="TaskScopeOptions.MaxConcurrency"/> is less than 1.</exception>
    public static Task RunSupervisedAsync(TaskScopeOptions options, Func<TaskScope, Task> body, CancellationToken cancellationToken = default)
        => Start<VoidResult>(body, CheckOptions(options), true, cancellationToken);

    private static TaskScopeOptions CheckOptions(TaskScopeOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (options.MaxConcurrency is int limit && limit < 1)
            throw new ArgumentOutOfRangeException(nameof(options), limit,
                "TaskScopeOptions.MaxConcurrency must be at least 1 (or null for no limit).");
        return options;
    }

    private static Task<TResult> Start<TResult>(Delegate body, TaskScopeOptions? options, bool supervised, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(body);
        if (cancellationToken.IsCancellationRequested) return Task.FromCanceled<TResult>(cancellationToken);
        var run = new ScopeRun<TResult>();
        var scope = new TaskScope(cancellationToken, options, supervised, run);
        run.Start(scope, body);
        return run.Task;
    }

    // ---------------------------------------------------------------- spawning

    /// <summary>Spawns a synchronous child onto the thread pool.</summary>
    /// <param name="work">The child; receives <see cref="Token"/>.</param>
    /// <returns>The child's handle.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="work"/> is null.</exception>
    /// <exception cref="InvalidOperationException">The scope has ended.</exception>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public ChildTask Spawn([RunsConcurrently] Action<CancellationToken> work)
    {
        ArgumentNullException.ThrowIfNull(work);
        Enter();
        var child = ScopeChild<VoidResult>.ForAction(this, work);
        Launch(child);
        return new ChildTask(child);
    }

    /// <summary>Spawns an asynchronous child.</summary>
    /// <param name="work">The child; receives <see cref="Token"/>.</param>
    /// <returns>The child's handle.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="work"/> is null.</exception>
    /// <exception cref="InvalidOperationException">The scope has ended.</exception>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public ChildTask Spawn([RunsConcurrently] Func<CancellationToken, Task> work)
    {
        ArgumentNullException.ThrowIfNull(work);
        Enter();
        var child = ScopeChild<VoidResult>.ForTask(this, work);
        Launch(child);
        return new ChildTask(child);
    }

    /// <summary>Spawns an asynchronous child with a result.</summary>
    /// <typeparam name="T">The result type.</typeparam>
    /// <param name="work">The child; receives <see cref="Token"/>.</param>
    /// <returns>The child's handle; <c>await handle.JoinAsync()</c> for the result.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="work"/> is null.</exception>
    /// <exception cref="InvalidOperationException">The scope has ended.</exception>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public ChildTask<T> Spawn<T>([RunsConcurrently] Func<CancellationToken, Task<T>> work)
    {
        ArgumentNullException.ThrowIfNull(work);
        Enter();
        var child = ScopeChild<T>.ForTaskOfT(this, work);
        Launch(child);
        return new ChildTask<T>(child);
    }

    /// <summary>
    /// Spawns an asynchronous child once a concurrency slot is free, waiting asynchronously
    /// for it (backpressure). Without a limit this completes at once.
    /// </summary>
    /// <param name="work">The child; receives <see cref="Token"/>.</param>
    /// <returns>The child's handle, once it has a slot.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="work"/> is null.</exception>
    /// <exception cref="InvalidOperationException">The scope has ended.</exception>
    /// <exception cref="OperationCanceledException">The scope was canceled while waiting for a slot; the child was not spawned.</exception>
    public async ValueTask<ChildTask> SpawnAsync([RunsConcurrently] Func<CancellationToken, Task> work)
    {
        ArgumentNullException.ThrowIfNull(work);
        Enter();
        var child = ScopeChild<VoidResult>.ForTask(this, work);
        await LaunchAfterSlotAsync(child).ConfigureAwait(false);
        return new ChildTask(child);
    }

    /// <summary>Spawns an asynchronous child with a result once a concurrency slot is free.</summary>
    /// <typeparam name="T">The result type.</typeparam>
    /// <param name="work">The child; receives <see cref="Token"/>.</param>
    /// <returns>The child's handle, once it has a slot.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="work"/> is null.</exception>
    /// <exception cref="InvalidOperationException">The scope has ended.</exception>
    /// <exception cref="OperationCanceledException">The scope was canceled while waiting for a slot; the child was not spawned.</exception>
    public async ValueTask<ChildTask<T>> SpawnAsync<T>([RunsConcurrently] Func<CancellationToken, Task<T>> work)
    {
        ArgumentNullException.ThrowIfNull(work);
        Enter();
        var child = ScopeChild<T>.ForTaskOfT(this, work);
        await LaunchAfterSlotAsync(child).ConfigureAwait(false);
        return new ChildTask<T>(child);
    }

    private async ValueTask LaunchAfterSlotAsync<T>(ScopeChild<T> child)
    {
        if (_limiter is null)
        {
            _runQueue.Enqueue(child);
            return;
        }
        Permit slot;
        try
        {
            slot = await _limiter.TakeAsync(1, _token, cancelledFirst: false).ConfigureAwait(false);
        }
        catch
        {
            // Not spawned: the child leaves the scope without running (a live child that never
            // runs would keep the scope from ever ending). The caller, who never got a handle,
            // gets the exception, so the child does not report it a second time.
            child.CompleteWithoutRunning();
            throw;
        }
        child.Slot = slot;
        _runQueue.Enqueue(child);
    }

    /// <summary>Queues the child now, or once a concurrency slot frees up (never blocks).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void Launch<T>(ScopeChild<T> child)
    {
        if (_limiter is null)
        {
            _runQueue.Enqueue(child);
            return;
        }
        ValueTask<Permit> pending = _limiter.TakeAsync(1, _token, cancelledFirst: false);
        if (pending.IsCompletedSuccessfully)
        {
            child.Slot = pending.Result;
            _runQueue.Enqueue(child);
            return;
        }
        LaunchWhenSlotFree(child, pending);
    }

    /// <summary>
    /// Queues the child once its pending scope slot arrives. A method of its own because its
    /// callback captures <paramref name="child"/>: in <see cref="Launch{T}"/> the compiler would
    /// allocate that closure on entry, that is on every spawn, limited or not.
    /// </summary>
    private void LaunchWhenSlotFree<T>(ScopeChild<T> child, ValueTask<Permit> pending)
    {
        // Queued for a slot (FIFO). The child stays live meanwhile; if the scope is canceled
        // first, it completes as canceled without running.
        var awaiter = pending.ConfigureAwait(false).GetAwaiter();
        awaiter.UnsafeOnCompleted(() =>
        {
            Permit slot;
            try
            {
                slot = awaiter.GetResult();
            }
            catch (Exception failure)
            {
                // Cancelled: the child never runs. Any other failure of the slot wait fails
                // the child (and so the scope) rather than escaping on a pool thread.
                child.CompleteWithoutRunning(failure is OperationCanceledException ? null : failure);
                return;
            }
            child.Slot = slot;
            _runQueue.Enqueue(child);
        });
    }

    // ---------------------------------------------------------------- limited groups

    /// <summary>
    /// Creates a spawner whose children count against a limit of their own, on top of the
    /// scope's <see cref="TaskScopeOptions.MaxConcurrency"/> (errgroup's <c>SetLimit</c>, per
    /// group): at most <paramref name="maxConcurrency"/> children spawned through it run at once,
    /// while children spawned on the scope directly, or through another spawner, are not held
    /// back by it.
    /// </summary>
    /// <remarks>
    /// The children belong to this scope like any other: the scope waits for them, their
    /// failure fails (and in a normal scope cancels) the scope, and they receive
    /// <see cref="Token"/>. A child waiting for a group slot counts as live and is cancelled
    /// without running if the scope is cancelled first. Create the spawner once per group
    /// (each call makes a new, independent limit). See docs/scopes.md for why this is a
    /// spawner rather than a nested scope.
    /// </remarks>
    /// <param name="maxConcurrency">The most children of this group that run at once; 1 or more.</param>
    /// <returns>The limited spawner.</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="maxConcurrency"/> is less than 1.</exception>
    /// <exception cref="InvalidOperationException">The scope has ended.</exception>
    public LimitedSpawner Limit(int maxConcurrency)
    {
        if (maxConcurrency < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(maxConcurrency), maxConcurrency, "A group's limit must be 1 or more.");
        }

        if (HasEnded)
        {
            throw new InvalidOperationException("The scope has ended: no child can be spawned into it any more, so a limited spawner would be useless.");
        }

        return new LimitedSpawner(this, new PermitQueue(maxConcurrency));
    }

    /// <summary>Spawns a child of a limited group: it joins the scope now and is queued once it has a group slot and then a scope slot.</summary>
    internal void SpawnInGroup<T>(ScopeChild<T> child, PermitQueue group)
    {
        // The scope's token: a child spawned after the scope was cancelled still gets a slot
        // and is then not run (rule 5), exactly as on the scope itself.
        ValueTask<Permit> pending = group.TakeAsync(1, _token, cancelledFirst: false);
        if (pending.IsCompletedSuccessfully)
        {
            child.GroupSlot = pending.Result;
            Launch(child);
            return;
        }

        LaunchWhenGroupSlotFree(child, pending);
    }

    /// <summary>Launches the child once its pending group slot arrives (its own method for the reason given at <see cref="LaunchWhenSlotFree{T}"/>).</summary>
    private void LaunchWhenGroupSlotFree<T>(ScopeChild<T> child, ValueTask<Permit> pending)
    {
        var awaiter = pending.ConfigureAwait(false).GetAwaiter();
        awaiter.UnsafeOnCompleted(() =>
        {
            Permit slot;
            try
            {
                slot = awaiter.GetResult();
            }
            catch (Exception failure)
            {
                child.CompleteWithoutRunning(failure is OperationCanceledException ? null : failure);
                return;
            }

            child.GroupSlot = slot;
            Launch(child);
        });
    }

    /// <summary>Spawns a child of a limited group once it has a group slot and a scope slot, waiting for both (backpressure).</summary>
    internal async ValueTask SpawnInGroupAsync<T>(ScopeChild<T> child, PermitQueue group)
    {
        try
        {
            child.GroupSlot = await group.TakeAsync(1, _token, cancelledFirst: false).ConfigureAwait(false);
        }
        catch
        {
            child.CompleteWithoutRunning(); // not spawned: the caller gets the exception
            throw;
        }

        await LaunchAfterSlotAsync(child).ConfigureAwait(false);
    }

    /// <summary>Joins the scope for a child of a limited group (see <see cref="Enter"/>).</summary>
    internal void EnterForGroup() => Enter();

    // ---------------------------------------------------------------- membership and failures

    /// <summary>Joins the scope as one more live participant, unless it has ended.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void Enter()
    {
        if (!_live.TryJoin())
            throw new InvalidOperationException(
                "This TaskScope has ended: its body and all its children have finished, so nothing can be spawned into it any more. " +
                "Spawn from inside the scope's body (or from one of its children), or open a new scope with TaskScope.RunAsync.");
    }

    /// <summary>A child finished. If it was the last participant, the scope ends here.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal void Leave()
    {
        if (_live.ChildLeft()) End();
    }

    /// <summary>Records a failure; in a normal scope, the first one cancels the siblings.</summary>
    internal void ReportFailure(Exception exception)
    {
        bool first;
        lock (_failureGate)
        {
            _failures ??= new List<Exception>(1);
            foreach (Exception known in _failures)
                if (ReferenceEquals(known, exception)) return; // the same failure, seen again
            first = _failures.Count == 0;
            _failures.Add(exception);
        }
        // Cancel outside the lock: it runs registered callbacks (user code) synchronously.
        if (first && !_supervised) CancelToken();
    }

    private void CancelToken()
    {
        try
        {
            _cts.Cancel();
        }
        catch (AggregateException e)
        {
            // A callback registered on the scope token threw; that is a failure too.
            foreach (Exception inner in e.InnerExceptions) ReportFailure(inner);
        }
        catch (ObjectDisposedException)
        {
            // The scope ended concurrently (only possible via Cancel from outside).
        }
    }

    internal void BodyFinished(Task body)
    {
        if (body.IsFaulted)
        {
            foreach (Exception e in body.Exception!.InnerExceptions)
            {
                if (e is OperationCanceledException && _token.IsCancellationRequested) continue;
                ReportFailure(e);
                if (_supervised) CancelToken(); // the supervisor itself failed: stop the children
            }
        }
        else if (body.IsCanceled && !_token.IsCancellationRequested)
        {
            ReportFailure(GetCancellationException(body));
            if (_supervised) CancelToken();
        }
        if (_live.BodyFinished()) End();
    }

    private void End()
    {
        Exception[]? failures;
        lock (_failureGate) failures = _failures?.ToArray();
        bool canceled = _token.IsCancellationRequested;
        // Unlink from the caller's token (a linked source registers on it).
        _cts.Dispose();
        if (failures is { Length: > 0 })
        {
            if (_supervised) _completion.Fail([new AggregateException(failures)]);
            else _completion.Fail(failures);
        }
        else
        {
            _completion.Succeed(_callerToken.IsCancellationRequested ? _callerToken : canceled ? _token : default);
        }
    }

    internal static OperationCanceledException GetCancellationException(Task canceledTask)
    {
        try
        {
            canceledTask.GetAwaiter().GetResult();
        }
        catch (OperationCanceledException e)
        {
            return e;
        }
        return new TaskCanceledException(canceledTask);
    }

}

/// <summary>Receives the end of a scope.</summary>
internal interface IScopeCompletion
{
    /// <summary>The scope ended without failure; <paramref name="cancelToken"/> is the token to report if the body was canceled.</summary>
    void Succeed(CancellationToken cancelToken);

    /// <summary>The scope ended with failures (first one first).</summary>
    void Fail(Exception[] failures);
}

/// <summary>The task of one RunAsync call: runs the body, holds its result, completes last.</summary>
internal sealed class ScopeRun<TResult> : TaskCompletionSource<TResult>, IScopeCompletion
{
    private TaskScope? _scope;
    private Task? _body;
    private TResult? _result;
    private bool _bodyCanceled;

    // Continuations of the scope's task run synchronously on the thread that ends the scope
    // (as with Task.WhenAll): that is the last child's thread, and saves a thread-pool hop.
    internal ScopeRun() : base(TaskCreationOptions.None)
    {
    }

    internal void Start(TaskScope scope, Delegate body)
    {
        _scope = scope;
        Task? task;
        try
        {
            task = body is Func<TaskScope, Task<TResult>> withResult
                ? withResult(scope)
                : ((Func<TaskScope, Task>)body)(scope);
        }
        catch (Exception e)
        {
            task = System.Threading.Tasks.Task.FromException(e);
        }
        task ??= System.Threading.Tasks.Task.FromException(new InvalidOperationException("The body of a TaskScope returned a null Task; return Task.CompletedTask instead."));
        if (task.IsCompleted)
        {
            BodyCompleted(task);
        }
        else
        {
            _body = task;
            task.ConfigureAwait(false).GetAwaiter().UnsafeOnCompleted(() => BodyCompleted(_body!));
        }
    }

    private void BodyCompleted(Task task)
    {
        if (task.IsCompletedSuccessfully)
        {
            if (task is Task<TResult> typed) _result = typed.Result;
        }
        else if (task.IsCanceled || (task.IsFaulted && OnlyCancellations(task.Exception!)))
        {
            _bodyCanceled = true;
        }
        _scope!.BodyFinished(task);
    }

    private static bool OnlyCancellations(AggregateException e)
    {
        foreach (Exception inner in e.InnerExceptions)
            if (inner is not OperationCanceledException) return false;
        return true;
    }

    void IScopeCompletion.Succeed(CancellationToken cancelToken)
    {
        if (_bodyCanceled) TrySetCanceled(cancelToken);
        else TrySetResult(_result!);
    }

    void IScopeCompletion.Fail(Exception[] failures) => TrySetException(failures);
}
