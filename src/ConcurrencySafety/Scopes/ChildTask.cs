using System.Runtime.CompilerServices;

namespace ConcurrencySafety;

/// <summary>
/// A child task spawned into a <see cref="TaskScope"/>. Await it (any number of times) to get
/// its completion; the scope joins it in any case.
/// </summary>
/// <remarks>
/// A child that failed rethrows its exception when awaited; a child stopped by the scope's
/// cancellation is canceled. A child whose failure was observed this way is still reported by
/// the scope (with the same exception object, counted once).
/// </remarks>
public readonly struct ChildTask
{
    private readonly ScopeChild<VoidResult>? _child;

    internal ChildTask(ScopeChild<VoidResult> child) => _child = child;

    private ScopeChild<VoidResult> Child => _child ?? throw new InvalidOperationException(
        "This ChildTask is a default value; obtain child tasks from TaskScope.Spawn.");

    /// <summary>Gets a value indicating whether the child has finished (in any way).</summary>
    public bool IsCompleted => Child.IsCompleted;

    /// <summary>Returns a task that completes like the child.</summary>
    /// <returns>The task (created on first use).</returns>
    public Task AsTask() => Child.GetTask();

    /// <summary>Gets an awaiter, so that the child can be awaited directly.</summary>
    /// <returns>The awaiter.</returns>
    public TaskAwaiter GetAwaiter() => AsTask().GetAwaiter();

    /// <summary>Configures how an await on the child continues.</summary>
    /// <param name="continueOnCapturedContext">Whether to continue on the captured context.</param>
    /// <returns>The configured awaitable.</returns>
    public ConfiguredTaskAwaitable ConfigureAwait(bool continueOnCapturedContext)
        => AsTask().ConfigureAwait(continueOnCapturedContext);
}

/// <summary>
/// A child task with a result, spawned into a <see cref="TaskScope"/>. Await it (any number of
/// times) to get the result.
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

    /// <summary>Returns a task that completes like the child, with its result.</summary>
    /// <returns>The task (created on first use).</returns>
    public Task<T> AsTask() => Child.GetTask();

    /// <summary>Gets an awaiter, so that the child can be awaited directly.</summary>
    /// <returns>The awaiter.</returns>
    public TaskAwaiter<T> GetAwaiter() => AsTask().GetAwaiter();

    /// <summary>Configures how an await on the child continues.</summary>
    /// <param name="continueOnCapturedContext">Whether to continue on the captured context.</param>
    /// <returns>The configured awaitable.</returns>
    public ConfiguredTaskAwaitable<T> ConfigureAwait(bool continueOnCapturedContext)
        => AsTask().ConfigureAwait(continueOnCapturedContext);
}

/// <summary>Result type of children without a result.</summary>
internal readonly struct VoidResult;
