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
}
