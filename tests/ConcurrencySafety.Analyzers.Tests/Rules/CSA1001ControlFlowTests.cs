using Verify = ConcurrencySafety.Analyzers.Tests.Verifiers.CSharpAnalyzerVerifier<ConcurrencySafety.Analyzers.Rules.CSA1001CapturedVariableWrittenConcurrentlyAnalyzer>;

namespace ConcurrencySafety.Analyzers.Tests.Rules;

/// <summary>
/// CSA1001 on shapes where the order of the source text and the order of execution disagree:
/// what runs beside a body is decided on the control-flow graph (reachable from the start
/// without passing a join), not by the text between the start and the join. Each catch has its
/// correct twin. The shapes marked "positions" were reported wrongly (or missed) by the former
/// positional window.
/// </summary>
public class CSA1001ControlFlowTests
{
    // A join in a finally that is textually before the access but runs after it: the try of the
    // next iteration runs while the previous iteration's task may still run. (Positions: the only
    // join is before the start, so the window ran to the end of the method and the loop.)
    [Fact]
    public Task Write_in_the_try_before_a_finally_that_joins_the_previous_iteration() => Verify.VerifyAnalyzerAsync("""
        using System.Threading.Tasks;
        class C
        {
            static bool More() => false;
            static void Work() { }

            void M()
            {
                int count = 0;
                Task? t = null;
                while (More())
                {
                    try
                    {
                        {|CSA1001:count|} = 1;
                        Work();
                    }
                    finally
                    {
                        t?.Wait();
                    }

                    t = Task.Run(() => {|CSA1001:count|}++);
                }
            }
        }
        """);

    [Fact]
    public Task Write_after_a_finally_that_joins_the_previous_iteration_is_silent() => Verify.VerifyAnalyzerAsync("""
        using System.Threading.Tasks;
        class C
        {
            static bool More() => false;
            static void Work() { }

            void M()
            {
                int count = 0;
                Task? t = null;
                while (More())
                {
                    try
                    {
                        Work();
                    }
                    finally
                    {
                        t?.Wait();
                    }

                    count = 0;
                    t = Task.Run(() => count++);
                }
            }
        }
        """);

    // goto back to before the start: the start runs again while the first task runs, and the
    // write above it (textually before the start) runs beside the task. (Positions: missed.)
    [Fact]
    public Task Goto_back_to_before_the_start() => Verify.VerifyAnalyzerAsync("""
        using System.Threading.Tasks;
        class C
        {
            void M()
            {
                int count = 0, n = 0;
            again:
                {|CSA1001:count|} = n;
                var t = Task.Run(() => {|CSA1001:count|}++);
                if (++n < 3) goto again;
                t.Wait();
            }
        }
        """);

    [Fact]
    public Task Goto_back_after_the_join_is_silent() => Verify.VerifyAnalyzerAsync("""
        using System.Threading.Tasks;
        class C
        {
            void M()
            {
                int count = 0, n = 0;
            again:
                count = n;
                var t = Task.Run(() => count++);
                t.Wait();
                if (++n < 3) goto again;
            }
        }
        """);

    // break out of the loop skips the join: the code after the loop runs beside the task.
    // (Positions: the join is inside the loop, so the code after it was taken as joined.)
    [Fact]
    public Task Break_out_of_the_loop_skips_the_join() => Verify.VerifyAnalyzerAsync("""
        using System.Threading.Tasks;
        class C
        {
            void M(int[] items)
            {
                int last = 0;
                foreach (var item in items)
                {
                    var t = Task.Run(() => {|CSA1001:last|} = item);
                    if (item < 0) break;
                    t.Wait();
                }

                {|CSA1001:last|} = -1;
            }
        }
        """);

    [Fact]
    public Task Break_after_the_join_is_silent() => Verify.VerifyAnalyzerAsync("""
        using System.Threading.Tasks;
        class C
        {
            void M(int[] items)
            {
                int last = 0;
                foreach (var item in items)
                {
                    var t = Task.Run(() => last = item);
                    t.Wait();
                    if (item < 0) break;
                }

                last = -1;
            }
        }
        """);

    // A start in one branch and a write in the other, exclusive branch never overlap.
    // (Positions: the else branch is between the start and the await, and was reported.)
    [Fact]
    public Task Write_in_the_branch_that_does_not_start_is_silent() => Verify.VerifyAnalyzerAsync("""
        using System.Threading.Tasks;
        class C
        {
            async Task M(bool fast)
            {
                int value = 0;
                Task t;
                if (fast)
                {
                    t = Task.Run(() => value = 1);
                }
                else
                {
                    value = 2;
                    t = Task.CompletedTask;
                }

                await t;
            }
        }
        """);

    [Fact]
    public Task Write_after_the_branches_before_the_await() => Verify.VerifyAnalyzerAsync("""
        using System.Threading.Tasks;
        class C
        {
            async Task M(bool fast)
            {
                int value = 0;
                Task t;
                if (fast)
                {
                    t = Task.Run(() => {|CSA1001:value|} = 1);
                }
                else
                {
                    t = Task.CompletedTask;
                }

                {|CSA1001:value|} = 2;
                await t;
            }
        }
        """);

