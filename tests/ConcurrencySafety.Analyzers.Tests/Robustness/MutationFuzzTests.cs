using System.Collections.Immutable;
using System.Globalization;
using System.IO;
using System.Reflection;
using System.Threading;
using ConcurrencySafety.Analyzers.Tests.Infrastructure;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CodeActions;
using Microsoft.CodeAnalysis.CodeFixes;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Text;
using Xunit.Abstractions;

namespace ConcurrencySafety.Analyzers.Tests.Robustness;

/// <summary>
/// The seeded mutation fuzzer: mutants of the valid-code corpus, the samples and the analyzer
/// tests' snippets (see <see cref="Mutator"/>) go through every analyzer and the type-state
/// generator (found by reflection, so rules added later are included) and every code fix
/// offered on them; not one may throw. Broken code is what an IDE analyzes most of the time.
/// </summary>
/// <remarks>
/// The suite runs <see cref="DefaultMutants"/> mutants with a fixed seed. The long run is
/// <c>CSA_FUZZ_MUTANTS=5000 CSA_FUZZ_SEED=1 dotnet test tests/ConcurrencySafety.Analyzers.Tests -c Release --filter FullyQualifiedName~MutationFuzz</c>
/// (any seed; a failure prints the seed and mutant index that replay it, and writes the
/// mutant's source to the temp folder).
/// </remarks>
public class MutationFuzzTests
{
    private const int DefaultMutants = 240;
    private const int DefaultSeed = 13;

    /// <summary>At most this many diagnostics of one mutant get their fixes run (the first ones, in order).</summary>
    private const int FixesPerMutant = 12;

    private static readonly TimeSpan PerMutantLimit = TimeSpan.FromMinutes(2);

    private readonly ITestOutputHelper _output;

    public MutationFuzzTests(ITestOutputHelper output) => _output = output;

    [Fact]
    public void Corpus_has_the_three_sources()
    {
        var corpus = LoadCorpus();
        Assert.True(corpus.Count(c => c.Name.StartsWith("ValidCode/", StringComparison.Ordinal)) >= 5, "valid-code corpus missing");
        Assert.True(corpus.Count(c => c.Name.StartsWith("samples/", StringComparison.Ordinal)) >= 5, "samples missing");
        Assert.True(corpus.Count(c => c.Name.StartsWith("snippet ", StringComparison.Ordinal)) >= 100, "test snippets missing");
    }

    [Fact]
    public async Task No_analyzer_generator_or_code_fix_throws_on_mutants()
    {
        var mutants = int.TryParse(Environment.GetEnvironmentVariable("CSA_FUZZ_MUTANTS"), NumberStyles.Integer, CultureInfo.InvariantCulture, out var m) ? m : DefaultMutants;
        var seed = int.TryParse(Environment.GetEnvironmentVariable("CSA_FUZZ_SEED"), NumberStyles.Integer, CultureInfo.InvariantCulture, out var s) ? s : DefaultSeed;
        var corpus = LoadCorpus();
        var analyzers = AllAnalyzers.Create();
        var fixers = CodeFixers();
        Assert.NotEmpty(fixers);
        var references = await AllAnalyzers.GetReferencesAsync();
        using var workspace = new AdhocWorkspace();

        var failures = new List<string>();
        int diagnosticsSeen = 0, fixesRun = 0;
        for (var index = 0; index < mutants && failures.Count < 10; index++)
        {
            var mutant = Mutator.Create(corpus, seed, index);
            using var limit = new CancellationTokenSource(PerMutantLimit);
            var problems = new List<string>();
            try
            {
                var (diagnostics, fixes) = await RunAsync(workspace, references, mutant.Source, analyzers, fixers, problems, limit.Token);
                diagnosticsSeen += diagnostics;
                fixesRun += fixes;
            }
            catch (OperationCanceledException) when (limit.IsCancellationRequested)
            {
                problems.Add($"took more than {PerMutantLimit.TotalSeconds} s (a hang?)");
            }

            if (problems.Count > 0)
            {
                var file = Path.Combine(Path.GetTempPath(), $"csa-fuzz-seed{seed}-mutant{index}.cs");
                await File.WriteAllTextAsync(file, mutant.Source);
                failures.Add($"seed {seed}, mutant {index} ({mutant.Origin}: {mutant.Description}), source in {file}:\n  " + string.Join("\n  ", problems));
            }
        }

        _output.WriteLine($"{mutants} mutants (seed {seed}) of {corpus.Count} sources: {diagnosticsSeen} diagnostics, {fixesRun} code actions computed, {failures.Count} failures");
        Assert.True(failures.Count == 0, string.Join("\n", failures));
    }

