using Verify = ConcurrencySafety.Analyzers.Tests.Verifiers.CSharpAnalyzerVerifier<ConcurrencySafety.Analyzers.Rules.CSA2012MutationThroughReadGuardAnalyzer>;
using Fix = ConcurrencySafety.Analyzers.Tests.Verifiers.CSharpCodeFixVerifier<ConcurrencySafety.Analyzers.Rules.CSA2012MutationThroughReadGuardAnalyzer, ConcurrencySafety.CodeFixes.CSA2012MutationThroughReadGuardCodeFix>;

namespace ConcurrencySafety.Analyzers.Tests.Rules.Ownership;

public class CSA2012MutationThroughReadGuardTests
{
    [Fact]
    public Task Mutations_through_read_guards() => Verify.VerifyAnalyzerAsync("""
        using System.Collections.Generic;
        using ConcurrencySafety;
        class Settings { public string Name { get; set; } = ""; public int Hits; }
        class C
        {
            private readonly RwLocked<List<string>> _cache = new(new List<string>());
            private readonly RwLocked<Dictionary<string, int>> _map = new(new Dictionary<string, int>());
            private readonly RwLocked<Settings> _settings = new(new Settings());
            private readonly RwLocked<int[]> _slots = new(new int[4]);

            public void M()
            {
                {|CSA2012:_cache.Read().Value.Add("x")|};
                using (var r = _map.Read())
                {
                    {|CSA2012:r.Value["a"] = 1|};
                    var alias = r.Value;
                    {|CSA2012:alias.Remove("a")|};
                }
                using var s = _settings.Read();
                {|CSA2012:s.Value.Name = "n"|};
                {|CSA2012:s.Value.Hits++|};
                {|CSA2012:s.Value.Name = s.Value.Hits > 0 ? "a" : "b"|};
                using var slots = _slots.Read();
                {|CSA2012:slots.Value[0] = 1|};
            }
        }
        """);

    // ---- must stay silent ----

    [Fact]
    public Task Reads_through_read_guards_and_writes_through_write_guards_are_silent() => Verify.VerifyAnalyzerAsync("""
        using System.Collections.Generic;
        using System.Linq;
        using ConcurrencySafety;
        class C
        {
            private readonly RwLocked<List<string>> _cache = new(new List<string>());

            public int M()
            {
                using (var w = _cache.Write()) w.Value.Add("x");
                using var r = _cache.Read();
                var copy = r.Value.ToList();
                copy.Add("y");
                foreach (var name in r.Value) { }
                return r.Value.Count + (r.Value.Contains("x") ? 1 : 0);
            }
        }
        """);

    // ---- code fix ----

    [Fact]
    public Task Fix_takes_a_write_guard() => Fix.VerifyCodeFixAsync("""
        using System.Collections.Generic;
        using System.Threading.Tasks;
        using ConcurrencySafety;
        class C
        {
            private readonly RwLocked<List<string>> _cache = new(new List<string>());

            public async Task M()
            {
                {|CSA2012:_cache.Read().Value.Add("x")|};
                using (var r = _cache.Read())
                {
                    {|CSA2012:r.Value.Clear()|};
                }
                using var a = await _cache.ReadAsync();
                {|CSA2012:a.Value.Add("y")|};
            }
        }
        """, """
        using System.Collections.Generic;
        using System.Threading.Tasks;
        using ConcurrencySafety;
        class C
        {
            private readonly RwLocked<List<string>> _cache = new(new List<string>());

            public async Task M()
            {
                _cache.Write().Value.Add("x");
                using (var r = _cache.Write())
                {
                    r.Value.Clear();
                }
                using var a = await _cache.WriteAsync();
                a.Value.Add("y");
            }
        }
        """);

    // The guard is passed on as a ReadGuard: changing its type would not compile.
    [Fact]
    public Task Fix_not_offered_when_the_guard_is_used_as_a_read_guard() => Fix.VerifyCodeFixAsync("""
        using System.Collections.Generic;
        using ConcurrencySafety;
        class C
        {
            private readonly RwLocked<List<string>> _cache = new(new List<string>());

            public void M()
            {
                using var r = _cache.Read();
                {|CSA2012:r.Value.Clear()|};
                Show(r);
            }

            static void Show(ReadGuard<List<string>> guard) { }
        }
        """, """
        using System.Collections.Generic;
        using ConcurrencySafety;
        class C
        {
            private readonly RwLocked<List<string>> _cache = new(new List<string>());

            public void M()
            {
                using var r = _cache.Read();
                {|CSA2012:r.Value.Clear()|};
                Show(r);
            }

            static void Show(ReadGuard<List<string>> guard) { }
        }
        """);
}
