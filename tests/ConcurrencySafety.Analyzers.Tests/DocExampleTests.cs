using System.IO;
using System.Text.RegularExpressions;
using ConcurrencySafety.Analyzers.Tests.Infrastructure;

namespace ConcurrencySafety.Analyzers.Tests;

/// <summary>
/// The examples in docs/rules/*.md are compiled: the block under "## Flagged" must raise the
/// page's rule, the block under "## Fixed" must compile and raise nothing.
/// </summary>
public class DocExampleTests
{
    public static TheoryData<string, string> Examples()
    {
        var data = new TheoryData<string, string>();
        var folder = Path.Combine(AllAnalyzers.RepositoryRoot(), "docs", "rules");
        foreach (var page in Directory.GetFiles(folder, "CSA1*.md").Order(StringComparer.Ordinal))
        {
            var id = Path.GetFileNameWithoutExtension(page);
            foreach (var kind in new[] { "Flagged", "Fixed" })
            {
                if (Extract(File.ReadAllText(page), kind) is not null)
                {
                    data.Add(id, kind);
                }
            }
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(Examples))]
    public async Task Example_behaves_as_documented(string id, string kind)
    {
        var page = Path.Combine(AllAnalyzers.RepositoryRoot(), "docs", "rules", id + ".md");
        var source = Extract(File.ReadAllText(page), kind)!;

        var (errors, diagnostics) = await AllAnalyzers.RunAsync(source);

        Assert.True(errors.IsEmpty, $"{id} {kind} example does not compile:\n" + string.Join("\n", errors));
        if (kind == "Flagged")
        {
            Assert.Contains(diagnostics, d => d.Id == id);
        }
        else
        {
            Assert.True(diagnostics.IsEmpty, $"{id} fixed example is flagged:\n" + string.Join("\n", diagnostics));
        }
    }

    private static string? Extract(string markdown, string heading)
    {
        var match = Regex.Match(markdown, "^## " + heading + @"\s*$.*?^```csharp\s*$(?<code>.*?)^```", RegexOptions.Multiline | RegexOptions.Singleline);
        return match.Success ? match.Groups["code"].Value : null;
    }
}
