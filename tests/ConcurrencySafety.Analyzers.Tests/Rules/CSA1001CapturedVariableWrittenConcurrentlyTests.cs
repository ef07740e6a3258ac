using Verify = ConcurrencySafety.Analyzers.Tests.Verifiers.CSharpAnalyzerVerifier<ConcurrencySafety.Analyzers.Rules.CSA1001CapturedVariableWrittenConcurrentlyAnalyzer>;
using Fix = ConcurrencySafety.Analyzers.Tests.Verifiers.CSharpCodeFixVerifier<ConcurrencySafety.Analyzers.Rules.CSA1001CapturedVariableWrittenConcurrentlyAnalyzer, ConcurrencySafety.CodeFixes.CSA1001CapturedVariableWrittenConcurrentlyCodeFix>;

namespace ConcurrencySafety.Analyzers.Tests.Rules;

public class CSA1001CapturedVariableWrittenConcurrentlyTests
{
    [Fact]
    public Task Counter_incremented_by_tasks_started_in_a_loop() => Verify.VerifyAnalyzerAsync("""
        using System.Collections.Generic;
        using System.Threading.Tasks;
        class C
        {
            async Task<int> M()
            {
                int counter = 0;
                var tasks = new List<Task>();
                for (int i = 0; i < 1000; i++)
                {
                    tasks.Add(Task.Run(() => {|CSA1001:counter|}++));
                }
                await Task.WhenAll(tasks);
                return counter;
            }
        }
        """);

    [Fact]
    public Task Counter_incremented_by_threads_started_in_a_loop() => Verify.VerifyAnalyzerAsync("""
        using System.Collections.Generic;
        using System.Threading;
        class C
        {
            int M()
            {
                int counter = 0;
                var threads = new List<Thread>();
                for (int i = 0; i < 10; i++)
                {
                    var t = new Thread(() => { {|CSA1001:counter|} += 1; });
                    t.Start();
                    threads.Add(t);
                }
                foreach (var t in threads) t.Join();
                return counter;
            }
        }
        """);

    [Fact]
    public Task Sum_in_a_Parallel_For_body() => Verify.VerifyAnalyzerAsync("""
        using System.Threading.Tasks;
        class C
        {
            long M(int[] values)
            {
                long sum = 0;
                Parallel.For(0, values.Length, i => { {|CSA1001:sum|} = sum + values[i]; });
                return sum;
            }
        }
        """);

    [Fact]
    public Task Parameter_written_by_PLINQ_ForAll() => Verify.VerifyAnalyzerAsync("""
        using System.Linq;
        class C
        {
            int M(int[] values, int found)
            {
                values.AsParallel().ForAll(v => { if (v > 10) {|CSA1001:found|}++; });
                return found;
            }
        }
        """);

    [Fact]
    public Task Single_task_writes_while_starter_reads_before_join() => Verify.VerifyAnalyzerAsync("""
        using System;
        using System.Threading.Tasks;
        class C
        {
            async Task M()
            {
                string status = "starting";
                var work = Task.Run(() => { {|CSA1001:status|} = "done"; });
                Console.WriteLine(status);
                await work;
            }
        }
        """);

    [Fact]
    public Task Starter_writes_while_task_reads() => Verify.VerifyAnalyzerAsync("""
        using System;
        using System.Threading;
        using System.Threading.Tasks;
        class C
        {
            void M()
            {
                bool stop = false;
                var t = Task.Run(() => { while (!stop) Thread.Sleep(1); });
                {|CSA1001:stop|} = true;
                t.Wait();
            }
        }
        """);

    [Fact]
    public Task Two_tasks_write_the_same_variable() => Verify.VerifyAnalyzerAsync("""
        using System.Threading.Tasks;
        class C
        {
            async Task<int> M()
            {
                int last = 0;
                var a = Task.Run(() => { {|CSA1001:last|} = 1; });
                var b = Task.Run(() => { {|CSA1001:last|} = 2; });
                await Task.WhenAll(a, b);
                return last;
            }
        }
        """);

    [Fact]
    public Task Parallel_Invoke_actions_run_beside_each_other() => Verify.VerifyAnalyzerAsync("""
        using System.Threading.Tasks;
        class C
        {
            int M()
            {
                int total = 0;
                Parallel.Invoke(() => {|CSA1001:total|} += 1, () => {|CSA1001:total|} += 2);
                return total;
            }
        }
        """);

