using ConcurrencySafety.Package.Tests.Infrastructure;

namespace ConcurrencySafety.Package.Tests;

/// <summary>
/// The tour's command line (samples/Tour/Program.cs): <c>--list</c>, <c>--help</c>, one sample
/// by name, and an unknown name, which must not pass silently as "Tour complete.".
/// </summary>
[Trait("Category", "Package")]
public sealed class TourCommandLineTests
{
    private static string TourDll => Path.Combine(Repository.Root, "samples", "Tour", "bin", Repository.BuildConfiguration, "net10.0", "Tour.dll");

    /// <summary>The names of TourCatalog.cs, read as text (the test does not reference the tour).</summary>
    private static List<string> CatalogNames() =>
        System.Text.RegularExpressions.Regex.Matches(
                File.ReadAllText(Path.Combine(Repository.Root, "samples", "Tour", "TourCatalog.cs")),
                @"^\s*\(""(?<name>[a-z0-9-]+)"",", System.Text.RegularExpressions.RegexOptions.Multiline)
            .Select(m => m.Groups["name"].Value)
            .ToList();

    private static Task<CommandResult> Tour(params string[] arguments) =>
        DotNetCli.RunAsync(Repository.Root, [TourDll, .. arguments]);

    private static string[] Lines(CommandResult result) =>
        result.Output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);

    [Fact]
    public async Task List_prints_every_sample_name_in_catalog_order_and_nothing_else()
    {
        var names = CatalogNames();
        Assert.True(names.Count > 10, $"only {names.Count} names read from TourCatalog.cs");

        var result = await Tour("--list");

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Equal(names, Lines(result));
    }

    [Fact]
    public async Task Help_prints_the_usage_and_the_names_and_runs_nothing()
    {
        var result = await Tour("--help");

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Contains("usage:", result.Output, StringComparison.Ordinal);
        Assert.All(CatalogNames(), n => Assert.Contains("  " + n, result.Output, StringComparison.Ordinal));
        Assert.DoesNotContain("==", result.Output, StringComparison.Ordinal);
        Assert.DoesNotContain("complete", result.Output, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("no-such-sample", "no sample named 'no-such-sample'")]
    [InlineData("--verbose", "unknown option '--verbose'")]
    public async Task Unknown_name_or_option_prints_the_names_and_exits_2(string argument, string problem)
    {
        var result = await Tour(argument);

        Assert.True(result.ExitCode == 2, result.ToString());
        Assert.Contains(problem, result.Output, StringComparison.Ordinal);
        Assert.All(CatalogNames(), n => Assert.Contains("  " + n, result.Output, StringComparison.Ordinal));
        Assert.DoesNotContain("complete", result.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_name_runs_that_sample_only()
    {
        var result = await Tour("locked-data");

        Assert.True(result.ExitCode == 0, result.ToString());
        var headings = Lines(result).Where(l => l.StartsWith("== ", StringComparison.Ordinal)).ToList();
        Assert.Equal(["== locked-data =="], headings);
        Assert.Contains("Sample 'locked-data' complete.", result.Output, StringComparison.Ordinal);
    }
}
