using System;
using System.Collections.Generic;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using System.Collections.Concurrent;

namespace ConcurrencySafety.Tests.Scopes;

public sealed class TaskScopeTests
{
    private sealed class ChildFailure(int id) : Exception($"child {id} failed")
    {
        public int Id { get; } = id;
    }

    [Fact]
    public async Task Every_child_finishes_before_RunAsync_returns()
    {
        int live = 0, finished = 0;
        await TaskScope.RunAsync(scope =>
        {
            for (int i = 0; i < 100; i++)
            {
                scope.Spawn(async ct =>
                {
                    Interlocked.Increment(ref live);
                    await Task.Delay(1, ct);
                    Interlocked.Decrement(ref live);
                    Interlocked.Increment(ref finished);
                });
            }
            return Task.CompletedTask; // the body does not wait; the scope does
        });
        Assert.Equal(0, Volatile.Read(ref live));
        Assert.Equal(100, Volatile.Read(ref finished));
    }

    [Fact]
    public async Task Stress_100k_spawns_with_random_failures_and_cancellations_lose_nothing()
    {
        const int Count = 100_000;
        int live = 0;
        var thrown = new ConcurrentDictionary<Exception, byte>();
        ChildTask[] handles = new ChildTask[Count];
        Task run = TaskScope.RunAsync(scope =>
        {
            for (int i = 0; i < Count; i++)
            {
                int id = i;
                int kind = (int)((uint)(id * 2654435761u) % 1000); // deterministic pseudo-random
                handles[i] = scope.Spawn(async ct =>
                {
                    Interlocked.Increment(ref live);
                    try
                    {
                        if (kind < 300) await Task.Yield();
                        if (kind is >= 300 and < 600) ct.ThrowIfCancellationRequested(); // cancelled child
                        if (kind is 999 or 998) // rare failures
                        {
                            var e = new ChildFailure(id);
                            thrown.TryAdd(e, 0);
                            throw e;
                        }
                    }
                    finally
                    {
                        Interlocked.Decrement(ref live);
                    }
                });
            }
            return Task.CompletedTask;
        });
        await Assert.ThrowsAsync<ChildFailure>(() => run);

        Assert.Equal(0, Volatile.Read(ref live));
        Assert.All(handles, h => Assert.True(h.IsCompleted));
        // None lost: the scope reports exactly the failures that were thrown, and the
        // awaited exception is the first one it recorded.
        var reported = run.Exception!.InnerExceptions;
        Assert.Equal(thrown.Keys.ToHashSet(), reported.ToHashSet());
        Assert.NotEmpty(reported);
        var awaited = await Assert.ThrowsAsync<ChildFailure>(() => run);
        Assert.Same(reported[0], awaited);
    }

    [Fact]
    public async Task Supervised_stress_runs_every_child_and_reports_every_failure()
    {
        const int Count = 100_000;
        int ran = 0;
        Task run = TaskScope.RunSupervisedAsync(scope =>
        {
            for (int i = 0; i < Count; i++)
            {
                int id = i;
                scope.Spawn(_ =>
                {
                    Interlocked.Increment(ref ran);
                    if (id % 1000 == 0) throw new ChildFailure(id);
                });
            }
            return Task.CompletedTask;
        });
        var aggregate = await Assert.ThrowsAsync<AggregateException>(() => run);
        Assert.Equal(Count, Volatile.Read(ref ran));
        Assert.Equal(Enumerable.Range(0, Count / 1000).Select(i => i * 1000).ToHashSet(),
            aggregate.InnerExceptions.Cast<ChildFailure>().Select(e => e.Id).ToHashSet());
    }

