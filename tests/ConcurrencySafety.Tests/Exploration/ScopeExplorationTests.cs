// Systematic exploration (issue 13 part B) of a task scope's failure racing Spawn and SpawnAsync
// under MaxConcurrency, with the ControlledScheduler (see ControlledScheduler.cs): 10,000
// schedules per test in the suite, CSA_EXPLORE_ITERATIONS / CSA_EXPLORE_SEED for more or to
// replay one.
//
// What the scheduler controls here: the scope's body is a logical thread that spawns children
// one call at a time (the scope is used from outside its body delegate, which the scope allows:
// the delegate only keeps the body open until that thread is done); each child's work is a
// gate another logical thread opens at a random step, successfully or with the failure. What it
// does not control: a child's start, which the scope dispatches to the thread pool. The checks
// below hold whatever the pool does, so the schedules explore real orderings of spawn, slot
// grant, failure, cancellation and completion, but a pool start is not replayed exactly.
namespace ConcurrencySafety.Tests.Exploration;

public class ScopeExplorationTests
{
    private const int Limit = 2;
    private const int Children = 5;

    /// <summary>The failure a child throws; one instance per schedule, so the scope's report can be compared by reference.</summary>
    private sealed class Boom(int child) : Exception($"child {child} failed");

    /// <summary>
    /// A scope with MaxConcurrency 2 and five children, each spawned by Spawn (queued while no
    /// slot is free) or SpawnAsync (the body waits for a slot), in a mix the seed picks; one
    /// child fails, the others succeed or are cancelled, each at a random step. In every
    /// schedule: the scope ends (no hang); its exception is exactly that failure, listed once;
    /// every SpawnAsync waiter is released (with a handle, or with OperationCanceledException and
    /// its child never runs); no more than two children ever run at once; no child is still
    /// running when the scope has ended; every handle is complete, the failing child's faulted
    /// with the failure.
    /// </summary>
    [Fact]
    public void Failure_racing_spawn_and_spawn_async_under_max_concurrency() => Explore(supervised: false);

    /// <summary>
    /// The same in a supervised scope: the failure cancels nobody, so every child that was
    /// spawned runs to its own end, and the scope reports the one failure in an
    /// AggregateException.
    /// </summary>
    [Fact]
    public void Supervised_failure_racing_spawn_and_spawn_async_under_max_concurrency() => Explore(supervised: true);

    /// <summary>
    /// The same with the limit on a group (<see cref="TaskScope.Limit(int)"/>, a scope without
    /// MaxConcurrency): the group's slots are what the children wait for.
    /// </summary>
    [Fact]
    public void Failure_racing_spawn_and_spawn_async_in_a_limited_group() => Explore(supervised: false, group: true);

