using Verify = ConcurrencySafety.Analyzers.Tests.Verifiers.CSharpAnalyzerVerifier<ConcurrencySafety.Analyzers.Rules.CSA1002NonThreadSafeObjectSharedAnalyzer>;
using Fix = ConcurrencySafety.Analyzers.Tests.Verifiers.CSharpCodeFixVerifier<ConcurrencySafety.Analyzers.Rules.CSA1002NonThreadSafeObjectSharedAnalyzer, ConcurrencySafety.CodeFixes.CSA1002NonThreadSafeObjectSharedCodeFix>;

namespace ConcurrencySafety.Analyzers.Tests.Rules;

public class CSA1002NonThreadSafeObjectSharedTests
{
    [Fact]
    public Task List_added_to_from_Parallel_ForEach() => Verify.VerifyAnalyzerAsync("""
        using System.Collections.Generic;
        using System.Threading.Tasks;
        class C
        {
            List<int> M(int[] values)
            {
                var squares = new List<int>();
                Parallel.ForEach(values, v => {|CSA1002:squares|}.Add(v * v));
                return squares;
            }
        }
        """);

    [Fact]
    public Task Dictionary_indexer_set_from_tasks_in_a_loop() => Verify.VerifyAnalyzerAsync("""
        using System.Collections.Generic;
        using System.Threading.Tasks;
        class C
        {
            async Task M(string[] keys)
            {
                var counts = new Dictionary<string, int>();
                var tasks = new List<Task>();
                foreach (var key in keys)
                {
                    tasks.Add(Task.Run(() => { {|CSA1002:counts|}[key] = key.Length; }));
                }
                await Task.WhenAll(tasks);
            }
        }
        """);

    [Fact]
    public Task Field_queue_and_builder_changed_by_PLINQ() => Verify.VerifyAnalyzerAsync("""
        using System.Collections.Generic;
        using System.Linq;
        using System.Text;
        class C
        {
            private readonly Queue<int> _pending = new();
            private static readonly StringBuilder Log = new();
            void M(int[] values)
            {
                values.AsParallel().ForAll(v => { {|CSA1002:_pending|}.Enqueue(v); {|CSA1002:Log|}.AppendLine(v.ToString()); });
            }
        }
        """);

    [Fact]
    public Task Read_while_a_task_changes_the_set() => Verify.VerifyAnalyzerAsync("""
        using System.Collections.Generic;
        using System.Threading.Tasks;
        class C
        {
            async Task<bool> M()
            {
                var seen = new HashSet<int>();
                var t = Task.Run(() => {|CSA1002:seen|}.Add(1));
                bool has = {|CSA1002:seen|}.Contains(1);
                await t;
                return has;
            }
        }
        """);

    [Fact]
    public Task Array_sorted_by_one_task_while_another_reads_it() => Verify.VerifyAnalyzerAsync("""
        using System;
        using System.Threading.Tasks;
        class C
        {
            async Task M(int[] data)
            {
                var sorter = Task.Run(() => Array.Sort({|CSA1002:data|}));
                var reader = Task.Run(() => Console.WriteLine({|CSA1002:data|}[0]));
                await Task.WhenAll(sorter, reader);
            }
        }
        """);

    [Fact]
    public Task Stack_pushed_by_spawns_of_a_scope() => Verify.VerifyAnalyzerAsync("""
        using System;
        using System.Collections.Generic;
        using ConcurrencySafety;
        sealed class Scope
        {
            public static void Run(Action<Scope> body) => body(new Scope());
            public void Spawn([RunsConcurrently] Action work) { }
        }
        class C
        {
            void M(int[] items)
            {
                var stack = new Stack<int>();
                Scope.Run(s =>
                {
                    foreach (var item in items)
                    {
                        s.Spawn(() => {|CSA1002:stack|}.Push(item));
                    }
                });
            }
        }
        """);

    [Fact]
    public Task Unlocked_read_of_a_list_a_task_fills_under_lock() => Verify.VerifyAnalyzerAsync("""
        using System.Collections.Generic;
        using System.Threading.Tasks;
        class C
        {
            async Task<int> M(int[] items)
            {
                var received = new List<int>();
                _ = Task.Run(() =>
                {
                    foreach (var item in items)
                    {
                        lock (received) { {|CSA1002:received|}.Add(item); }
                    }
                });
                await Task.Delay(50);
                return {|CSA1002:received|}.Count;
            }
        }
        """);

