using ConcurrencySafety.Channels;

namespace ConcurrencySafety.Tests.GoErgonomics;

/// <summary>Issue 17, item 8: per-group concurrency limits inside one scope (<see cref="TaskScope.Limit(int)"/>).</summary>
public class LimitedSpawnerTests
{
    private static readonly TimeSpan Long = TimeSpan.FromSeconds(30);

    private static async Task WaitUntil(Func<bool> condition, string what)
    {
        var deadline = DateTime.UtcNow + Long;
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < deadline, "timed out waiting until " + what);
            await Task.Delay(1);
        }
    }

    private static void Raise(ref int max, int value)
    {
        int seen;
        while (value > (seen = Volatile.Read(ref max)) && Interlocked.CompareExchange(ref max, value, seen) != seen)
        {
        }
    }

    [Fact]
    public async Task At_most_the_group_limit_runs_and_the_rest_wait_their_turn()
    {
        int running = 0, peak = 0, done = 0;
        using var gate = new SemaphoreSlim(0);
        LimitedSpawner? group = null;
        var run = TaskScope.RunAsync(async scope =>
        {
            group = scope.Limit(2);
            for (int i = 0; i < 6; i++)
            {
                group.Spawn(async ct =>
                {
                    Raise(ref peak, Interlocked.Increment(ref running));
                    await gate.WaitAsync(ct);
                    Interlocked.Decrement(ref running);
                    Interlocked.Increment(ref done);
                });
            }

            await WaitUntil(() => Volatile.Read(ref running) == 2 && group.Waiting == 4, "two run and four wait");
            Assert.Equal(2, group.Running);
            gate.Release(6);
        });
        await run.WaitAsync(Long);
        Assert.Equal(6, done);
        Assert.Equal(2, peak);
        Assert.Equal(0, group!.Running);
        Assert.Equal(0, group.Waiting);
    }

    [Fact]
    public async Task Children_spawned_on_the_scope_or_another_group_are_not_held_back()
    {
        using var gate = new SemaphoreSlim(0);
        await TaskScope.RunAsync(async scope =>
        {
            var workers = scope.Limit(1);
            var others = scope.Limit(1);
            workers.Spawn(ct => gate.WaitAsync(ct)); // holds the workers' only slot
            await WaitUntil(() => workers.Running == 1, "the worker runs");
            await scope.Spawn(_ => Task.CompletedTask).JoinAsync().WaitAsync(Long);
            await others.Spawn(_ => Task.FromResult(7)).JoinAsync().WaitAsync(Long);
            var queued = workers.Spawn(_ => Task.CompletedTask);
            Assert.Equal(1, workers.Waiting);
            gate.Release();
            await queued.JoinAsync().WaitAsync(Long);
        }).WaitAsync(Long);
    }

    [Fact]
    public async Task The_scope_limit_still_caps_every_child()
    {
        int running = 0, peak = 0;
        using var gate = new SemaphoreSlim(0);
        await TaskScope.RunAsync(new TaskScopeOptions { MaxConcurrency = 1 }, async scope =>
        {
            var group = scope.Limit(3);
            for (int i = 0; i < 3; i++)
            {
                group.Spawn(async ct =>
                {
                    Raise(ref peak, Interlocked.Increment(ref running));
                    await gate.WaitAsync(ct);
                    Interlocked.Decrement(ref running);
                });
            }

            await WaitUntil(() => Volatile.Read(ref running) == 1 && group.Running == 3, "one runs, all three hold a group slot");
            gate.Release(3);
        }).WaitAsync(Long);
        Assert.Equal(1, peak);
    }

    [Fact]
    public async Task SpawnAsync_waits_for_a_group_slot()
    {
        using var gate = new SemaphoreSlim(0);
        await TaskScope.RunAsync(async scope =>
        {
            var group = scope.Limit(1);
            var first = await group.SpawnAsync(ct => gate.WaitAsync(ct));
            var second = group.SpawnAsync(_ => Task.FromResult(2)).AsTask();
            Assert.False(second.IsCompleted); // the only slot is held by the first child
            gate.Release();
            await first.JoinAsync().WaitAsync(Long);
            Assert.Equal(2, await (await second.WaitAsync(Long)).JoinAsync().WaitAsync(Long));
        }).WaitAsync(Long);
    }

    [Fact]
    public async Task A_failing_group_child_fails_the_scope_and_queued_group_children_never_run()
    {
        int ran = 0;
        var failure = new InvalidOperationException("worker failed");
        using var gate = new SemaphoreSlim(0);
        var run = TaskScope.RunAsync(async scope =>
        {
            var group = scope.Limit(1);
            group.Spawn(async ct =>
            {
                await gate.WaitAsync(ct);
                throw failure;
            });
            for (int i = 0; i < 3; i++)
            {
                group.Spawn(_ => Interlocked.Increment(ref ran));
            }

            await WaitUntil(() => group.Waiting == 3, "three queue");
            gate.Release();
        });
        var thrown = await Assert.ThrowsAsync<InvalidOperationException>(() => run.WaitAsync(Long));
        Assert.Same(failure, thrown);
        Assert.Equal(0, ran);
    }

    [Fact]
    public async Task Queued_group_children_of_a_cancelled_scope_complete_cancelled_without_running()
    {
        int ran = 0;
        ChildTask queued = default;
        await TaskScope.RunAsync(async scope =>
        {
            var group = scope.Limit(1);
            group.Spawn(ct => Task.Delay(Timeout.Infinite, ct));
            queued = group.Spawn(_ =>
            {
                Interlocked.Increment(ref ran);
                return Task.CompletedTask;
            });
            await WaitUntil(() => group.Waiting == 1, "the second child queues");
            scope.Cancel();
        }).WaitAsync(Long);
        Assert.Equal(0, ran);
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => queued.JoinAsync());
    }

    [Fact]
    public async Task Bad_limits_and_ended_scopes_are_rejected()
    {
        TaskScope? ended = null;
        await TaskScope.RunAsync(scope =>
        {
            Assert.Equal("maxConcurrency", Assert.Throws<ArgumentOutOfRangeException>(() => scope.Limit(0)).ParamName);
            Assert.Equal(3, scope.Limit(3).MaxConcurrency);
            ended = scope;
            return Task.CompletedTask;
        });
        Assert.Throws<InvalidOperationException>(() => ended!.Limit(1));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task A_group_child_whose_slot_wait_fails_fails_the_scope_instead_of_hanging_it(bool spawnAsync)
    {
        var run = TaskScope.RunAsync(async scope =>
        {
            var group = scope.Limit(1);
            group.Spawn(ct => Task.Delay(Timeout.Infinite, ct)); // holds the group's only slot
            using (WaitFaults.Install((path, _) =>
            {
                if (path == WaitPath.PermitAsync)
                {
                    throw new TimeZoneNotFoundException("injected");
                }
            }))
            {
                if (spawnAsync)
                {
                    await group.SpawnAsync(_ => Task.CompletedTask);
                }
                else
                {
                    group.Spawn(_ => Task.CompletedTask);
                }
            }
        });

        await Assert.ThrowsAsync<TimeZoneNotFoundException>(() => run.WaitAsync(Long));
    }
}
