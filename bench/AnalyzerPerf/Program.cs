// Analyzer performance on a real code base: the ConcurrencySafety analyzers and
// Microsoft.VisualStudio.Threading.Analyzers run over the same compilations, in the same
// CompilationWithAnalyzers run, with per-analyzer execution time logged by Roslyn.
//
// Usage: dotnet run --project bench/AnalyzerPerf -c Release -- <StackExchange.Redis checkout> [iterations] [extra folder...]
//    or: dotnet run --project bench/AnalyzerPerf -c Release -- --code <checkout root> <iterations> <project folder> [<project folder>...]
// The second form compiles each project folder (all its .cs files, implicit usings, the running
// framework's assemblies and the packages this tool references) in order, each against the ones
// before it; compile errors from references it cannot resolve are counted and reported, and
// timings on compilations with many errors are weak (the binder gives up early).
// CSA_OPTIONS="key=value;key=value" passes analyzer options as a global config, for example
// CSA_OPTIONS=concurrencysafety.max_call_depth=1 to measure another call depth; CSA_ONLY_OURS=1
// leaves VS threading out of the --code form (for quick finding counts); CSA_DEPTHS=0,1,2,3
// runs only the race rules once per call depth and prints their findings (docs/real-code.md).
// Extra folders (for example the checkout's tests/StackExchange.Redis.Tests) are compiled against
// the measured assemblies with whatever references resolve, and only searched for findings: their
// compile errors (test frameworks that are not referenced) make their timings meaningless.
// The checkout is not part of this repository (see bench/README-analyzers.md).
using System;
using System.Collections.Generic;
using System.Collections.Immutable;
using System.IO;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using System.Diagnostics;
using System.Reflection;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.Diagnostics;

namespace AnalyzerPerf;

internal static class Program
{
    private static readonly string[] PreprocessorSymbols =
    {
        "NET", "NETCOREAPP", "NET10_0", "RELEASE", "VECTOR_SAFE", "UNIX_SOCKET",
        "NET5_0_OR_GREATER", "NET6_0_OR_GREATER", "NET7_0_OR_GREATER", "NET8_0_OR_GREATER", "NET9_0_OR_GREATER", "NET10_0_OR_GREATER",
        "NETCOREAPP3_0_OR_GREATER", "NETCOREAPP3_1_OR_GREATER", "NETCOREAPP2_1_OR_GREATER", "NETSTANDARD2_1_OR_GREATER",
    };

    private const string ImplicitUsings = """
        global using global::System;
        global using global::System.Collections.Generic;
        global using global::System.IO;
        global using global::System.Linq;
        global using global::System.Net.Http;
        global using global::System.Threading;
        global using global::System.Threading.Tasks;
        """;

