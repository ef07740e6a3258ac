// A limited group of children inside one TaskScope (TaskScope.Limit). The group is only a
// second permit queue: a child of the group first takes a group slot, then (if the scope has a
// MaxConcurrency) a scope slot, and gives both back when it completes (ScopeChild.Complete).
// Everything else (membership, the token, failure and cancellation, the run queue) is the
// scope's own, so a group child behaves exactly like a child spawned on the scope. Slots are
// taken in one order (group, then scope) and never while holding a scope slot, so two groups
// cannot deadlock each other.

namespace ConcurrencySafety;

/// <summary>
/// Spawns children into a <see cref="TaskScope"/> under a limit of their own; made by
/// <see cref="TaskScope.Limit(int)"/>. Only children spawned through this spawner count against
/// its limit; the scope's <see cref="TaskScopeOptions.MaxConcurrency"/>, if any, still caps all
/// children of the scope.
/// </summary>
/// <example>
/// <code>
/// await TaskScope.RunAsync(async scope =>
/// {
///     var downloads = scope.Limit(4);             // at most 4 downloads at once
///     scope.Spawn(ct => ReportProgressAsync(ct)); // not held back by the download limit
///     foreach (var url in urls)
///         await downloads.SpawnAsync(ct => DownloadAsync(url, ct)); // waits for a free slot
/// }, cancellationToken);
/// </code>
/// </example>
public sealed class LimitedSpawner
{
    private readonly TaskScope _scope;
    private readonly PermitQueue _group;

    internal LimitedSpawner(TaskScope scope, PermitQueue group)
    {
        _scope = scope;
        _group = group;
    }

    /// <summary>Gets the most children of this group that run at once.</summary>
    public int MaxConcurrency => _group.Capacity;

    /// <summary>Gets a snapshot of how many children of this group hold a slot (running, or about to run).</summary>
    public int Running => _group.Capacity - _group.Available;

    /// <summary>Gets a snapshot of how many children of this group wait for a slot.</summary>
    public int Waiting => _group.Queued;

    /// <summary>Gets the queue behind the limit (tests).</summary>
    internal PermitQueue Queue => _group;

    /// <summary>Spawns a synchronous child onto the thread pool once the group has a free slot (never blocks).</summary>
    /// <param name="work">The child; receives the scope's token.</param>
    /// <returns>The child's handle.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="work"/> is null.</exception>
    /// <exception cref="InvalidOperationException">The scope has ended.</exception>
    public ChildTask Spawn([RunsConcurrently] Action<CancellationToken> work)
    {
        ArgumentNullException.ThrowIfNull(work);
        _scope.EnterForGroup();
        var child = ScopeChild<VoidResult>.ForAction(_scope, work);
        _scope.SpawnInGroup(child, _group);
        return new ChildTask(child);
    }

    /// <summary>Spawns an asynchronous child once the group has a free slot (never blocks).</summary>
    /// <param name="work">The child; receives the scope's token.</param>
    /// <returns>The child's handle.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="work"/> is null.</exception>
    /// <exception cref="InvalidOperationException">The scope has ended.</exception>
    public ChildTask Spawn([RunsConcurrently] Func<CancellationToken, Task> work)
    {
        ArgumentNullException.ThrowIfNull(work);
        _scope.EnterForGroup();
        var child = ScopeChild<VoidResult>.ForTask(_scope, work);
        _scope.SpawnInGroup(child, _group);
        return new ChildTask(child);
    }

    /// <summary>Spawns an asynchronous child with a result once the group has a free slot (never blocks).</summary>
    /// <typeparam name="T">The result type.</typeparam>
    /// <param name="work">The child; receives the scope's token.</param>
    /// <returns>The child's handle; <c>await handle.JoinAsync()</c> for the result.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="work"/> is null.</exception>
    /// <exception cref="InvalidOperationException">The scope has ended.</exception>
    public ChildTask<T> Spawn<T>([RunsConcurrently] Func<CancellationToken, Task<T>> work)
    {
        ArgumentNullException.ThrowIfNull(work);
        _scope.EnterForGroup();
        var child = ScopeChild<T>.ForTaskOfT(_scope, work);
        _scope.SpawnInGroup(child, _group);
        return new ChildTask<T>(child);
    }

    /// <summary>
    /// Spawns an asynchronous child once the group (and the scope, if it has a limit) has a free
    /// slot, waiting asynchronously for it: backpressure for a producer loop.
    /// </summary>
    /// <param name="work">The child; receives the scope's token.</param>
    /// <returns>The child's handle, once it has its slots.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="work"/> is null.</exception>
    /// <exception cref="InvalidOperationException">The scope has ended.</exception>
    /// <exception cref="OperationCanceledException">The scope was canceled while waiting for a slot; the child was not spawned.</exception>
    public async ValueTask<ChildTask> SpawnAsync([RunsConcurrently] Func<CancellationToken, Task> work)
    {
        ArgumentNullException.ThrowIfNull(work);
        _scope.EnterForGroup();
        var child = ScopeChild<VoidResult>.ForTask(_scope, work);
        await _scope.SpawnInGroupAsync(child, _group).ConfigureAwait(false);
        return new ChildTask(child);
    }

    /// <summary>Spawns an asynchronous child with a result once the group (and the scope) has a free slot, waiting asynchronously for it.</summary>
    /// <typeparam name="T">The result type.</typeparam>
    /// <param name="work">The child; receives the scope's token.</param>
    /// <returns>The child's handle, once it has its slots.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="work"/> is null.</exception>
    /// <exception cref="InvalidOperationException">The scope has ended.</exception>
    /// <exception cref="OperationCanceledException">The scope was canceled while waiting for a slot; the child was not spawned.</exception>
    public async ValueTask<ChildTask<T>> SpawnAsync<T>([RunsConcurrently] Func<CancellationToken, Task<T>> work)
    {
        ArgumentNullException.ThrowIfNull(work);
        _scope.EnterForGroup();
        var child = ScopeChild<T>.ForTaskOfT(_scope, work);
        await _scope.SpawnInGroupAsync(child, _group).ConfigureAwait(false);
        return new ChildTask<T>(child);
    }

    /// <inheritdoc/>
    public override string ToString() =>
        $"LimitedSpawner (limit {MaxConcurrency.ToString(System.Globalization.CultureInfo.InvariantCulture)})";
}
