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

    // ---- a field assigned again after construction; a property that creates its object ----

    [Fact]
    public Task Lock_on_a_field_that_the_locking_method_assigns_again() => Verify.VerifyAnalyzerAsync("""
        class C
        {
            private object _gate = new object();
            private static object s_gate = new object();
            private int _count;

            public void Swap()
            {
                lock ({|CSA1005:_gate|})
                {
                    _count = 0;
                    _gate = new object();
                }
            }

            public static void SwapAll()
            {
                lock ({|CSA1005:s_gate|}) { s_gate = new object(); }
            }
        }
        """);

    [Fact]
    public Task Lock_on_a_field_initialized_lazily_without_synchronization() => Verify.VerifyAnalyzerAsync("""
        class C
        {
            private object? _gate;
            private int _count;

            public void Add()
            {
                _gate ??= new object();
                lock ({|CSA1005:_gate|}) { _count++; }
            }
        }
        """);

    [Fact]
    public Task Lock_on_a_property_whose_getter_creates_the_object() => Verify.VerifyAnalyzerAsync("""
        class C
        {
            private int _count;
            private object Gate => new object();
            private object OtherGate
            {
                get { return new object(); }
            }

            public void Add()
            {
                lock ({|CSA1005:Gate|}) { _count++; }
                lock ({|CSA1005:OtherGate|}) { _count++; }
            }
        }
        """);

    [Fact]
    public Task Shared_lock_objects_are_silent() => Verify.VerifyAnalyzerAsync("""
        using System;
        using System.Threading;
        class C
        {
            private readonly object _readonlyGate = new object();
            private object _assignedInConstructor;
            private object _assignedByAnInitHelper;
            private object _assignedByInitialize = new object();
            private object? _lazyGate;
            private readonly Lazy<object> _lazy = new Lazy<object>(() => new object());
            private int _count;

            public C()
            {
                _assignedInConstructor = new object();
                Init();
            }

            private void Init() => _assignedByAnInitHelper = new object();

            // A two-phase initialization (Quartz's TaskSchedulingThreadPool): runs before any lock.
            public void Initialize() => _assignedByInitialize = new object();

            // A property that returns a this-owned readonly field: the same object every time.
            private object Gate => _readonlyGate;

            private object LazyGate => LazyInitializer.EnsureInitialized(ref _lazyGate, () => new object());

            public void Add()
            {
                lock (_readonlyGate) { _count++; }
                lock (_assignedInConstructor) { _count++; }
                lock (_assignedByAnInitHelper) { _count++; }
                lock (_assignedByInitialize) { _count++; }
                lock (Gate) { _count++; }
                lock (LazyGate) { _count++; }
                lock (_lazy.Value) { _count++; }
                lock (this) { _count++; }
            }
        }
        """);

    [Fact]
    public Task Locks_on_a_parameter_or_a_method_result_are_silent() => Verify.VerifyAnalyzerAsync("""
        using System.Threading.Tasks;
        class C
        {
            private readonly object _gate = new();
            private int _count;
            private object GetGate() => _gate;
            public void Add(object gate)
            {
                lock (gate) { _count++; }
                lock (GetGate()) { _count++; }
                Parallel.For(0, 10, i => { lock (GetGate()) { _count++; } });
            }
        }
        """);
}