    public static async Task<int> Main(string[] args)
    {
        if (args.Length >= 4 && args[0] == "--code")
        {
            return await MeasureFoldersAsync(args[1], int.Parse(args[2], System.Globalization.CultureInfo.InvariantCulture), args.Skip(3).ToArray());
        }

        if (args.Length < 1 || !Directory.Exists(Path.Combine(args[0], "src", "StackExchange.Redis")))
        {
            Console.Error.WriteLine("usage: AnalyzerPerf <StackExchange.Redis checkout> [iterations]");
            return 2;
        }

        var root = args[0];
        var iterations = args.Length > 1 ? int.Parse(args[1], System.Globalization.CultureInfo.InvariantCulture) : 5;
        var ours = LoadAnalyzers(Metadata("ConcurrencySafetyAnalyzers"));
        var vsPackage = Metadata("VsThreadingAnalyzers");
        var vs = Directory.GetFiles(Path.Combine(vsPackage, "analyzers", "cs"), "*.dll")
            .Where(p => !p.Contains("CodeFix", StringComparison.OrdinalIgnoreCase))
            .SelectMany(p => LoadAnalyzers(p))
            .ToImmutableArray();
        Console.WriteLine($"ConcurrencySafety analyzers: {ours.Length}; VS threading analyzers: {vs.Length} ({Path.GetFileName(vsPackage.TrimEnd('/'))})");

        var references = FrameworkReferences();
        var generators = BuildGenerators(root);
        var respite = Compile("RESPite", Path.Combine(root, "src", "RESPite"), references, generators, implicitUsings: true);
        var redis = Compile("StackExchange.Redis", Path.Combine(root, "src", "StackExchange.Redis"), references.Add(respite.ToMetadataReference()), generators, implicitUsings: false);
        var compilations = new[] { respite, redis };
        foreach (var c in compilations)
        {
            var errors = c.GetDiagnostics().Count(d => d.Severity == DiagnosticSeverity.Error);
            var lines = c.SyntaxTrees.Sum(t => t.GetText().Lines.Count);
            Console.WriteLine($"{c.AssemblyName}: {c.SyntaxTrees.Count()} files, {lines} lines, {errors} compile errors");
            foreach (var group in c.GetDiagnostics().Where(d => d.Severity == DiagnosticSeverity.Error).GroupBy(d => d.Id).OrderByDescending(g => g.Count()).Take(5))
            {
                Console.WriteLine($"    {group.Key} x{group.Count()}: {group.First()}");
            }
        }

        var all = ours.AddRange(vs);
        var oursTimes = new List<double>();
        var vsTimes = new List<double>();
        var findings = new List<Diagnostic>();
        var vsFindings = new Dictionary<string, int>();
        for (var i = 0; i < iterations; i++)
        {
            double oursMs = 0, vsMs = 0;
            foreach (var compilation in compilations)
            {
                var options = new CompilationWithAnalyzersOptions(
                    GlobalOptions(),
                    onAnalyzerException: null,
                    concurrentAnalysis: false,
                    logAnalyzerExecutionTime: true,
                    reportSuppressedDiagnostics: false);

                // A fresh clone each time, so no run profits from semantic models bound by an earlier one.
                var withAnalyzers = compilation.Clone().WithAnalyzers(all, options);
                var result = await withAnalyzers.GetAnalysisResultAsync(CancellationToken.None);
                foreach (var analyzer in ours)
                {
                    oursMs += result.AnalyzerTelemetryInfo[analyzer].ExecutionTime.TotalMilliseconds;
                }

                foreach (var analyzer in vs)
                {
                    vsMs += result.AnalyzerTelemetryInfo[analyzer].ExecutionTime.TotalMilliseconds;
                }

                if (i == 0)
                {
                    foreach (var diagnostic in result.GetAllDiagnostics())
                    {
                        if (diagnostic.Id.StartsWith("CSA", StringComparison.Ordinal))
                        {
                            findings.Add(diagnostic);
                        }
                        else if (diagnostic.Id.StartsWith("VSTHRD", StringComparison.Ordinal))
                        {
                            vsFindings[diagnostic.Id] = vsFindings.GetValueOrDefault(diagnostic.Id) + 1;
                        }
                    }
                }
            }

            Console.WriteLine($"run {i + 1}: ConcurrencySafety {oursMs,8:F0} ms   VS threading {vsMs,8:F0} ms");
            oursTimes.Add(oursMs);
            vsTimes.Add(vsMs);
        }

        // The first run pays JIT for both packages; report the median of the others.
        var measured = iterations > 1 ? 1 : 0;
        Console.WriteLine();
        Console.WriteLine($"median (runs {measured + 1}..{iterations}): ConcurrencySafety {Median(oursTimes.Skip(measured)):F0} ms, VS threading {Median(vsTimes.Skip(measured)):F0} ms");
        Console.WriteLine();
        Console.WriteLine($"ConcurrencySafety findings: {findings.Count}");
        foreach (var d in findings.OrderBy(d => d.Location.SourceTree?.FilePath).ThenBy(d => d.Location.SourceSpan.Start))
        {
            var span = d.Location.GetLineSpan();
            Console.WriteLine($"  {d.Id} {Path.GetRelativePath(root, span.Path)}:{span.StartLinePosition.Line + 1}: {d.GetMessage(System.Globalization.CultureInfo.InvariantCulture)}");
        }

        Console.WriteLine("VS threading findings: " + string.Join(", ", vsFindings.OrderBy(p => p.Key).Select(p => $"{p.Key}={p.Value}")));

        foreach (var extra in args.Skip(2))
        {
            var extraCompilation = Compile(Path.GetFileName(extra.TrimEnd('/')), extra, references.Add(respite.ToMetadataReference()).Add(redis.ToMetadataReference()), ImmutableArray<ISourceGenerator>.Empty, implicitUsings: true);
            var extraErrors = extraCompilation.GetDiagnostics().Count(d => d.Severity == DiagnosticSeverity.Error);
            var extraResult = await extraCompilation.WithAnalyzers(ours).GetAnalyzerDiagnosticsAsync();
            Console.WriteLine();
            Console.WriteLine($"{extra}: {extraCompilation.SyntaxTrees.Count()} files, {extraErrors} compile errors (missing test-framework references), {extraResult.Length} ConcurrencySafety findings");
            foreach (var d in extraResult.OrderBy(d => d.Location.SourceTree?.FilePath).ThenBy(d => d.Location.SourceSpan.Start))
            {
                var span = d.Location.GetLineSpan();
                Console.WriteLine($"  {d.Id} {Path.GetRelativePath(root, span.Path)}:{span.StartLinePosition.Line + 1}: {d.GetMessage(System.Globalization.CultureInfo.InvariantCulture)}");
            }
        }

        return 0;
    }