    // ---- must stay silent ----

    [Fact]
    public Task Concurrent_and_immutable_collections_are_silent() => Verify.VerifyAnalyzerAsync("""
        using System.Collections.Concurrent;
        using System.Collections.Immutable;
        using System.Threading.Tasks;
        class C
        {
            private ImmutableList<int> _snapshot = ImmutableList<int>.Empty;
            void M(int[] values)
            {
                var bag = new ConcurrentBag<int>();
                var map = new ConcurrentDictionary<int, int>();
                var queue = new ConcurrentQueue<int>();
                Parallel.ForEach(values, v =>
                {
                    bag.Add(v);
                    map[v] = v;
                    queue.Enqueue(v);
                    ImmutableInterlocked.Update(ref _snapshot, s => s.Add(v));
                });
            }
        }
        """);

    [Fact]
    public Task Locked_access_and_reads_only_are_silent() => Verify.VerifyAnalyzerAsync("""
        using System.Collections.Generic;
        using System.Linq;
        using System.Threading.Tasks;
        class C
        {
            private readonly object _gate = new();
            async Task<int> M(int[] values, Dictionary<int, string> names)
            {
                var found = new List<string>();
                Parallel.ForEach(values, v =>
                {
                    if (names.TryGetValue(v, out var name))
                    {
                        lock (_gate) { found.Add(name); }
                    }
                });
                var lookup = new Dictionary<int, int> { [1] = 2 };
                var sums = await Task.WhenAll(values.Select(v => Task.Run(() => lookup.ContainsKey(v) ? lookup[v] : 0)));
                return found.Count + sums.Sum();
            }
        }
        """);

    [Fact]
    public Task Collections_built_after_join_or_per_body_are_silent() => Verify.VerifyAnalyzerAsync("""
        using System.Collections.Generic;
        using System.Text;
        using System.Threading.Tasks;
        class C
        {
            async Task<string> M(int[] values)
            {
                var results = new List<int>();
                var partial = await Task.Run(() =>
                {
                    var mine = new List<int>();
                    var sb = new StringBuilder();
                    foreach (var v in values) { mine.Add(v); sb.Append(v); }
                    return mine;
                });
                results.AddRange(partial);
                var slots = new List<int>(new int[values.Length]);
                Parallel.For(0, values.Length, i => slots[i] = values[i] * 2);
                return results.Count.ToString() + slots.Count;
            }
        }
        """);

    // ---- code fix ----

    [Fact]
    public Task Fix_turns_add_only_list_into_ConcurrentBag() => Fix.VerifyCodeFixAsync("""
        using System.Collections.Generic;
        using System.Linq;
        using System.Threading.Tasks;
        class C
        {
            int M(int[] values)
            {
                var squares = new List<int>();
                Parallel.ForEach(values, v => {|CSA1002:squares|}.Add(v * v));
                return squares.Sum() + squares.Count;
            }
        }
        """, """
        using System.Collections.Concurrent;
        using System.Collections.Generic;
        using System.Linq;
        using System.Threading.Tasks;
        class C
        {
            int M(int[] values)
            {
                var squares = new ConcurrentBag<int>();
                Parallel.ForEach(values, v => squares.Add(v * v));
                return squares.Sum() + squares.Count;
            }
        }
        """);

    [Fact]
    public Task Fix_turns_explicitly_typed_queue_and_dictionary_into_concurrent_ones() => Fix.VerifyCodeFixAsync("""
        using System.Collections.Concurrent;
        using System.Collections.Generic;
        using System.Threading.Tasks;
        class C
        {
            int M(string[] words)
            {
                Queue<string> pending = new Queue<string>();
                Dictionary<string, int> lengths = new();
                Parallel.ForEach(words, w =>
                {
                    {|CSA1002:pending|}.Enqueue(w);
                    {|CSA1002:lengths|}[w] = w.Length;
                });
                return pending.Count + (lengths.TryGetValue("a", out var n) ? n : 0);
            }
        }
        """, """
        using System.Collections.Concurrent;
        using System.Collections.Generic;
        using System.Threading.Tasks;
        class C
        {
            int M(string[] words)
            {
                ConcurrentQueue<string> pending = new ConcurrentQueue<string>();
                ConcurrentDictionary<string, int> lengths = new();
                Parallel.ForEach(words, w =>
                {
                    pending.Enqueue(w);
                    lengths[w] = w.Length;
                });
                return pending.Count + (lengths.TryGetValue("a", out var n) ? n : 0);
            }
        }
        """, fixAllIterationsAtMost: 4);

