using ConcurrencySafety.Package.Tests.Infrastructure;
using Xunit.Abstractions;

namespace ConcurrencySafety.Package.Tests;

/// <summary>
/// The package's code fix as an IDE applies it: tests/ConcurrencySafety.WorkspaceFix opens a
/// consumer of the packed package with MSBuildWorkspace (how Visual Studio and Rider load
/// projects), takes the analyzers and code fixes from the project's own analyzer references
/// (the restored package), and applies the offered fix through the workspace. csharp-ls, the
/// LSP server of <see cref="IdeClientTests"/>, reports the diagnostic but offers only Roslyn's
/// own fixes.
/// </summary>
[Collection(PackageCollection.Name)]
[Trait("Category", "Package")]
public sealed class WorkspaceFixTests(PackedPackage package, ITestOutputHelper output)
{
    private const string Race = """
        int counter = 0;
        var tasks = new Task[1000];
        for (int i = 0; i < tasks.Length; i++)
        {
            tasks[i] = Task.Run(() => { counter++; });
        }

        Task.WaitAll(tasks);
        Console.WriteLine(counter);

        """;

    private static string Host => Path.Combine(Repository.Root, "tests", "ConcurrencySafety.WorkspaceFix", "bin", Repository.BuildConfiguration, "net10.0", "ConcurrencySafety.WorkspaceFix.dll");

    [Fact]
    public async Task MSBuildWorkspace_loads_the_packaged_analyzers_and_fix_and_the_applied_fix_builds_and_counts_to_1000()
    {
        var consumers = await package.GetConsumersAsync();
        var project = consumers.CreateProject("workspace", Race);
        var restore = await DotNetCli.RunAsync(project, "restore", Consumers.ProjectFile(project));
        Assert.True(restore.ExitCode == 0, restore.ToString());

        var host = await DotNetCli.RunAsync(project, Host, Consumers.ProjectFile(project), "CSA1001");
        output.WriteLine(host.ToString());

        Assert.True(host.ExitCode == 0, host.ToString());
        var lines = host.Output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        // The analyzers and fixes come from the consumer's restored package, not this repository.
        var packageFolder = Path.Combine(consumers.Root, "packages", "concurrencysafety", package.Version, "analyzers", "dotnet", "cs");
        Assert.Equal(
            [
                "REFERENCE " + Path.Combine(packageFolder, "ConcurrencySafety.Analyzers.dll"),
                "REFERENCE " + Path.Combine(packageFolder, "ConcurrencySafety.CodeFixes.dll"),
            ],
            lines.Where(l => l.StartsWith("REFERENCE ", StringComparison.Ordinal)).Order(StringComparer.Ordinal));
        Assert.Equal(["DIAGNOSTIC CSA1001 Program.cs(5,33)"], lines.Where(l => l.StartsWith("DIAGNOSTIC ", StringComparison.Ordinal)));
        Assert.Equal(["ACTION Use Interlocked.Increment [CSA1001]"], lines.Where(l => l.StartsWith("ACTION ", StringComparison.Ordinal)));

        // The workspace wrote the fix to disk; the result builds clean and is right.
        var fixedSource = File.ReadAllText(Path.Combine(project, "Program.cs"));
        Assert.Contains("tasks[i] = Task.Run(() => { Interlocked.Increment(ref counter); });", fixedSource, StringComparison.Ordinal);
        var build = await Consumers.BuildAsync(project);
        Assert.True(build.ExitCode == 0, $"the fixed program did not build:\n{fixedSource}\n{build}");
        Assert.Empty(BuildDiagnostics.In(build, project));
        var run = await Consumers.RunBuiltAsync(project);
        Assert.Equal("1000", run.Output.Trim());
    }
}
