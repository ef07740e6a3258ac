// ScopeChild<T>: one child of a TaskScope. It is its own thread-pool work item (one
// allocation per spawn besides the user's delegate), and it only creates a Task for its
// handle when somebody asks for one (JoinAsync), so fire-and-forget children cost no Task.
// It is kept small (72 bytes for a child without a result, against 120 before session 4):
// the concurrency-limit slots live in a side object made only for limited children, the
// pending task shares the delegate's field, and the handle's publication is an int state
// (an int exchange is an inline instruction; an exchange of an object reference is a call
// into the runtime).
//
// Life cycle: Spawn -> (optionally waits for a concurrency slot) -> queued on the pool ->
// Execute runs the delegate -> Complete publishes the outcome to the handle, reports a
// failure to the scope, gives back the slot, and finally leaves the scope (the scope can end
// only after this last step, so every handle is complete when RunAsync returns).
using System.Runtime.CompilerServices;

namespace ConcurrencySafety;

internal sealed class ScopeChild<T> : IThreadPoolWorkItem
{
    private const byte KindAction = 0, KindTask = 1, KindTaskOfT = 2;

    /// <summary><see cref="_state"/>: running (or not started), and nobody asked for a task.</summary>
    private const int StateRunning = 0;

    /// <summary><see cref="_state"/>: somebody asked for a task (<see cref="_tcs"/> is set) before the outcome was published.</summary>
    private const int StateTaskRequested = 1;

    /// <summary><see cref="_state"/>: the outcome is published (final).</summary>
    private const int StateCompleted = 2;

    private readonly TaskScope _scope;

    /// <summary>The user's delegate until it runs; then, while it is pending, the task it
    /// returned; then null (so that captures can be collected).</summary>
    private object? _work;

    private readonly byte _kind;

    /// <summary>Execution context of the spawner (AsyncLocal values flow into children, as with Task.Run).</summary>
    private readonly ExecutionContext? _context;

    /// <summary>The handle's task source, made only when somebody calls JoinAsync.</summary>
    private TaskCompletionSource<T>? _tcs;

    /// <summary>
    /// <see cref="StateRunning"/>, <see cref="StateTaskRequested"/> or <see cref="StateCompleted"/>.
    /// The completing thread exchanges it to completed; <see cref="GetTask"/> moves it from
    /// running to requested after publishing <see cref="_tcs"/>. Whichever of the two comes
    /// second completes the task source, so it is completed exactly once.
    /// </summary>
    private int _state;

    private bool _canceled;
    private T? _result;
    private Exception? _exception;

    /// <summary>The slots a limited child holds while it runs; null for a child with no limit (most).</summary>
    private ChildSlots? _slots;

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal ScopeChild(TaskScope scope, object work, byte kind)
    {
        _scope = scope;
        _work = work;
        _kind = kind;
        _context = ExecutionContext.Capture(); // null only when the spawner suppressed flow
    }

    /// <summary>The concurrency-limit slot held while running (set before the child is queued, by the one thread that launches it).</summary>
    internal Permit Slot
    {
        set => (_slots ??= new ChildSlots()).Scope = value;
    }

    /// <summary>The slot of a <see cref="LimitedSpawner"/>'s own limit, held while running (set before the child is launched).</summary>
    internal Permit GroupSlot
    {
        set => (_slots ??= new ChildSlots()).Group = value;
    }

    internal static ScopeChild<T> ForAction(TaskScope scope, Action<CancellationToken> work) => new(scope, work, KindAction);

    internal static ScopeChild<T> ForTask(TaskScope scope, Func<CancellationToken, Task> work) => new(scope, work, KindTask);

    internal static ScopeChild<T> ForTaskOfT(TaskScope scope, Func<CancellationToken, Task<T>> work) => new(scope, work, KindTaskOfT);

    internal bool IsCompleted => Volatile.Read(ref _state) == StateCompleted;

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    void IThreadPoolWorkItem.Execute()
    {
        ExecutionContext? context = _context;
        ExecutionContext? previous = ExecutionContext.Capture();
        if (context is null || ReferenceEquals(context, previous))
        {
            // Flow was suppressed, or the thread already runs in the spawner's context (the
            // default one, with no AsyncLocal values, on both sides in the common case):
            // nothing to switch. A value the child sets stays on this thread, but no sibling
            // sees it: the runner's next child finds the changed context and switches to its
            // own, and the pool resets the thread's context after the runner's work item.
            Run();
            return;
        }
        // Run in the spawner's context (AsyncLocal values) and put the thread's own context
        // back afterwards. Restore is cheaper than ExecutionContext.Run, which also saves and
        // restores the SynchronizationContext (pool threads have none).
        ExecutionContext.Restore(context);
        try
        {
            Run();
        }
        finally
        {
            if (previous is not null) ExecutionContext.Restore(previous);
        }
    }