    [Fact]
    public Task Fix_not_offered_when_the_mapping_is_not_sound() => Fix.VerifyCodeFixAsync("""
        using System.Collections.Generic;
        using System.Threading.Tasks;
        class C
        {
            private readonly List<int> _field = new();
            int M(int[] values, List<int> parameter)
            {
                var ordered = new List<int>();
                var set = new HashSet<int>();
                var stack = new Stack<int>();
                var prefilled = new List<int> { 1 };
                Parallel.ForEach(values, v =>
                {
                    {|CSA1002:ordered|}.Add(v);
                    {|CSA1002:set|}.Add(v);
                    {|CSA1002:stack|}.Push(v);
                    {|CSA1002:prefilled|}.Add(v);
                    {|CSA1002:_field|}.Add(v);
                    {|CSA1002:parameter|}.Add(v);
                });
                return ordered[0] + set.Count + stack.Pop() + prefilled.Count;
            }
        }
        """, """
        using System.Collections.Generic;
        using System.Threading.Tasks;
        class C
        {
            private readonly List<int> _field = new();
            int M(int[] values, List<int> parameter)
            {
                var ordered = new List<int>();
                var set = new HashSet<int>();
                var stack = new Stack<int>();
                var prefilled = new List<int> { 1 };
                Parallel.ForEach(values, v =>
                {
                    {|CSA1002:ordered|}.Add(v);
                    {|CSA1002:set|}.Add(v);
                    {|CSA1002:stack|}.Push(v);
                    {|CSA1002:prefilled|}.Add(v);
                    {|CSA1002:_field|}.Add(v);
                    {|CSA1002:parameter|}.Add(v);
                });
                return ordered[0] + set.Count + stack.Pop() + prefilled.Count;
            }
        }
        """);

    [Fact]
    public Task List_field_changed_by_a_helper_called_from_a_Parallel_body() => Verify.VerifyAnalyzerAsync("""
        using System.Collections.Generic;
        using System.Threading.Tasks;
        class Collector
        {
            private readonly List<int> _seen = new();
            private void Record(int value) => {|CSA1002:_seen|}.Add(value);
            public void Run(int[] values) => Parallel.ForEach(values, v => Record(v));
        }
        """);

    [Fact]
    public Task List_passed_to_a_helper_by_argument_is_followed() => Verify.VerifyAnalyzerAsync("""
        using System.Collections.Generic;
        using System.Threading.Tasks;
        class Collector
        {
            private static void AddTo(List<int> target, int value) => {|CSA1002:target|}.Add(value);
            public List<int> Run(int[] values)
            {
                var all = new List<int>();
                Parallel.ForEach(values, v => AddTo(all, v));
                return all;
            }
        }
        """);

    [Fact]
    public Task Shared_Random_used_by_a_Parallel_body() => Verify.VerifyAnalyzerAsync("""
        using System;
        using System.Threading.Tasks;
        class Sampler
        {
            private readonly Random _random = new();
            public int[] Sample(int n)
            {
                var result = new int[n];
                Parallel.For(0, n, i => result[i] = {|CSA1002:_random|}.Next());
                return result;
            }
        }
        """);

    [Fact]
    public Task Auto_property_list_changed_by_tasks_in_a_loop() => Verify.VerifyAnalyzerAsync("""
        using System.Collections.Generic;
        using System.Threading.Tasks;
        class Collector
        {
            public List<string> Names { get; } = new();
            public async Task RunAsync(string[] names)
            {
                var tasks = new List<Task>();
                foreach (var name in names) tasks.Add(Task.Run(() => {|CSA1002:Names|}.Add(name)));
                await Task.WhenAll(tasks);
            }
        }
        """);

    [Fact]
    public Task Type_marked_NotThreadSafe_is_reported_and_ThreadSafe_wins() => Verify.VerifyAnalyzerAsync("""
        using System.Collections.Generic;
        using System.Threading.Tasks;
        using ConcurrencySafety;
        [NotThreadSafe]
        class Tally { private int _n; public void Bump() => _n++; }
        [ThreadSafe]
        class SafeList : List<int> { }
        class User
        {
            private readonly Tally _tally = new();
            private readonly SafeList _safe = new();
            public void Run(int n) => Parallel.For(0, n, i => { {|CSA1002:_tally|}.Bump(); _safe.Add(i); });
        }
        """);

