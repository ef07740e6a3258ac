using Verify = ConcurrencySafety.Analyzers.Tests.Verifiers.CSharpAnalyzerVerifier<ConcurrencySafety.Analyzers.Rules.CSA2013SyncGuardAcrossAwaitAnalyzer>;
using Fix = ConcurrencySafety.Analyzers.Tests.Verifiers.CSharpCodeFixVerifier<ConcurrencySafety.Analyzers.Rules.CSA2013SyncGuardAcrossAwaitAnalyzer, ConcurrencySafety.CodeFixes.CSA2013SyncGuardAcrossAwaitCodeFix>;

namespace ConcurrencySafety.Analyzers.Tests.Rules.Ownership;

public class CSA2013SyncGuardAcrossAwaitTests
{
    [Fact]
    public Task Blocking_acquisitions_held_across_await() => Verify.VerifyAnalyzerAsync("""
        using System;
        using System.Threading.Tasks;
        using ConcurrencySafety;
        class C
        {
            private readonly Locked<int> _count = new(0);
            private readonly RwLocked<int> _value = new(0);

            public async Task M()
            {
                using (var g = {|CSA2013:_count.Lock()|})
                {
                    g.Value++;
                    await Task.Delay(1);
                }
                using var r = {|CSA2013:_value.Read()|};
                await Task.Yield();
                if ({|CSA2013:_count.TryLock(TimeSpan.FromSeconds(1), out var t)|})
                {
                    using (t) { await Task.Yield(); }
                }
            }
        }
        """);

    // ---- must stay silent ----

    // The valid twin: LockAsync held across await, which is the point of it.
    [Fact]
    public Task Async_acquisitions_and_guards_released_before_await_are_silent() => Verify.VerifyAnalyzerAsync("""
        using System.Threading.Tasks;
        using ConcurrencySafety;
        class C
        {
            private readonly Locked<int> _count = new(0);
            private readonly RwLocked<int> _value = new(0);

            public async Task M()
            {
                using (var g = await _count.LockAsync()) { g.Value++; await Task.Yield(); }
                using (var w = await _value.WriteAsync()) { w.Value++; await Task.Yield(); }
                using (var g = _count.Lock()) { g.Value++; }
                await Task.Yield();
                await Task.Run(async () => { using (var g = _count.Lock()) g.Value++; await Task.Yield(); });
            }
        }
        """);

    // ---- code fix ----

    [Fact]
    public Task Fix_awaits_the_async_acquisition() => Fix.VerifyCodeFixAsync("""
        using System.Threading;
        using System.Threading.Tasks;
        using ConcurrencySafety;
        class C
        {
            private readonly Locked<int> _count = new(0);
            private readonly RwLocked<int> _value = new(0);

            public async Task M(CancellationToken ct)
            {
                using (var g = {|CSA2013:_count.Lock(ct)|})
                {
                    await Task.Delay(1, ct);
                }
                using var w = {|CSA2013:_value.Write()|};
                await Task.Yield();
            }
        }
        """, """
        using System.Threading;
        using System.Threading.Tasks;
        using ConcurrencySafety;
        class C
        {
            private readonly Locked<int> _count = new(0);
            private readonly RwLocked<int> _value = new(0);

            public async Task M(CancellationToken ct)
            {
                using (var g = await _count.LockAsync(ct))
                {
                    await Task.Delay(1, ct);
                }
                using var w = await _value.WriteAsync();
                await Task.Yield();
            }
        }
        """);
}
