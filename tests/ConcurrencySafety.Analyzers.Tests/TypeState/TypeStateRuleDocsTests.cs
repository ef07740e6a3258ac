using System.IO;
using Microsoft.CodeAnalysis;

namespace ConcurrencySafety.Analyzers.Tests.TypeState;

/// <summary>
/// Every CSA3xxx descriptor has a real description, the shared help link, a docs page with the
/// common layout, a release-tracking line and a README rule-table row.
/// </summary>
public class TypeStateRuleDocsTests
{
    public static TheoryData<string> RuleIds => new() { "CSA3001", "CSA3002", "CSA3003", "CSA3004" };

    private static readonly DiagnosticDescriptor[] Descriptors =
    [
        CSA3001UseAfterConsumeAnalyzer.Descriptor,
        CSA3002DoubleConsumeAnalyzer.Descriptor,
        CSA3003MustConsumeDroppedAnalyzer.Descriptor,
        TypeStateGenerator.InvalidDeclaration,
    ];

    private static string RepositoryRoot()
    {
        var directory = new DirectoryInfo(AppContext.BaseDirectory);
        while (directory is not null && !File.Exists(Path.Combine(directory.FullName, "ConcurrencySafety.sln")))
        {
            directory = directory.Parent;
        }

        return directory?.FullName ?? throw new InvalidOperationException("Repository root (ConcurrencySafety.sln) not found above " + AppContext.BaseDirectory);
    }

    [Theory]
    [MemberData(nameof(RuleIds))]
    public void Descriptor_has_help_link_and_description(string id)
    {
        var descriptor = Assert.Single(Descriptors, d => d.Id == id);
        Assert.Equal(RuleIdentifiers.GetHelpUri(id), descriptor.HelpLinkUri);
        Assert.False(string.IsNullOrWhiteSpace(descriptor.Description.ToString(System.Globalization.CultureInfo.InvariantCulture)));
        Assert.Equal("TypeState", descriptor.Category);
    }

    [Theory]
    [MemberData(nameof(RuleIds))]
    public void Docs_page_follows_the_rule_layout(string id)
    {
        var page = File.ReadAllText(Path.Combine(RepositoryRoot(), "docs", "rules", id + ".md"));
        Assert.StartsWith("# " + id + ": ", page, StringComparison.Ordinal);
        foreach (var heading in new[] { "## What is flagged, and why", "## Flagged", "## Fixed", "## Code fix", "## Configuration" })
        {
            Assert.Contains(heading, page, StringComparison.Ordinal);
        }
    }

    [Theory]
    [MemberData(nameof(RuleIds))]
    public void Rule_is_tracked_and_listed_in_the_readme(string id)
    {
        var root = RepositoryRoot();
        var descriptor = Assert.Single(Descriptors, d => d.Id == id);
        var unshipped = File.ReadAllLines(Path.Combine(root, "analyzers", "ConcurrencySafety.Analyzers", "AnalyzerReleases.Unshipped.md"));
        Assert.Contains(unshipped, line => line.StartsWith(id + " | TypeState | " + descriptor.DefaultSeverity + " |", StringComparison.Ordinal));

        var readme = File.ReadAllLines(Path.Combine(root, "README.md"));
        Assert.Contains(readme, line => line.StartsWith("| " + id + " | " + descriptor.DefaultSeverity + " |", StringComparison.Ordinal) && line.Contains("(docs/rules/" + id + ".md)", StringComparison.Ordinal));
    }
}