    [Fact]
    public async Task First_failure_cancels_siblings_and_is_rethrown_after_they_finish()
    {
        bool siblingFinished = false;
        ChildTask sibling = default;
        var siblingStarted = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var failure = new InvalidOperationException("boom");
        var thrown = await Assert.ThrowsAsync<InvalidOperationException>(() => TaskScope.RunAsync(scope =>
        {
            sibling = scope.Spawn(async ct =>
            {
                siblingStarted.SetResult();
                try
                {
                    await Task.Delay(Timeout.Infinite, ct);
                }
                finally
                {
                    await Task.Delay(20, CancellationToken.None); // cleanup takes time; the scope waits
                    Volatile.Write(ref siblingFinished, true);
                }
            });
            scope.Spawn(async _ =>
            {
                await siblingStarted.Task; // a sibling that never started would not run at all
                throw failure;
            });
            return Task.CompletedTask;
        }));
        Assert.Same(failure, thrown);
        Assert.True(Volatile.Read(ref siblingFinished));
        Assert.True(sibling.JoinAsync().IsCanceled); // cancellation-caused, not a failure
    }

    [Fact]
    public async Task Later_failures_are_attached_in_order_after_the_first()
    {
        using var secondStarted = new ManualResetEventSlim();
        Task run = TaskScope.RunAsync(scope =>
        {
            scope.Spawn(_ =>
            {
                secondStarted.Wait(); // both children run before the first failure cancels the scope
                throw new ChildFailure(1);
            });
            scope.Spawn(ct =>
            {
                secondStarted.Set();
                ct.WaitHandle.WaitOne(); // canceled once the first failure is recorded
                throw new ChildFailure(2); // not an OperationCanceledException: a real, later failure
            });
            return Task.CompletedTask;
        });
        var first = await Assert.ThrowsAsync<ChildFailure>(() => run);
        Assert.Equal(1, first.Id);
        Assert.Equal([1, 2], run.Exception!.InnerExceptions.Cast<ChildFailure>().Select(e => e.Id));
    }

    [Fact]
    public async Task A_failure_awaited_and_rethrown_by_the_body_is_reported_once()
    {
        Task run = TaskScope.RunAsync(async scope =>
        {
            var child = scope.Spawn(_ => throw new ChildFailure(7));
            await child.JoinAsync(); // rethrows the same exception object from the body
        });
        await Assert.ThrowsAsync<ChildFailure>(() => run);
        Assert.Single(run.Exception!.InnerExceptions);
    }

    [Fact]
    public async Task Body_failure_cancels_children_and_is_rethrown()
    {
        bool childCanceled = false;
        var started = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await Assert.ThrowsAsync<ArgumentException>(() => TaskScope.RunAsync(async scope =>
        {
            scope.Spawn(async ct =>
            {
                started.SetResult();
                try { await Task.Delay(Timeout.Infinite, ct); }
                catch (OperationCanceledException) { childCanceled = true; throw; }
            });
            await started.Task;
            throw new ArgumentException("body failed");
        }));
        Assert.True(childCanceled);
    }

    [Fact]
    public async Task Supervised_scope_does_not_cancel_siblings()
    {
        bool siblingCompleted = false;
        var aggregate = await Assert.ThrowsAsync<AggregateException>(() => TaskScope.RunSupervisedAsync(scope =>
        {
            scope.Spawn(_ => throw new ChildFailure(1));
            scope.Spawn(async ct =>
            {
                await Task.Delay(50, ct);
                siblingCompleted = true;
            });
            return Task.CompletedTask;
        }));
        Assert.True(siblingCompleted);
        Assert.IsType<ChildFailure>(Assert.Single(aggregate.InnerExceptions));
    }

    [Fact]
    public async Task Results_of_children_and_body_are_returned()
    {
        int sum = await TaskScope.RunAsync(async scope =>
        {
            var a = scope.Spawn(async _ => { await Task.Yield(); return 20; });
            var b = scope.Spawn(_ => Task.FromResult(22));
            return await a.JoinAsync() + await b.JoinAsync();
        });
        Assert.Equal(42, sum);
    }

