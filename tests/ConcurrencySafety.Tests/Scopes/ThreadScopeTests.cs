using System;
using System.Collections.Generic;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
namespace ConcurrencySafety.Tests.Scopes;

public sealed class ThreadScopeTests
{
    [Fact]
    public void An_interrupt_of_the_body_thread_waiting_for_children_does_not_end_the_scope_early()
    {
        using var started = new ManualResetEventSlim();
        using var release = new ManualResetEventSlim();
        int childDone = 0;
        int childDoneAtReturn = -1;
        Exception? escaped = null;
        Exception? pendingAfter = null;
        var runner = new Thread(() =>
        {
            try
            {
                Scope.Run(s =>
                {
                    s.Spawn(() =>
                    {
                        started.Set();
                        release.Wait();
                        Volatile.Write(ref childDone, 1);
                    });
                    started.Wait();
                });
            }
            catch (Exception e)
            {
                escaped = e;
            }

            childDoneAtReturn = Volatile.Read(ref childDone);
            try
            {
                Thread.Sleep(1); // throws if the interrupt was re-raised
            }
            catch (ThreadInterruptedException e)
            {
                pendingAfter = e;
            }
        });
        runner.Start();
        Assert.True(started.Wait(TimeSpan.FromSeconds(10)), "the child started");
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(10);
        while ((runner.ThreadState & ThreadState.WaitSleepJoin) == 0 && DateTime.UtcNow < deadline)
        {
            Thread.Sleep(1);
        }

        runner.Interrupt();
        Assert.False(runner.Join(TimeSpan.FromMilliseconds(200)), "Scope.Run returned while its child still ran");
        release.Set();
        Assert.True(runner.Join(TimeSpan.FromSeconds(10)));
        Assert.Null(escaped);
        Assert.Equal(1, childDoneAtReturn);
        Assert.NotNull(pendingAfter); // the interrupt is not swallowed: the next blocking call gets it
    }

    [Fact]
    public void Children_may_borrow_the_callers_stack_data()
    {
        int[] squares = new int[64];
        Scope.Run(s =>
        {
            for (int i = 0; i < squares.Length; i++)
            {
                int k = i;
                s.Spawn(() => { squares[k] = k * k; });
            }
        });
        // Run returned, so every child has written its slot.
        Assert.Equal(Enumerable.Range(0, 64).Select(i => i * i), squares);
    }

    [Fact]
    public void Children_that_block_until_every_sibling_runs_all_get_a_thread()
    {
        // Every child blocks until all 12 have started (the body's thread runs one of them
        // while it waits): no child may be left waiting behind a blocked one.
        const int children = 12;
        ThreadPool.GetMinThreads(out int workers, out int io);
        ThreadPool.SetMinThreads(Math.Max(workers, children + 4), io); // fast thread injection
        try
        {
            using var barrier = new Barrier(children);
            int timedOut = 0;
            Scope.Run(s =>
            {
                for (int i = 0; i < children; i++)
                    s.Spawn(() => { if (!barrier.SignalAndWait(TimeSpan.FromSeconds(30))) Interlocked.Increment(ref timedOut); });
            });
            Assert.Equal(0, timedOut);
        }
        finally
        {
            ThreadPool.SetMinThreads(workers, io);
        }
    }

    [Fact]
    public void Join_returns_the_result_and_Run_returns_the_bodys_result()
    {
        int total = Scope.Run(s =>
        {
            var a = s.Spawn(() => 40);
            var b = s.Spawn(() => 2);
            return a.Join() + b.Join();
        });
        Assert.Equal(42, total);
    }

    [Fact]
    public void Hundred_thousand_spawns_are_all_joined()
    {
        long counter = 0;
        Scope.Run(s =>
        {
            for (int i = 0; i < 100_000; i++) s.Spawn(() => { Interlocked.Increment(ref counter); });
        });
        Assert.Equal(100_000, counter);
    }