    /// <summary>Analyzes one mutant, runs the generator and the fixes; returns the counts of diagnostics and code actions, and adds every exception to <paramref name="problems"/>.</summary>
    internal static async Task<(int Diagnostics, int Fixes)> RunAsync(
        AdhocWorkspace workspace,
        ImmutableArray<MetadataReference> references,
        string source,
        ImmutableArray<DiagnosticAnalyzer> analyzers,
        ImmutableDictionary<string, ImmutableArray<CodeFixProvider>> fixers,
        List<string> problems,
        CancellationToken cancellationToken)
    {
        var projectId = ProjectId.CreateNewId();
        var documentId = DocumentId.CreateNewId(projectId);
        var solution = workspace.CurrentSolution
            .AddProject(ProjectInfo.Create(
                projectId,
                VersionStamp.Default,
                "Mutant",
                "Mutant",
                LanguageNames.CSharp,
                compilationOptions: new CSharpCompilationOptions(OutputKind.DynamicallyLinkedLibrary, nullableContextOptions: NullableContextOptions.Enable, allowUnsafe: true),
                parseOptions: new CSharpParseOptions(LanguageVersion.Latest),
                metadataReferences: references))
            .AddDocument(documentId, "Mutant.cs", SourceText.From(source));
        var document = solution.GetDocument(documentId)!;
        var compilation = (await document.Project.GetCompilationAsync(cancellationToken))!;

        var options = new CompilationWithAnalyzersOptions(
            new AnalyzerOptions(ImmutableArray<AdditionalText>.Empty),
            onAnalyzerException: (exception, analyzer, _) => { lock (problems) { problems.Add($"{analyzer.GetType().Name} threw {exception}"); } },
            concurrentAnalysis: true,
            logAnalyzerExecutionTime: false);
        var diagnostics = await compilation.WithAnalyzers(analyzers, options).GetAnalyzerDiagnosticsAsync(cancellationToken);
        foreach (var diagnostic in diagnostics.Where(d => d.Id == "AD0001"))
        {
            problems.Add(diagnostic.ToString());
        }

        var generated = CSharpGeneratorDriver.Create(new TypeStateGenerator()).RunGenerators(compilation, cancellationToken).GetRunResult();
        foreach (var result in generated.Results.Where(r => r.Exception is not null))
        {
            problems.Add($"{nameof(TypeStateGenerator)} threw {result.Exception}");
        }

        var fixes = 0;
        foreach (var diagnostic in diagnostics.Where(d => fixers.ContainsKey(d.Id)).Take(FixesPerMutant))
        {
            if (!fixers.TryGetValue(diagnostic.Id, out var providers))
            {
                continue;
            }

            foreach (var provider in providers)
            {
                var actions = new List<CodeAction>();
                try
                {
                    var context = new CodeFixContext(document, diagnostic, (action, _) => actions.Add(action), cancellationToken);
                    await provider.RegisterCodeFixesAsync(context);
                    foreach (var action in actions)
                    {
                        fixes++;
                        foreach (var operation in await action.GetOperationsAsync(cancellationToken))
                        {
                            if (operation is ApplyChangesOperation apply)
                            {
                                foreach (var changed in apply.ChangedSolution.GetChanges(solution).GetProjectChanges().SelectMany(p => p.GetChangedDocuments()))
                                {
                                    await apply.ChangedSolution.GetDocument(changed)!.GetTextAsync(cancellationToken);
                                }
                            }
                        }
                    }
                }
                catch (Exception exception) when (exception is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
                {
                    problems.Add($"{provider.GetType().Name} on {diagnostic} threw {exception}");
                }
            }
        }

        return (diagnostics.Length, fixes);
    }

    [Fact]
    public async Task The_harness_reports_a_throwing_analyzer_and_a_throwing_fix()
    {
        var references = await AllAnalyzers.GetReferencesAsync();
        using var workspace = new AdhocWorkspace();
        var problems = new List<string>();
        var fixers = ImmutableDictionary<string, ImmutableArray<CodeFixProvider>>.Empty.Add(ThrowingAnalyzer.Id, ImmutableArray.Create<CodeFixProvider>(new ThrowingFix()));
        await RunAsync(workspace, references, "class C { void M() { M(); } }", ImmutableArray.Create<DiagnosticAnalyzer>(new ThrowingAnalyzer()), fixers, problems, CancellationToken.None);

        Assert.Contains(problems, p => p.Contains(nameof(ThrowingAnalyzer), StringComparison.Ordinal) && p.Contains("analyzer bug", StringComparison.Ordinal));
        Assert.Contains(problems, p => p.Contains(nameof(ThrowingFix), StringComparison.Ordinal) && p.Contains("fix bug", StringComparison.Ordinal));
    }

    /// <summary>Reports every class and throws on every invocation: the harness must see both.</summary>
    [DiagnosticAnalyzer(LanguageNames.CSharp)]
    private sealed class ThrowingAnalyzer : DiagnosticAnalyzer
    {
        public const string Id = "FUZZ001";

        private static readonly DiagnosticDescriptor Rule = new(Id, "t", "t", "t", DiagnosticSeverity.Warning, true);

        public override ImmutableArray<DiagnosticDescriptor> SupportedDiagnostics => ImmutableArray.Create(Rule);

        public override void Initialize(AnalysisContext context)
        {
            context.EnableConcurrentExecution();
            context.ConfigureGeneratedCodeAnalysis(GeneratedCodeAnalysisFlags.None);
            context.RegisterSymbolAction(c => c.ReportDiagnostic(Diagnostic.Create(Rule, c.Symbol.Locations[0])), SymbolKind.NamedType);
            context.RegisterOperationAction(_ => throw new InvalidOperationException("analyzer bug"), Microsoft.CodeAnalysis.OperationKind.Invocation);
        }
    }

    private sealed class ThrowingFix : CodeFixProvider
    {
        public override ImmutableArray<string> FixableDiagnosticIds => ImmutableArray.Create(ThrowingAnalyzer.Id);

        public override FixAllProvider? GetFixAllProvider() => null;

        public override Task RegisterCodeFixesAsync(CodeFixContext context)
        {
            context.RegisterCodeFix(CodeAction.Create("t", new Func<CancellationToken, Task<Document>>(_ => throw new InvalidOperationException("fix bug")), "t"), context.Diagnostics);
            return Task.CompletedTask;
        }
    }

    /// <summary>Every code fix provider of the code-fix assembly, by the diagnostic IDs it fixes.</summary>
    private static ImmutableDictionary<string, ImmutableArray<CodeFixProvider>> CodeFixers()
    {
        var assembly = typeof(ConcurrencySafety.CodeFixes.CSA2002SenderNeverDisposedCodeFix).Assembly;
        var providers = assembly.GetTypes()
            .Where(t => !t.IsAbstract && typeof(CodeFixProvider).IsAssignableFrom(t) && t.GetCustomAttribute<ExportCodeFixProviderAttribute>() is not null)
            .Select(t => (CodeFixProvider)Activator.CreateInstance(t)!)
            .ToList();
        return providers
            .SelectMany(p => p.FixableDiagnosticIds.Select(id => (Id: id, Provider: p)))
            .GroupBy(x => x.Id)
            .ToImmutableDictionary(g => g.Key, g => g.Select(x => x.Provider).ToImmutableArray());
    }

    /// <summary>The sources mutated: the valid-code corpus, the samples, and the raw-string snippets of the analyzer tests.</summary>
    internal static IReadOnlyList<(string Name, string Source)> LoadCorpus()
    {
        var corpus = new List<(string, string)>();
        var assembly = typeof(MutationFuzzTests).Assembly;
        foreach (var resource in assembly.GetManifestResourceNames().Where(n => n.StartsWith("ValidCode.", StringComparison.Ordinal)).Order(StringComparer.Ordinal))
        {
            using var reader = new StreamReader(assembly.GetManifestResourceStream(resource)!);
            corpus.Add(("ValidCode/" + resource.Substring("ValidCode.".Length), reader.ReadToEnd()));
        }

        var root = AllAnalyzers.RepositoryRoot();
        foreach (var file in Directory.GetFiles(Path.Combine(root, "samples"), "*.cs", SearchOption.AllDirectories)
                     .Where(f => !f.Contains($"{Path.DirectorySeparatorChar}obj{Path.DirectorySeparatorChar}", StringComparison.Ordinal) && !f.Contains($"{Path.DirectorySeparatorChar}bin{Path.DirectorySeparatorChar}", StringComparison.Ordinal))
                     .Order(StringComparer.Ordinal))
        {
            corpus.Add(("samples/" + Path.GetRelativePath(Path.Combine(root, "samples"), file).Replace('\\', '/'), File.ReadAllText(file)));
        }

        var tests = Path.Combine(root, "tests", "ConcurrencySafety.Analyzers.Tests");
        foreach (var file in Directory.GetFiles(tests, "*Tests.cs", SearchOption.AllDirectories)
                     .Where(f => !f.Contains("Robustness", StringComparison.Ordinal) && !f.Contains($"{Path.DirectorySeparatorChar}obj{Path.DirectorySeparatorChar}", StringComparison.Ordinal))
                     .Order(StringComparer.Ordinal))
        {
            var number = 0;
            foreach (var snippet in Mutator.Snippets(File.ReadAllText(file)))
            {
                corpus.Add(($"snippet {Path.GetFileNameWithoutExtension(file)}#{number++}", snippet));
            }
        }

        return corpus;
    }
}
