using Verify = ConcurrencySafety.Analyzers.Tests.Verifiers.CSharpAnalyzerVerifier<ConcurrencySafety.Analyzers.Rules.CSA2018WaitInsideReleasingTryAnalyzer>;

namespace ConcurrencySafety.Analyzers.Tests.Rules.Lifecycle;

/// <summary>Issue 15: the wait inside the try whose finally releases (a cancelled wait releases a slot it never took).</summary>
public class CSA2018WaitInsideReleasingTryTests
{
    [Fact]
    public Task Wait_inside_the_try_that_releases() => Verify.VerifyAnalyzerAsync("""
        using System.Threading;
        using System.Threading.Tasks;
        class C
        {
            private readonly SemaphoreSlim _gate = new(2);
            async Task M(CancellationToken ct)
            {
                try
                {
                    await {|CSA2018:_gate.WaitAsync(ct)|};
                    await Task.Delay(1, ct);
                }
                finally
                {
                    _gate.Release();
                }
            }
            void N(CancellationToken ct)
            {
                try { {|CSA2018:_gate.Wait(ct)|}; } finally { _gate.Release(); }
            }
        }
        """);

    // ---- must stay silent ----

    [Fact]
    public Task Wait_before_the_try_or_release_guarded_by_a_flag_is_silent() => Verify.VerifyAnalyzerAsync("""
        using System.Threading;
        using System.Threading.Tasks;
        class C
        {
            private readonly SemaphoreSlim _gate = new(2);
            void Uncancellable()
            {
                try { _gate.Wait(); } finally { _gate.Release(); }
                try { _gate.Wait(CancellationToken.None); } finally { _gate.Release(); }
            }
            async Task M(CancellationToken ct)
            {
                await _gate.WaitAsync(ct);
                try { await Task.Delay(1, ct); }
                finally { _gate.Release(); }
            }
            async Task N(CancellationToken ct)
            {
                var taken = false;
                try
                {
                    await _gate.WaitAsync(ct);
                    taken = true;
                    await Task.Delay(1, ct);
                }
                finally
                {
                    if (taken) _gate.Release();
                }
            }
        }
        """);
}
