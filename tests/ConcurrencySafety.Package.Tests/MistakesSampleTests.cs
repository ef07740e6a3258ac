using ConcurrencySafety.Package.Tests.Infrastructure;

namespace ConcurrencySafety.Package.Tests;

/// <summary>
/// samples/Mistakes holds the seed's unsafe examples, one per rule. Building it must fail with
/// exactly the expected rule IDs at their default severities: a missing ID means a rule stopped
/// catching its seed example; an extra one means a false positive or a broken sample.
/// </summary>
[Collection(PackageCollection.Name)]
[Trait("Category", "Package")]
public sealed class MistakesSampleTests
{
    private static readonly string[] Expected =
    [
        "error CSA1001", // counter++ in Task.Run
        "error CSA1002", // List.Add in Parallel.For
        "error CSA1003", // field += in Parallel.ForEach
        "error CSA1004", // for-loop variable captured by Task.Run
        "error CSA1005", // lock (new object())
        "error CSA2001", // Task.Run result dropped
        "error CSA2002", // sender never disposed
        "error CSA2003", // receiving to the end while holding the sender
        "error CSA2004", // SemaphoreSlim released outside finally
        "warning CSA2005", // a thread per item
        "warning CSA2006", // unbounded channel
        "warning CSA2007", // blocking Send in an async method
        "warning CSA2008", // BCL writer never completed
        "warning CSA2009", // _ = Task.Run(...)
        "error CSA2010", // a batch cleared after it was sent
        "error CSA2011", // return g.Value
        "error CSA2012", // a change through a read guard
        "warning CSA2013", // Lock() held across await
        "error CSA2014", // using (jobsRx) in each of four workers
        "error CSA2015", // a sender used after its using block
        "error CSA2016", // Task.Run in a scope body, never awaited
        "error CSA2017", // async lambda given to Parallel.ForEach
        "error CSA2018", // WaitAsync(ct) inside the try that releases
        "warning CSA2019", // BlockingCollection never CompleteAdding
        "error CSA3001", // use after [Consumes]
        "error CSA3002", // consumed twice
        "error CSA3004", // invalid [TypeStates] declaration
        "warning CSA3003", // [MustConsume] value dropped on one path
    ];

    private static string Folder => Path.Combine(Repository.Root, "samples", "Mistakes");

    [Fact]
    public async Task Building_Mistakes_fails_with_exactly_the_expected_rule_IDs()
    {
        // The referenced runtime and analyzers were built with this test project; reuse them
        // rather than rebuild files other test assemblies may have loaded.
        var build = await DotNetCli.RunAsync(
            Repository.Root,
            "build", Path.Combine(Folder, "Mistakes.csproj"),
            "-c", Repository.BuildConfiguration,
            "-p:BuildProjectReferences=false",
            "-nodeReuse:false");

        Assert.True(build.ExitCode != 0, $"samples/Mistakes compiled:\n{build}");
        Assert.Equal(Expected.Order(StringComparer.Ordinal), BuildDiagnostics.In(build, Folder));
    }

    [Fact]
    public void Every_rule_has_a_mistake_in_the_sample()
    {
        var covered = Expected.Select(e => e.Split(' ')[1]).ToHashSet(StringComparer.Ordinal);
        Assert.Equal(Repository.RuleIds().Order(StringComparer.Ordinal), covered.Order(StringComparer.Ordinal));
    }

    [Fact]
    public void Mistakes_is_not_part_of_the_solution()
    {
        var solution = File.ReadAllText(Path.Combine(Repository.Root, "ConcurrencySafety.sln"));
        Assert.DoesNotContain("Mistakes.csproj", solution, StringComparison.OrdinalIgnoreCase);
    }
}