    /// <summary>Runs the delegate on the current thread.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void Run()
    {
        CancellationToken token = _scope.Token;
        if (token.IsCancellationRequested)
        {
            // Started after the scope was canceled: the delegate does not run (as a coroutine
            // launched into a canceled Kotlin scope).
            Complete(null, canceled: true);
            return;
        }
        object work = _work!;
        _work = null;
        Task? task;
        try
        {
            switch (_kind)
            {
                case KindAction:
                    ((Action<CancellationToken>)work)(token);
                    Complete(null, canceled: false);
                    return;
                case KindTask:
                    task = ((Func<CancellationToken, Task>)work)(token);
                    break;
                default:
                    task = ((Func<CancellationToken, Task<T>>)work)(token);
                    break;
            }
        }
        catch (Exception e)
        {
            Complete(e, canceled: false);
            return;
        }
        if (task is null)
        {
            Complete(new InvalidOperationException("A child delegate of a TaskScope returned a null Task; return Task.CompletedTask instead."), canceled: false);
            return;
        }
        if (task.IsCompleted)
        {
            OnTaskCompleted(task);
            return;
        }
        _work = task;
        task.ConfigureAwait(false).GetAwaiter().UnsafeOnCompleted(OnPendingCompleted);
    }

    private void OnPendingCompleted()
    {
        var task = (Task)_work!;
        _work = null;
        OnTaskCompleted(task);
    }

    private void OnTaskCompleted(Task task)
    {
        if (task.IsCompletedSuccessfully)
        {
            if (_kind == KindTaskOfT) _result = ((Task<T>)task).Result;
            Complete(null, canceled: false);
        }
        else if (task.IsFaulted)
        {
            Complete(task.Exception!.InnerExceptions.Count == 1 ? task.Exception.InnerException! : task.Exception, canceled: false);
        }
        else
        {
            Complete(TaskScope.GetCancellationException(task), canceled: false);
        }
    }

    /// <summary>Completes the child without running it: canceled (its start was canceled), or failed with <paramref name="failure"/> (its start failed).</summary>
    internal void CompleteWithoutRunning(Exception? failure = null)
    {
        _work = null;
        Complete(failure, canceled: failure is null);
    }

    /// <summary>
    /// Publishes the outcome. An <see cref="OperationCanceledException"/> while the scope's
    /// token is canceled counts as cancellation, not failure (see TaskScope remarks).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void Complete(Exception? exception, bool canceled)
    {
        if (exception is OperationCanceledException && _scope.Token.IsCancellationRequested)
        {
            _canceled = true;
            _exception = exception;
            exception = null;
        }
        else
        {
            _canceled = canceled;
            _exception = exception;
        }

        // Publish to the handle first: when the scope ends, every handle is complete. The
        // exchange is a full fence, so the outcome fields above are visible to whoever sees
        // the completed state.
        if (Interlocked.Exchange(ref _state, StateCompleted) == StateTaskRequested) SetOutcome(_tcs!);

        if (exception is not null) _scope.ReportFailure(exception);
        if (_slots is { } slots)
        {
            slots.Scope.Dispose(); // frees a concurrency slot
            slots.Group.Dispose(); // and the group's slot (no-op outside a limited group)
        }
        _scope.Leave();
    }

    private void SetOutcome(TaskCompletionSource<T> tcs)
    {
        if (_canceled)
        {
            tcs.TrySetCanceled(_scope.Token);
        }
        else if (_exception is not null)
        {
            tcs.TrySetException(_exception);
            // The scope reports every failure itself; a handle nobody awaits must not also
            // raise TaskScheduler.UnobservedTaskException.
            _ = tcs.Task.Exception;
        }
        else
        {
            tcs.TrySetResult(_result!);
        }
    }

    internal Task<T> GetTask()
    {
        if (Volatile.Read(ref _tcs) is { } existing) return existing.Task;
        var created = new TaskCompletionSource<T>(TaskCreationOptions.RunContinuationsAsynchronously);
        // One task source per child, whoever calls first: racing callers all return the winner's.
        if (Interlocked.CompareExchange(ref _tcs, created, null) is { } other) return other.Task;
        // Only the winner gets here, once. If the child is still running, announce the task
        // source (the completing thread's exchange then sees it and completes it); if the
        // outcome was published first, the completing thread did not see it, so complete it
        // here from the stored outcome (the exchange that published it was a full fence).
        if (Interlocked.CompareExchange(ref _state, StateTaskRequested, StateRunning) == StateCompleted) SetOutcome(created);
        return created.Task;
    }
}

/// <summary>The concurrency-limit slots of one limited child (see <see cref="ScopeChild{T}"/>).</summary>
internal sealed class ChildSlots
{
    /// <summary>The scope's concurrency-limit slot (default when the scope has no limit).</summary>
    internal Permit Scope;

    /// <summary>The slot of a <see cref="LimitedSpawner"/>'s own limit (default outside a limited group).</summary>
    internal Permit Group;
}