    [Fact]
    public async Task A_child_handle_can_be_awaited_several_times_and_after_the_scope()
    {
        ChildTask<string> handle = default;
        await TaskScope.RunAsync(async scope =>
        {
            handle = scope.Spawn(async _ => { await Task.Yield(); return "x"; });
            Assert.Equal("x", await handle.JoinAsync());
        });
        Assert.True(handle.IsCompleted);
        Assert.Equal("x", await handle.JoinAsync());
        Assert.Same(handle.JoinAsync(), handle.JoinAsync());
    }

    [Fact]
    public async Task Caller_cancellation_cancels_the_scope_token_and_the_scope()
    {
        using var cts = new CancellationTokenSource();
        var started = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        Task run = TaskScope.RunAsync(async scope =>
        {
            scope.Spawn(async ct =>
            {
                started.SetResult();
                await Task.Delay(Timeout.Infinite, ct);
            });
            await Task.Delay(Timeout.Infinite, scope.Token);
        }, cts.Token);
        await started.Task;
        await cts.CancelAsync();
        var e = await Assert.ThrowsAnyAsync<OperationCanceledException>(() => run);
        Assert.True(run.IsCanceled);
        Assert.Equal(cts.Token, e.CancellationToken);
    }

    [Fact]
    public async Task An_already_canceled_caller_token_does_not_run_the_body()
    {
        bool ran = false;
        Task run = TaskScope.RunAsync(_ => { ran = true; return Task.CompletedTask; }, new CancellationToken(true));
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => run);
        Assert.False(ran);
    }

    [Fact]
    public async Task A_child_OperationCanceledException_without_scope_cancellation_is_a_failure()
    {
        using var own = new CancellationTokenSource();
        await own.CancelAsync();
        Task run = TaskScope.RunAsync(scope =>
        {
            scope.Spawn(_ => own.Token.ThrowIfCancellationRequested()); // its own timeout, say
            return Task.CompletedTask;
        });
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => run);
        Assert.True(run.IsFaulted); // a failure, not a cancellation of the scope
    }

    [Fact]
    public async Task Cancel_stops_the_children_without_failing_the_scope()
    {
        int result = await TaskScope.RunAsync(async scope =>
        {
            scope.Spawn(async ct => await Task.Delay(Timeout.Infinite, ct));
            scope.Spawn(async ct => await Task.Delay(Timeout.Infinite, ct));
            await Task.Yield();
            scope.Cancel();
            return 5;
        });
        Assert.Equal(5, result);
    }

    [Fact]
    public async Task A_child_spawned_after_cancellation_does_not_run()
    {
        bool ran = false;
        ChildTask late = default;
        await TaskScope.RunAsync(scope =>
        {
            scope.Cancel();
            late = scope.Spawn(_ => { ran = true; });
            return Task.CompletedTask;
        });
        Assert.False(ran);
        Assert.True(late.JoinAsync().IsCanceled);
    }

    [Fact]
    public async Task Spawn_after_the_scope_ended_throws_with_a_helpful_message()
    {
        TaskScope? leaked = null;
        await TaskScope.RunAsync(scope => { leaked = scope; return Task.CompletedTask; });
        Assert.True(leaked!.HasEnded);
        var e = Assert.Throws<InvalidOperationException>(() => leaked.Spawn(_ => { }));
        Assert.Contains("ended", e.Message, StringComparison.Ordinal);
        Assert.Contains("TaskScope.RunAsync", e.Message, StringComparison.Ordinal);
        await Assert.ThrowsAsync<InvalidOperationException>(async () => await leaked.SpawnAsync(_ => Task.CompletedTask));
    }

    [Fact]
    public async Task Children_that_block_until_every_sibling_runs_all_get_a_thread()
    {
        // Each child blocks its thread until all 12 have started. A scheduler that let a few
        // runners drain the scope's children one after another would deadlock here; the scope
        // must hand every waiting child to the pool, which adds threads for blocked work.
        const int children = 12;
        ThreadPool.GetMinThreads(out int workers, out int io);
        ThreadPool.SetMinThreads(Math.Max(workers, children + 4), io); // fast thread injection
        try
        {
            using var barrier = new Barrier(children);
            int timedOut = 0;
            await TaskScope.RunAsync(scope =>
            {
                for (int i = 0; i < children; i++)
                {
                    scope.Spawn(_ =>
                    {
                        if (!barrier.SignalAndWait(TimeSpan.FromSeconds(30))) Interlocked.Increment(ref timedOut);
                    });
                }
                return Task.CompletedTask;
            });
            Assert.Equal(0, timedOut);
        }
        finally
        {
            ThreadPool.SetMinThreads(workers, io);
        }
    }

    [Fact]
    public async Task Children_may_spawn_siblings_while_the_scope_is_open()
    {
        int count = 0;
        await TaskScope.RunAsync(scope =>
        {
            scope.Spawn(async _ =>
            {
                await Task.Yield();
                scope.Spawn(_ => Interlocked.Increment(ref count));
                Interlocked.Increment(ref count);
            });
            return Task.CompletedTask;
        });
        Assert.Equal(2, count);
    }

    [Fact]
    public async Task Nested_scopes_link_tokens_and_join_inner_children_first()
    {
        bool innerCanceled = false;
        int order = 0, innerDoneAt = 0, outerDoneAt = 0;
        var innerStarted = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await Assert.ThrowsAsync<ChildFailure>(() => TaskScope.RunAsync(async outer =>
        {
            outer.Spawn(async _ =>
            {
                await innerStarted.Task;
                throw new ChildFailure(0);
            });
            await TaskScope.RunAsync(async inner =>
            {
                inner.Spawn(async ct =>
                {
                    innerStarted.SetResult();
                    try { await Task.Delay(Timeout.Infinite, ct); }
                    catch (OperationCanceledException) { innerCanceled = true; throw; }
                });
                await Task.Delay(Timeout.Infinite, inner.Token);
            }, outer.Token).ContinueWith(_ => innerDoneAt = Interlocked.Increment(ref order), TaskScheduler.Default);
            outerDoneAt = Interlocked.Increment(ref order);
        }));
        Assert.True(innerCanceled);
        Assert.True(innerDoneAt < outerDoneAt);
    }

    [Fact]
    public async Task A_limit_of_3_is_never_exceeded()
    {
        int live = 0, max = 0;
        var threeInside = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await TaskScope.RunAsync(new TaskScopeOptions { MaxConcurrency = 3 }, scope =>
        {
            for (int i = 0; i < 200; i++)
            {
                scope.Spawn(async _ =>
                {
                    int now = Interlocked.Increment(ref live);
                    int seen;
                    while ((seen = Volatile.Read(ref max)) < now) Interlocked.CompareExchange(ref max, now, seen);
                    if (now == 3) threeInside.TrySetResult();
                    // The first three wait for each other (the limit is reached); a limit below 3 times out.
                    await threeInside.Task.WaitAsync(TimeSpan.FromSeconds(10));
                    await Task.Yield();
                    Interlocked.Decrement(ref live);
                });
            }
            return Task.CompletedTask;
        });
        Assert.Equal(3, max);
        Assert.Equal(0, live);
    }

    [Fact]
    public async Task SpawnAsync_waits_for_a_free_slot()
    {
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await TaskScope.RunAsync(new TaskScopeOptions { MaxConcurrency = 1 }, async scope =>
        {
            await scope.SpawnAsync(_ => gate.Task);
            ValueTask<ChildTask<int>> second = scope.SpawnAsync(_ => Task.FromResult(2));
            await Task.Delay(20);
            Assert.False(second.IsCompleted); // backpressure: no slot yet
            gate.SetResult();
            Assert.Equal(2, await (await second).JoinAsync());
        });
    }

    [Fact]
    public async Task Queued_children_are_canceled_when_the_scope_fails()
    {
        int ran = 0;
        await Assert.ThrowsAsync<ChildFailure>(() => TaskScope.RunAsync(new TaskScopeOptions { MaxConcurrency = 1 }, scope =>
        {
            scope.Spawn(async _ => { await Task.Delay(10); throw new ChildFailure(0); });
            for (int i = 0; i < 10; i++) scope.Spawn(_ => Interlocked.Increment(ref ran));
            return Task.CompletedTask;
        }));
        Assert.Equal(0, ran);
    }

    [Fact]
    public async Task AsyncLocal_values_flow_into_children()
    {
        var local = new AsyncLocal<string>();
        local.Value = "outer";
        string? seen = await TaskScope.RunAsync(async scope => await scope.Spawn(_ => Task.FromResult(local.Value)).JoinAsync());
        Assert.Equal("outer", seen);
    }

    [Fact]
    public async Task Bad_inputs_are_rejected()
    {
        // Argument errors are thrown by the call itself, not through the returned task.
        Assert.Throws<ArgumentNullException>(() => { _ = TaskScope.RunAsync(null!); });
        Assert.Throws<ArgumentNullException>(() => { _ = TaskScope.RunAsync<int>(null!); });
        Assert.Throws<ArgumentNullException>(() => { _ = TaskScope.RunSupervisedAsync(null!); });
        Assert.Throws<ArgumentNullException>(() => { _ = TaskScope.RunAsync(null!, _ => Task.CompletedTask); });
        Assert.Throws<ArgumentOutOfRangeException>(() => { _ = TaskScope.RunAsync(new TaskScopeOptions { MaxConcurrency = 0 }, _ => Task.CompletedTask); });
        Assert.Throws<ArgumentOutOfRangeException>(() => { _ = TaskScope.RunSupervisedAsync(new TaskScopeOptions { MaxConcurrency = -1 }, _ => Task.CompletedTask); });
        Assert.Throws<ArgumentNullException>(() => { _ = TaskScope.RunAsync<int>(null!, _ => Task.FromResult(1)); });
        await TaskScope.RunAsync(async scope =>
        {
            Assert.Throws<ArgumentNullException>(() => scope.Spawn((Action<CancellationToken>)null!));
            Assert.Throws<ArgumentNullException>(() => scope.Spawn((Func<CancellationToken, Task>)null!));
            Assert.Throws<ArgumentNullException>(() => scope.Spawn((Func<CancellationToken, Task<int>>)null!));
            await Assert.ThrowsAsync<ArgumentNullException>(async () => await scope.SpawnAsync((Func<CancellationToken, Task>)null!));
            await Assert.ThrowsAsync<ArgumentNullException>(async () => await scope.SpawnAsync((Func<CancellationToken, Task<int>>)null!));
        });
        Assert.Throws<InvalidOperationException>(() => { _ = default(ChildTask).JoinAsync(); });
        Assert.Throws<InvalidOperationException>(() => default(ChildTask<int>).IsCompleted);
    }

    [Fact]
    public async Task A_null_task_from_the_body_or_a_child_is_a_failure()
    {
        await Assert.ThrowsAsync<InvalidOperationException>(() => TaskScope.RunAsync(_ => null!));
        await Assert.ThrowsAsync<InvalidOperationException>(() => TaskScope.RunAsync(scope =>
        {
            scope.Spawn(_ => (Task)null!);
            return Task.CompletedTask;
        }));
    }

    [Fact]
    public async Task A_body_that_throws_synchronously_still_joins_its_children()
    {
        bool childDone = false;
        using var started = new ManualResetEventSlim();
        await Assert.ThrowsAsync<ChildFailure>(() => TaskScope.RunAsync(scope =>
        {
            scope.Spawn(async _ =>
            {
                started.Set();
                await Task.Delay(20, CancellationToken.None);
                childDone = true;
            });
            started.Wait();
            throw new ChildFailure(0);
        }));
        Assert.True(childDone);
    }
}
