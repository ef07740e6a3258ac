// ScopeChild<T>: one child of a TaskScope. It is its own thread-pool work item (one
// allocation per spawn besides the user's delegate), and it only creates a Task for its
// handle when somebody asks for one (JoinAsync), so fire-and-forget children cost no Task.
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

    /// <summary>Marks <see cref="_waiter"/> once the outcome is published and no TCS existed.</summary>
    private static readonly object s_completed = new();

    private readonly TaskScope _scope;

    /// <summary>The scope's token, copied so that running children do not read the scope object
    /// (whose live count is written by every spawn and every completion).</summary>
    private readonly CancellationToken _token;

    /// <summary>The user's delegate; cleared when it has run so that captures can be collected.</summary>
    private object? _work;

    private readonly byte _kind;

    /// <summary>Execution context of the spawner (AsyncLocal values flow into children, as with Task.Run).</summary>
    private readonly ExecutionContext? _context;

    /// <summary>
    /// null while running and nobody asked for a task; a TaskCompletionSource once somebody
    /// did; <see cref="s_completed"/> once the outcome is published first. Exchanged atomically
    /// so that the outcome is delivered to a TCS exactly once.
    /// </summary>
    private object? _waiter;

    /// <summary>The async task returned by the delegate, while it is pending.</summary>
    private Task? _pending;

    private T? _result;
    private Exception? _exception;
    private bool _canceled;

    /// <summary>The concurrency-limit slot held while running (default when unlimited).</summary>
    internal Permit Slot;

    /// <summary>The slot of a <see cref="LimitedSpawner"/>'s own limit, held while running (default when spawned on the scope itself).</summary>
    internal Permit GroupSlot;

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal ScopeChild(TaskScope scope, object work, byte kind)
    {
        _scope = scope;
        _token = scope.Token;
        _work = work;
        _kind = kind;
        _context = ExecutionContext.Capture(); // null only when the spawner suppressed flow
    }

    internal static ScopeChild<T> ForAction(TaskScope scope, Action<CancellationToken> work) => new(scope, work, KindAction);

    internal static ScopeChild<T> ForTask(TaskScope scope, Func<CancellationToken, Task> work) => new(scope, work, KindTask);

    internal static ScopeChild<T> ForTaskOfT(TaskScope scope, Func<CancellationToken, Task<T>> work) => new(scope, work, KindTaskOfT);

    internal bool IsCompleted => ReferenceEquals(Volatile.Read(ref _waiter), s_completed) ||
                                 Volatile.Read(ref _waiter) is TaskCompletionSource<T> tcs && tcs.Task.IsCompleted;

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    void IThreadPoolWorkItem.Execute()
    {
        if (_context is null)
        {
            Run();
            return;
        }
        // Run in the spawner's context (AsyncLocal values) and put the thread's own context
        // back afterwards. Restore is cheaper than ExecutionContext.Run, which also saves and
        // restores the SynchronizationContext (pool threads have none).
        ExecutionContext? previous = ExecutionContext.Capture();
        ExecutionContext.Restore(_context);
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
        CancellationToken token = _token;
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
        _pending = task;
        task.ConfigureAwait(false).GetAwaiter().UnsafeOnCompleted(OnPendingCompleted);
    }

    private void OnPendingCompleted()
    {
        Task task = _pending!;
        _pending = null;
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
        if (exception is OperationCanceledException && _token.IsCancellationRequested)
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

        // Publish to the handle first: when the scope ends, every handle is complete.
        object? waiter = Interlocked.Exchange(ref _waiter, s_completed);
        if (waiter is TaskCompletionSource<T> tcs) SetOutcome(tcs);

        if (exception is not null) _scope.ReportFailure(exception);
        Slot.Dispose(); // frees a concurrency slot (no-op when unlimited)
        GroupSlot.Dispose(); // and the group's slot (no-op outside a limited group)
        _scope.Leave();
    }

    private void SetOutcome(TaskCompletionSource<T> tcs)
    {
        if (_canceled)
        {
            tcs.TrySetCanceled(_token);
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
        object? waiter = Volatile.Read(ref _waiter);
        if (waiter is TaskCompletionSource<T> existing) return existing.Task;
        var created = new TaskCompletionSource<T>(TaskCreationOptions.RunContinuationsAsynchronously);
        if (waiter is null)
        {
            object? prev = Interlocked.CompareExchange(ref _waiter, created, null);
            if (prev is null) return created.Task; // Complete will set it
            if (prev is TaskCompletionSource<T> other) return other.Task;
        }
        // Already completed: build the task from the stored outcome and cache it.
        SetOutcome(created);
        object? raced = Interlocked.CompareExchange(ref _waiter, created, s_completed);
        return raced is TaskCompletionSource<T> cached && !ReferenceEquals(raced, s_completed) ? cached.Task : created.Task;
    }
}
