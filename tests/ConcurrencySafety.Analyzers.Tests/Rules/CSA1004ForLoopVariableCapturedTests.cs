using Verify = ConcurrencySafety.Analyzers.Tests.Verifiers.CSharpAnalyzerVerifier<ConcurrencySafety.Analyzers.Rules.CSA1004ForLoopVariableCapturedAnalyzer>;
using Fix = ConcurrencySafety.Analyzers.Tests.Verifiers.CSharpCodeFixVerifier<ConcurrencySafety.Analyzers.Rules.CSA1004ForLoopVariableCapturedAnalyzer, ConcurrencySafety.CodeFixes.CSA1004ForLoopVariableCapturedCodeFix>;

namespace ConcurrencySafety.Analyzers.Tests.Rules;

public class CSA1004ForLoopVariableCapturedTests
{
    [Fact]
    public Task Task_Run_in_for_loop_reads_the_index() => Verify.VerifyAnalyzerAsync("""
        using System;
        using System.Collections.Generic;
        using System.Threading.Tasks;
        class C
        {
            async Task M()
            {
                var tasks = new List<Task>();
                for (int i = 0; i < 10; i++)
                {
                    tasks.Add(Task.Run(() => Console.WriteLine({|CSA1004:i|})));
                }
                await Task.WhenAll(tasks);
            }
        }
        """);

    [Fact]
    public Task Tasks_stored_in_an_array_by_index() => Verify.VerifyAnalyzerAsync("""
        using System.Threading.Tasks;
        class C
        {
            int[] M(int[] input)
            {
                var output = new int[input.Length];
                var tasks = new Task[input.Length];
                for (int i = 0; i < input.Length; i++)
                {
                    tasks[i] = Task.Run(() => { output[{|CSA1004:i|}] = input[i] * 2; });
                }
                Task.WaitAll(tasks);
                return output;
            }
        }
        """);

    [Fact]
    public Task Thread_and_ThreadPool_in_for_loop() => Verify.VerifyAnalyzerAsync("""
        using System;
        using System.Threading;
        class C
        {
            void M()
            {
                for (int i = 0; i < 3; i++)
                {
                    new Thread(() => Console.WriteLine({|CSA1004:i|})).Start();
                }
                for (int j = 0; j < 3; j++)
                {
                    ThreadPool.QueueUserWorkItem(_ => Console.WriteLine({|CSA1004:j|}));
                }
            }
        }
        """);

    // ---- must stay silent ----

    [Fact]
    public Task Foreach_variable_and_per_iteration_copy_are_silent() => Verify.VerifyAnalyzerAsync("""
        using System;
        using System.Collections.Generic;
        using System.Threading.Tasks;
        class C
        {
            async Task M(int[] items)
            {
                var tasks = new List<Task>();
                foreach (var item in items)
                {
                    tasks.Add(Task.Run(() => Console.WriteLine(item)));
                }
                for (int i = 0; i < items.Length; i++)
                {
                    int index = i;
                    tasks.Add(Task.Run(() => Console.WriteLine(items[index])));
                }
                await Task.WhenAll(tasks);
            }
        }
        """);

    [Fact]
    public Task Joined_within_the_iteration_or_synchronous_body_is_silent() => Verify.VerifyAnalyzerAsync("""
        using System;
        using System.Threading.Tasks;
        class C
        {
            async Task M(int[][] rows)
            {
                for (int i = 0; i < rows.Length; i++)
                {
                    await Task.Run(() => Console.WriteLine(i));
                    Parallel.For(0, rows[i].Length, j => rows[i][j] *= 2);
                    var t = Task.Run(() => Console.WriteLine(i));
                    t.Wait();
                }
            }
        }
        """);

    [Fact]
    public Task Sequential_lambda_in_for_loop_is_silent() => Verify.VerifyAnalyzerAsync("""
        using System.Collections.Generic;
        using System.Linq;
        class C
        {
            int M(List<int> values)
            {
                int total = 0;
                for (int i = 0; i < 3; i++)
                {
                    total += values.Count(v => v > i);
                }
                return total;
            }
        }
        """);

    // ---- code fix ----

    [Fact]
    public Task Fix_copies_the_variable_into_the_loop_body() => Fix.VerifyCodeFixAsync("""
        using System;
        using System.Threading.Tasks;
        class C
        {
            void M(int[] input)
            {
                var tasks = new Task[input.Length];
                for (int i = 0; i < input.Length; i++)
                {
                    Console.WriteLine(i);
                    tasks[i] = Task.Run(() => Console.WriteLine(input[{|CSA1004:i|}] + i));
                }
                for (int j = 0; j < 3; j++)
                    _ = Task.Run(() => Console.WriteLine({|CSA1004:j|}));
                Task.WaitAll(tasks);
            }
        }
        """, """
        using System;
        using System.Threading.Tasks;
        class C
        {
            void M(int[] input)
            {
                var tasks = new Task[input.Length];
                for (int i = 0; i < input.Length; i++)
                {
                    var iCopy = i;
                    Console.WriteLine(i);
                    tasks[i] = Task.Run(() => Console.WriteLine(input[iCopy] + iCopy));
                }
                for (int j = 0; j < 3; j++)
                {
                    var jCopy = j;
                    _ = Task.Run(() => Console.WriteLine(jCopy));
                }
                Task.WaitAll(tasks);
            }
        }
        """);

    [Fact]
    public Task Fix_not_offered_when_the_body_changes_the_variable() => Fix.VerifyCodeFixAsync("""
        using System;
        using System.Threading.Tasks;
        class C
        {
            void M(string[] args)
            {
                for (int i = 0; i < args.Length; i++)
                {
                    if (args[i] == "--skip") { i++; continue; }
                    _ = Task.Run(() => Console.WriteLine(args[{|CSA1004:i|}]));
                }
            }
        }
        """, """
        using System;
        using System.Threading.Tasks;
        class C
        {
            void M(string[] args)
            {
                for (int i = 0; i < args.Length; i++)
                {
                    if (args[i] == "--skip") { i++; continue; }
                    _ = Task.Run(() => Console.WriteLine(args[{|CSA1004:i|}]));
                }
            }
        }
        """);
}
