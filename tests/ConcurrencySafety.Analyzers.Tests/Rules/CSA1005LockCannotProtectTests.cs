using Verify = ConcurrencySafety.Analyzers.Tests.Verifiers.CSharpAnalyzerVerifier<ConcurrencySafety.Analyzers.Rules.CSA1005LockCannotProtectAnalyzer>;
using Fix = ConcurrencySafety.Analyzers.Tests.Verifiers.CSharpCodeFixVerifier<ConcurrencySafety.Analyzers.Rules.CSA1005LockCannotProtectAnalyzer, ConcurrencySafety.CodeFixes.CSA1005LockCannotProtectCodeFix>;

namespace ConcurrencySafety.Analyzers.Tests.Rules;

public class CSA1005LockCannotProtectTests
{
    [Fact]
    public Task Lock_on_new_object() => Verify.VerifyAnalyzerAsync("""
        class C
        {
            private int _count;
            void M()
            {
                lock ({|CSA1005:new object()|}) { _count++; }
            }
        }
        """);

    [Fact]
    public Task Lock_on_boxed_value_and_built_string() => Verify.VerifyAnalyzerAsync("""
        class C
        {
            private int _id;
            private int _count;
            void M(string name)
            {
                lock ({|CSA1005:(object)_id|}) { _count++; }
                lock ({|CSA1005:"user:" + name|}) { _count++; }
                lock ({|CSA1005:$"user:{name}"|}) { _count++; }
            }
        }
        """);

    [Fact]
    public Task Lock_on_local_created_per_call() => Verify.VerifyAnalyzerAsync("""
        using System.Threading.Tasks;
        class C
        {
            private int _count;
            void M()
            {
                Parallel.For(0, 10, i =>
                {
                    var gate = new object();
                    lock ({|CSA1005:gate|}) { _count++; }
                });
            }
        }
        """);

    // ---- must stay silent ----

    [Fact]
    public Task Shared_locks_are_silent() => Verify.VerifyAnalyzerAsync("""
        using System.Threading.Tasks;
        class C
        {
            private readonly object _gate = new();
            private static readonly object s_gate = new();
            private int _count;
            void M()
            {
                lock (_gate) { _count++; }
                lock (s_gate) { _count++; }
                lock (this) { _count++; }
                lock (typeof(C)) { _count++; }
                var shared = new object();
                Parallel.For(0, 10, i => { lock (shared) { _count++; } });
                var passed = new object();
                Use(passed);
                lock (passed) { _count++; }
            }
            void Use(object o) { }
        }
        """);

    // ---- code fix ----

    [Fact]
    public Task Fix_locks_on_a_shared_static_readonly_field() => Fix.VerifyCodeFixAsync("""
        class C
        {
            private int _count;
            void M()
            {
                lock ({|CSA1005:new object()|}) { _count++; }
            }
        }
        """, """
        class C
        {
            private static readonly object s_lock = new object();
            private int _count;
            void M()
            {
                lock (s_lock) { _count++; }
            }
        }
        """);

    [Fact]
    public Task Fix_all_shares_one_field_per_type()
    {
        var test = new Fix.Test
        {
            TestCode = """
                class C
                {
                    private int _count;
                    void A() { lock ({|CSA1005:new object()|}) { _count++; } }
                    void B() { lock ({|CSA1005:new object()|}) { _count--; } }
                }
                """,
            FixedCode = """
                class C
                {
                    private static readonly object s_lock = new object();
                    private int _count;
                    void A() { lock (s_lock) { _count++; } }
                    void B() { lock (s_lock) { _count--; } }
                }
                """,
            // Each fix adds the field when it is missing; Fix All converges in at most two passes
            // (a second pass reuses the field made by the first).
            NumberOfFixAllIterations = -2,
            NumberOfFixAllInDocumentIterations = -2,
            NumberOfFixAllInProjectIterations = -2,
        };
        return test.RunAsync();
    }

    [Fact]
    public Task Fix_not_offered_for_boxing_or_unshared_locals() => Fix.VerifyCodeFixAsync("""
        class C
        {
            private int _id;
            private int _count;
            void M()
            {
                lock ({|CSA1005:(object)_id|}) { _count++; }
                var gate = new object();
                lock ({|CSA1005:gate|}) { _count++; }
            }
        }
        """, """
        class C
        {
            private int _id;
            private int _count;
            void M()
            {
                lock ({|CSA1005:(object)_id|}) { _count++; }
                var gate = new object();
                lock ({|CSA1005:gate|}) { _count++; }
            }
        }
        """);
}
