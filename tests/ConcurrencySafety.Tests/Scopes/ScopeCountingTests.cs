using System;
using System.Threading;
using System.Threading.Tasks;

namespace ConcurrencySafety.Tests.Scopes;

/// <summary>
/// How both scopes count their live children (LiveCount.cs: joins and finishes counted apart,
/// the end decided once by whoever sees the last one leave), and the task scope's per-child
/// cost. The races here are real threads, so a run explores some interleavings, not all; every
/// assertion holds in every interleaving, and none depends on timing.
/// </summary>
public sealed class ScopeCountingTests
{
    private const int Rounds = 200;

    /// <summary>Most spawns a thread outside the scope makes in one round (keeps a round short even if the scope stays open).</summary>
    private const int MaxOutsideSpawns = 500;

    /// <summary>
    /// A thread outside the body spawns into the scope, in a loop, while the body has already
    /// returned and the scope ends whenever its last child finishes. Every spawn either throws
    /// (the scope has ended) or joins: its child then runs before RunAsync completes. Children
    /// also spawn grandchildren, so joins come from pool threads too.
    /// </summary>
    [Fact]
    public async Task TaskScope_spawns_racing_the_end_either_throw_or_run_before_the_end()
    {
        for (int round = 0; round < Rounds; round++)
        {
            int spawned = 0, ran = 0, ranAfterEnd = 0, scopeReturned = 0;
            Thread? outside = null;
            TaskScope? leaked = null;

            void Child(CancellationToken _)
            {
                if (Volatile.Read(ref scopeReturned) != 0) Interlocked.Increment(ref ranAfterEnd);
                Interlocked.Increment(ref ran);
            }

            await TaskScope.RunAsync(scope =>
            {
                leaked = scope;
                scope.Spawn(_ =>
                {
                    Child(default);
                    // A grandchild, spawned from a pool thread while the scope is open.
                    scope.Spawn(Child);
                    Interlocked.Increment(ref spawned);
                });
                Interlocked.Increment(ref spawned);
                outside = new Thread(() =>
                {
                    for (int i = 0; i < MaxOutsideSpawns; i++)
                    {
                        try
                        {
                            scope.Spawn(Child);
                        }
                        catch (InvalidOperationException)
                        {
                            return; // ended: every later spawn must throw too (checked below)
                        }
                        Interlocked.Increment(ref spawned);
                    }
                });
                outside.Start();
                return Task.CompletedTask; // the body is done; the children keep the scope open
            });
            Volatile.Write(ref scopeReturned, 1);
            outside!.Join();

            Assert.True(leaked!.HasEnded);
            Assert.Throws<InvalidOperationException>(() => leaked.Spawn(Child));
            Assert.Equal(0, Volatile.Read(ref ranAfterEnd));
            // Each successful spawn ran exactly once (none lost, none run after the end).
            Assert.Equal(Volatile.Read(ref spawned), Volatile.Read(ref ran));
        }
    }

    /// <summary>The same race for the thread scope: Run returns only after every child that joined has run.</summary>
    [Fact]
    public void Scope_spawns_racing_the_end_either_throw_or_run_before_Run_returns()
    {
        for (int round = 0; round < Rounds; round++)
        {
            int spawned = 0, ran = 0, ranAfterEnd = 0, runReturned = 0;
            Thread? outside = null;
            Scope? leaked = null;

            void Child()
            {
                if (Volatile.Read(ref runReturned) != 0) Interlocked.Increment(ref ranAfterEnd);
                Interlocked.Increment(ref ran);
            }

            Scope.Run(s =>
            {
                leaked = s;
                s.Spawn(() =>
                {
                    Child();
                    s.Spawn(Child);
                    Interlocked.Increment(ref spawned);
                });
                Interlocked.Increment(ref spawned);
                outside = new Thread(() =>
                {
                    for (int i = 0; i < MaxOutsideSpawns; i++)
                    {
                        try
                        {
                            s.Spawn(Child);
                        }
                        catch (InvalidOperationException)
                        {
                            return;
                        }
                        Interlocked.Increment(ref spawned);
                    }
                });
                outside.Start();
            });
            Volatile.Write(ref runReturned, 1);
            outside!.Join();

            Assert.Throws<InvalidOperationException>(() => leaked!.Spawn(Child));
            Assert.Equal(0, Volatile.Read(ref ranAfterEnd));
            Assert.Equal(Volatile.Read(ref spawned), Volatile.Read(ref ran));
        }
    }

