using ConcurrencySafety.Package.Tests.Infrastructure;

namespace ConcurrencySafety.Package.Tests;

/// <summary>
/// A fresh console project restores the package from the local feed and is built with the
/// real `dotnet build` and fixed with the real `dotnet format`: what a user sees.
/// </summary>
[Collection(PackageCollection.Name)]
[Trait("Category", "Package")]
public sealed class ConsumerTests(PackedPackage package)
{
    /// <summary>The seed's counter race: 1000 tasks increment one captured local.</summary>
    private const string CounterRace = """
        int counter = 0;
        var tasks = new Task[1000];
        for (int i = 0; i < tasks.Length; i++)
        {
            tasks[i] = Task.Run(() => { counter++; });
        }

        Task.WaitAll(tasks);
        Console.WriteLine(counter);

        """;

    /// <summary>The corrected program, which also uses the runtime half of the package.</summary>
    private const string CounterInterlocked = """
        int counter = 0;
        var tasks = new Task[1000];
        for (int i = 0; i < tasks.Length; i++)
        {
            tasks[i] = Task.Run(() => { Interlocked.Increment(ref counter); });
        }

        Task.WaitAll(tasks);
        Console.WriteLine(counter);

        var (tx, rx) = ConcurrencySafety.Chan.Bounded<int>(1);
        using (tx)
        using (rx)
        {
            tx.Send(counter);
            Console.WriteLine($"via channel: {rx.Receive()}");
        }

        """;

    [Fact]
    public async Task Counter_race_fails_the_build_with_CSA1001()
    {
        var consumers = await package.GetConsumersAsync();
        var project = consumers.CreateProject("race", CounterRace);

        var build = await Consumers.BuildAsync(project);

        Assert.True(build.ExitCode != 0, $"the race compiled:\n{build}");
        Assert.Equal(["error CSA1001"], BuildDiagnostics.In(build, project));
    }

