namespace ConcurrencySafety.Package.Tests.Infrastructure;

/// <summary>
/// Packs the runtime project once for all package tests, into a fresh local feed with a
/// version no earlier run used, so that restore can never pick a stale copy from a cache.
/// Packing uses the outputs this test project's build already produced (its project
/// references build the runtime and both analyzer assemblies in the same configuration), so
/// it takes seconds and never rebuilds files that other test assemblies may have loaded.
/// </summary>
public sealed class PackedPackage : IAsyncLifetime
{
    /// <summary>A private folder for this run: the feed, the consumers and their packages.</summary>
    public string WorkRoot { get; } = Path.Combine(Path.GetTempPath(), "csa-package-tests-" + Guid.NewGuid().ToString("N")[..12]);

    /// <summary>A version unique to this run (a prerelease of 0.0.0, below any real release).</summary>
    public string Version { get; } = "0.0.0-test.t" + Guid.NewGuid().ToString("N")[..16];

    public string Feed => Path.Combine(WorkRoot, "feed");

    public string PackagePath => Path.Combine(Feed, $"ConcurrencySafety.{Version}.nupkg");

    public string SymbolPackagePath => Path.Combine(Feed, $"ConcurrencySafety.{Version}.snupkg");

    public CommandResult? Pack { get; private set; }

    private readonly SemaphoreSlim _consumersGate = new(1, 1);
    private Consumers? _consumers;

    public async Task InitializeAsync()
    {
        Directory.CreateDirectory(Feed);
        Pack = await DotNetCli.RunAsync(
            Repository.Root,
            "pack", Repository.RuntimeProject,
            "-c", Repository.BuildConfiguration,
            "--no-build",
            "-o", Feed,
            "-p:PackageVersion=" + Version,
            "-nodeReuse:false");
        if (Pack.ExitCode != 0 || !File.Exists(PackagePath))
        {
            throw new InvalidOperationException($"Packing failed, so no package test can run:\n{Pack}");
        }
    }

    /// <summary>The consumer workspace (NuGet.config pointing at the feed), created on first use.</summary>
    public async Task<Consumers> GetConsumersAsync()
    {
        await _consumersGate.WaitAsync();
        try
        {
            return _consumers ??= Consumers.Create(Path.Combine(WorkRoot, "consumers"), Feed, Version);
        }
        finally
        {
            _consumersGate.Release();
        }
    }

    public Task DisposeAsync()
    {
        _consumersGate.Dispose();
        if (Environment.GetEnvironmentVariable("CSA_KEEP_PACKAGE_TEST_FILES") != "1")
        {
            try
            {
                Directory.Delete(WorkRoot, recursive: true);
            }
            catch (IOException)
            {
                // Best effort: a temp folder left behind is not a test failure.
            }
            catch (UnauthorizedAccessException)
            {
            }
        }

        return Task.CompletedTask;
    }
}

/// <summary>The package tests share one packed package and run one after the other (each starts dotnet processes).</summary>
[CollectionDefinition(Name)]
public sealed class PackageCollection : ICollectionFixture<PackedPackage>
{
    public const string Name = "Package";
}