    [Fact]
    public Task Fire_and_forget_task_writes_while_method_goes_on() => Verify.VerifyAnalyzerAsync("""
        using System.Threading.Tasks;
        class C
        {
            int M()
            {
                int result = 0;
                _ = Task.Run(() => {|CSA1001:result|} = 42);
                return result;
            }
        }
        """);

    [Fact]
    public Task Same_local_function_started_twice() => Verify.VerifyAnalyzerAsync("""
        using System.Threading.Tasks;
        class C
        {
            async Task<int> M()
            {
                int hits = 0;
                void Work() { {|CSA1001:hits|}++; }
                var a = Task.Run(Work);
                var b = Task.Run(Work);
                await Task.WhenAll(a, b);
                return hits;
            }
        }
        """);

    [Fact]
    public Task Tasks_made_by_Select_then_awaited() => Verify.VerifyAnalyzerAsync("""
        using System.Linq;
        using System.Threading.Tasks;
        class C
        {
            async Task<int> M()
            {
                int done = 0;
                var tasks = Enumerable.Range(0, 10).Select(_ => Task.Run(() => {|CSA1001:done|}++)).ToArray();
                await Task.WhenAll(tasks);
                return done;
            }
        }
        """);

    [Fact]
    public Task Attributed_spawn_parameter_that_may_run_several_times() => Verify.VerifyAnalyzerAsync("""
        using System;
        using ConcurrencySafety;
        class Pool
        {
            public void RunMany(int count, [RunsConcurrently(MayRunAsSeveralInstances = true)] Action<int> body) { }
        }
        class C
        {
            int M(Pool pool)
            {
                int n = 0;
                pool.RunMany(4, i => {|CSA1001:n|}++);
                return n;
            }
        }
        """);

    [Fact]
    public Task Scope_spawn_writes_while_scope_body_reads() => Verify.VerifyAnalyzerAsync("""
        using System;
        using System.Threading;
        using System.Threading.Tasks;
        using ConcurrencySafety;
        sealed class Scope
        {
            public static Task RunAsync(Func<Scope, Task> body) => body(new Scope());
            public void Spawn([RunsConcurrently] Func<CancellationToken, Task> work) { }
        }
        class C
        {
            async Task<int> M()
            {
                int value = 0;
                await Scope.RunAsync(async scope =>
                {
                    scope.Spawn(async ct => { {|CSA1001:value|} = 1; await Task.Yield(); });
                    Console.WriteLine(value);
                    await Task.Yield();
                });
                return value;
            }
        }
        """);

    [Fact]
    public Task Method_named_in_editorconfig_is_concurrent() => Verify.VerifyAnalyzerAsync("""
        using System;
        namespace N
        {
            static class Workers { public static void Start(Action a) { } }
            class C
            {
                int M()
                {
                    int x = 0;
                    Workers.Start(() => {|CSA1001:x|} = 1);
                    return x;
                }
            }
        }
        """,
        """
        root = true
        [*.cs]
        concurrencysafety.concurrent_methods = N.Workers.Start
        """);

    [Fact]
    public Task Method_named_as_parallel_in_editorconfig_runs_several_instances() => Verify.VerifyAnalyzerAsync("""
        using System;
        namespace N
        {
            static class Workers { public static void Each(int n, Action<int> a) { } }
            class C
            {
                void M()
                {
                    int x = 0;
                    Workers.Each(4, i => {|CSA1001:x|}++);
                }
            }
        }
        """,
        """
        root = true
        [*.cs]
        concurrencysafety.parallel_methods = N.Workers.Each
        """);

    [Fact]
    public Task Other_entry_points_StartNew_ThreadPool_Timer_ForEachAsync_new_Task() => Verify.VerifyAnalyzerAsync("""
        using System;
        using System.Threading;
        using System.Threading.Tasks;
        class C
        {
            async Task<int> M(int[] ids)
            {
                int a = 0, b = 0, c = 0, d = 0, e = 0;
                var t1 = Task.Factory.StartNew(() => { {|CSA1001:a|} = 1; });
                Console.WriteLine(a);
                ThreadPool.QueueUserWorkItem(_ => {|CSA1001:b|} = 2);
                using var timer = new Timer(_ => {|CSA1001:c|}++, null, 0, 10);
                await Parallel.ForEachAsync(ids, async (id, ct) => { {|CSA1001:d|} += id; await Task.Yield(); });
                var t2 = new Task(() => {|CSA1001:e|} = 5);
                t2.Start();
                Console.WriteLine(e);
                await t1;
                await t2;
                return a + b + c + d + e;
            }
        }
        """);