    private static readonly AsyncLocal<int> s_childMark = new();

    [Fact]
    public void An_AsyncLocal_value_a_child_sets_is_not_seen_by_its_siblings()
    {
        // Pool runners and the body's thread each run many children one after another on one
        // thread; a value one child sets must not leak into the next (as with one pool work
        // item per child, which the pool resets between items).
        int leaked = 0;
        Scope.Run(s =>
        {
            for (int i = 1; i <= 20_000; i++)
            {
                int id = i;
                s.Spawn(() =>
                {
                    if (s_childMark.Value != 0) Interlocked.Increment(ref leaked);
                    s_childMark.Value = id;
                });
            }
        });
        Assert.Equal(0, leaked);
    }

    [Fact]
    public void A_child_exception_is_rethrown_after_all_children_joined()
    {
        bool slowSiblingDone = false;
        var e = Assert.Throws<InvalidOperationException>(() => Scope.Run(s =>
        {
            s.Spawn(() => { Thread.Sleep(30); Volatile.Write(ref slowSiblingDone, true); });
            s.Spawn(() => throw new InvalidOperationException("child"));
        }));
        Assert.Equal("child", e.Message);
        Assert.True(Volatile.Read(ref slowSiblingDone));
    }

    [Fact]
    public void A_failure_observed_through_Join_is_not_rethrown_by_Run()
    {
        bool caught = false;
        Scope.Run(s =>
        {
            var h = s.Spawn(() => throw new FormatException());
            try { h.Join(); }
            catch (FormatException) { caught = true; }
        });
        Assert.True(caught);
    }

    [Fact]
    public void Several_failures_are_thrown_together()
    {
        var e = Assert.Throws<AggregateException>(() => Scope.Run(s =>
        {
            s.Spawn(() => throw new FormatException());
            s.Spawn(() => throw new FormatException());
            throw new ArgumentException("body");
        }));
        Assert.Equal(3, e.InnerExceptions.Count);
    }

    [Fact]
    public void Spawn_after_Run_returned_throws()
    {
        Scope? leaked = null;
        Scope.Run(s => { leaked = s; });
        var e = Assert.Throws<InvalidOperationException>(() => leaked!.Spawn(() => { }));
        Assert.Contains("ended", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Nested_scopes_on_pool_threads_complete()
    {
        long leaves = 0;
        Scope.Run(s =>
        {
            for (int i = 0; i < 8; i++)
                s.Spawn(() => Scope.Run(inner =>
                {
                    for (int j = 0; j < 8; j++)
                        inner.Spawn(() => Scope.Run(leaf =>
                        {
                            for (int k = 0; k < 8; k++) leaf.Spawn(() => { Interlocked.Increment(ref leaves); });
                        }));
                }));
        });
        Assert.Equal(512, leaves);
    }

    [Fact]
    public void Join_runs_a_child_that_has_not_started_yet()
    {
        // Join claims an unstarted child and runs it inline, so joining never waits for a
        // free pool thread.
        int result = Scope.Run(s =>
        {
            var handles = Enumerable.Range(0, 1000).Select(i => s.Spawn(() => i)).ToArray();
            return handles.Sum(h => h.Join());
        });
        Assert.Equal(999 * 1000 / 2, result);
    }

    [Fact]
    public void Bad_inputs_are_rejected()
    {
        Assert.Throws<ArgumentNullException>(() => Scope.Run(null!));
        Assert.Throws<ArgumentNullException>(() => Scope.Run<int>(null!));
        Scope.Run(s =>
        {
            Assert.Throws<ArgumentNullException>(() => s.Spawn((Action)null!));
            Assert.Throws<ArgumentNullException>(() => s.Spawn((Func<int>)null!));
        });
        Assert.Throws<InvalidOperationException>(() => default(JoinHandle).Join());
        Assert.Throws<InvalidOperationException>(() => default(JoinHandle<int>).IsFinished);
    }
}
