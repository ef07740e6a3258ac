using System.Collections.Immutable;
using System.IO;
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

/// <summary>The two reference sets of the verifier really are .NET 10 and .NET 8.</summary>
public class TargetRuntimeTests
{
    // System.Threading.Lock is new in .NET 9.
    private const string UsesLock = """
        class C { private readonly System.Threading.{|#0:Lock|} _gate = new(); }
        """;

    [Fact]
    public Task Net10_references_have_the_newer_API() => new Verify.Test(Verifiers.TargetRuntime.Net10) { TestCode = UsesLock.Replace("{|#0:Lock|}", "Lock", StringComparison.Ordinal) }.RunAsync();

    [Fact]
    public Task Net8_references_do_not()
    {
        var test = new Verify.Test(Verifiers.TargetRuntime.Net8) { TestCode = UsesLock };
        test.ExpectedDiagnostics.Add(Microsoft.CodeAnalysis.Testing.DiagnosticResult.CompilerError("CS0234").WithLocation(0).WithArguments("Lock", "System.Threading"));
        return test.RunAsync();
    }

    [Fact]
    public void Net8_pass_uses_the_net8_runtime_build()
    {
        var reference = (PortableExecutableReference)Verifiers.TestSetup.Runtime(Verifiers.TargetRuntime.Net8);
        Assert.EndsWith(Path.Combine("net8.0", "ConcurrencySafety.dll"), reference.FilePath, StringComparison.Ordinal);
        Assert.True(File.Exists(reference.FilePath), reference.FilePath);
    }
}
