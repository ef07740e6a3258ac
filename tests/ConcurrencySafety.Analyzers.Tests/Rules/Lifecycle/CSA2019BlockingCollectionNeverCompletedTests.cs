using Verify = ConcurrencySafety.Analyzers.Tests.Verifiers.CSharpAnalyzerVerifier<ConcurrencySafety.Analyzers.Rules.CSA2019BlockingCollectionNeverCompletedAnalyzer>;
using Fix = ConcurrencySafety.Analyzers.Tests.Verifiers.CSharpCodeFixVerifier<ConcurrencySafety.Analyzers.Rules.CSA2019BlockingCollectionNeverCompletedAnalyzer, ConcurrencySafety.CodeFixes.CSA2019BlockingCollectionNeverCompletedCodeFix>;

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

    // ---- code fix: CompleteAdding in a finally of the one producer ----

    [Fact]
    public Task Fix_completes_adding_in_a_finally_of_the_producer() => Fix.VerifyCodeFixAsync("""
        using System;
        using System.Collections.Concurrent;
        using System.Threading.Tasks;
        class C
        {
            async Task M()
            {
                using var queue = new BlockingCollection<int>(16);
                var producer = Task.Run(() =>
                {
                    for (int i = 0; i < 10; i++) queue.Add(i);
                });
                foreach (var item in {|CSA2019:queue.GetConsumingEnumerable()|}) Console.WriteLine(item);
                await producer;
            }
        }
        """, """
        using System;
        using System.Collections.Concurrent;
        using System.Threading.Tasks;
        class C
        {
            async Task M()
            {
                using var queue = new BlockingCollection<int>(16);
                var producer = Task.Run(() =>
                {
                    try
                    {
                        for (int i = 0; i < 10; i++) queue.Add(i);
                    }
                    finally
                    {
                        queue.CompleteAdding();
                    }
                });
                foreach (var item in queue.GetConsumingEnumerable()) Console.WriteLine(item);
                await producer;
            }
        }
        """);

    [Fact]
    public Task Fix_wraps_an_expression_bodied_producer() => Fix.VerifyCodeFixAsync("""
        using System;
        using System.Collections.Concurrent;
        using System.Threading;
        using System.Threading.Tasks;
        class C
        {
            void M(int[] items)
            {
                var queue = new BlockingCollection<int>();
                var producer = new Thread(() => Array.ForEach(items, i => Console.WriteLine(i)));
                var feeder = Task.Run(async () => await FeedAsync(queue.Add));
                producer.Start();
                foreach (var item in queue.GetConsumingEnumerable()) Console.WriteLine(item);
                producer.Join();
                var second = new BlockingCollection<int>();
                var t = Task.Run(() => second.TryAdd(1));
                foreach (var item in {|CSA2019:second.GetConsumingEnumerable()|}) Console.WriteLine(item);
                t.Wait();
            }
            static Task FeedAsync(Action<int> add) { add(1); return Task.CompletedTask; }
        }
        """, """
        using System;
        using System.Collections.Concurrent;
        using System.Threading;
        using System.Threading.Tasks;
        class C
        {
            void M(int[] items)
            {
                var queue = new BlockingCollection<int>();
                var producer = new Thread(() => Array.ForEach(items, i => Console.WriteLine(i)));
                var feeder = Task.Run(async () => await FeedAsync(queue.Add));
                producer.Start();
                foreach (var item in queue.GetConsumingEnumerable()) Console.WriteLine(item);
                producer.Join();
                var second = new BlockingCollection<int>();
                var t = Task.Run(() =>
                {
                    try
                    {
                        return second.TryAdd(1);
                    }
                    finally
                    {
                        second.CompleteAdding();
                    }
                });
                foreach (var item in second.GetConsumingEnumerable()) Console.WriteLine(item);
                t.Wait();
            }
            static Task FeedAsync(Action<int> add) { add(1); return Task.CompletedTask; }
        }
        """);

    [Fact]
    public Task Fix_not_offered_for_several_producers_or_adds_in_the_consumer() => Fix.VerifyCodeFixAsync("""
        using System;
        using System.Collections.Concurrent;
        using System.Collections.Generic;
        using System.Threading.Tasks;
        class C
        {
            async Task M()
            {
                var queue = new BlockingCollection<int>();
                var producers = new List<Task>();
                for (int w = 0; w < 4; w++) producers.Add(Task.Run(() => queue.Add(1)));
                foreach (var item in {|CSA2019:queue.GetConsumingEnumerable()|}) Console.WriteLine(item);
                await Task.WhenAll(producers);

                var two = new BlockingCollection<int>();
                var a = Task.Run(() => two.Add(1));
                var b = Task.Run(() => two.Add(2));
                foreach (var item in {|CSA2019:two.GetConsumingEnumerable()|}) Console.WriteLine(item);
                await Task.WhenAll(a, b);

                var mine = new BlockingCollection<int>();
                var consumer = Task.Run(() => { foreach (var item in {|CSA2019:mine.GetConsumingEnumerable()|}) Console.WriteLine(item); });
                mine.Add(1);
                await consumer;
            }
        }
        """, """
        using System;
        using System.Collections.Concurrent;
        using System.Collections.Generic;
        using System.Threading.Tasks;
        class C
        {
            async Task M()
            {
                var queue = new BlockingCollection<int>();
                var producers = new List<Task>();
                for (int w = 0; w < 4; w++) producers.Add(Task.Run(() => queue.Add(1)));
                foreach (var item in {|CSA2019:queue.GetConsumingEnumerable()|}) Console.WriteLine(item);
                await Task.WhenAll(producers);

                var two = new BlockingCollection<int>();
                var a = Task.Run(() => two.Add(1));
                var b = Task.Run(() => two.Add(2));
                foreach (var item in {|CSA2019:two.GetConsumingEnumerable()|}) Console.WriteLine(item);
                await Task.WhenAll(a, b);

                var mine = new BlockingCollection<int>();
                var consumer = Task.Run(() => { foreach (var item in {|CSA2019:mine.GetConsumingEnumerable()|}) Console.WriteLine(item); });
                mine.Add(1);
                await consumer;
            }
        }
        """);
}