    [Fact]
    public Task Lock_held_by_the_caller_protects_the_helper() => Verify.VerifyAnalyzerAsync("""
        using System.Collections.Generic;
        using System.Threading.Tasks;
        class Collector
        {
            private readonly object _gate = new();
            private readonly List<int> _seen = new();
            private void Record(int value) => _seen.Add(value);
            public void Run(int[] values) => Parallel.ForEach(values, v => { lock (_gate) Record(v); });
        }
        """);

    // ---- an instance reached through a method or property result ----

    [Fact]
    public Task Dictionary_field_returned_by_a_method_and_changed_by_a_Parallel_body() => Verify.VerifyAnalyzerAsync("""
        using System.Collections.Generic;
        using System.Threading.Tasks;
        class Cache
        {
            private readonly Dictionary<string, int> _cache = new();
            private Dictionary<string, int> GetCache() => _cache;
            public void Warm(string[] keys) => Parallel.ForEach(keys, k => {|CSA1002:GetCache()|}.Add(k, k.Length));
        }
        """);

    [Fact]
    public Task List_field_returned_by_a_getter_on_every_path_and_changed_by_PLINQ() => Verify.VerifyAnalyzerAsync("""
        using System.Collections.Generic;
        using System.Linq;
        using System.Threading.Tasks;
        class Collector
        {
            private readonly List<string> _names = new();
            private bool _trace;
            private List<string> Names
            {
                get
                {
                    if (_trace)
                    {
                        return _names;
                    }

                    return this._names;
                }
            }

            public void Run(string[] names) => names.AsParallel().ForAll(name => {|CSA1002:Names|}.Add(name));
        }
        """);

    [Fact]
    public Task Expression_bodied_property_and_static_method_results_reached_from_a_helper() => Verify.VerifyAnalyzerAsync("""
        using System.Collections.Generic;
        using System.Text;
        using System.Threading.Tasks;
        class Recorder
        {
            private static readonly StringBuilder Log = new();
            private readonly Queue<int> _pending = new();
            private Queue<int> Pending => _pending;
            private static StringBuilder TheLog() => Log;
            private void Record(int v)
            {
                {|CSA1002:Pending|}.Enqueue(v);
                {|CSA1002:TheLog()|}.Append(v);
            }

            public void Run(int[] values) => Parallel.ForEach(values, v => Record(v));
        }
        """);

    [Fact]
    public Task Method_that_returns_its_argument_names_the_callers_list() => Verify.VerifyAnalyzerAsync("""
        using System.Collections.Generic;
        using System.Threading.Tasks;
        class C
        {
            private static List<int> Same(List<int> list) => list;
            private List<int> Chained(List<int> list) => Same(list);
            public List<int> M(int[] values)
            {
                var all = new List<int>();
                Parallel.ForEach(values, v => { {|CSA1002:Same(all)|}.Add(v); {|CSA1002:Chained(all)|}.Add(v); });
                return all;
            }
        }
        """);

    [Fact]
    public Task Results_that_are_fresh_safe_snapshots_or_not_one_path_are_silent() => Verify.VerifyAnalyzerAsync("""
        using System.Collections.Concurrent;
        using System.Collections.Generic;
        using System.Collections.Immutable;
        using System.Linq;
        using System.Threading.Tasks;
        class Cache
        {
            private readonly ConcurrentDictionary<string, int> _safe = new();
            private readonly List<int> _a = new();
            private readonly List<int> _b = new();
            private ImmutableList<int> _snapshot = ImmutableList<int>.Empty;
            private bool _flag;
            private List<int> Fresh() => new List<int>();
            private List<int> Local() { var list = new List<int>(); return list; }
            private ConcurrentDictionary<string, int> Safe() => _safe;
            private ImmutableList<int> Snapshot => _snapshot;
            private List<int> Copy => new List<int>(_a);
            private List<int> Either() => _flag ? _a : _b;
            private List<int> OneOrOther()
            {
                if (_flag)
                {
                    return _a;
                }

                return _b;
            }

            public void Run(string[] keys) => Parallel.ForEach(keys, k =>
            {
                Fresh().Add(k.Length);
                Local().Add(k.Length);
                Safe().TryAdd(k, k.Length);
                _ = Snapshot.Add(k.Length);
                Copy.Add(k.Length);
                Either().Add(k.Length);
                OneOrOther().Add(k.Length);
                keys.ToList().Add(k);
            });
        }
        """);

