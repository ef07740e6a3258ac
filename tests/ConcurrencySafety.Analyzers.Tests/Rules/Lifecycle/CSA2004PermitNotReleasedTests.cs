using Verify = ConcurrencySafety.Analyzers.Tests.Verifiers.CSharpAnalyzerVerifier<ConcurrencySafety.Analyzers.Rules.CSA2004PermitNotReleasedAnalyzer>;
using Fix = ConcurrencySafety.Analyzers.Tests.Verifiers.CSharpCodeFixVerifier<ConcurrencySafety.Analyzers.Rules.CSA2004PermitNotReleasedAnalyzer, ConcurrencySafety.CodeFixes.CSA2004PermitNotReleasedCodeFix>;

namespace ConcurrencySafety.Analyzers.Tests.Rules.Lifecycle;

public class CSA2004PermitNotReleasedTests
{
    [Fact]
    public Task Semaphore_released_outside_finally() => Verify.VerifyAnalyzerAsync("""
        using System.Threading;
        using System.Threading.Tasks;
        class C
        {
            private readonly SemaphoreSlim _gate = new(1, 1);
            private int _count;
            async Task M()
            {
                await {|CSA2004:_gate.WaitAsync()|};
                _count++;
                _gate.Release();
            }
            void N()
            {
                {|CSA2004:_gate.Wait()|};
                try { _count++; } finally { }
                _gate.Release();
            }
        }
        """);

    [Fact]
    public Task Library_guards_dropped_or_not_using() => Verify.VerifyAnalyzerAsync("""
        using System.Threading.Tasks;
        using ConcurrencySafety;
        class C
        {
            private readonly PermitSemaphore _permits = new(2);
            private readonly Locked<int> _count = new(0);
            async Task M()
            {
                {|CSA2004:_permits.Acquire()|};
                {|CSA2004:await _permits.AcquireAsync()|};
                var {|CSA2004:g|} = _count.Lock();
                g.Value++;
                g.Dispose();
                var {|CSA2004:p|} = await _permits.AcquireAsync();
                if (_permits.TryAcquire(out var {|CSA2004:q|})) { }
            }
        }
        """);

    // ---- must stay silent ----

    [Fact]
    public Task Release_in_finally_is_silent() => Verify.VerifyAnalyzerAsync("""
        using System.Threading;
        using System.Threading.Tasks;
        class C
        {
            private readonly SemaphoreSlim _gate = new(1, 1);
            private int _count;
            async Task M()
            {
                await _gate.WaitAsync();
                try { _count++; }
                finally { _gate.Release(); }
            }
            void N(SemaphoreSlim local)
            {
                try
                {
                    local.Wait();
                    _count++;
                }
                finally { local.Release(); }
            }
            async Task<int> EarlyExit(bool done)
            {
                await _gate.WaitAsync();
                if (done) { _gate.Release(); return 0; }
                try { return ++_count; }
                finally { _gate.Release(); }
            }
            async Task<bool> O()
            {
                if (!await _gate.WaitAsync(100)) return false;
                _count++;
                _gate.Release();
                return true;
            }
        }
        """);

    [Fact]
    public Task Semaphore_used_as_a_signal_is_silent() => Verify.VerifyAnalyzerAsync("""
        using System.Collections.Concurrent;
        using System.Threading;
        class Queue
        {
            private readonly SemaphoreSlim _items = new(0);
            private readonly ConcurrentQueue<int> _queue = new();
            public void Add(int x) { _queue.Enqueue(x); _items.Release(); }
            public int Take() { _items.Wait(); _queue.TryDequeue(out var x); return x; }
        }
        """);

    [Fact]
    public Task Guards_with_using_finally_or_handed_on_are_silent() => Verify.VerifyAnalyzerAsync("""
        using System.Threading.Tasks;
        using ConcurrencySafety;
        class C
        {
            private readonly PermitSemaphore _permits = new(2);
            private readonly Locked<int> _count = new(0);
            private readonly RwLocked<int> _value = new(0);
            private Permit _held;
            async Task M()
            {
                using (await _permits.AcquireAsync()) { }
                using var g = _count.Lock();
                g.Value++;
                using (var r = _value.Read()) { _ = r.Value; }
                var w = _value.Write();
                try { w.Value = 1; } finally { w.Dispose(); }
                if (_permits.TryAcquire(out var p)) { using (p) { } }
                _held = _permits.Acquire();
                var kept = _permits.Acquire();
                _held = kept;
            }
            void Gate(System.Threading.SemaphoreSlim turn)
            {
                var g2 = _count.Lock();
                g2.Dispose();
                turn.Wait();
                turn.Release();
            }
            Permit Take() => _permits.Acquire();
            Permit Take2() { var p = _permits.Acquire(); return p; }
        }
        """);

    // ---- code fix ----

    [Fact]
    public Task Fix_wraps_the_work_in_try_finally() => Fix.VerifyCodeFixAsync("""
        using System.Threading;
        using System.Threading.Tasks;
        class C
        {
            private readonly SemaphoreSlim _gate = new(1, 1);
            private int _count;
            async Task M()
            {
                await {|CSA2004:_gate.WaitAsync()|};
                _count++;
                _count *= 2;
                _gate.Release();
            }
        }
        """, """
        using System.Threading;
        using System.Threading.Tasks;
        class C
        {
            private readonly SemaphoreSlim _gate = new(1, 1);
            private int _count;
            async Task M()
            {
                await _gate.WaitAsync();
                try
                {
                    _count++;
                    _count *= 2;
                }
                finally
                {
                    _gate.Release();
                }
            }
        }
        """);

    [Fact]
    public Task Fix_declares_the_guard_with_using() => Fix.VerifyCodeFixAsync("""
        using ConcurrencySafety;
        class C
        {
            private readonly Locked<int> _count = new(0);
            private readonly PermitSemaphore _permits = new(2);
            void M()
            {
                var {|CSA2004:g|} = _count.Lock();
                g.Value++;
                g.Dispose();
            }
            void N()
            {
                {|CSA2004:_permits.Acquire()|};
                Work();
            }
            void Work() { }
        }
        """, """
        using ConcurrencySafety;
        class C
        {
            private readonly Locked<int> _count = new(0);
            private readonly PermitSemaphore _permits = new(2);
            void M()
            {
                using var g = _count.Lock();
                g.Value++;
            }
            void N()
            {
                using var permit = _permits.Acquire();
                Work();
            }
            void Work() { }
        }
        """);

    [Fact]
    public Task Fix_not_offered_for_out_guards_or_discards() => Fix.VerifyCodeFixAsync("""
        using ConcurrencySafety;
        class C
        {
            private readonly PermitSemaphore _permits = new(2);
            void M()
            {
                if (_permits.TryAcquire(out var {|CSA2004:p|})) { }
                {|CSA2004:_ = _permits.Acquire()|};
            }
        }
        """, """
        using ConcurrencySafety;
        class C
        {
            private readonly PermitSemaphore _permits = new(2);
            void M()
            {
                if (_permits.TryAcquire(out var {|CSA2004:p|})) { }
                {|CSA2004:_ = _permits.Acquire()|};
            }
        }
        """);
}
