using Verify = ConcurrencySafety.Analyzers.Tests.Verifiers.CSharpAnalyzerVerifier<ConcurrencySafety.Analyzers.Rules.CSA2011GuardDataEscapesAnalyzer>;
using Fix = ConcurrencySafety.Analyzers.Tests.Verifiers.CSharpCodeFixVerifier<ConcurrencySafety.Analyzers.Rules.CSA2011GuardDataEscapesAnalyzer, ConcurrencySafety.CodeFixes.CSA2011GuardDataEscapesCodeFix>;

namespace ConcurrencySafety.Analyzers.Tests.Rules.Ownership;

public class CSA2011GuardDataEscapesTests
{
    // The examples: return g.Value; names = guard.Value used after the guard is gone.
    [Fact]
    public Task Returned_stored_and_used_after_release() => Verify.VerifyAnalyzerAsync("""
        using System;
        using System.Collections.Generic;
        using ConcurrencySafety;
        class C
        {
            private readonly Locked<List<string>> _names = new(new List<string>());
            private List<string>? _leak;

            public List<string> Get()
            {
                using (var g = _names.Lock())
                {
                    return {|CSA2011:g.Value|};
                }
            }

            public void Store()
            {
                using var g = _names.Lock();
                _leak = {|CSA2011:g.Value|};
            }

            public int UseAfter()
            {
                List<string> names;
                using (var guard = _names.Lock())
                {
                    names = guard.Value;
                    Console.WriteLine(names.Count);
                }
                return {|CSA2011:names|}.Count;
            }

            public void OutParameter(out List<string> names)
            {
                using var g = _names.Lock();
                names = {|CSA2011:g.Value|};
            }
        }
        """);

    [Fact]
    public Task Reference_reached_from_the_data_and_lambda_capture() => Verify.VerifyAnalyzerAsync("""
        using System;
        using System.Collections.Generic;
        using ConcurrencySafety;
        class Registry { public List<int> Ids { get; } = new(); public Dictionary<string, List<int>> ByName { get; } = new(); }
        class C
        {
            private readonly RwLocked<Registry> _registry = new(new Registry());
            private Func<int>? _callback;

            public List<int> Ids()
            {
                using var r = _registry.Read();
                var ids = r.Value.Ids;
                return {|CSA2011:ids|};
            }

            public List<int> Named(string name)
            {
                using var w = _registry.Write();
                return {|CSA2011:w.Value.ByName[name]|};
            }

            public void Later()
            {
                using var r = _registry.Read();
                _callback = {|CSA2011:() => r.Value.Ids.Count|};
            }
        }
        """);

    // The taint dataflow drops locals no later block refers to (Lifecycle/LiveSymbols, what
    // keeps it linear in the number of guards): a use after the guard, far away, in the next
    // iteration of a loop, or through a ?: capture must still be seen.
    [Fact]
    public Task Uses_far_from_the_guard_are_still_seen() => Verify.VerifyAnalyzerAsync("""
        using System;
        using System.Collections.Generic;
        using ConcurrencySafety;
        class C
        {
            private readonly Locked<List<string>> _names = new(new List<string>());

            public int Far(int n)
            {
                List<string> names;
                using (var guard = _names.Lock())
                {
                    names = guard.Value;
                }
                var total = 0;
                for (var i = 0; i < n; i++) { total += i; }
                if (total > 3) { total--; } else { total++; }
                return total + {|CSA2011:names|}.Count;
            }

            public int NextIteration(int n)
            {
                List<string>? names = null;
                var total = 0;
                for (var i = 0; i < n; i++)
                {
                    if (names != null)
                    {
                        total += {|CSA2011:names|}.Count;
                    }
                    using (var guard = _names.Lock())
                    {
                        names = guard.Value;
                        total += names.Count;
                    }
                }
                return total;
            }

            public int ThroughConditional(List<string> other, bool flag)
            {
                List<string> names;
                using (var guard = _names.Lock())
                {
                    names = guard.Value;
                }
                var pick = flag ? {|CSA2011:names|} : other;
                return {|CSA2011:pick|}.Count;
            }
        }
        """);