    [Fact]
    public Task Severity_is_configurable_in_editorconfig() => Verify.VerifyAnalyzerAsync("""
        using System.Threading.Tasks;
        class C
        {
            int M()
            {
                int n = 0;
                Parallel.For(0, 4, i => {|#0:n|}++);
                return n;
            }
        }
        """,
        """
        root = true
        [*.cs]
        dotnet_diagnostic.CSA1001.severity = warning
        """,
        new Microsoft.CodeAnalysis.Testing.DiagnosticResult("CSA1001", Microsoft.CodeAnalysis.DiagnosticSeverity.Warning).WithLocation(0)
            .WithArguments("n", "is written by the body passed to 'Parallel.For', which may run as several instances at once"));

    [Fact]
    public Task Thread_started_later_does_not_race_with_code_before_Start() => Verify.VerifyAnalyzerAsync("""
        using System.Threading;
        class C
        {
            int M()
            {
                int value = 0;
                var thread = new Thread(() => value = 1);
                value = 2;
                thread.Start();
                thread.Join();
                return value;
            }
        }
        """);

    // ---- must stay silent ----

    [Fact]
    public Task Interlocked_and_Volatile_are_silent() => Verify.VerifyAnalyzerAsync("""
        using System.Threading;
        using System.Threading.Tasks;
        class C
        {
            int M()
            {
                int counter = 0;
                bool flag = false;
                Parallel.For(0, 100, i => { Interlocked.Increment(ref counter); Volatile.Write(ref flag, true); });
                return counter + (Volatile.Read(ref flag) ? 1 : 0);
            }
        }
        """);

    [Fact]
    public Task Lock_on_the_same_object_is_silent() => Verify.VerifyAnalyzerAsync("""
        using System.Threading.Tasks;
        class C
        {
            private readonly object _gate = new object();
            async Task<int> M()
            {
                int total = 0;
                var t = Task.Run(() => { lock (_gate) { total++; } });
                lock (_gate) { total += 2; }
                await t;
                Parallel.For(0, 10, i => { lock (_gate) { total += i; } });
                return total;
            }
        }
        """);

    [Fact]
    public Task Locals_declared_in_the_body_and_results_by_index_are_silent() => Verify.VerifyAnalyzerAsync("""
        using System.Threading.Tasks;
        class C
        {
            int[] M(int[] input)
            {
                var results = new int[input.Length];
                Parallel.For(0, input.Length, i =>
                {
                    int local = input[i];
                    local *= 2;
                    results[i] = local;
                });
                return results;
            }
        }
        """);

    [Fact]
    public Task Read_only_captures_are_silent() => Verify.VerifyAnalyzerAsync("""
        using System.Linq;
        using System.Threading.Tasks;
        class C
        {
            async Task<int> M(int factor)
            {
                int offset = 3;
                offset += factor;
                var tasks = Enumerable.Range(0, 4).Select(i => Task.Run(() => i * factor + offset)).ToArray();
                var values = await Task.WhenAll(tasks);
                return values.Sum();
            }
        }
        """);

    [Fact]
    public Task Single_task_joined_before_anyone_else_touches_the_variable_is_silent() => Verify.VerifyAnalyzerAsync("""
        using System.Threading;
        using System.Threading.Tasks;
        class C
        {
            async Task<int> M()
            {
                int result = 0;
                var t = Task.Run(() => { result = 42; });
                await t;
                result++;
                int other = 0;
                await Task.Run(() => other = 1);
                other = 2;
                int third = 0;
                var thread = new Thread(() => third = 3);
                thread.Start();
                thread.Join();
                third++;
                int fourth = 0;
                Task.Run(() => fourth = 4).Wait();
                return result + other + third + fourth;
            }
        }
        """);

    [Fact]
    public Task Sequential_lambdas_are_silent() => Verify.VerifyAnalyzerAsync("""
        using System;
        using System.Collections.Generic;
        using System.Linq;
        class C
        {
            int M(List<int> items, int[] array)
            {
                int sum = 0;
                items.ForEach(i => sum += i);
                Array.ForEach(array, i => sum += i);
                int count = 0;
                var odd = items.Where(i => { count++; return i % 2 == 1; }).ToList();
                return sum + count + odd.Count;
            }
        }
        """);

    [Fact]
    public Task Parallel_For_with_local_state_is_silent() => Verify.VerifyAnalyzerAsync("""
        using System.Threading;
        using System.Threading.Tasks;
        class C
        {
            long M(int[] values)
            {
                long total = 0;
                Parallel.For(0, values.Length,
                    () => 0L,
                    (i, state, local) => local + values[i],
                    local => Interlocked.Add(ref total, local));
                return total;
            }
        }
        """);

