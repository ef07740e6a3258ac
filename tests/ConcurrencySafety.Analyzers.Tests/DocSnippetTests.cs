using System.Collections.Immutable;
using System.IO;
using System.Text.RegularExpressions;
using ConcurrencySafety.Analyzers.Tests.Infrastructure;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.Diagnostics;

namespace ConcurrencySafety.Analyzers.Tests;

/// <summary>
/// Every code block marked <c>```csharp compile</c> in README.md, docs/*.md and the package
/// README (src/ConcurrencySafety/Package/README.md) compiles as a program's top-level statements
/// against the real runtime assembly, with the type-state generator, and raises no diagnostic of
/// ours. The few names a snippet uses without declaring (a token, a URL, a stub method) come
/// from <see cref="Prelude"/>. Blocks that show an error on purpose are left unmarked. The rule
/// pages (docs/rules/*.md) have their own test, <see cref="DocExampleTests"/>.
/// </summary>
public partial class DocSnippetTests
{
    private static readonly string[] Documents = ["README.md", "src/ConcurrencySafety/Package/README.md"];

    private const string Prelude = """
        global using System;
        global using System.Collections.Generic;
        global using System.Linq;
        global using System.Threading;
        global using System.Threading.Tasks;
        global using ConcurrencySafety;
        global using static DocPrelude;

        /// <summary>Names the doc snippets use without declaring them.</summary>
        internal static class DocPrelude
        {
            public static CancellationToken cancellationToken => CancellationToken.None;
            public static CancellationToken ct => CancellationToken.None;
            public static string urlA => "a";
            public static string urlB => "b";
            public static string[] urls => ["a", "b"];
            public static SizeClient client { get; } = new();
            public static Receiver<string> fast { get; } = Chan.Never<string>();
            public static Receiver<int> slow { get; } = Chan.Never<int>();
            public static Task<int> CountAsync(string name, CancellationToken cancellation) => Task.FromResult(name.Length);
            public static Task FetchAsync(string url, CancellationToken cancellation) => Task.CompletedTask;
            public static Task QueryAsync(CancellationToken cancellation = default) => Task.CompletedTask;
            public static int[] Load() => [1, 2, 3, 4];
            public static long Sum(int[] data, int worker) => data[worker];
            public static long Work(int i) => i;

            public sealed class SizeClient
            {
                public Task<int> GetSizeAsync(string url, CancellationToken cancellation) => Task.FromResult(url.Length);
            }
        }
        """;

    public static TheoryData<string, int> Snippets()
    {
        var data = new TheoryData<string, int>();
        foreach (var document in AllDocuments())
        {
            int count = Marked(File.ReadAllText(Path.Combine(AllAnalyzers.RepositoryRoot(), document))).Count;
            for (int i = 0; i < count; i++)
            {
                data.Add(document, i);
            }
        }

        return data;
    }

    [Theory]
    [InlineData("README.md", 4)]
    [InlineData("docs/scopes.md", 4)]
    [InlineData("src/ConcurrencySafety/Package/README.md", 1)]
    public void Documents_mark_their_compiling_blocks(string document, int atLeast)
    {
        var marked = Marked(File.ReadAllText(Path.Combine(AllAnalyzers.RepositoryRoot(), document)));
        Assert.True(marked.Count >= atLeast, $"{document} marks {marked.Count} blocks as compiling, expected at least {atLeast}");
    }

    [Theory]
    [MemberData(nameof(Snippets))]
    public async Task Marked_block_compiles_and_raises_nothing(string document, int index)
    {
        var snippet = Marked(File.ReadAllText(Path.Combine(AllAnalyzers.RepositoryRoot(), document)))[index];
        var parse = new CSharpParseOptions(LanguageVersion.Latest);
        var compilation = CSharpCompilation.Create(
            "DocSnippet",
            [CSharpSyntaxTree.ParseText(Prelude, parse, "/Prelude.cs"), CSharpSyntaxTree.ParseText(snippet, parse, "/Snippet.cs")],
            await AllAnalyzers.GetReferencesAsync(),
            new CSharpCompilationOptions(OutputKind.ConsoleApplication, nullableContextOptions: NullableContextOptions.Enable));
        CSharpGeneratorDriver.Create(new TypeStateGenerator()).RunGeneratorsAndUpdateCompilation(compilation, out var generated, out _);

        var errors = generated.GetDiagnostics().Where(d => d.Severity == DiagnosticSeverity.Error).ToList();
        Assert.True(errors.Count == 0, $"block {index} of {document} does not compile:\n{snippet}\n" + string.Join("\n", errors));
        ImmutableArray<Diagnostic> ours = await generated.WithAnalyzers(AllAnalyzers.Create()).GetAnalyzerDiagnosticsAsync();
        Assert.True(ours.IsEmpty, $"block {index} of {document} is flagged:\n{snippet}\n" + string.Join("\n", ours));
    }

    private static IEnumerable<string> AllDocuments() =>
        Documents.Concat(Directory.GetFiles(Path.Combine(AllAnalyzers.RepositoryRoot(), "docs"), "*.md")
            .Select(f => "docs/" + Path.GetFileName(f)))
            .Order(StringComparer.Ordinal);

    private static List<string> Marked(string markdown) =>
        CompilingBlock().Matches(markdown).Select(m => m.Groups["code"].Value).ToList();

    [GeneratedRegex(@"^```csharp compile[ \t]*\r?\n(?<code>.*?)^```", RegexOptions.Multiline | RegexOptions.Singleline)]
    private static partial Regex CompilingBlock();
}