    /// <summary>
    /// JoinAsync called at once after Spawn races the child's completion on a pool thread:
    /// whichever comes first, the handle's task gets the child's outcome, exactly once, and the
    /// handle reports completion once the scope has ended.
    /// </summary>
    [Fact]
    public async Task JoinAsync_racing_the_childs_completion_gets_its_outcome()
    {
        const int children = 20_000;
        var results = new Task<int>[children];
        var handles = new ChildTask<int>[children];
        var failure = new InvalidOperationException("child 7 failed");
        var all = await Assert.ThrowsAsync<AggregateException>(() => TaskScope.RunSupervisedAsync(scope =>
        {
            for (int i = 0; i < children; i++)
            {
                int id = i;
                handles[i] = scope.Spawn(_ => id == 7 ? Task.FromException<int>(failure) : Task.FromResult(id));
                results[i] = handles[i].JoinAsync();
            }
            return Task.CompletedTask;
        }));
        Assert.Same(failure, Assert.Single(all.InnerExceptions));

        for (int i = 0; i < children; i++)
        {
            Assert.True(handles[i].IsCompleted);
            Assert.Same(results[i], handles[i].JoinAsync()); // one task per child
            if (i == 7)
            {
                Assert.Same(failure, (await Assert.ThrowsAsync<InvalidOperationException>(() => results[i])));
            }
            else
            {
                Assert.Equal(i, await results[i]);
            }
        }
    }

    private static readonly AsyncLocal<int> s_childMark = new();

    /// <summary>
    /// A runner runs many children on one pool thread, and a child that runs in the context it
    /// found skips the context switch: a value one child sets must still not leak into the next.
    /// </summary>
    [Fact]
    public void An_AsyncLocal_value_a_child_sets_is_not_seen_by_its_siblings()
    {
        int leaked = 0;
        void RunScope() => TaskScope.RunAsync(scope =>
        {
            for (int i = 1; i <= 20_000; i++)
            {
                int id = i;
                scope.Spawn(_ =>
                {
                    if (s_childMark.Value != 0) Interlocked.Increment(ref leaked);
                    s_childMark.Value = id;
                });
            }
            return Task.CompletedTask;
        }).GetAwaiter().GetResult();

        // From the test's own context (the test framework's AsyncLocal values: the children
        // switch to it), and from a thread in the default context, like a pool thread's (the
        // children skip the switch).
        RunScope();
        Thread spawner;
        using (ExecutionContext.SuppressFlow()) spawner = new Thread(RunScope);
        spawner.Start();
        spawner.Join();
        Assert.Equal(0, leaked);
    }

    /// <summary>
    /// What one child costs the spawning thread: the child object (72 bytes for a child without
    /// a result) plus its share of the scope's run queue. Before session 4 it was about 190
    /// bytes: a 120-byte child and a 48-byte closure that Launch allocated on every spawn
    /// although only the limited path used it. GetAllocatedBytesForCurrentThread is exact for
    /// this thread, so the bound does not depend on timing; the run queue's share depends on
    /// how far the pool lags behind (its segments double, at most about 40 bytes a child).
    /// </summary>
    [Fact]
    public async Task A_spawn_allocates_under_140_bytes_on_the_spawning_thread()
    {
        const int children = 20_000;
        long counter = 0;
        Action<CancellationToken> work = _ => Interlocked.Increment(ref counter);
        double perChild = 0;
        await TaskScope.RunAsync(scope =>
        {
            scope.Spawn(work); // first call outside the measurement
            long before = GC.GetAllocatedBytesForCurrentThread();
            for (int i = 1; i < children; i++) scope.Spawn(work);
            perChild = (GC.GetAllocatedBytesForCurrentThread() - before) / (double)(children - 1);
            return Task.CompletedTask;
        });
        Assert.Equal(children, Interlocked.Read(ref counter));
        Assert.True(perChild < 140, $"{perChild:F1} bytes per spawn");
    }
}
