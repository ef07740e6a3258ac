using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Testing;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Testing;

namespace ConcurrencySafety.Analyzers.Tests.Verifiers;

/// <summary>
/// Facade over the Roslyn analyzer test harness. Test sources are compiled against .NET 8
/// reference assemblies plus the real ConcurrencySafety runtime assembly, and diagnostics are
/// expected through markup (<c>{|ID:...|}</c> or <c>[|...|]</c>), never line numbers.
/// </summary>
public static class CSharpAnalyzerVerifier<TAnalyzer>
    where TAnalyzer : DiagnosticAnalyzer, new()
{
    /// <summary>Verifies that <paramref name="source"/> produces exactly the diagnostics in its markup.</summary>
    public static Task VerifyAnalyzerAsync(string source, params DiagnosticResult[] expected)
    {
        var test = new Test { TestCode = source };
        test.ExpectedDiagnostics.AddRange(expected);
        return test.RunAsync();
    }

    /// <summary>Verifies <paramref name="source"/> with an .editorconfig.</summary>
    public static Task VerifyAnalyzerAsync(string source, string editorConfig, params DiagnosticResult[] expected)
    {
        var test = new Test { TestCode = source };
        test.TestState.AnalyzerConfigFiles.Add(("/.editorconfig", editorConfig));
        test.ExpectedDiagnostics.AddRange(expected);
        return test.RunAsync();
    }

    /// <summary>A diagnostic expectation for the analyzer's only (or given) rule.</summary>
    public static DiagnosticResult Diagnostic(string id) => new DiagnosticResult(id, DiagnosticSeverity.Error);

    /// <summary>The configured test, exposed for tests that need more control.</summary>
    public sealed class Test : CSharpAnalyzerTest<TAnalyzer, DefaultVerifier>
    {
        /// <summary>Creates the test with the shared references.</summary>
        public Test() => TestSetup.Configure(TestState, this);
    }
}

/// <summary>Facade over the Roslyn code-fix test harness, configured like <see cref="CSharpAnalyzerVerifier{TAnalyzer}"/>.</summary>
public static class CSharpCodeFixVerifier<TAnalyzer, TCodeFix>
    where TAnalyzer : DiagnosticAnalyzer, new()
    where TCodeFix : Microsoft.CodeAnalysis.CodeFixes.CodeFixProvider, new()
{
    /// <summary>Verifies that the markup's diagnostics appear, then that the fix (and Fix All) produce <paramref name="fixedSource"/>.</summary>
    public static Task VerifyCodeFixAsync(string source, string fixedSource, params DiagnosticResult[] expected)
    {
        var test = new Test { TestCode = source, FixedCode = fixedSource };
        test.ExpectedDiagnostics.AddRange(expected);
        return test.RunAsync();
    }

    /// <summary>
    /// Like <see cref="VerifyCodeFixAsync(string, string, DiagnosticResult[])"/>, for fixes whose
    /// Fix All (a batch merge of independent fixes) may need up to <paramref name="fixAllIterationsAtMost"/>
    /// passes, because fixes that touch the same spot (an added using, a shared field) are merged on a later pass.
    /// </summary>
    public static Task VerifyCodeFixAsync(string source, string fixedSource, int fixAllIterationsAtMost)
    {
        var test = new Test
        {
            TestCode = source,
            FixedCode = fixedSource,
            NumberOfFixAllIterations = -fixAllIterationsAtMost,
            NumberOfFixAllInDocumentIterations = -fixAllIterationsAtMost,
            NumberOfFixAllInProjectIterations = -fixAllIterationsAtMost,
        };
        return test.RunAsync();
    }

    /// <summary>The configured test, exposed for tests that need more control.</summary>
    public sealed class Test : CSharpCodeFixTest<TAnalyzer, TCodeFix, DefaultVerifier>
    {
        /// <summary>Creates the test with the shared references.</summary>
        public Test() => TestSetup.Configure(TestState, this);
    }
}

internal static class TestSetup
{
    internal static readonly ReferenceAssemblies Net100 = new(
        "net10.0",
        new PackageIdentity("Microsoft.NETCore.App.Ref", "10.0.12"),
        System.IO.Path.Combine("ref", "net10.0"));

    public static void Configure(SolutionState state, AnalyzerTest<DefaultVerifier> test)
    {
        // Test code is compiled against the .NET 10 reference pack (the version the installed
        // SDK ships, so that it is served from the local package cache) and the real net10.0
        // runtime assembly of this repository.
        test.ReferenceAssemblies = Net100;
        state.AdditionalReferences.Add(MetadataReference.CreateFromFile(typeof(ConcurrencySafety.RunsConcurrentlyAttribute).Assembly.Location));
    }
}