    private static async Task<int> MeasureFoldersAsync(string root, int iterations, string[] folders)
    {
        var ours = LoadAnalyzers(Metadata("ConcurrencySafetyAnalyzers"));
        var vsPackage = Metadata("VsThreadingAnalyzers");
        var vs = Directory.GetFiles(Path.Combine(vsPackage, "analyzers", "cs"), "*.dll")
            .Where(p => !p.Contains("CodeFix", StringComparison.OrdinalIgnoreCase))
            .SelectMany(p => LoadAnalyzers(p))
            .ToImmutableArray();
        if (Environment.GetEnvironmentVariable("CSA_ONLY_OURS") == "1")
        {
            vs = ImmutableArray<DiagnosticAnalyzer>.Empty;
        }

        var references = FrameworkReferences();
        var compilations = new List<CSharpCompilation>();
        var names = folders.Select(f => Path.GetFileName(f.TrimEnd('/'))).ToArray();
        foreach (var folder in folders)
        {
            var name = Path.GetFileName(folder.TrimEnd('/'));
            var visibleTo = names.SkipWhile(n => n != name).Skip(1).ToArray();
            var compilation = Compile(name, folder, references.AddRange(compilations.Select(c => (MetadataReference)c.ToMetadataReference())), ImmutableArray<ISourceGenerator>.Empty, implicitUsings: true, visibleTo);
            compilations.Add(compilation);
            var errors = compilation.GetDiagnostics().Where(d => d.Severity == DiagnosticSeverity.Error).ToList();
            var lines = compilation.SyntaxTrees.Sum(t => t.GetText().Lines.Count);
            Console.WriteLine($"{name}: {compilation.SyntaxTrees.Count()} files, {lines} lines, {errors.Count} compile errors");
            foreach (var group in errors.GroupBy(d => d.Id).OrderByDescending(g => g.Count()).Take(4))
            {
                Console.WriteLine($"    {group.Key} x{group.Count()}: {group.First().GetMessage(System.Globalization.CultureInfo.InvariantCulture)}");
            }
        }

        if (Environment.GetEnvironmentVariable("CSA_DEPTHS") is { Length: > 0 } depths)
        {
            // The call-depth measurement: the race rules only, once per depth, on fresh clones.
            foreach (var depth in depths.Split(','))
            {
                var races = new List<Diagnostic>();
                double ms = 0;
                for (var i = 0; i < iterations; i++)
                {
                    races.Clear();
                    foreach (var compilation in compilations)
                    {
                        var depthOptions = new CompilationWithAnalyzersOptions(
                            GlobalOptions("concurrencysafety.max_call_depth=" + depth.Trim()),
                            onAnalyzerException: null,
                            concurrentAnalysis: false,
                            logAnalyzerExecutionTime: true,
                            reportSuppressedDiagnostics: false);
                        var depthResult = await compilation.Clone().WithAnalyzers(ours, depthOptions).GetAnalysisResultAsync(CancellationToken.None);
                        ms += ours.Sum(a => depthResult.AnalyzerTelemetryInfo[a].ExecutionTime.TotalMilliseconds);
                        races.AddRange(depthResult.GetAllDiagnostics().Where(d => d.Id.StartsWith("CSA100", StringComparison.Ordinal)));
                    }
                }

                Console.WriteLine($"depth {depth.Trim()}: {races.Count} race findings, ConcurrencySafety {ms / iterations:F0} ms (mean of {iterations})");
                foreach (var d in races.OrderBy(d => d.Location.SourceTree?.FilePath).ThenBy(d => d.Location.SourceSpan.Start))
                {
                    var span = d.Location.GetLineSpan();
                    Console.WriteLine($"  {d.Id} {Path.GetRelativePath(root, span.Path)}:{span.StartLinePosition.Line + 1}: {d.GetMessage(System.Globalization.CultureInfo.InvariantCulture)}");
                }
            }

            return 0;
        }

        var all = ours.AddRange(vs);
        var oursTimes = new List<double>();
        var vsTimes = new List<double>();
        var findings = new List<Diagnostic>();
        var vsFindings = new Dictionary<string, int>();
        for (var i = 0; i < iterations; i++)
        {
            double oursMs = 0, vsMs = 0;
            foreach (var compilation in compilations)
            {
                var options = new CompilationWithAnalyzersOptions(
                    GlobalOptions(),
                    onAnalyzerException: null,
                    concurrentAnalysis: false,
                    logAnalyzerExecutionTime: true,
                    reportSuppressedDiagnostics: false);
                var result = await compilation.Clone().WithAnalyzers(all, options).GetAnalysisResultAsync(CancellationToken.None);
                oursMs += ours.Sum(a => result.AnalyzerTelemetryInfo[a].ExecutionTime.TotalMilliseconds);
                vsMs += vs.Sum(a => result.AnalyzerTelemetryInfo[a].ExecutionTime.TotalMilliseconds);
                if (i == 0)
                {
                    foreach (var diagnostic in result.GetAllDiagnostics())
                    {
                        if (diagnostic.Id.StartsWith("CSA", StringComparison.Ordinal))
                        {
                            findings.Add(diagnostic);
                        }
                        else if (diagnostic.Id.StartsWith("VSTHRD", StringComparison.Ordinal))
                        {
                            vsFindings[diagnostic.Id] = vsFindings.GetValueOrDefault(diagnostic.Id) + 1;
                        }
                    }
                }
            }

            Console.WriteLine($"run {i + 1}: ConcurrencySafety {oursMs,8:F0} ms   VS threading {vsMs,8:F0} ms");
            oursTimes.Add(oursMs);
            vsTimes.Add(vsMs);
        }

        var measured = iterations > 1 ? 1 : 0;
        var oursMedian = Median(oursTimes.Skip(measured));
        var vsMedian = Median(vsTimes.Skip(measured));
        Console.WriteLine();
        Console.WriteLine($"median (runs {measured + 1}..{iterations}): ConcurrencySafety {oursMedian:F0} ms, VS threading {vsMedian:F0} ms, ratio {(vsMedian == 0 ? 0 : oursMedian / vsMedian):F3}");
        Console.WriteLine();
        Console.WriteLine($"ConcurrencySafety findings: {findings.Count}");
        foreach (var d in findings.OrderBy(d => d.Location.SourceTree?.FilePath).ThenBy(d => d.Location.SourceSpan.Start))
        {
            var span = d.Location.GetLineSpan();
            Console.WriteLine($"  {d.Id} {Path.GetRelativePath(root, span.Path)}:{span.StartLinePosition.Line + 1}: {d.GetMessage(System.Globalization.CultureInfo.InvariantCulture)}");
        }

        Console.WriteLine("VS threading findings: " + string.Join(", ", vsFindings.OrderBy(p => p.Key).Select(p => $"{p.Key}={p.Value}")));
        return 0;
    }

