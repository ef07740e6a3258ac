namespace ConcurrencySafety;

/// <summary>
/// A child task spawned into a <see cref="TaskScope"/>. <c>await handle.JoinAsync()</c> waits for
/// it (any number of times); the scope joins it in any case.
/// </summary>
/// <remarks>
/// The handle is deliberately not awaitable itself: the C# compiler warns (CS4014) about every
/// discarded awaitable result in an async method, and discarding the handle is the normal way
/// to spawn into a scope, which joins the child anyway.
/// A child that failed rethrows its exception from <c>JoinAsync</c>; a child stopped by the
/// scope's cancellation is canceled. A failure observed this way is still reported by the scope
/// (the same exception object, counted once), as in Kotlin: catch inside the child, or use
/// <see cref="TaskScope.RunSupervisedAsync(Func{TaskScope, Task}, CancellationToken)"/>, to
/// handle a failure locally.
/// </remarks>
public readonly struct ChildTask
{
    private readonly ScopeChild<VoidResult>? _child;

    internal ChildTask(ScopeChild<VoidResult> child) => _child = child;

    private ScopeChild<VoidResult> Child => _child ?? throw new InvalidOperationException(
        "This ChildTask is a default value; obtain child tasks from TaskScope.Spawn.");

    /// <summary>Gets a value indicating whether the child has finished (in any way).</summary>
    public bool IsCompleted => Child.IsCompleted;

    /// <summary>Returns a task that completes like the child: successfully, faulted with the
    /// child's exception, or canceled if the scope's cancellation stopped it.</summary>
    /// <returns>The same task on every call (created on first use).</returns>
    public Task JoinAsync() => Child.GetTask();
}

/// <summary>
/// A child task with a result, spawned into a <see cref="TaskScope"/>.
/// <c>await handle.JoinAsync()</c> returns the result (any number of times).
/// </summary>
/// <typeparam name="T">The result type.</typeparam>
public readonly struct ChildTask<T>
{
    private readonly ScopeChild<T>? _child;

    internal ChildTask(ScopeChild<T> child) => _child = child;

    private ScopeChild<T> Child => _child ?? throw new InvalidOperationException(
        "This ChildTask is a default value; obtain child tasks from TaskScope.Spawn.");

    /// <summary>Gets a value indicating whether the child has finished (in any way).</summary>
    public bool IsCompleted => Child.IsCompleted;

    /// <summary>Returns a task that completes like the child, with its result (faulted with the
    /// child's exception, or canceled if the scope's cancellation stopped it).</summary>
    /// <returns>The same task on every call (created on first use).</returns>
    public Task<T> JoinAsync() => Child.GetTask();
}

/// <summary>Result type of children without a result.</summary>
internal readonly struct VoidResult;