    [Fact]
    public Task Returned_task_is_silent() => Verify.VerifyAnalyzerAsync("""
        using System.Threading.Tasks;
        class C
        {
            Task<int> M(int seed)
            {
                return Task.Run(() => { seed = seed * 2; return seed; });
            }
        }
        """);

    [Fact]
    public Task Write_before_start_is_silent() => Verify.VerifyAnalyzerAsync("""
        using System;
        using System.Threading.Tasks;
        class C
        {
            async Task M()
            {
                string name = "a";
                name = name + "b";
                var t = Task.Run(() => Console.WriteLine(name));
                await t;
                name = "c";
            }
        }
        """);

    [Fact]
    public Task Foreach_copies_and_per_iteration_locals_are_silent() => Verify.VerifyAnalyzerAsync("""
        using System.Collections.Generic;
        using System.Threading.Tasks;
        class C
        {
            async Task M(IEnumerable<int> items)
            {
                var tasks = new List<Task>();
                foreach (var item in items)
                {
                    int local = item;
                    tasks.Add(Task.Run(() => { local++; }));
                }
                await Task.WhenAll(tasks);
            }
        }
        """);

    [Fact]
    public Task Body_that_signals_by_hand_is_silent() => Verify.VerifyAnalyzerAsync("""
        using System;
        using System.Threading;
        using System.Threading.Tasks;
        class C
        {
            void M()
            {
                int value = 0;
                using var ready = new ManualResetEventSlim();
                _ = Task.Run(() => { value = 42; ready.Set(); });
                ready.Wait();
                Console.WriteLine(value);
            }
        }
        """);

    [Fact]
    public Task Awaited_inside_the_loop_is_silent() => Verify.VerifyAnalyzerAsync("""
        using System.Threading.Tasks;
        class C
        {
            async Task<int> M()
            {
                int counter = 0;
                for (int i = 0; i < 10; i++)
                {
                    await Task.Run(() => counter++);
                }
                return counter;
            }
        }
        """);

    // ---- code fix ----

    [Fact]
    public Task Fix_turns_counters_into_Interlocked_calls() => Fix.VerifyCodeFixAsync("""
        using System.Threading;
        using System.Threading.Tasks;
        class C
        {
            long M(int[] values)
            {
                int count = 0;
                long sum = 0;
                int left = 100;
                Parallel.For(0, values.Length, i =>
                {
                    {|CSA1001:count|}++;
                    {|CSA1001:sum|} += values[i];
                    --{|CSA1001:left|};
                    {|CSA1001:left|} -= values[i] + 1;
                });
                return count + sum + left;
            }
        }
        """, """
        using System.Threading;
        using System.Threading.Tasks;
        class C
        {
            long M(int[] values)
            {
                int count = 0;
                long sum = 0;
                int left = 100;
                Parallel.For(0, values.Length, i =>
                {
                    Interlocked.Increment(ref count);
                    Interlocked.Add(ref sum, values[i]);
                    Interlocked.Decrement(ref left);
                    Interlocked.Add(ref left, -(values[i] + 1));
                });
                return count + sum + left;
            }
        }
        """);

    [Fact]
    public Task Fix_adds_the_System_Threading_import() => Fix.VerifyCodeFixAsync("""
        using System.Threading.Tasks;
        class C
        {
            int M()
            {
                int hits = 0;
                Parallel.For(0, 10, i => { {|CSA1001:hits|}++; });
                return hits;
            }
        }
        """, """
        using System.Threading;
        using System.Threading.Tasks;
        class C
        {
            int M()
            {
                int hits = 0;
                Parallel.For(0, 10, i => { Interlocked.Increment(ref hits); });
                return hits;
            }
        }
        """);

    [Fact]
    public Task Fix_handles_the_expression_lambda_whose_value_is_a_dropped_or_plain_task() => Fix.VerifyCodeFixAsync("""
        using System.Threading.Tasks;
        class C
        {
            int M()
            {
                int counter = 0;
                var tasks = new Task[1000];
                for (int i = 0; i < tasks.Length; i++)
                {
                    tasks[i] = Task.Run(() => {|CSA1001:counter|}++);
                }

                Task.WaitAll(tasks);
                return counter;
            }
        }
        """, """
        using System.Threading;
        using System.Threading.Tasks;
        class C
        {
            int M()
            {
                int counter = 0;
                var tasks = new Task[1000];
                for (int i = 0; i < tasks.Length; i++)
                {
                    tasks[i] = Task.Run(() => Interlocked.Increment(ref counter));
                }

                Task.WaitAll(tasks);
                return counter;
            }
        }
        """);