    private static AnalyzerOptions GlobalOptions(string? extra = null)
    {
        var pairs = ((Environment.GetEnvironmentVariable("CSA_OPTIONS") ?? string.Empty) + ";" + extra)
            .Split(';', StringSplitOptions.RemoveEmptyEntries)
            .Select(p => p.Split('=', 2))
            .Where(p => p.Length == 2)
            .ToImmutableDictionary(p => p[0].Trim(), p => p[1].Trim());
        return new AnalyzerOptions(ImmutableArray<AdditionalText>.Empty, new GlobalOnlyOptionsProvider(pairs));
    }

    private sealed class GlobalOnlyOptionsProvider(ImmutableDictionary<string, string> values) : AnalyzerConfigOptionsProvider
    {
        private readonly DictionaryOptions _options = new(values);

        public override AnalyzerConfigOptions GlobalOptions => _options;

        public override AnalyzerConfigOptions GetOptions(SyntaxTree tree) => DictionaryOptions.Empty;

        public override AnalyzerConfigOptions GetOptions(AdditionalText textFile) => DictionaryOptions.Empty;
    }

    private sealed class DictionaryOptions(ImmutableDictionary<string, string> values) : AnalyzerConfigOptions
    {
        public static readonly DictionaryOptions Empty = new(ImmutableDictionary<string, string>.Empty);

