using System.Collections.Immutable;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Diagnostics;
using Verify = ConcurrencySafety.Analyzers.Tests.Verifiers.CSharpAnalyzerVerifier<ConcurrencySafety.Analyzers.Tests.NothingAnalyzer>;

namespace ConcurrencySafety.Analyzers.Tests;

[DiagnosticAnalyzer(LanguageNames.CSharp)]
public sealed class NothingAnalyzer : DiagnosticAnalyzer
{
    public override ImmutableArray<DiagnosticDescriptor> SupportedDiagnostics => ImmutableArray<DiagnosticDescriptor>.Empty;
    public override void Initialize(AnalysisContext context) { context.EnableConcurrentExecution(); context.ConfigureGeneratedCodeAnalysis(GeneratedCodeAnalysisFlags.None); }
}

public class SmokeTests
{
    [Fact]
    public Task Harness_compiles_against_runtime() => Verify.VerifyAnalyzerAsync("""
        using ConcurrencySafety;
        class C { void M([RunsConcurrently] System.Action a) { System.Threading.Tasks.Task.Run(a).Wait(); } }
        """);
}
