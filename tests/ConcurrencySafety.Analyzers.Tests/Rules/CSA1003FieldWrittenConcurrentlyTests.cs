using Verify = ConcurrencySafety.Analyzers.Tests.Verifiers.CSharpAnalyzerVerifier<ConcurrencySafety.Analyzers.Rules.CSA1003FieldWrittenConcurrentlyAnalyzer>;
using Fix = ConcurrencySafety.Analyzers.Tests.Verifiers.CSharpCodeFixVerifier<ConcurrencySafety.Analyzers.Rules.CSA1003FieldWrittenConcurrentlyAnalyzer, ConcurrencySafety.CodeFixes.CSA1003FieldWrittenConcurrentlyCodeFix>;

namespace ConcurrencySafety.Analyzers.Tests.Rules;

public class CSA1003FieldWrittenConcurrentlyTests
{
    [Fact]
    public Task Instance_field_incremented_by_Parallel_For() => Verify.VerifyAnalyzerAsync("""
        using System.Threading.Tasks;
        class Counter
        {
            private int _count;
            public int CountAll(int n)
            {
                Parallel.For(0, n, i => {|CSA1003:_count|}++);
                return _count;
            }
        }
        """);

    [Fact]
    public Task Static_field_written_by_threads_in_a_loop() => Verify.VerifyAnalyzerAsync("""
        using System.Threading;
        class Stats
        {
            private static long s_total;
            public static void Run()
            {
                var threads = new Thread[4];
                for (int i = 0; i < threads.Length; i++)
                {
                    threads[i] = new Thread(() => { {|CSA1003:s_total|} += 10; });
                    threads[i].Start();
                }
                foreach (var t in threads) t.Join();
            }
        }
        """);

    [Fact]
    public Task Field_written_by_task_while_starter_reads() => Verify.VerifyAnalyzerAsync("""
        using System;
        using System.Threading.Tasks;
        class Loader
        {
            private string? _state;
            public async Task LoadAsync()
            {
                var t = Task.Run(() => { {|CSA1003:_state|} = "loaded"; });
                Console.WriteLine(_state);
                await t;
            }
        }
        """);

    [Fact]
    public Task Field_of_a_captured_object_written_by_several_instances() => Verify.VerifyAnalyzerAsync("""
        using System.Linq;
        class Box { public int Value; }
        class C
        {
            void M(int[] values)
            {
                var box = new Box();
                values.AsParallel().Select(v => { {|CSA1003:box.Value|} = v; return v; }).ToArray();
            }
        }
        """);

    [Fact]
    public Task Volatile_field_incremented_still_loses_updates() => Verify.VerifyAnalyzerAsync("""
        using System.Threading.Tasks;
        class C
        {
            private volatile int _hits;
            void M() => Parallel.For(0, 100, i => {|CSA1003:_hits|}++);
        }
        """);

    // ---- must stay silent ----

    [Fact]
    public Task Interlocked_lock_volatile_store_and_readonly_are_silent() => Verify.VerifyAnalyzerAsync("""
        using System.Threading;
        using System.Threading.Tasks;
        class C
        {
            private int _count;
            private long _sum;
            private volatile bool _seen;
            private readonly object _gate = new();
            private readonly int[] _slots = new int[100];
            [System.ThreadStatic] private static int t_scratch;
            void M()
            {
                Parallel.For(0, 100, i =>
                {
                    Interlocked.Increment(ref _count);
                    lock (_gate) { _sum += i; }
                    _seen = true;
                    _slots[i] = i;
                    t_scratch = i;
                });
            }
        }
        """);

    [Fact]
    public Task Field_written_by_a_single_task_that_is_awaited_first_is_silent() => Verify.VerifyAnalyzerAsync("""
        using System.Threading.Tasks;
        class C
        {
            private int _value;
            async Task<int> M()
            {
                await Task.Run(() => _value = 42);
                _value++;
                var t = Task.Run(() => { _value = 7; });
                await t;
                return _value;
            }
        }
        """);

    [Fact]
    public Task Fields_of_objects_created_in_the_body_are_silent() => Verify.VerifyAnalyzerAsync("""
        using System.Threading.Tasks;
        class Node { public int Value; }
        class C
        {
            void M()
            {
                Parallel.For(0, 10, i =>
                {
                    var node = new Node();
                    node.Value = i;
                });
            }
        }
        """);

    // ---- code fix ----

    [Fact]
    public Task Fix_turns_field_counters_into_Interlocked_calls() => Fix.VerifyCodeFixAsync("""
        using System.Threading;
        using System.Threading.Tasks;
        class C
        {
            private int _count;
            private static long s_bytes;
            void M(int[] sizes)
            {
                Parallel.For(0, sizes.Length, i =>
                {
                    {|CSA1003:_count|}++;
                    {|CSA1003:s_bytes|} += sizes[i];
                });
            }
        }
        """, """
        using System.Threading;
        using System.Threading.Tasks;
        class C
        {
            private int _count;
            private static long s_bytes;
            void M(int[] sizes)
            {
                Parallel.For(0, sizes.Length, i =>
                {
                    Interlocked.Increment(ref _count);
                    Interlocked.Add(ref s_bytes, sizes[i]);
                });
            }
        }
        """);

    [Fact]
    public Task Fix_not_offered_for_volatile_or_plain_stores() => Fix.VerifyCodeFixAsync("""
        using System.Threading.Tasks;
        class C
        {
            private volatile int _hits;
            private string _name = "";
            async Task M()
            {
                Parallel.For(0, 10, i => {|CSA1003:_hits|}++);
                var t = Task.Run(() => { {|CSA1003:_name|} = "x"; });
                System.Console.WriteLine(_name);
                await t;
            }
        }
        """, """
        using System.Threading.Tasks;
        class C
        {
            private volatile int _hits;
            private string _name = "";
            async Task M()
            {
                Parallel.For(0, 10, i => {|CSA1003:_hits|}++);
                var t = Task.Run(() => { {|CSA1003:_name|} = "x"; });
                System.Console.WriteLine(_name);
                await t;
            }
        }
        """);
}