        public override bool TryGetValue(string key, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out string? value) => values.TryGetValue(key, out value);
    }

    private static double Median(IEnumerable<double> values)
    {
        var sorted = values.Order().ToArray();
        return sorted.Length == 0 ? 0 : sorted.Length % 2 == 1 ? sorted[sorted.Length / 2] : (sorted[sorted.Length / 2 - 1] + sorted[sorted.Length / 2]) / 2;
    }

    private static string Metadata(string key) =>
        typeof(Program).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>().First(a => a.Key == key).Value
        ?? throw new InvalidOperationException("missing assembly metadata " + key);

    private static ImmutableArray<DiagnosticAnalyzer> LoadAnalyzers(string path)
    {
        var reference = new AnalyzerFileReference(Path.GetFullPath(path), new Loader());
        return reference.GetAnalyzers(LanguageNames.CSharp);
    }

    private sealed class Loader : IAnalyzerAssemblyLoader
    {
        public void AddDependencyLocation(string fullPath)
        {
        }

        public Assembly LoadFromPath(string fullPath) => Assembly.LoadFrom(fullPath);
    }

    private static ImmutableArray<MetadataReference> FrameworkReferences()
    {
        // The running framework's assemblies, plus the packages the measured code references
        // (copied next to this tool by its package references).
        var trusted = ((string)AppContext.GetData("TRUSTED_PLATFORM_ASSEMBLIES")!).Split(Path.PathSeparator);
        return trusted
            .Where(p => Path.GetFileName(p).StartsWith("System.", StringComparison.Ordinal)
                || Path.GetFileName(p).StartsWith("Microsoft.Extensions.", StringComparison.Ordinal)
                || Path.GetFileName(p) is "mscorlib.dll" or "netstandard.dll" or "Microsoft.Win32.Primitives.dll" or "Microsoft.CSharp.dll")
            .Select(p => (MetadataReference)MetadataReference.CreateFromFile(p))
            .ToImmutableArray();
    }

