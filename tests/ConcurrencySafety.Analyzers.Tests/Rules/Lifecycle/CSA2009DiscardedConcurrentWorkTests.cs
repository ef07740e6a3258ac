using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Testing;
using Verify = ConcurrencySafety.Analyzers.Tests.Verifiers.CSharpAnalyzerVerifier<ConcurrencySafety.Analyzers.Rules.CSA2009DiscardedConcurrentWorkAnalyzer>;
using Fix = ConcurrencySafety.Analyzers.Tests.Verifiers.CSharpCodeFixVerifier<ConcurrencySafety.Analyzers.Rules.CSA2009DiscardedConcurrentWorkAnalyzer, ConcurrencySafety.CodeFixes.CSA2001UnjoinedConcurrentWorkCodeFix>;

namespace ConcurrencySafety.Analyzers.Tests.Rules.Lifecycle;

public class CSA2009DiscardedConcurrentWorkTests
{
    [Fact]
    public Task Explicit_discard_is_a_warning() => Verify.VerifyAnalyzerAsync("""
        using System.Threading.Tasks;
        class C
        {
            void M()
            {
                {|#0:_ = Task.Run(() => { })|};
            }
        }
        """,
        new DiagnosticResult("CSA2009", DiagnosticSeverity.Warning).WithLocation(0).WithArguments("Task.Run"));

    [Fact]
    public Task Can_be_turned_off() => Verify.VerifyAnalyzerAsync("""
        using System.Threading.Tasks;
        class C
        {
            void M() { _ = Task.Run(() => { }); }
        }
        """,
        """
        root = true
        [*.cs]
        dotnet_diagnostic.CSA2009.severity = none
        """);

    // ---- must stay silent ----

    [Fact]
    public Task Discarding_other_values_is_silent() => Verify.VerifyAnalyzerAsync("""
        using System.Threading.Tasks;
        class C
        {
            async Task M()
            {
                _ = Compute();
                _ = Task.FromResult(1);
                _ = await Task.Run(() => 1);
            }
            int Compute() => 1;
        }
        """);

    // ---- code fix ----

    [Fact]
    public Task Fix_awaits_instead_of_discarding() => Fix.VerifyCodeFixAsync("""
        using System.Threading.Tasks;
        class C
        {
            async Task M()
            {
                {|CSA2009:_ = Task.Run(() => { })|};
            }
        }
        """, """
        using System.Threading.Tasks;
        class C
        {
            async Task M()
            {
                await Task.Run(() => { });
            }
        }
        """);

    [Fact]
    public Task Fix_not_offered_in_sync_functions() => Fix.VerifyCodeFixAsync("""
        using System.Threading.Tasks;
        class C
        {
            void M()
            {
                {|CSA2009:_ = Task.Run(() => { })|};
            }
        }
        """, """
        using System.Threading.Tasks;
        class C
        {
            void M()
            {
                {|CSA2009:_ = Task.Run(() => { })|};
            }
        }
        """);
}
