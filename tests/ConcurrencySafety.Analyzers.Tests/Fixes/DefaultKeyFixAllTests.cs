using System.Collections.Immutable;
using System.Threading;
using ConcurrencySafety.Analyzers.Rules;
using ConcurrencySafety.Analyzers.Tests.Infrastructure;
using ConcurrencySafety.CodeFixes;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CodeActions;
using Microsoft.CodeAnalysis.CodeFixes;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.Diagnostics;

namespace ConcurrencySafety.Analyzers.Tests.Fixes;

/// <summary>
/// A Fix All request with no equivalence key, which is what <c>dotnet format analyzers</c> sends
/// when the first diagnostic it finds has no fix: the rule's default fix still applies to every
/// fixable diagnostic (the batch fixer alone matches no action and returns nothing).
/// </summary>
public class DefaultKeyFixAllTests
{
    private const string Source = """
        using System.Threading;
        using System.Threading.Tasks;
        class C
        {
            double M()
            {
                double total = 0;
                int hits = 0;
                long sum = 0;
                Parallel.For(0, 10, i =>
                {
                    total += i;
                    hits++;
                    sum += i;
                });
                return total + hits + sum;
            }
        }
        """;

    [Fact]
    public async Task A_request_without_a_key_applies_the_default_fix_of_every_fixable_diagnostic()
    {
        var (document, diagnostics) = await AnalyzeAsync(Source);
        Assert.Equal(3, diagnostics.Length);
        var fixer = new CSA1001CapturedVariableWrittenConcurrentlyCodeFix();

        // The first diagnostic (the double) has no fix, so no action gives a key.
        var first = diagnostics.OrderBy(d => d.Location.SourceSpan.Start).First();
        var actions = new List<CodeAction>();
        await fixer.RegisterCodeFixesAsync(new CodeFixContext(document, first, (a, _) => actions.Add(a), CancellationToken.None));
        Assert.Empty(actions);

        var context = new FixAllContext(document, fixer, FixAllScope.Document, null!, [RuleIdentifiers.CapturedVariableWrittenConcurrently], new Provider(diagnostics), CancellationToken.None);
        Assert.Null(await WellKnownFixAllProviders.BatchFixer.GetFixAsync(context));

        var fixAll = await fixer.GetFixAllProvider().GetFixAsync(context);
        Assert.NotNull(fixAll);
        var operations = await fixAll!.GetOperationsAsync(CancellationToken.None);
        var changed = operations.OfType<ApplyChangesOperation>().Single().ChangedSolution.GetDocument(document.Id)!;
        var text = (await changed.GetTextAsync()).ToString();
        Assert.Contains("Interlocked.Increment(ref hits);", text, StringComparison.Ordinal);
        Assert.Contains("Interlocked.Add(ref sum, i);", text, StringComparison.Ordinal);
        Assert.Contains("total += i;", text, StringComparison.Ordinal);
    }

    private static async Task<(Document Document, ImmutableArray<Diagnostic> Diagnostics)> AnalyzeAsync(string source)
    {
        var workspace = new AdhocWorkspace();
        var project = workspace.AddProject(ProjectInfo.Create(
            ProjectId.CreateNewId(),
            VersionStamp.Default,
            "Test",
            "Test",
            LanguageNames.CSharp,
            compilationOptions: new CSharpCompilationOptions(OutputKind.DynamicallyLinkedLibrary),
            parseOptions: new CSharpParseOptions(LanguageVersion.Latest),
            metadataReferences: await AllAnalyzers.GetReferencesAsync()));
        var document = workspace.AddDocument(project.Id, "Test.cs", Microsoft.CodeAnalysis.Text.SourceText.From(source));
        var compilation = (await document.Project.GetCompilationAsync())!;
        var diagnostics = await compilation.WithAnalyzers([new CSA1001CapturedVariableWrittenConcurrentlyAnalyzer()]).GetAnalyzerDiagnosticsAsync();
        return (document, diagnostics);
    }

    private sealed class Provider(ImmutableArray<Diagnostic> diagnostics) : FixAllContext.DiagnosticProvider
    {
        public override Task<IEnumerable<Diagnostic>> GetAllDiagnosticsAsync(Project project, CancellationToken cancellationToken) => Task.FromResult<IEnumerable<Diagnostic>>(diagnostics);

        public override Task<IEnumerable<Diagnostic>> GetDocumentDiagnosticsAsync(Document document, CancellationToken cancellationToken) => Task.FromResult<IEnumerable<Diagnostic>>(diagnostics);

        public override Task<IEnumerable<Diagnostic>> GetProjectDiagnosticsAsync(Project project, CancellationToken cancellationToken) => Task.FromResult<IEnumerable<Diagnostic>>(diagnostics);
    }
}