    private static void Explore(bool supervised, bool group = false)
    {
        Exploration.Explore((scheduler, seed) =>
        {
            var random = new Random(~seed);
            var failing = random.Next(Children);
            var boom = new Boom(failing);
            var useAsync = Enumerable.Range(0, Children).Select(_ => random.Next(2) == 0).ToArray();
            var gates = Enumerable.Range(0, Children).Select(_ => new TaskCompletionSource()).ToArray();
            var openAt = Enumerable.Range(0, Children).Select(_ => random.Next(12)).ToArray();
            var handles = new ChildTask?[Children];
            var notSpawned = new bool[Children];
            var started = new int[Children];
            var running = 0;
            var maxRunning = 0;
            var bodyDone = new TaskCompletionSource();
            TaskScope? scope = null;

            Func<CancellationToken, Task> Work(int i) => async ct =>
            {
                Interlocked.Increment(ref started[i]);
                var now = Interlocked.Increment(ref running);
                InterlockedMax(ref maxRunning, now);
                try
                {
                    // The child waits for its gate, or stops when the scope is cancelled.
                    using (ct.Register(() => gates[i].TrySetCanceled(ct)))
                    {
                        await gates[i].Task.ConfigureAwait(false);
                    }
                }
                finally
                {
                    Interlocked.Decrement(ref running);
                }
            };

            var options = new TaskScopeOptions { MaxConcurrency = group ? null : Limit };
            LimitedSpawner? spawner = null;
            Func<TaskScope, Task> body = s =>
            {
                scope = s;
                spawner = group ? s.Limit(Limit) : null;
                return bodyDone.Task;
            };
            var scopeTask = supervised ? TaskScope.RunSupervisedAsync(options, body) : TaskScope.RunAsync(options, body);
            Assert.NotNull(scope);

            IEnumerable<bool> Body()
            {
                for (var i = 0; i < Children; i++)
                {
                    if (!useAsync[i])
                    {
                        handles[i] = spawner is null ? scope.Spawn(Work(i)) : spawner.Spawn(Work(i));
                        yield return true;
                        continue;
                    }

                    var index = i;
                    var pending = ControlledScheduler.Start(async () => spawner is null ? await scope.SpawnAsync(Work(index)) : await spawner.SpawnAsync(Work(index)));
                    while (!pending.IsCompleted)
                    {
                        yield return ControlledScheduler.Poll();
                    }

                    try
                    {
                        handles[i] = pending.GetAwaiter().GetResult();
                    }
                    catch (OperationCanceledException)
                    {
                        notSpawned[i] = true; // the scope was cancelled while this waited for a slot
                    }

                    yield return true;
                }

                bodyDone.SetResult();
            }

            IEnumerable<bool> Opener(int i)
            {
                for (var k = openAt[i]; k > 0; k--)
                {
                    yield return true;
                }

                if (i == failing)
                {
                    gates[i].TrySetException(boom);
                }
                else
                {
                    gates[i].TrySetResult();
                }
            }

            IEnumerable<bool> Awaiter()
            {
                while (!scopeTask.IsCompleted)
                {
                    yield return ControlledScheduler.Poll();
                }
            }

            scheduler.Spawn("body", Body());
            for (var i = 0; i < Children; i++)
            {
                scheduler.Spawn("open" + i, Opener(i));
            }

            scheduler.Spawn("await", Awaiter());
            return () =>
            {
                Assert.True(scopeTask.IsFaulted, $"the scope ended {scopeTask.Status}, not with the child's failure");
                var failures = scopeTask.Exception!.InnerExceptions;
                if (supervised)
                {
                    // One AggregateException listing every failure: the one child's.
                    var aggregate = Assert.IsType<AggregateException>(Assert.Single(failures));
                    Assert.Same(boom, Assert.Single(aggregate.InnerExceptions));
                }
                else
                {
                    Assert.Same(boom, Assert.Single(failures));
                }

                Assert.Equal(0, Volatile.Read(ref running));
                Assert.InRange(maxRunning, 1, Limit);
                for (var i = 0; i < Children; i++)
                {
                    // Every SpawnAsync waiter was released one way or the other.
                    Assert.True(handles[i] is not null || notSpawned[i], $"child {i}: neither a handle nor an exception");
                    Assert.True(started[i] <= 1, $"child {i} ran {started[i]} times");
                    if (notSpawned[i])
                    {
                        Assert.False(supervised, "a supervised scope is not cancelled by a child's failure");
                        Assert.Equal(0, started[i]);
                        continue;
                    }

                    var handle = handles[i]!.Value;
                    Assert.True(handle.IsCompleted, $"child {i}'s handle is not complete after the scope ended");
                    var join = handle.JoinAsync();
                    if (i == failing)
                    {
                        Assert.Same(boom, join.Exception?.InnerException);
                    }
                    else if (supervised)
                    {
                        Assert.True(join.IsCompletedSuccessfully, $"child {i} ended {join.Status} in a supervised scope");
                    }
                    else
                    {
                        // Succeeded (its gate opened first), or cancelled by the failure, run or not.
                        Assert.True(join.IsCompletedSuccessfully || join.IsCanceled, $"child {i} ended {join.Status}");
                    }
                }

                // The failing child ran (nothing else could cancel the scope before its failure).
                Assert.Equal(1, started[failing]);
            };
        });
    }

    private static void InterlockedMax(ref int target, int value)
    {
        int seen;
        while ((seen = Volatile.Read(ref target)) < value && Interlocked.CompareExchange(ref target, value, seen) != seen)
        {
        }
    }
}
