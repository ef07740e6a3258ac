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

    [Fact]
    public Task Method_group_given_to_Parallel_For_writes_a_field() => Verify.VerifyAnalyzerAsync("""
        using System.Threading.Tasks;
        class Counter
        {
            private int _completed;
            private void CompleteOne(int i) => {|#0:_completed|}++;
            public void Run(int n) => Parallel.For(0, n, CompleteOne);
        }
        """,
        Verify.Diagnostic("CSA1003").WithLocation(0).WithArguments("Field", "_completed", "is written by 'CompleteOne', which 'CompleteOne' started by 'Parallel.For' (line 6) runs as several instances at once"));

    [Fact]
    public Task Helper_called_from_tasks_started_in_a_loop_writes_a_field() => Verify.VerifyAnalyzerAsync("""
        using System.Collections.Generic;
        using System.Threading.Tasks;
        class Worker
        {
            private int _completed;
            private void CompleteOne() { {|#0:_completed|}++; }
            public async Task RunAsync(int n)
            {
                var tasks = new List<Task>();
                for (int i = 0; i < n; i++)
                {
                    tasks.Add(Task.Run(() => CompleteOne()));
                }
                await Task.WhenAll(tasks);
            }
        }
        """,
        Verify.Diagnostic("CSA1003").WithLocation(0).WithArguments("Field", "_completed", "is written by 'CompleteOne', which the body passed to 'Task.Run' (line 12) runs as several instances at once"));

    [Fact]
    public Task Helper_under_a_shared_lock_is_silent() => Verify.VerifyAnalyzerAsync("""
        using System.Threading.Tasks;
        class Worker
        {
            private readonly object _gate = new();
            private int _completed;
            private void CompleteOne() { lock (_gate) { _completed++; } }
            private void CompleteTwo() { _completed += 2; }
            public void Run(int n)
            {
                Parallel.For(0, n, i => CompleteOne());
                Parallel.For(0, n, i => { lock (_gate) { CompleteTwo(); } });
            }
        }
        """);

    [Fact]
    public Task Helper_with_Interlocked_on_every_path_is_silent() => Verify.VerifyAnalyzerAsync("""
        using System.Threading;
        using System.Threading.Tasks;
        class Worker
        {
            private int _completed;
            private int _failed;
            private void Finish(bool ok)
            {
                if (ok) Interlocked.Increment(ref _completed);
                else Interlocked.Increment(ref _failed);
            }
            public void Run(bool[] results) => Parallel.ForEach(results, Finish);
        }
        """);

    [Fact]
    public Task Helper_two_calls_deep_writes_a_static() => Verify.VerifyAnalyzerAsync("""
        using System.Threading.Tasks;
        static class Stats
        {
            private static long s_requests;
            public static void Count() => {|CSA1003:s_requests|}++;
        }
        class Handler
        {
            private void Handle(int request) { Log(request); }
            private void Log(int request) => Stats.Count();
            public void Serve(int[] requests) => Parallel.ForEach(requests, r => Handle(r));
        }
        """);

    [Fact]
    public Task Auto_property_incremented_by_Parallel_body() => Verify.VerifyAnalyzerAsync("""
        using System.Threading.Tasks;
        class Counter
        {
            public int Count { get; private set; }
            public void Run(int n) => Parallel.For(0, n, i => {|#0:Count|}++);
        }
        """,
        Verify.Diagnostic("CSA1003").WithLocation(0).WithArguments("Auto-property", "Count", "is written by the body passed to 'Parallel.For', which may run as several instances at once"));

    [Fact]
    public Task Get_only_auto_property_and_computed_property_are_silent() => Verify.VerifyAnalyzerAsync("""
        using System.Threading;
        using System.Threading.Tasks;
        class Counter
        {
            private int _count;
            public int Limit { get; } = 10;
            public int Count => Volatile.Read(ref _count);
            public void Run(int n) => Parallel.For(0, n, i => { if (Count < Limit) Interlocked.Increment(ref _count); });
        }
        """);

    [Fact]
    public Task Field_of_a_field_written_by_several_instances() => Verify.VerifyAnalyzerAsync("""
        using System.Threading.Tasks;
        class State { public int Hits; }
        class Cache
        {
            private readonly State _state = new();
            public void Warm(string[] keys) => Parallel.ForEach(keys, k => {|#0:_state.Hits|}++);
        }
        """,
        Verify.Diagnostic("CSA1003").WithLocation(0).WithArguments("Field", "_state.Hits", "is written by the body passed to 'Parallel.ForEach', which may run as several instances at once"));

    [Fact]
    public Task Fields_of_different_objects_are_different_locations() => Verify.VerifyAnalyzerAsync("""
        using System.Threading.Tasks;
        class State { public int Hits; }
        class Cache
        {
            private readonly State _a = new();
            private readonly State _b = new();
            public async Task WarmAsync()
            {
                var t = Task.Run(() => _a.Hits++);
                _b.Hits++;
                await t;
            }
        }
        """);

    [Fact]
    public Task Concurrent_async_invocations_write_this_after_their_await() => Verify.VerifyAnalyzerAsync("""
        using System.IO;
        using System.Threading.Tasks;
        class Copier
        {
            private long _bytes;
            private async Task CopyAsync(Stream from, Stream to)
            {
                await from.CopyToAsync(to);
                {|#0:_bytes|} += from.Length;
            }
            public async Task CopyBothAsync(Stream a, Stream b, Stream to)
            {
                var t1 = CopyAsync(a, to);
                var t2 = CopyAsync(b, to);
                await Task.WhenAll(t1, t2);
            }
        }
        """,
        Verify.Diagnostic("CSA1003").WithLocation(0).WithArguments("Field", "_bytes", "is written by 'CopyAsync' after an await, and 'CopyAsync' started at line 13 and not awaited before it is started again runs as several instances at once"));

    [Fact]
    public Task Sequential_awaits_of_the_same_async_method_are_silent() => Verify.VerifyAnalyzerAsync("""
        using System.IO;
        using System.Threading.Tasks;
        class Copier
        {
            private long _bytes;
            private async Task CopyAsync(Stream from, Stream to)
            {
                await from.CopyToAsync(to);
                _bytes += from.Length;
            }
            public async Task CopyBothAsync(Stream a, Stream b, Stream to)
            {
                await CopyAsync(a, to);
                await CopyAsync(b, to);
                var t3 = CopyAsync(a, to);
                await t3;
                var t4 = CopyAsync(b, to);
                await t4;
            }
        }
        """);

    [Fact]
    public Task Write_before_the_first_await_of_concurrent_invocations_is_silent() => Verify.VerifyAnalyzerAsync("""
        using System.IO;
        using System.Threading.Tasks;
        class Copier
        {
            private int _started;
            private async Task CopyAsync(Stream from, Stream to)
            {
                _started++;
                await from.CopyToAsync(to);
            }
            public Task CopyBothAsync(Stream a, Stream b, Stream to) => Task.WhenAll(CopyAsync(a, to), CopyAsync(b, to));
        }
        """);

    [Fact]
    public Task Async_Select_lambda_awaited_with_WhenAll_writes_a_field_after_await() => Verify.VerifyAnalyzerAsync("""
        using System.Linq;
        using System.Threading.Tasks;
        class Fetcher
        {
            private int _done;
            public Task FetchAllAsync(int[] ids) => Task.WhenAll(ids.Select(async id =>
            {
                await Task.Delay(id);
                {|CSA1003:_done|}++;
            }));
        }
        """);

    [Fact]
    public Task Async_Select_lambda_enumerated_one_by_one_is_silent() => Verify.VerifyAnalyzerAsync("""
        using System.Linq;
        using System.Threading.Tasks;
        class Fetcher
        {
            private int _done;
            public async Task FetchAllAsync(int[] ids)
            {
                foreach (var task in ids.Select(async id => { await Task.Delay(id); _done++; }))
                {
                    await task;
                }
            }
        }
        """);

    [Fact]
    public Task Method_never_reached_from_a_concurrent_body_is_silent() => Verify.VerifyAnalyzerAsync("""
        using System.Threading.Tasks;
        class Worker
        {
            private int _completed;
            private void CompleteOne() => _completed++;
            public void RunSequentially(int n) { for (int i = 0; i < n; i++) CompleteOne(); }
            public Task RunOnceAsync() => Task.Run(() => 42);
        }
        """);

    [Fact]
    public Task Lazy_cache_of_a_shared_instance_reached_from_PLINQ_is_silent() => Verify.VerifyAnalyzerAsync("""
        using System.Linq;
        static class Providers { public static readonly object Default = new(); public static object For(string key) => Default; }
        class Options
        {
            private object? _defaults;
            public object Defaults => _defaults ??= Providers.For("x");
        }
        class Client
        {
            private readonly Options _options = new();
            public object[] All(string[] keys) => keys.AsParallel().Select(k => _options.Defaults).ToArray();
        }
        """);

    [Fact]
    public Task Lazy_creation_of_a_fresh_object_reached_from_PLINQ_is_flagged() => Verify.VerifyAnalyzerAsync("""
        using System.Collections.Generic;
        using System.Linq;
        class Options
        {
            private List<string>? _seen;
            public List<string> Seen => {|CSA1003:_seen|} ??= new List<string>();
        }
        class Client
        {
            private readonly Options _options = new();
            public int[] All(string[] keys) => keys.AsParallel().Select(k => _options.Seen.Count).ToArray();
        }
        """);

    [Fact]
    public Task Async_method_projected_by_Select_and_awaited_with_WhenAll() => Verify.VerifyAnalyzerAsync("""
        using System.Linq;
        using System.Threading.Tasks;
        class Item { public int Tries; }
        class Notifier
        {
            private int _sent;
            private async Task NotifyAsync(Item item)
            {
                await Task.Yield();
                item.Tries++;
                {|CSA1003:_sent|}++;
            }
            public Task NotifyAllAsync(Item[] items) => Task.WhenAll(items.Select(i => NotifyAsync(i)));
        }
        """);

    [Fact]
    public Task Method_group_kept_in_a_delegate_local_and_started_in_a_loop() => Verify.VerifyAnalyzerAsync("""
        using System;
        using System.Threading.Tasks;
        class Dispatcher
        {
            private int _processed;
            private async Task ProcessAsync()
            {
                await Task.Yield();
                {|CSA1003:_processed|}++;
            }
            public Task StartAsync(int workers)
            {
                Func<Task> loop = ProcessAsync;
                var tasks = new Task[workers];
                for (int i = 0; i < workers; i++) tasks[i] = Task.Run(loop);
                return Task.WhenAll(tasks);
            }
        }
        """);

    [Fact]
    public Task Call_depth_set_in_editorconfig_stops_the_walk() => Verify.VerifyAnalyzerAsync("""
        using System.Threading.Tasks;
        static class Stats
        {
            private static long s_requests;
            private static long s_direct;
            public static void Count() => s_requests++;
            public static void CountDirect() => {|CSA1003:s_direct|}++;
        }
        class Handler
        {
            private void Handle(int request) { Log(request); }
            private void Log(int request) => Stats.Count();
            public void Serve(int[] requests) => Parallel.ForEach(requests, r => { Handle(r); Stats.CountDirect(); });
        }
        """,
        """
        root = true
        [*.cs]
        concurrencysafety.max_call_depth = 1
        """);

    [Fact]
    public Task Extension_method_helper_writes_a_field_of_its_receiver() => Verify.VerifyAnalyzerAsync("""
        using System.Threading.Tasks;
        class Tally { public int Hits; }
        static class TallyExtensions
        {
            public static void Hit(this Tally tally) => {|CSA1003:tally.Hits|}++;
            public static int Peek(this Tally tally) => tally.Hits;
        }
        class Counter
        {
            private readonly Tally _tally = new();
            public void Run(int n) => Parallel.For(0, n, i => _tally.Hit());
            public int Read(int n)
            {
                var sum = 0;
                Parallel.For(0, n, i => System.Threading.Interlocked.Add(ref sum, _tally.Peek()));
                return sum;
            }
        }
        """);

    [Fact]
    public Task Method_group_and_static_state_with_Interlocked_or_a_shared_lock_are_silent() => Verify.VerifyAnalyzerAsync("""
        using System.Threading;
        using System.Threading.Tasks;
        static class Stats
        {
            private static readonly object s_gate = new();
            private static long s_requests;
            private static long s_bytes;
            public static void Count() => Interlocked.Increment(ref s_requests);
            public static void Add(long bytes) { lock (s_gate) { s_bytes += bytes; } }
        }
        class Counter
        {
            private int _completed;
            private void CompleteOne(int i) { Interlocked.Increment(ref _completed); Stats.Count(); Stats.Add(i); }
            public void Run(int n) => Parallel.For(0, n, CompleteOne);
        }
        """);

    [Fact]
    public Task Async_Select_query_materialized_later_writes_a_field_after_await() => Verify.VerifyAnalyzerAsync("""
        using System.Linq;
        using System.Threading.Tasks;
        class Fetcher
        {
            private int _done;
            private int _before;
            public async Task FetchAllAsync(int[] ids)
            {
                var query = ids.Select(async id => { _before++; await Task.Delay(id); {|CSA1003:_done|}++; });
                _before = 0;
                var started = query.ToArray();
                await Task.WhenAll(started);
            }
        }
        """);

    // ---- tasks created per element and returned to the caller ----

    [Fact]
    public Task Tasks_of_a_Select_returned_through_WhenAll_write_a_field() => Verify.VerifyAnalyzerAsync("""
        using System.Linq;
        using System.Threading.Tasks;
        class Counter
        {
            private int _counter;
            private int _total;
            private int _started;
            private void Add(int x) => {|CSA1003:_total|} += x;
            public Task RunAll(int[] xs) => Task.WhenAll(xs.Select(x => Task.Run(() => {|CSA1003:_counter|}++)));
            public Task SumAll(int[] xs)
            {
                return Task.WhenAll(xs.Select(x => Task.Run(() => Add(x))));
            }

            public Task[] StartAll(int[] xs) => xs.Select(x => Task.Run(() => {|CSA1003:_started|} = x)).ToArray();
        }
        """);

    [Fact]
    public Task Returned_tasks_with_Interlocked_a_lock_a_single_task_or_a_lazy_query_are_silent() => Verify.VerifyAnalyzerAsync("""
        using System.Collections.Generic;
        using System.Linq;
        using System.Threading;
        using System.Threading.Tasks;
        class Counter
        {
            private readonly object _gate = new();
            private int _counter;
            private int _total;
            private int _once;
            private int _lazy;
            public Task RunAll(int[] xs) => Task.WhenAll(xs.Select(x => Task.Run(() => Interlocked.Increment(ref _counter))));
            public Task SumAll(int[] xs) => Task.WhenAll(xs.Select(x => Task.Run(() => { lock (_gate) { _total += x; } })));

            // One task, returned: the caller decides when it runs beside anything.
            public Task Once() => Task.Run(() => _once++);

            // Not started yet: the caller may await each task before it asks for the next.
            public IEnumerable<Task> Lazy(int[] xs) => xs.Select(x => Task.Run(() => _lazy++));
        }
        """);

    [Fact]
    public Task Tasks_of_a_lazy_Select_awaited_one_at_a_time_in_a_foreach_are_silent() => Verify.VerifyAnalyzerAsync("""
        using System.Linq;
        using System.Threading.Tasks;
        class Counter
        {
            private int _counter;
            public async Task<int> RunAll(int[] xs)
            {
                // Each MoveNext starts one task, and the loop awaits it before the next MoveNext.
                foreach (var t in xs.Select(x => Task.Run(() => _counter++)))
                {
                    await t;
                    _counter *= 2;
                }

                var query = xs.Select(x => Task.Run(() => _counter--));
                foreach (var t in query)
                {
                    t.Wait();
                }

                return _counter;
            }
        }
        """);

    [Fact]
    public Task Tasks_of_a_Select_collected_by_a_foreach_or_materialized_write_a_field_and_code_after_the_loop_is_silent() => Verify.VerifyAnalyzerAsync("""
        using System.Collections.Generic;
        using System.Linq;
        using System.Threading.Tasks;
        class Counter
        {
            private int _a;
            private int _b;
            private int _c;
            public async Task<int> RunAll(int[] xs)
            {
                // Every task is created before any is awaited.
                var started = new List<Task>();
                foreach (var t in xs.Select(x => Task.Run(() => {|CSA1003:_a|}++)))
                {
                    started.Add(t);
                }

                await Task.WhenAll(started);
                foreach (var t in xs.Select(x => Task.Run(() => {|CSA1003:_b|}++)).ToList())
                {
                    await t;
                }

                var query = xs.Select(x => Task.Run(() => {|CSA1003:_c|}++));
                await Task.WhenAll(query);
                return _a + _b + _c;
            }

            public async Task<int> ResetAfterAll(int[] xs)
            {
                foreach (var t in xs.Select(x => Task.Run(() => {|CSA1003:_b|}++)).ToList())
                {
                    await t;
                }

                // After the loop over the materialized list every task has been awaited.
                _b = 0;
                return _b;
            }
        }
        """);

    // ---- an object reached through a call's result, passed to a helper ----

    [Fact]
    public Task Field_of_a_method_result_passed_to_a_helper_is_followed() => Verify.VerifyAnalyzerAsync("""
        using System.Threading;
        using System.Threading.Tasks;
        class Tally { public int N; }
        class Counter
        {
            private readonly Tally _tally = new();
            private readonly Tally _safe = new();
            private Tally GetTally() => _tally;
            private Tally GetSafe() => _safe;
            private static void Bump(Tally t) => {|CSA1003:t.N|}++;
            private static void BumpSafely(Tally t) => Interlocked.Increment(ref t.N);
            public void Run(int n) => Parallel.For(0, n, i => Bump(GetTally()));
            public void RunSafely(int n) => Parallel.For(0, n, i => BumpSafely(GetSafe()));
            public void RunFresh(int n) => Parallel.For(0, n, i => Bump(new Tally()));

            // A field of a call result written in place is not named (a limit).
            public void RunInPlace(int n) => Parallel.For(0, n, i => GetTally().N++);
        }
        """);
}