    private static ImmutableArray<ISourceGenerator> BuildGenerators(string root)
    {
        // StackExchange.Redis generates part of its code. Compile its generator project in memory
        // against this host's Roslyn and run it, so the measured compilations are complete.
        var project = Path.Combine(root, "eng", "StackExchange.Redis.Build");
        if (!Directory.Exists(project))
        {
            return ImmutableArray<ISourceGenerator>.Empty;
        }

        var files = Directory.GetFiles(project, "*.cs", SearchOption.AllDirectories)
            .Concat(new[] { Path.Combine(root, "src", "RESPite", "Shared", "AsciiHash.cs"), Path.Combine(root, "src", "RESPite", "Shared", "Experiments.cs") })
            .Where(File.Exists);
        var trees = files.Select(f => CSharpSyntaxTree.ParseText(File.ReadAllText(f), new CSharpParseOptions(LanguageVersion.Preview), f))
            .Append(CSharpSyntaxTree.ParseText(ImplicitUsings, new CSharpParseOptions(LanguageVersion.Preview)));
        var trusted = ((string)AppContext.GetData("TRUSTED_PLATFORM_ASSEMBLIES")!).Split(Path.PathSeparator);
        var references = trusted.Select(p => (MetadataReference)MetadataReference.CreateFromFile(p));
        var compilation = CSharpCompilation.Create(
            "StackExchange.Redis.Build",
            trees,
            references,
            new CSharpCompilationOptions(OutputKind.DynamicallyLinkedLibrary, nullableContextOptions: NullableContextOptions.Enable, allowUnsafe: true));
        using var stream = new MemoryStream();
        var emit = compilation.Emit(stream);
        if (!emit.Success)
        {
            // The project marks its own helpers [Experimental]; its build suppresses those IDs.
            compilation = compilation.WithOptions(compilation.Options.WithSpecificDiagnosticOptions(SuppressExperimental(emit.Diagnostics)));
            stream.SetLength(0);
            emit = compilation.Emit(stream);
        }

        if (!emit.Success)
        {
            Console.WriteLine("generator project did not compile; measuring without generated code: "
                + string.Join("; ", emit.Diagnostics.Where(d => d.Severity == DiagnosticSeverity.Error).Take(3)));
            return ImmutableArray<ISourceGenerator>.Empty;
        }

        var assembly = Assembly.Load(stream.ToArray());
        var generators = new List<ISourceGenerator>();
        foreach (var type in assembly.GetTypes().Where(t => !t.IsAbstract && t.GetCustomAttributes(typeof(GeneratorAttribute), false).Length > 0))
        {
            var instance = Activator.CreateInstance(type);
            if (instance is IIncrementalGenerator incremental)
            {
                generators.Add(incremental.AsSourceGenerator());
            }
            else if (instance is ISourceGenerator generator)
            {
                generators.Add(generator);
            }
        }

        // The logging source generator ([LoggerMessage]) ships in the abstractions package.
        var packaged = Directory.GetFiles(
            Path.Combine(Environment.GetEnvironmentVariable("NUGET_PACKAGES") ?? Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".nuget", "packages"), "microsoft.extensions.logging.abstractions"),
            "Microsoft.Extensions.Logging.Generators.dll",
            SearchOption.AllDirectories)
            .Where(p => p.Contains($"{Path.DirectorySeparatorChar}roslyn4.4{Path.DirectorySeparatorChar}cs{Path.DirectorySeparatorChar}", StringComparison.Ordinal))
            .Order(StringComparer.Ordinal)
            .LastOrDefault();
        if (packaged is not null)
        {
            generators.AddRange(new AnalyzerFileReference(packaged, new Loader()).GetGenerators(LanguageNames.CSharp));
        }