    [Fact]
    public Task Fix_keeps_the_value_of_an_expression_lambda_whose_result_is_read() => Fix.VerifyCodeFixAsync("""
        using System.Collections.Generic;
        using System.Threading.Tasks;
        class C
        {
            async Task<int> M()
            {
                int counter = 0, total = 0, left = 10, other = 0;
                var results = new List<Task<int>>();
                for (int i = 0; i < 10; i++)
                {
                    results.Add(Task.Run(() => {|CSA1001:counter|}++));
                    results.Add(Task.Run(() => {|CSA1001:total|} += 5));
                    results.Add(Task.Run(() => {|CSA1001:left|}--));
                    results.Add(Task.Run(() => ++{|CSA1001:other|}));
                }

                return (await Task.WhenAll(results)).Length;
            }
        }
        """, """
        using System.Collections.Generic;
        using System.Threading;
        using System.Threading.Tasks;
        class C
        {
            async Task<int> M()
            {
                int counter = 0, total = 0, left = 10, other = 0;
                var results = new List<Task<int>>();
                for (int i = 0; i < 10; i++)
                {
                    results.Add(Task.Run(() => Interlocked.Increment(ref counter) - 1));
                    results.Add(Task.Run(() => Interlocked.Add(ref total, 5)));
                    results.Add(Task.Run(() => Interlocked.Decrement(ref left) + 1));
                    results.Add(Task.Run(() => Interlocked.Increment(ref other)));
                }

                return (await Task.WhenAll(results)).Length;
            }
        }
        """);

    [Fact]
    public async Task Fix_adds_no_using_that_a_global_using_already_gives()
    {
        var test = new Fix.Test
        {
            TestCode = """
                using System.Threading.Tasks;
                class C
                {
                    int M()
                    {
                        int hits = 0;
                        Parallel.For(0, 10, i => { {|CSA1001:hits|}++; });
                        return hits;
                    }
                }
                """,
            FixedCode = """
                using System.Threading.Tasks;
                class C
                {
                    int M()
                    {
                        int hits = 0;
                        Parallel.For(0, 10, i => { Interlocked.Increment(ref hits); });
                        return hits;
                    }
                }
                """,
        };
        // What <ImplicitUsings>enable</ImplicitUsings> generates.
        test.TestState.Sources.Add(("/0/GlobalUsings.g.cs", "global using global::System.Threading;\n"));
        test.FixedState.Sources.Add(("/0/GlobalUsings.g.cs", "global using global::System.Threading;\n"));
        await test.RunAsync();
    }

    [Fact]
    public Task Fix_not_offered_for_non_counter_writes_or_used_values() => Fix.VerifyCodeFixAsync("""
        using System.Threading.Tasks;
        class C
        {
            double M()
            {
                double total = 0;
                int n = 0;
                string last = "";
                Parallel.For(0, 10, i =>
                {
                    {|CSA1001:total|} += i;
                    var seen = {|CSA1001:n|}++;
                    {|CSA1001:last|} = i.ToString();
                });
                return total + n + last.Length;
            }
        }
        """, """
        using System.Threading.Tasks;
        class C
        {
            double M()
            {
                double total = 0;
                int n = 0;
                string last = "";
                Parallel.For(0, 10, i =>
                {
                    {|CSA1001:total|} += i;
                    var seen = {|CSA1001:n|}++;
                    {|CSA1001:last|} = i.ToString();
                });
                return total + n + last.Length;
            }
        }
        """);

    [Fact]
    public Task Counter_incremented_by_Parallel_ForAsync() => Verify.VerifyAnalyzerAsync("""
        using System.Threading.Tasks;
        class C
        {
            async Task<int> M()
            {
                int counter = 0;
                await Parallel.ForAsync(0, 100, async (i, ct) => { {|CSA1001:counter|}++; await Task.Yield(); });
                return counter;
            }
        }
        """);

    [Fact]
    public Task Parallel_ForAsync_with_Interlocked_is_silent() => Verify.VerifyAnalyzerAsync("""
        using System.Threading;
        using System.Threading.Tasks;
        class C
        {
            async Task<int> M()
            {
                int counter = 0;
                await Parallel.ForAsync(0, 100, async (i, ct) => { Interlocked.Increment(ref counter); await Task.Yield(); });
                return counter;
            }
        }
        """);

