using System.Text.RegularExpressions;
using ConcurrencySafety.Package.Tests.Infrastructure;

namespace ConcurrencySafety.Package.Tests;

/// <summary>
/// `dotnet pack ConcurrencySafety.sln` must produce one package. Evaluating IsPackable for every
/// project checks that without building the whole solution again.
/// </summary>
[Collection(PackageCollection.Name)]
[Trait("Category", "Package")]
public sealed partial class PackabilityTests
{
    [Fact]
    public async Task Only_the_runtime_project_is_packable()
    {
        var solution = File.ReadAllText(Path.Combine(Repository.Root, "ConcurrencySafety.sln"));
        var projects = ProjectPath().Matches(solution).Select(m => m.Groups[1].Value.Replace('\\', '/')).ToList();
        Assert.Contains("src/ConcurrencySafety/ConcurrencySafety.csproj", projects);

        var packable = new List<string>();
        foreach (var project in projects.Append("samples/Mistakes/Mistakes.csproj"))
        {
            var result = await DotNetCli.RunAsync(Repository.Root, "msbuild", project, "-getProperty:IsPackable", "-p:Configuration=" + Repository.BuildConfiguration, "-nodeReuse:false");
            Assert.True(result.ExitCode == 0, result.ToString());
            if (result.Output.Trim().Equals("true", StringComparison.OrdinalIgnoreCase))
            {
                packable.Add(project);
            }
        }

        Assert.Equal(["src/ConcurrencySafety/ConcurrencySafety.csproj"], packable);
    }

    [GeneratedRegex("""^Project\("\{[^}]+\}"\) = "[^"]+", "([^"]+\.csproj)", """, RegexOptions.Multiline)]
    private static partial Regex ProjectPath();
}
