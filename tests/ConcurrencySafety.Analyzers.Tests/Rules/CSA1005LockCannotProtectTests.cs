using Verify = ConcurrencySafety.Analyzers.Tests.Verifiers.CSharpAnalyzerVerifier<ConcurrencySafety.Analyzers.Rules.CSA1005LockCannotProtectAnalyzer>;

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
}