    [Fact]
    public Task Single_child_of_Scope_Run_read_after_Run_returns_is_silent() => Verify.VerifyAnalyzerAsync("""
        using ConcurrencySafety;
        class C
        {
            int M(int a, int b)
            {
                var sum = a;
                Scope.Run(s => s.Spawn(() => sum += b));
                return sum;
            }
        }
        """);

    [Fact]
    public Task Child_spawned_in_a_loop_inside_Scope_Run_is_several_instances() => Verify.VerifyAnalyzerAsync("""
        using ConcurrencySafety;
        class C
        {
            int M(int[] values)
            {
                var sum = 0;
                Scope.Run(s =>
                {
                    foreach (var v in values) s.Spawn(() => {|CSA1001:sum|} += v);
                });
                return sum;
            }
        }
        """);

    [Fact]
    public Task Local_read_after_awaiting_the_childs_JoinAsync_is_silent() => Verify.VerifyAnalyzerAsync("""
        using System;
        using System.Threading.Tasks;
        using ConcurrencySafety;
        class C
        {
            async Task<int> M()
            {
                var result = 0;
                await TaskScope.RunAsync(async scope =>
                {
                    var child = scope.Spawn(ct => { result = 42; });
                    await child.JoinAsync();
                    Console.WriteLine(result);
                });
                return result;
            }
        }
        """);

    [Fact]
    public Task Local_read_before_the_childs_JoinAsync_is_flagged() => Verify.VerifyAnalyzerAsync("""
        using System;
        using System.Threading.Tasks;
        using ConcurrencySafety;
        class C
        {
            async Task<int> M()
            {
                var result = 0;
                await TaskScope.RunAsync(async scope =>
                {
                    var child = scope.Spawn(ct => { {|CSA1001:result|} = 42; });
                    Console.WriteLine(result);
                    await child.JoinAsync();
                });
                return result;
            }
        }
        """);

    [Fact]
    public Task Per_iteration_local_reassigned_before_the_start_is_silent() => Verify.VerifyAnalyzerAsync("""
        using System;
        using System.Threading.Tasks;
        class C
        {
            int Get(int i) => i;
            async Task M(int n, bool batch, Func<int, Task> pipeline)
            {
                var pending = new Task[n];
                for (int i = 0; i < n; i++)
                {
                    var client = Get(i);
                    if (batch)
                    {
                        client = client * 2;
                    }

                    pending[i] = Task.Run(() => pipeline(client));
                }

                await Task.WhenAll(pending);
            }
        }
        """);

    [Fact]
    public Task Per_iteration_local_written_after_the_start_is_flagged() => Verify.VerifyAnalyzerAsync("""
        using System;
        using System.Threading.Tasks;
        class C
        {
            int Get(int i) => i;
            async Task M(int n, Func<int, Task> pipeline)
            {
                var pending = new Task[n];
                for (int i = 0; i < n; i++)
                {
                    var client = Get(i);
                    pending[i] = Task.Run(() => pipeline(client));
                    {|CSA1001:client|} = 0;
                }

                await Task.WhenAll(pending);
            }
        }
        """);

    [Fact]
    public Task Captured_local_written_by_a_local_function_called_from_Parallel_body() => Verify.VerifyAnalyzerAsync("""
        using System.Threading.Tasks;
        class C
        {
            int M(int n)
            {
                int total = 0;
                void Add(int i) => {|#0:total|} += i;
                Parallel.For(0, n, i => Add(i));
                return total;
            }
        }
        """,
        Verify.Diagnostic("CSA1001").WithLocation(0).WithArguments("total", "is written by 'Add', which the body passed to 'Parallel.For' (line 8) runs as several instances at once"));

    [Fact]
    public Task Per_task_locals_combined_after_the_join_are_silent() => Verify.VerifyAnalyzerAsync("""
        using System.Linq;
        using System.Threading.Tasks;
        class C
        {
            async Task<int> M(int[][] chunks)
            {
                var tasks = chunks.Select(chunk => Task.Run(() =>
                {
                    int sum = 0;
                    foreach (var v in chunk) sum += v;
                    return sum;
                })).ToArray();
                var sums = await Task.WhenAll(tasks);
                int total = 0;
                foreach (var s in sums) total += s;
                return total;
            }
        }
        """);

    // ---- async lambdas projected by Select: lazy until enumerated ----

