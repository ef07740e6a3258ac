using System.IO;
using System.Reflection;
using System.Text.RegularExpressions;
using ConcurrencySafety.Analyzers.Tests.Infrastructure;
using Microsoft.CodeAnalysis;

namespace ConcurrencySafety.Analyzers.Tests;

/// <summary>
/// Every rule of the analyzer assembly, found by reflection (rules added later are covered
/// without editing this file), must have its help link, description, doc page, README row and
/// release-tracking entry.
/// </summary>
public class CatalogTests
{
    public static TheoryData<string> RuleIds()
    {
        var data = new TheoryData<string>();
        foreach (var id in Descriptors().Select(d => d.Id).Distinct().Order(StringComparer.Ordinal))
        {
            data.Add(id);
        }

        return data;
    }

    private static IEnumerable<DiagnosticDescriptor> Descriptors() =>
        AllAnalyzers.Create().SelectMany(a => a.SupportedDiagnostics);

    [Fact]
    public void The_assembly_has_rules() => Assert.NotEmpty(RuleIds());

    [Theory]
    [MemberData(nameof(RuleIds))]
    public void Descriptor_is_complete(string id)
    {
        foreach (var descriptor in Descriptors().Where(d => d.Id == id))
        {
            Assert.Matches("^CSA[1-9][0-9]{3}$", descriptor.Id);
            Assert.Equal(RuleIdentifiers.GetHelpUri(id), descriptor.HelpLinkUri);
            Assert.False(string.IsNullOrWhiteSpace(descriptor.Title.ToString()), $"{id} has no title");
            Assert.False(string.IsNullOrWhiteSpace(descriptor.MessageFormat.ToString()), $"{id} has no message");
            Assert.False(string.IsNullOrWhiteSpace(descriptor.Description.ToString()), $"{id} has an empty description");
            Assert.False(string.IsNullOrWhiteSpace(descriptor.Category), $"{id} has no category");
        }
    }

    [Theory]
    [MemberData(nameof(RuleIds))]
    public void Help_link_is_the_rule_page_under_the_configured_repository_URL(string id)
    {
        var metadata = typeof(CatalogTests).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>().ToDictionary(a => a.Key, a => a.Value);
        var prefix = metadata["RepositoryUrl"] + "/blob/" + metadata["RepositoryBranch"] + "/";
        foreach (var descriptor in Descriptors().Where(d => d.Id == id))
        {
            Assert.StartsWith(prefix, descriptor.HelpLinkUri, StringComparison.Ordinal);
            var path = descriptor.HelpLinkUri[prefix.Length..];
            Assert.Equal("docs/rules/" + id + ".md", path);
            Assert.True(File.Exists(Path.Combine(AllAnalyzers.RepositoryRoot(), path)), $"{id}'s help link names {path}, which is not in the repository");
        }
    }

    [Fact]
    public void No_analyzer_or_code_fix_source_types_a_URL()
    {
        // Links are built from RepositoryUrl (Directory.Build.props) at build time; a URL typed
        // in a source file would not follow a move of the repository.
        var folder = Path.Combine(AllAnalyzers.RepositoryRoot(), "analyzers");
        var sources = Directory.GetFiles(folder, "*.cs", SearchOption.AllDirectories)
            .Where(f => !f.Contains(Path.DirectorySeparatorChar + "obj" + Path.DirectorySeparatorChar, StringComparison.Ordinal)
                && !f.Contains(Path.DirectorySeparatorChar + "bin" + Path.DirectorySeparatorChar, StringComparison.Ordinal))
            .ToList();
        Assert.NotEmpty(sources);
        Assert.All(sources, f => Assert.DoesNotMatch("\"https?://", File.ReadAllText(f)));
    }

    [Theory]
    [MemberData(nameof(RuleIds))]
    public void Rule_has_a_doc_page(string id)
    {
        var page = Path.Combine(AllAnalyzers.RepositoryRoot(), "docs", "rules", id + ".md");
        Assert.True(File.Exists(page), $"missing {page}");
        var text = File.ReadAllText(page);
        Assert.StartsWith("# " + id + ":", text, StringComparison.Ordinal);
    }

    [Theory]
    [MemberData(nameof(RuleIds))]
    public void README_rule_table_lists_the_rule(string id)
    {
        var readme = File.ReadAllLines(Path.Combine(AllAnalyzers.RepositoryRoot(), "README.md"));
        Assert.Contains(readme, line => line.TrimStart().StartsWith('|') && line.Contains("[" + id + "](docs/rules/" + id + ".md)", StringComparison.Ordinal));
    }

    [Theory]
    [MemberData(nameof(RuleIds))]
    public void Release_tracking_lists_the_rule(string id)
    {
        var folder = Path.Combine(AllAnalyzers.RepositoryRoot(), "analyzers", "ConcurrencySafety.Analyzers");
        var lines = File.ReadAllLines(Path.Combine(folder, "AnalyzerReleases.Unshipped.md"))
            .Concat(File.ReadAllLines(Path.Combine(folder, "AnalyzerReleases.Shipped.md")));
        var severity = Descriptors().First(d => d.Id == id).DefaultSeverity.ToString();
        Assert.Contains(lines, line => Regex.IsMatch(line, "^" + id + @"\s*\|[^|]+\|\s*" + severity + @"\s*\|"));
    }
}
