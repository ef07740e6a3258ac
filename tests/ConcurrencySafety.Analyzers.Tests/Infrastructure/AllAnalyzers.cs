using System.Collections.Immutable;
using System.IO;
using System.Reflection;
using System.Threading;
using ConcurrencySafety.Analyzers.Tests.Verifiers;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.Diagnostics;

namespace ConcurrencySafety.Analyzers.Tests.Infrastructure;

/// <summary>
/// Runs every analyzer of the analyzer assembly (found by reflection, so rules added later are
/// included) over a source file compiled against the same references as the verifier tests.
/// </summary>
internal static class AllAnalyzers
{
    private static readonly SemaphoreSlim ResolveGate = new(1, 1);
    private static ImmutableArray<MetadataReference> s_references;

    public static Assembly AnalyzerAssembly => typeof(RuleIdentifiers).Assembly;

    public static ImmutableArray<DiagnosticAnalyzer> Create() =>
        AnalyzerAssembly.GetTypes()
            .Where(t => !t.IsAbstract && typeof(DiagnosticAnalyzer).IsAssignableFrom(t) && t.GetCustomAttribute<DiagnosticAnalyzerAttribute>() is not null)
            .OrderBy(t => t.FullName, StringComparer.Ordinal)
            .Select(t => (DiagnosticAnalyzer)Activator.CreateInstance(t)!)
            .ToImmutableArray();

    /// <summary>Compiles <paramref name="source"/>; returns compiler errors and analyzer diagnostics.</summary>
    public static async Task<(ImmutableArray<Diagnostic> CompilerErrors, ImmutableArray<Diagnostic> AnalyzerDiagnostics)> RunAsync(string source, string path = "/0/Test0.cs")
    {
        var compilation = await CompileAsync(source, path);
        var errors = compilation.GetDiagnostics().Where(d => d.Severity == DiagnosticSeverity.Error).ToImmutableArray();
        var withAnalyzers = compilation.WithAnalyzers(Create());
        var diagnostics = await withAnalyzers.GetAnalyzerDiagnosticsAsync();
        return (errors, diagnostics);
    }

    /// <summary>Parses <paramref name="source"/> into a library compilation against the shared references (the .NET 10 pack and the runtime assembly).</summary>
    public static async Task<CSharpCompilation> CompileAsync(string source, string path = "/0/Test0.cs")
    {
        var references = await GetReferencesAsync();
        var tree = CSharpSyntaxTree.ParseText(source, new CSharpParseOptions(LanguageVersion.Latest), path);
        return CSharpCompilation.Create(
            "Corpus",
            new[] { tree },
            references,
            new CSharpCompilationOptions(OutputKind.DynamicallyLinkedLibrary, nullableContextOptions: NullableContextOptions.Enable, allowUnsafe: true));
    }

    /// <summary>The shared references: the .NET 10 reference pack and the runtime assembly.</summary>
    public static async Task<ImmutableArray<MetadataReference>> GetReferencesAsync()
    {
        await ResolveGate.WaitAsync();
        try
        {
            if (s_references.IsDefault)
            {
                s_references = TestSetup.Net10Pack.Add(TestSetup.Runtime(TargetRuntime.Net10));
            }

            return s_references;
        }
        finally
        {
            ResolveGate.Release();
        }
    }

    /// <summary>The repository root (the folder holding ConcurrencySafety.sln).</summary>
    public static string RepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "ConcurrencySafety.sln")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException("ConcurrencySafety.sln not found above " + AppContext.BaseDirectory);
    }
}