    [Fact]
    public Task Async_Select_kept_in_a_local_and_awaited_later_with_WhenAll() => Verify.VerifyAnalyzerAsync("""
        using System.Linq;
        using System.Threading.Tasks;
        class C
        {
            async Task<int> M(int[] items)
            {
                int counter = 0;
                var tasks = items.Select(async i =>
                {
                    await Task.Delay(i);
                    {|#0:counter|}++;
                });
                System.Console.WriteLine(items.Length);
                await Task.WhenAll(tasks);
                return counter;
            }
        }
        """,
        Verify.Diagnostic("CSA1001").WithLocation(0).WithArguments("counter", "is written after an await, and the async lambda passed to 'Enumerable.Select' (line 8) runs as several instances at once"));

    [Fact]
    public Task Async_Select_materialized_later_by_ToList_or_ToArray() => Verify.VerifyAnalyzerAsync("""
        using System.Collections.Generic;
        using System.Linq;
        using System.Threading.Tasks;
        class C
        {
            async Task<int> M(int[] items)
            {
                int total = 0, seen = 0;
                IEnumerable<Task> query = items.Select(async i => { await Task.Yield(); {|CSA1001:total|} += i; });
                var list = query.ToList();
                await Task.WhenAll(list);
                var lazy = items.Select(async i => { await Task.Yield(); {|CSA1001:seen|}++; });
                Task.WaitAll(lazy.ToArray());
                return total + seen;
            }
        }
        """);

    [Fact]
    public Task Async_Select_passed_inline_to_WhenAll() => Verify.VerifyAnalyzerAsync("""
        using System.Linq;
        using System.Threading.Tasks;
        class C
        {
            async Task<int> M(int[] items)
            {
                int counter = 0;
                await Task.WhenAll(items.Select(async i => { await Task.Delay(i); {|CSA1001:counter|}++; }));
                return counter;
            }
        }
        """);

    [Fact]
    public Task Lazy_async_Select_awaited_one_by_one_sync_Select_and_per_item_locals_are_silent() => Verify.VerifyAnalyzerAsync("""
        using System.Linq;
        using System.Threading.Tasks;
        class C
        {
            async Task<int> M(int[] items)
            {
                int counter = 0, sum = 0, before = 0;

                // Enumerated one element at a time: each task is awaited before the next is made.
                var one = items.Select(async i => { await Task.Delay(i); counter++; });
                foreach (var t in one)
                {
                    await t;
                }

                // A synchronous selector runs on the enumerating thread only.
                var squares = items.Select(i => { sum += i; return i * i; }).ToList();

                // Only locals of each call.
                var mine = items.Select(async i => { var local = i; await Task.Delay(i); local++; return local; });
                var results = await Task.WhenAll(mine);

                // Before its first await each instance runs on the caller's thread, one after the
                // other; nothing of the lambda runs after an await.
                var starts = items.Select(async i => { before++; await Task.Delay(i); });
                await Task.WhenAll(starts);
                return counter + sum + squares.Count + results.Sum() + before;
            }
        }
        """);

    [Fact]
    public Task Starter_code_before_a_lazy_Select_is_enumerated_is_silent() => Verify.VerifyAnalyzerAsync("""
        using System.Linq;
        using System.Threading.Tasks;
        class C
        {
            async Task<int> M(int[] items)
            {
                int counter = 0;
                var tasks = items.Select(async i => { await Task.Delay(i); counter++; }).Where(t => t != null);
                counter = 10;
                // The lambdas start when WhenAll enumerates the query, not where Select is called.
                var all = items.Select(async i => { await Task.Delay(i); System.Console.WriteLine(counter); });
                counter = 20;
                await Task.WhenAll(all);
                return counter;
            }
        }
        """);

    [Fact]
    public Task Local_async_function_started_twice_before_one_join_writes_after_its_await() => Verify.VerifyAnalyzerAsync("""
        using System.Threading.Tasks;
        class C
        {
            async Task<int> M()
            {
                int done = 0, started = 0;
                async Task StepAsync(int delay)
                {
                    started++;
                    await Task.Delay(delay);
                    {|#0:done|}++;
                }

                var a = StepAsync(1);
                var b = StepAsync(2);
                await Task.WhenAll(a, b);
                await StepAsync(3);
                await StepAsync(4);
                return done + started;
            }
        }
        """,
        Verify.Diagnostic("CSA1001").WithLocation(0).WithArguments("done", "is written after an await, and 'StepAsync' started at line 14 and not awaited before it is started again runs as several instances at once"));

    [Fact]
    public Task LocalFinally_runs_on_several_workers_at_once() => Verify.VerifyAnalyzerAsync("""
        using System.Threading.Tasks;
        class C
        {
            long M(int[] values)
            {
                long total = 0;
                Parallel.For(0, values.Length,
                    () => 0L,
                    (i, state, local) => local + values[i],
                    local => {|CSA1001:total|} += local);
                return total;
            }
        }
        """);