        Console.WriteLine($"source generators: {generators.Count}");
        return generators.ToImmutableArray();
    }

    private static ImmutableDictionary<string, ReportDiagnostic> SuppressExperimental(IEnumerable<Diagnostic> diagnostics) =>
        // [Experimental] APIs report errors with the library's own IDs (SER..., NPG...); the
        // projects' builds suppress them.
        diagnostics.Where(d => !d.Id.StartsWith("CS", StringComparison.Ordinal) && d.Severity == DiagnosticSeverity.Error)
            .Select(d => d.Id)
            .Distinct()
            .ToImmutableDictionary(id => id, _ => ReportDiagnostic.Suppress);

    private static CSharpCompilation Compile(string name, string folder, ImmutableArray<MetadataReference> references, ImmutableArray<ISourceGenerator> generators, bool implicitUsings, string[]? visibleTo = null)
    {
        visibleTo ??= new[] { "StackExchange.Redis" };
        var parse = new CSharpParseOptions(LanguageVersion.Preview, preprocessorSymbols: PreprocessorSymbols);
        var trees = Directory.GetFiles(folder, "*.cs", SearchOption.AllDirectories)
            .Where(f => !f.Contains($"{Path.DirectorySeparatorChar}obj{Path.DirectorySeparatorChar}", StringComparison.Ordinal) && !f.Contains($"{Path.DirectorySeparatorChar}bin{Path.DirectorySeparatorChar}", StringComparison.Ordinal))
            .Order(StringComparer.Ordinal)
            .Select(f => CSharpSyntaxTree.ParseText(File.ReadAllText(f), parse, f))
            .ToList();
        if (implicitUsings)
        {
            // The SDK's implicit usings, plus the project's own <Using Include="..."/> items.
            var buildFiles = new List<string>(Directory.GetFiles(folder, "*.csproj"));
            for (var dir = new DirectoryInfo(folder); dir is not null; dir = dir.Parent)
            {
                buildFiles.AddRange(new[] { "Directory.Build.props", "Directory.Build.targets" }.Select(n => Path.Combine(dir.FullName, n)).Where(File.Exists));
            }

            var projectUsings = buildFiles
                .SelectMany(f => System.Text.RegularExpressions.Regex.Matches(File.ReadAllText(f), "<Using Include=\"([^\"]+)\"").Select(m => m.Groups[1].Value))
                .Distinct()
                .Select(u => $"global using global::{u};\n");
            trees.Add(CSharpSyntaxTree.ParseText(ImplicitUsings + "\n" + string.Concat(projectUsings), parse, Path.Combine(folder, "obj", "GlobalUsings.g.cs")));
        }

        trees.Add(CSharpSyntaxTree.ParseText(
            string.Concat(visibleTo.Select(v => $"[assembly: System.Runtime.CompilerServices.InternalsVisibleTo(\"{v}\")]\n")),
            parse,
            Path.Combine(folder, "obj", "AssemblyInfo.g.cs")));
        var compilation = CSharpCompilation.Create(
            name,
            trees,
            references,
            new CSharpCompilationOptions(OutputKind.DynamicallyLinkedLibrary, nullableContextOptions: NullableContextOptions.Enable, allowUnsafe: true, optimizationLevel: OptimizationLevel.Release));
        compilation = compilation.WithOptions(compilation.Options.WithSpecificDiagnosticOptions(SuppressExperimental(compilation.GetDiagnostics())));
        if (generators.IsEmpty)
        {
            return compilation;
        }

        var stopwatch = Stopwatch.StartNew();
        CSharpGeneratorDriver.Create(generators, parseOptions: parse).RunGeneratorsAndUpdateCompilation(compilation, out var output, out _);
        Console.WriteLine($"{name}: generators ran in {stopwatch.ElapsedMilliseconds} ms, {output.SyntaxTrees.Count() - trees.Count} generated files");
        return (CSharpCompilation)output;
    }
}