    [Fact]
    public async Task Interlocked_version_builds_cleanly_and_counts_to_1000()
    {
        var consumers = await package.GetConsumersAsync();
        var project = consumers.CreateProject("interlocked", CounterInterlocked);

        var build = await Consumers.BuildAsync(project);

        Assert.True(build.ExitCode == 0, $"the corrected program did not build:\n{build}");
        Assert.Empty(BuildDiagnostics.In(build, project));
        var run = await Consumers.RunBuiltAsync(project);
        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.Equal(["1000", "via channel: 1000"], run.Output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
    }

    [Fact]
    public async Task Editorconfig_severity_override_turns_the_error_into_a_warning()
    {
        var consumers = await package.GetConsumersAsync();
        var project = consumers.CreateProject("race-as-warning", CounterRace, editorConfig: """
            root = true

            [*.cs]
            dotnet_diagnostic.CSA1001.severity = warning

            """);

        var build = await Consumers.BuildAsync(project);

        Assert.True(build.ExitCode == 0, $"the override did not take effect:\n{build}");
        Assert.Equal(["warning CSA1001"], BuildDiagnostics.In(build, project));
    }

    [Fact]
    public async Task Strict_preset_makes_a_warning_rule_an_error_and_an_unknown_preset_is_reported()
    {
        // CSA2006 (an unbounded channel) is a warning by default; the strict preset shipped in
        // the package (configuration/strict.globalconfig, applied by build/ConcurrencySafety.targets)
        // makes it an error.
        const string unbounded = """
            var (tx, rx) = ConcurrencySafety.Chan.Unbounded<int>();
            using (rx)
            {
                using (tx) tx.Send(1);
                Console.WriteLine(rx.Receive());
            }

            """;
        var consumers = await package.GetConsumersAsync();
        var strict = consumers.CreateProject("strict", unbounded, properties: "<ConcurrencySafetyAnalysisMode>strict</ConcurrencySafetyAnalysisMode>");
        var unknown = consumers.CreateProject("unknown-preset", unbounded, properties: "<ConcurrencySafetyAnalysisMode>paranoid</ConcurrencySafetyAnalysisMode>");

        var strictBuild = await Consumers.BuildAsync(strict);
        var unknownBuild = await Consumers.BuildAsync(unknown);

        Assert.True(strictBuild.ExitCode != 0, $"the strict preset did not make CSA2006 an error:\n{strictBuild}");
        Assert.Equal(["error CSA2006"], BuildDiagnostics.In(strictBuild, strict));
        Assert.True(unknownBuild.ExitCode != 0, unknownBuild.ToString());
        Assert.Contains("error CSAPKG001", unknownBuild.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Dotnet_format_applies_the_packaged_code_fix_and_the_result_builds()
    {
        var consumers = await package.GetConsumersAsync();
        var project = consumers.CreateProject("format", CounterRace);
        var program = Path.Combine(project, "Program.cs");

        var format = await DotNetCli.RunAsync(project, "format", "analyzers", Consumers.ProjectFile(project), "--diagnostics", "CSA1001", "--severity", "error", "--verbosity", "normal");

        Assert.True(format.ExitCode == 0, format.ToString());
        var fixedSource = File.ReadAllText(program);
        Assert.Contains("Interlocked.Increment(ref counter);", fixedSource, StringComparison.Ordinal);
        Assert.DoesNotContain("counter++", fixedSource, StringComparison.Ordinal);

        var build = await Consumers.BuildAsync(project);
        Assert.True(build.ExitCode == 0, $"the fixed program did not build:\n{fixedSource}\n{build}");
        Assert.Empty(BuildDiagnostics.In(build, project));
        var run = await Consumers.RunBuiltAsync(project);
        Assert.Equal("1000", run.Output.Trim());
    }

    [Fact]
    public async Task One_dotnet_format_pass_fixes_every_fixable_mistake_and_the_result_builds_clean()
    {
        // FixableMistakes/FixableMistakes.cs: each mistake of samples/Mistakes whose rule has a
        // mechanical fix, with the variants of a rule (Increment/Add/Decrement, await/run in
        // place) side by side. One `dotnet format analyzers` pass, no --diagnostics, must fix
        // them all: one equivalence key per rule, fixes that do not collide.
        var consumers = await package.GetConsumersAsync();
        var source = File.ReadAllText(Path.Combine(Repository.Root, "tests", "ConcurrencySafety.Package.Tests", "FixableMistakes", "FixableMistakes.cs"));
        var project = consumers.CreateProject("one-pass", source, properties: "<OutputType>Library</OutputType>");
        var program = Path.Combine(project, "Program.cs");

        var before = await Consumers.BuildAsync(project);
        Assert.Equal(
            ["error CSA1001", "error CSA1003", "error CSA1004", "error CSA1005", "error CSA2001", "error CSA2003", "error CSA2004", "error CSA2014", "error CSA2016", "warning CSA2006", "warning CSA2007", "warning CSA2009", "warning CSA2019"],
            BuildDiagnostics.In(before, project).Where(d => d.Contains(" CSA", StringComparison.Ordinal)));

        var format = await DotNetCli.RunAsync(project, "format", "analyzers", Consumers.ProjectFile(project), "--severity", "warn", "--verbosity", "normal");

        Assert.True(format.ExitCode == 0, format.ToString());
        Assert.DoesNotContain("Unable to fix", format.Output, StringComparison.Ordinal);
        var fixedSource = File.ReadAllText(program);
        var after = await Consumers.BuildAsync(project);
        Assert.True(after.ExitCode == 0, $"the fixed project did not build:\n{fixedSource}\n{after}");
        Assert.Empty(BuildDiagnostics.In(after, project));
        Assert.Contains("Task.Run(() => Interlocked.Increment(ref counter))", fixedSource, StringComparison.Ordinal);
        Assert.Contains("        File.Delete(path); // CSA2001 (synchronous)", fixedSource, StringComparison.Ordinal);
        Assert.Contains("var jobsRxClone = jobsRx.Clone();", fixedSource, StringComparison.Ordinal);
        Assert.Contains("scope.Spawn(ct => Console.WriteLine(url));", fixedSource, StringComparison.Ordinal);
        Assert.Contains("queue.CompleteAdding();", fixedSource, StringComparison.Ordinal);
        // Implicit usings already import System.Threading: no using is added for Interlocked.
        Assert.DoesNotContain("using System.Threading;", fixedSource, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_unfixable_diagnostic_first_in_the_file_does_not_block_the_fixable_ones()
    {
        // `dotnet format` takes the fix-all key from the first diagnostic it finds; the double
        // (no Interlocked form) comes first and has no fix.
        const string program = """
            double total = 0;
            int hits = 0;
            Parallel.For(0, 100, i =>
            {
                total += i;
                hits++;
            });
            Console.WriteLine($"{total} {hits}");

            """;
        var consumers = await package.GetConsumersAsync();
        var project = consumers.CreateProject("unfixable-first", program);

        var format = await DotNetCli.RunAsync(project, "format", "analyzers", Consumers.ProjectFile(project), "--diagnostics", "CSA1001", "--severity", "error", "--verbosity", "normal");

        Assert.True(format.ExitCode == 0, format.ToString());
        var fixedSource = File.ReadAllText(Path.Combine(project, "Program.cs"));
        Assert.Contains("Interlocked.Increment(ref hits);", fixedSource, StringComparison.Ordinal);
        Assert.Contains("total += i;", fixedSource, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Analyzers_only_reference_still_enforces_the_rules()
    {
        // The answer to "can I have the analyzers without the runtime?" (docs/packaging.md):
        // IncludeAssets="analyzers" takes only analyzers/dotnet/cs from the one package.
        var consumers = await package.GetConsumersAsync();
        var project = consumers.CreateProject("analyzers-only", CounterRace, referenceAttributes: "IncludeAssets=\"analyzers\" PrivateAssets=\"all\"");

        var build = await Consumers.BuildAsync(project);

        Assert.True(build.ExitCode != 0, $"the race compiled:\n{build}");
        Assert.Equal(["error CSA1001"], BuildDiagnostics.In(build, project));
    }
}