    // ---- tasks created per element and returned to the caller ----

    [Fact]
    public Task Tasks_of_a_Select_returned_through_WhenAll_write_a_captured_local() => Verify.VerifyAnalyzerAsync("""
        using System;
        using System.Linq;
        using System.Threading.Tasks;
        class C
        {
            async Task<int> M(int[] xs)
            {
                int counter = 0, total = 0, seen = 0;
                Task RunAll() => Task.WhenAll(xs.Select(x => Task.Run(() => {|#0:counter|}++)));
                Func<Task> sumAll = () => Task.WhenAll(xs.Select(x => Task.Run(() => {|CSA1001:total|} += x)));
                Task SeeAll()
                {
                    return Task.WhenAll(xs.Select(x => Task.Run(() => {|CSA1001:seen|}++)));
                }

                await RunAll();
                await sumAll();
                await SeeAll();
                return counter + total + seen;
            }

            Task Block(int[] xs)
            {
                int hits = 0;
                return Task.WhenAll(xs.Select(x => Task.Run(() => {|CSA1001:hits|}++)));
            }
        }
        """,
        Verify.Diagnostic("CSA1001").WithLocation(0).WithArguments("counter", "is written by the body passed to 'Task.Run', which may run as several instances at once"));

    [Fact]
    public Task Returned_tasks_with_Interlocked_per_task_locals_a_single_task_or_sequential_awaits_are_silent() => Verify.VerifyAnalyzerAsync("""
        using System.Collections.Generic;
        using System.Linq;
        using System.Threading;
        using System.Threading.Tasks;
        class C
        {
            async Task<int> M(int[] xs)
            {
                int counter = 0, once = 0, lazy = 0, oneByOne = 0;
                Task RunAll() => Task.WhenAll(xs.Select(x => Task.Run(() => Interlocked.Increment(ref counter))));

                // Each task has its own local; the results are combined after the join.
                Task<int[]> Squares() => Task.WhenAll(xs.Select(x => Task.Run(() => { var mine = x; mine *= mine; return mine; })));
                Task Once() => Task.Run(() => once++);
                IEnumerable<Task> Lazy() => xs.Select(x => Task.Run(() => lazy++));

                await RunAll();
                var squares = await Squares();
                await Once();
                foreach (var t in Lazy())
                {
                    await t;
                }

                foreach (var t in xs.Select(x => Task.Run(() => oneByOne++)))
                {
                    await t;
                }

                return counter + squares.Sum() + once + lazy + oneByOne;
            }
        }
        """);

    [Fact]
    public Task Queries_of_tasks_enumerated_at_once_by_any_consumer_are_flagged_and_single_element_ones_are_not() => Verify.VerifyAnalyzerAsync("""
        using System.Collections.Generic;
        using System.Linq;
        using System.Threading.Tasks;
        class C
        {
            async Task<int> M(int[] xs)
            {
                int a = 0, b = 0, c = 0, d = 0, e = 0, f = 0, first = 0, handed = 0;
                await Task.WhenAll(xs.Select(x => Task.Run(() => {|CSA1001:a|}++)).Where(t => t != null));
                var list = new List<Task>(xs.Select(x => Task.Run(() => {|CSA1001:b|}++)));
                var more = new List<Task>();
                more.AddRange(xs.Select(x => Task.Run(() => {|CSA1001:c|}++)));
                var byKey = xs.ToLookup(x => x % 2, x => Task.Run(() => {|CSA1001:d|}++));
                Task.WaitAll(xs.Select(x => Task.Run(() => {|CSA1001:e|}++)).ToArray());
                await Task.WhenAll(list);
                await Task.WhenAll(more);
                await Task.WhenAll(byKey.SelectMany(g => g));
                var asyncByKey = xs.Select(async x => { await Task.Yield(); {|CSA1001:f|}++; }).ToLookup(t => t.Id % 2);
                await Task.WhenAll(asyncByKey.SelectMany(g => g));

                // One element's task only, and a query handed to a method that may await each.
                await xs.Select(x => Task.Run(() => first++)).First();
                await Drain(xs.Select(x => Task.Run(() => handed++)));
                return a + b + c + d + e + f + first + handed;
            }

            static async Task Drain(IEnumerable<Task> tasks)
            {
                foreach (var t in tasks)
                {
                    await t;
                }
            }
        }
        """);
}
