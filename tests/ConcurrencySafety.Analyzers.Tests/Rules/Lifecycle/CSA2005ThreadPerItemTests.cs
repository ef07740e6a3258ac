using Verify = ConcurrencySafety.Analyzers.Tests.Verifiers.CSharpAnalyzerVerifier<ConcurrencySafety.Analyzers.Rules.CSA2005ThreadPerItemAnalyzer>;

namespace ConcurrencySafety.Analyzers.Tests.Rules.Lifecycle;

public class CSA2005ThreadPerItemTests
{
    [Fact]
    public Task Thread_per_item_of_foreach_and_for_over_length() => Verify.VerifyAnalyzerAsync("""
        using System.Collections.Generic;
        using System.Threading;
        class C
        {
            void M(List<string> urls, int[] ids)
            {
                var threads = new List<Thread>();
                foreach (var url in urls)
                {
                    var t = {|CSA2005:new Thread(() => Fetch(url))|};
                    t.Start();
                    threads.Add(t);
                }
                for (int i = 0; i < ids.Length; i++)
                {
                    int id = ids[i];
                    threads.Add({|CSA2005:new Thread(() => Fetch(id.ToString()))|});
                }
                foreach (var t in threads) t.Join();
            }
            static void Fetch(string url) { }
        }
        """);

    // ---- must stay silent ----

    [Fact]
    public Task Fixed_worker_count_and_threads_outside_loops_are_silent() => Verify.VerifyAnalyzerAsync("""
        using System;
        using System.Collections.Generic;
        using System.Threading;
        using System.Threading.Tasks;
        class C
        {
            void M(List<string> urls)
            {
                var workers = new Thread[Environment.ProcessorCount];
                for (int i = 0; i < workers.Length - 0 + 0 * 0; i++) { }
                for (int i = 0; i < 4; i++) { workers[i] = new Thread(() => { }); }
                var single = new Thread(() => { });
                foreach (var url in urls)
                {
                    Task.Run(() => new Thread(() => { })).Wait();
                }
                Parallel.ForEach(urls, url => { });
            }
        }
        """);

    // An array sized by the input is still one thread per item; so is a fixed-size array
    // replaced by one sized by the input.
    [Fact]
    public Task Thread_per_item_over_an_array_sized_by_the_input() => Verify.VerifyAnalyzerAsync("""
        using System.Threading;
        class C
        {
            void M(string[] urls)
            {
                var threads = new Thread[urls.Length];
                for (int i = 0; i < threads.Length; i++) threads[i] = {|CSA2005:new Thread(() => { })|};
                var fixedThenResized = new Thread[4];
                fixedThenResized = new Thread[urls.Length];
                for (int i = 0; i < fixedThenResized.Length; i++) fixedThenResized[i] = {|CSA2005:new Thread(() => { })|};
                foreach (var t in threads) t.Join();
                foreach (var t in fixedThenResized) t.Join();
            }
        }
        """);

    // Issue 15: a fixed-size array of threads filled by a for loop over its own Length and all
    // joined is a fixed pool of workers, not a thread per item.
    [Fact]
    public Task Fixed_size_thread_array_filled_in_a_for_loop_is_silent() => Verify.VerifyAnalyzerAsync("""
        using System;
        using System.Threading;
        class C
        {
            void M()
            {
                var threads = new Thread[4];
                for (int i = 0; i < threads.Length; i++)
                {
                    int id = i;
                    threads[i] = new Thread(() => Console.WriteLine(id));
                    threads[i].Start();
                }
                foreach (var t in threads) t.Join();

                Thread[] perCore = new Thread[Environment.ProcessorCount];
                for (int i = 0; i < perCore.Length; i++) { perCore[i] = new Thread(() => { }); perCore[i].Start(); }
                for (int i = 0; i < perCore.Length; i++) perCore[i].Join();
            }
        }
        """);
}
