using Verify = ConcurrencySafety.Analyzers.Tests.Verifiers.CSharpAnalyzerVerifier<ConcurrencySafety.Analyzers.Rules.CSA2019BlockingCollectionNeverCompletedAnalyzer>;

namespace ConcurrencySafety.Analyzers.Tests.Rules.Lifecycle;

public class CSA2019BlockingCollectionNeverCompletedTests
{
    // The example: consumed to the end, CompleteAdding never called.
    [Fact]
    public Task Consumed_to_the_end_and_never_completed() => Verify.VerifyAnalyzerAsync("""
        using System;
        using System.Collections.Concurrent;
        using System.Threading.Tasks;
        class C
        {
            async Task M()
            {
                using var queue = new BlockingCollection<int>(16);
                var producer = Task.Run(() => { for (int i = 0; i < 10; i++) queue.Add(i); });
                foreach (var item in {|CSA2019:queue.GetConsumingEnumerable()|}) Console.WriteLine(item);
                await producer;
            }
        }
        """);

    // ---- must stay silent ----

    [Fact]
    public Task Completed_escaping_or_loop_that_stops_is_silent() => Verify.VerifyAnalyzerAsync("""
        using System;
        using System.Collections.Concurrent;
        using System.Threading.Tasks;
        class C
        {
            async Task M()
            {
                var queue = new BlockingCollection<int>(16);
                var producer = Task.Run(() =>
                {
                    try { for (int i = 0; i < 10; i++) queue.Add(i); }
                    finally { queue.CompleteAdding(); }
                });
                foreach (var item in queue.GetConsumingEnumerable()) Console.WriteLine(item);
                await producer;

                var handed = new BlockingCollection<int>();
                Produce(handed);
                foreach (var item in handed.GetConsumingEnumerable()) Console.WriteLine(item);

                var stops = new BlockingCollection<int>();
                foreach (var item in stops.GetConsumingEnumerable()) { if (item < 0) break; }
            }
            static void Produce(BlockingCollection<int> target) => target.CompleteAdding();
        }
        """);
}