    // ---- must stay silent ----

    // The valid twin: guard data copied out (g.Value.ToList()).
    [Fact]
    public Task Copies_values_and_work_inside_the_guard_are_silent() => Verify.VerifyAnalyzerAsync("""
        using System;
        using System.Collections.Generic;
        using System.Linq;
        using System.Threading.Tasks;
        using ConcurrencySafety;
        class C
        {
            private readonly Locked<List<string>> _names = new(new List<string>());
            private readonly Locked<int> _count = new(0);
            private readonly Locked<string> _title = new("t");
            private List<string>? _snapshot;

            public List<string> Snapshot()
            {
                using (var g = _names.Lock()) return g.Value.ToList();
            }

            public int Count()
            {
                using var g = _names.Lock();
                var names = g.Value;
                names.Add("x");
                return names.Count;
            }

            public int Counter() { using var g = _count.Lock(); return g.Value; }
            public string Title() { using var g = _title.Lock(); return g.Value; }

            public void Copy()
            {
                List<string> local;
                using (var g = _names.Lock()) local = new List<string>(g.Value);
                _snapshot = local;
                Console.WriteLine(local.Count);
            }

            public void Reassigned()
            {
                List<string>? names = null;
                using (var g = _names.Lock()) { names = g.Value; names.Add("y"); }
                if (names != null) names = new List<string>();
                names = new List<string>();
                Console.WriteLine(names.Count);
            }

            public async Task<int> AwaitInside()
            {
                using var g = await _names.LockAsync();
                g.Value.Add("z");
                await Task.Yield();
                return g.Value.Count;
            }

            public void Runs(Action<List<string>> work)
            {
                using var g = _names.Lock();
                work(g.Value);
                g.Value.ForEach(n => Console.WriteLine(n));
            }
        }
        """);

    // ---- code fix ----

    // The copy is taken where the data escaped, while the guard is held.
    [Fact]
    public Task Fix_copies_the_data_while_the_guard_is_held() => Fix.VerifyCodeFixAsync("""
        using System.Collections.Generic;
        using ConcurrencySafety;
        class C
        {
            private readonly Locked<List<string>> _names = new(new List<string>());
            private List<string>? _leak;

            public List<string> Get()
            {
                using (var g = _names.Lock()) return {|CSA2011:g.Value|};
            }

            public void Store()
            {
                using var g = _names.Lock();
                _leak = {|CSA2011:g.Value|};
            }
        }
        """, """
        using System.Collections.Generic;
        using ConcurrencySafety;
        class C
        {
            private readonly Locked<List<string>> _names = new(new List<string>());
            private List<string>? _leak;

            public List<string> Get()
            {
                using (var g = _names.Lock()) return new List<string>(g.Value);
            }

            public void Store()
            {
                using var g = _names.Lock();
                _leak = new List<string>(g.Value);
            }
        }
        """);

    // A local used after the release gets no fix: the copy belongs where it was assigned.
    [Fact]
    public Task Fix_not_offered_for_a_use_after_release() => Fix.VerifyCodeFixAsync("""
        using System.Collections.Generic;
        using ConcurrencySafety;
        class C
        {
            private readonly Locked<List<string>> _names = new(new List<string>());

            public int UseAfter()
            {
                List<string> names;
                using (var g = _names.Lock()) names = g.Value;
                return {|CSA2011:names|}.Count;
            }
        }
        """, """
        using System.Collections.Generic;
        using ConcurrencySafety;
        class C
        {
            private readonly Locked<List<string>> _names = new(new List<string>());

            public int UseAfter()
            {
                List<string> names;
                using (var g = _names.Lock()) names = g.Value;
                return {|CSA2011:names|}.Count;
            }
        }
        """);
}