    [Fact]
    public Task Result_changed_under_a_lock_on_a_private_readonly_object_is_silent() => Verify.VerifyAnalyzerAsync("""
        using System.Collections.Generic;
        using System.Threading.Tasks;
        class Cache
        {
            private readonly object _gate = new();
            private readonly Dictionary<string, int> _cache = new();
            private Dictionary<string, int> GetCache() => _cache;
            private Dictionary<string, int> Entries => _cache;
            private void Store(string k)
            {
                lock (_gate)
                {
                    Entries[k] = k.Length;
                }
            }

            public void Warm(string[] keys) => Parallel.ForEach(keys, k =>
            {
                lock (_gate)
                {
                    GetCache()[k] = k.Length;
                }

                Store(k);
            });
        }
        """);

    [Fact]
    public Task Virtual_method_result_is_not_taken_as_the_field_it_returns_here() => Verify.VerifyAnalyzerAsync("""
        using System.Collections.Generic;
        using System.Threading.Tasks;
        class Cache
        {
            private readonly List<int> _items = new();
            protected virtual List<int> Items() => _items;
            public void Run(int[] values) => Parallel.ForEach(values, v => Items().Add(v));
        }
        """);

    [Fact]
    public Task Message_names_the_call_the_object_is_reached_through_and_the_helper_chain() => Verify.VerifyAnalyzerAsync("""
        using System.Collections.Generic;
        using System.Threading.Tasks;
        class Cache
        {
            private readonly Dictionary<string, int> _cache = new();
            private Dictionary<string, int> GetCache() => _cache;
            private void Store(string k) => {|#1:GetCache()|}[k] = 1;
            public void Warm(string[] keys) => Parallel.ForEach(keys, k => {|#0:GetCache()|}.Remove(k));
            public void Fill(string[] keys) => Parallel.ForEach(keys, k => Store(k));
        }
        """,
        Verify.Diagnostic("CSA1002").WithLocation(0).WithArguments("_cache", "Dictionary<string, int>", "is changed through 'GetCache()' by the body passed to 'Parallel.ForEach', which may run as several instances at once", "ConcurrentDictionary<TKey, TValue>"),
        Verify.Diagnostic("CSA1002").WithLocation(1).WithArguments("_cache", "Dictionary<string, int>", "is changed through 'GetCache()' by 'Store', which the body passed to 'Parallel.ForEach' (line 9) runs as several instances at once", "ConcurrentDictionary<TKey, TValue>"));

    [Fact]
    public Task List_reached_through_a_field_of_a_field_and_per_index_lists_are_silent() => Verify.VerifyAnalyzerAsync("""
        using System.Collections.Generic;
        using System.Threading.Tasks;
        class State { public readonly List<int> Items = new(); }
        class Worker
        {
            private readonly State _state = new();
            public List<int>[] Run(int n)
            {
                Parallel.For(0, n, i => {|CSA1002:_state.Items|}.Add(i));

                // One list per index: each body instance changes its own element.
                var buckets = new List<int>[n];
                for (var k = 0; k < n; k++) buckets[k] = new List<int>();
                Parallel.For(0, n, i => buckets[i].Add(i));
                return buckets;
            }
        }
        """);

    // ---- a method or property result passed to a helper ----

    [Fact]
    public Task List_field_passed_to_a_helper_by_a_Parallel_body_is_followed() => Verify.VerifyAnalyzerAsync("""
        using System.Collections.Generic;
        using System.Threading.Tasks;
        class Collector
        {
            private readonly List<int> _cache = new();
            private static void Record(List<int> c) { {|CSA1002:c|}.Add(1); }
            public void Run(int[] xs) => Parallel.ForEach(xs, x => Record(_cache));
        }
        """);

    [Fact]
    public Task List_field_returned_by_a_method_and_passed_to_a_helper_is_followed() => Verify.VerifyAnalyzerAsync("""
        using System.Collections.Generic;
        using System.Threading.Tasks;
        class Collector
        {
            private readonly List<int> _cache = new();
            private List<int> GetCache() => _cache;
            private static void Record(List<int> c) { {|#0:c|}.Add(1); }
            public void Run(int[] xs) => Parallel.ForEach(xs, x => Record(GetCache()));
        }
        """,
        Verify.Diagnostic("CSA1002").WithLocation(0).WithArguments("_cache", "List<int>", "is changed by 'Record', which the body passed to 'Parallel.ForEach' (line 8) runs as several instances at once", "ConcurrentBag<T> or ConcurrentQueue<T>"));