    // A loop whose join is at its bottom: each iteration's task ends before the next one.
    [Fact]
    public Task Loop_joined_at_its_bottom_is_silent() => Verify.VerifyAnalyzerAsync("""
        using System.Threading.Tasks;
        class C
        {
            void M(int n)
            {
                int total = 0;
                for (var i = 0; i < n; i++)
                {
                    total = i;
                    var t = Task.Run(() => total++);
                    t.Wait();
                }
            }
        }
        """);

    // continue skips the bottom join: the next iteration starts again (several instances) and
    // writes beside the running task. (Positions: the loop holds the join, so it was silent.)
    [Fact]
    public Task Continue_skips_the_join_at_the_loop_bottom() => Verify.VerifyAnalyzerAsync("""
        using System.Threading.Tasks;
        class C
        {
            void M(int n)
            {
                int total = 0;
                for (var i = 0; i < n; i++)
                {
                    {|CSA1001:total|} = i;
                    var t = Task.Run(() => {|CSA1001:total|}++);
                    if (i % 2 == 0) continue;
                    t.Wait();
                }
            }
        }
        """);

    // A return inside a try whose finally joins: the write in the try runs beside the task; the
    // code after the try statement runs only after the finally, on every path.
    [Fact]
    public Task Write_in_a_try_whose_finally_joins() => Verify.VerifyAnalyzerAsync("""
        using System.Threading.Tasks;
        class C
        {
            void M(bool early)
            {
                int state = 0;
                var t = Task.Run(() => {|CSA1001:state|}++);
                try
                {
                    if (early) return;
                    {|CSA1001:state|} = 2;
                }
                finally
                {
                    t.Wait();
                }

                state = 3;
            }
        }
        """);

    [Fact]
    public Task Write_after_a_try_whose_finally_joins_on_every_path_is_silent() => Verify.VerifyAnalyzerAsync("""
        using System.Threading.Tasks;
        class C
        {
            static void Work() { }

            void M(bool early)
            {
                int state = 0;
                var t = Task.Run(() => state++);
                try
                {
                    if (early) return;
                    Work();
                }
                finally
                {
                    t.Wait();
                }

                state = 3;
            }
        }
        """);

    // A write in a catch runs beside the task when something between the start and the join throws.
    [Fact]
    public Task Write_in_a_catch_of_work_between_start_and_join() => Verify.VerifyAnalyzerAsync("""
        using System;
        using System.Threading.Tasks;
        class C
        {
            static void Work() { }

            async Task M()
            {
                int state = 0;
                try
                {
                    var t = Task.Run(() => {|CSA1001:state|}++);
                    Work();
                    await t;
                }
                catch (InvalidOperationException)
                {
                    {|CSA1001:state|} = -1;
                }
            }
        }
        """);

    [Fact]
    public Task Write_in_a_catch_when_nothing_runs_between_start_and_join_is_silent() => Verify.VerifyAnalyzerAsync("""
        using System;
        using System.Threading.Tasks;
        class C
        {
            async Task M()
            {
                int state = 0;
                try
                {
                    await Task.Run(() => state++);
                }
                catch (InvalidOperationException)
                {
                    state = -1;
                }
            }
        }
        """);

    // The Tour's WaitGroupReplacement: async children spawned in a loop inside a scope body, each
    // writing its own array element, then a second scope whose child throws inside a try. The
    // region walk indexed past the graph's blocks here (AD0001 in every race rule); it must
    // analyse it, and report nothing: every write is per child, read after the scope joins.
    [Fact]
    public Task Async_children_spawned_in_a_loop_then_a_failing_scope_in_a_try_analyse_clean() => Verify.VerifyAnalyzerAsync("""
        using System;
        using System.Threading;
        using System.Threading.Tasks;
        using ConcurrencySafety;
        class C
        {
            static async Task M()
            {
                string[] urls = ["a", "bb", "ccc", "dddd"];
                int[] sizes = new int[urls.Length];
                await TaskScope.RunAsync(scope =>
                {
                    for (int i = 0; i < urls.Length; i++)
                    {
                        int index = i;
                        scope.Spawn(async ct =>
                        {
                            await Task.Delay(10, ct);
                            sizes[index] = urls[index].Length;
                        });
                    }
                    return Task.CompletedTask;
                });
                Console.WriteLine(string.Join(", ", sizes));

                try
                {
                    await TaskScope.RunAsync(scope =>
                    {
                        scope.Spawn(async ct => await Task.Delay(Timeout.Infinite, ct));
                        scope.Spawn(async ct =>
                        {
                            await Task.Delay(10, ct);
                            throw new InvalidOperationException("backend down");
                        });
                        return Task.CompletedTask;
                    });
                }
                catch (InvalidOperationException e)
                {
                    Console.WriteLine(e.Message);
                }

                int live = 0, peak = 0;
                await TaskScope.RunAsync(new TaskScopeOptions { MaxConcurrency = 3 }, async scope =>
                {
                    for (int i = 0; i < 12; i++)
                    {
                        await scope.SpawnAsync(async ct =>
                        {
                            int now = Interlocked.Increment(ref live);
                            Max(ref peak, now);
                            await Task.Delay(5, ct);
                            Interlocked.Decrement(ref live);
                        });
                    }
                });
                Console.WriteLine(peak);
            }

            static void Max(ref int target, int value)
            {
                int seen;
                while ((seen = Volatile.Read(ref target)) < value && Interlocked.CompareExchange(ref target, value, seen) != seen)
                {
                }
            }
        }
        """);
}
