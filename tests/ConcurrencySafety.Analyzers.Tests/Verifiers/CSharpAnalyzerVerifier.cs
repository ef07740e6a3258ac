using System.Collections.Immutable;
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
    /// <remarks>Runs twice: against the .NET 10 and the .NET 8 references (the package's two target frameworks).</remarks>
    public static async Task VerifyAnalyzerAsync(string source, params DiagnosticResult[] expected)
    {
        foreach (var runtime in new[] { TargetRuntime.Net10, TargetRuntime.Net8 })
        {
            var test = new Test(runtime) { TestCode = source };
            test.ExpectedDiagnostics.AddRange(expected);
            await test.RunAsync();
        }
    }

    /// <summary>Verifies <paramref name="source"/> with an .editorconfig, against .NET 10 and .NET 8.</summary>
    public static async Task VerifyAnalyzerAsync(string source, string editorConfig, params DiagnosticResult[] expected)
    {
        foreach (var runtime in new[] { TargetRuntime.Net10, TargetRuntime.Net8 })
        {
            var test = new Test(runtime) { TestCode = source };
            test.TestState.AnalyzerConfigFiles.Add(("/.editorconfig", editorConfig));
            test.ExpectedDiagnostics.AddRange(expected);
            await test.RunAsync();
        }
    }

    /// <summary>A diagnostic expectation for the analyzer's only (or given) rule.</summary>
    public static DiagnosticResult Diagnostic(string id) => new DiagnosticResult(id, DiagnosticSeverity.Error);

    /// <summary>The configured test, exposed for tests that need more control.</summary>
    public sealed class Test : CSharpAnalyzerTest<TAnalyzer, DefaultVerifier>
    {
        /// <summary>Creates the test with the shared .NET 10 references.</summary>
        public Test()
            : this(TargetRuntime.Net10)
        {
        }

        /// <summary>Creates the test with the references of <paramref name="runtime"/>.</summary>
        public Test(TargetRuntime runtime) => TestSetup.Configure(TestState, this, runtime);
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

/// <summary>The two sets of references the tests compile against, one per target framework of the package.</summary>
public enum TargetRuntime
{
    /// <summary>The .NET 10 reference pack of the installed SDK, and the net10.0 runtime build.</summary>
    Net10,

    /// <summary>The .NET 8 reference assemblies (Microsoft.NETCore.App.Ref 8.0.0), and the net8.0 runtime build.</summary>
    Net8,
}

internal static class TestSetup
{
    /// <summary>
    /// .NET 8: the testing library's reference set, the 8.0.0 reference pack (restored into its
    /// own cache from the configured NuGet sources the first time).
    /// </summary>
    internal static readonly ReferenceAssemblies Net80 = ReferenceAssemblies.Net.Net80;

    private static readonly Lazy<ImmutableArray<MetadataReference>> s_net10Pack = new(ResolveNet10Pack);

    /// <summary>
    /// .NET 10: the reference assemblies of the newest 10.x Microsoft.NETCore.App.Ref pack of the
    /// SDK that runs the tests (dotnet/packs), whatever its patch version: nothing to download,
    /// and an SDK update needs no change here.
    /// </summary>
    internal static ImmutableArray<MetadataReference> Net10Pack => s_net10Pack.Value;

    /// <summary>The ConcurrencySafety runtime assembly built for <paramref name="runtime"/>.</summary>
    internal static MetadataReference Runtime(TargetRuntime runtime) => runtime == TargetRuntime.Net10
        ? MetadataReference.CreateFromFile(typeof(ConcurrencySafety.RunsConcurrentlyAttribute).Assembly.Location)
        : MetadataReference.CreateFromFile(typeof(TestSetup).Assembly.GetCustomAttributes(typeof(System.Reflection.AssemblyMetadataAttribute), false)
            .Cast<System.Reflection.AssemblyMetadataAttribute>().Single(a => a.Key == "RuntimeNet8").Value!);

    public static void Configure(SolutionState state, AnalyzerTest<DefaultVerifier> test, TargetRuntime runtime = TargetRuntime.Net10)
    {
        if (runtime == TargetRuntime.Net10)
        {
            // No package: the pack's assemblies are added as plain references.
            test.ReferenceAssemblies = new ReferenceAssemblies("net10.0");
            state.AdditionalReferences.AddRange(Net10Pack);
        }
        else
        {
            test.ReferenceAssemblies = Net80;
        }

        state.AdditionalReferences.Add(Runtime(runtime));
    }

    private static ImmutableArray<MetadataReference> ResolveNet10Pack()
    {
        // The running runtime is dotnet/shared/Microsoft.NETCore.App/<version>/; the packs sit
        // next to shared/.
        var runtimeDir = System.Runtime.InteropServices.RuntimeEnvironment.GetRuntimeDirectory();
        var dotnetRoot = System.IO.Path.GetFullPath(System.IO.Path.Combine(runtimeDir, "..", "..", ".."));
        var packs = System.IO.Path.Combine(dotnetRoot, "packs", "Microsoft.NETCore.App.Ref");
        var folder = System.IO.Directory.Exists(packs)
            ? System.IO.Directory.GetDirectories(packs)
                .Select(d => (Dir: d, Version: Version.TryParse(System.IO.Path.GetFileName(d).Split('-')[0], out var v) ? v : null))
                .Where(p => p.Version is { Major: 10 } && System.IO.Directory.Exists(System.IO.Path.Combine(p.Dir, "ref", "net10.0")))
                .OrderByDescending(p => p.Version)
                .Select(p => System.IO.Path.Combine(p.Dir, "ref", "net10.0"))
                .FirstOrDefault()
            : null;
        if (folder is null)
        {
            throw new InvalidOperationException($"No .NET 10 reference pack (Microsoft.NETCore.App.Ref 10.x with ref/net10.0) under {packs}; the tests need the .NET 10 SDK.");
        }

        return System.IO.Directory.GetFiles(folder, "*.dll")
            .OrderBy(f => f, StringComparer.Ordinal)
            .Select(f => (MetadataReference)MetadataReference.CreateFromFile(f))
            .ToImmutableArray();
    }
}
