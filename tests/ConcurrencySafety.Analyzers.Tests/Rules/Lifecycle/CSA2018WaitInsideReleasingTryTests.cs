using Verify = ConcurrencySafety.Analyzers.Tests.Verifiers.CSharpAnalyzerVerifier<ConcurrencySafety.Analyzers.Rules.CSA2018WaitInsideReleasingTryAnalyzer>;
using Fix = ConcurrencySafety.Analyzers.Tests.Verifiers.CSharpCodeFixVerifier<ConcurrencySafety.Analyzers.Rules.CSA2018WaitInsideReleasingTryAnalyzer, ConcurrencySafety.CodeFixes.CSA2018WaitInsideReleasingTryCodeFix>;

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

    // ---- code fix ----

    [Fact]
    public Task Fix_moves_the_wait_before_the_try() => Fix.VerifyCodeFixAsync("""
        using System.Threading;
        using System.Threading.Tasks;
        class C
        {
            private readonly SemaphoreSlim _gate = new(2);
            async Task M(CancellationToken ct)
            {
                // one at a time
                try
                {
                    await {|CSA2018:_gate.WaitAsync(ct)|}.ConfigureAwait(false);
                    await Task.Delay(1, ct);
                }
                finally
                {
                    _gate.Release();
                }
            }
            void N(CancellationToken ct)
            {
                try
                {
                    {|CSA2018:_gate.Wait(ct)|};
                }
                finally
                {
                    _gate.Release();
                }
            }
        }
        """, """
        using System.Threading;
        using System.Threading.Tasks;
        class C
        {
            private readonly SemaphoreSlim _gate = new(2);
            async Task M(CancellationToken ct)
            {
                // one at a time
                await _gate.WaitAsync(ct).ConfigureAwait(false);
                try
                {
                    await Task.Delay(1, ct);
                }
                finally
                {
                    _gate.Release();
                }
            }
            void N(CancellationToken ct)
            {
                _gate.Wait(ct);
                try
                {
                }
                finally
                {
                    _gate.Release();
                }
            }
        }
        """);

    [Fact]
    public Task Fix_not_offered_after_other_statements_with_a_catch_or_for_an_outer_try() => Fix.VerifyCodeFixAsync("""
        using System;
        using System.Threading;
        using System.Threading.Tasks;
        class C
        {
            private readonly SemaphoreSlim _gate = new(2);
            async Task M(CancellationToken ct)
            {
                try
                {
                    Console.WriteLine("waiting");
                    await {|CSA2018:_gate.WaitAsync(ct)|};
                }
                finally
                {
                    _gate.Release();
                }
                try
                {
                    await {|CSA2018:_gate.WaitAsync(ct)|};
                }
                catch (OperationCanceledException)
                {
                }
                finally
                {
                    _gate.Release();
                }
                try
                {
                    try
                    {
                        await {|CSA2018:_gate.WaitAsync(ct)|};
                    }
                    finally
                    {
                        Console.WriteLine("inner");
                    }
                }
                finally
                {
                    _gate.Release();
                }
            }
        }
        """, """
        using System;
        using System.Threading;
        using System.Threading.Tasks;
        class C
        {
            private readonly SemaphoreSlim _gate = new(2);
            async Task M(CancellationToken ct)
            {
                try
                {
                    Console.WriteLine("waiting");
                    await {|CSA2018:_gate.WaitAsync(ct)|};
                }
                finally
                {
                    _gate.Release();
                }
                try
                {
                    await {|CSA2018:_gate.WaitAsync(ct)|};
                }
                catch (OperationCanceledException)
                {
                }
                finally
                {
                    _gate.Release();
                }
                try
                {
                    try
                    {
                        await {|CSA2018:_gate.WaitAsync(ct)|};
                    }
                    finally
                    {
                        Console.WriteLine("inner");
                    }
                }
                finally
                {
                    _gate.Release();
                }
            }
        }
        """);
}