    [Fact]
    public Task Getter_and_method_results_passed_on_by_helpers_and_async_starts_are_followed() => Verify.VerifyAnalyzerAsync("""
        using System.Collections.Generic;
        using System.Text;
        using System.Threading.Tasks;
        class Recorder
        {
            private readonly Dictionary<string, int> _counts = new();
            private static readonly StringBuilder s_log = new();
            private readonly List<int> _pending = new();
            private Dictionary<string, int> Counts => _counts;
            private static StringBuilder Log() => s_log;
            private List<int> Pending() => _pending;
            private static List<int> Same(List<int> list) => list;
            private static void Count(Dictionary<string, int> d, string k) => {|CSA1002:d|}[k] = k.Length;
            private static void Write(StringBuilder b, string k) => {|CSA1002:b|}.Append(k);
            private static async Task FillAsync(List<int> target, int v)
            {
                await Task.Yield();
                {|CSA1002:target|}.Add(v);
            }

            // Two calls deep: the helper passes the result on.
            private void Store(string k)
            {
                Count(Counts, k);
                Write(Log(), k);
            }

            public void Run(string[] keys) => Parallel.ForEach(keys, k => Store(k));

            public async Task FillBothAsync()
            {
                var a = FillAsync(Same(Pending()), 1);
                var b = FillAsync(Pending(), 2);
                await Task.WhenAll(a, b);
            }
        }
        """);

    [Fact]
    public Task Results_passed_to_helpers_under_a_lock_fresh_or_thread_safe_are_silent() => Verify.VerifyAnalyzerAsync("""
        using System.Collections.Concurrent;
        using System.Collections.Generic;
        using System.Threading.Tasks;
        class Collector
        {
            private readonly object _gate = new();
            private readonly List<int> _cache = new();
            private readonly List<int> _guarded = new();
            private readonly List<int> _a = new();
            private readonly List<int> _b = new();
            private readonly ConcurrentBag<int> _bag = new();
            private bool _flag;
            private List<int> GetCache() => _cache;
            private List<int> Guarded() => _guarded;
            private List<int> Fresh() => new List<int>();
            private List<int> Either() => _flag ? _a : _b;
            private ConcurrentBag<int> Bag() => _bag;
            protected virtual List<int> Overridable() => _a;
            private static void Record(List<int> c) => c.Add(1);
            private static List<int> Same(List<int> list) => list;
            private List<int> Chained() => Same(GetCache());
            private void RecordLocked(List<int> c)
            {
                lock (_gate)
                {
                    c.Add(1);
                }
            }

            private static void Drop(ConcurrentBag<int> bag) => bag.Add(1);

            public void Run(int[] xs) => Parallel.ForEach(xs, x =>
            {
                lock (_gate)
                {
                    Record(GetCache());
                }

                RecordLocked(Guarded());
                Record(Fresh());
                Record(Either());
                Record(Overridable());
                Drop(Bag());
                var mine = new List<int>();
                Record(mine);

                // A limit: a method's result is worked out from its own body, so a method that
                // returns another call with a call result as its argument is not followed.
                Record(Chained());
            });
        }
        """);

    // ---- tasks created per element and returned to the caller ----

    [Fact]
    public Task List_changed_by_tasks_of_a_Select_returned_through_WhenAll() => Verify.VerifyAnalyzerAsync("""
        using System.Collections.Concurrent;
        using System.Collections.Generic;
        using System.Linq;
        using System.Threading.Tasks;
        class Collector
        {
            private readonly List<int> _seen = new();
            private readonly ConcurrentQueue<int> _queue = new();
            private readonly object _gate = new();
            private readonly List<int> _guarded = new();
            public Task RunAll(int[] xs) => Task.WhenAll(xs.Select(x => Task.Run(() => {|CSA1002:_seen|}.Add(x))));
            public Task QueueAll(int[] xs) => Task.WhenAll(xs.Select(x => Task.Run(() => _queue.Enqueue(x))));
            public Task GuardAll(int[] xs) => Task.WhenAll(xs.Select(x => Task.Run(() => { lock (_gate) { _guarded.Add(x); } })));
        }
        """);
}
