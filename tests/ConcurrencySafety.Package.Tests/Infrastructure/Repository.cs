using System.Reflection;
using System.Text.RegularExpressions;

namespace ConcurrencySafety.Package.Tests.Infrastructure;

/// <summary>Paths and facts of the repository these tests were built from.</summary>
internal static partial class Repository
{
    /// <summary>The folder holding ConcurrencySafety.sln, found upwards from the test assembly.</summary>
    public static string Root { get; } = FindRoot();

    /// <summary>The configuration (Debug/Release) this test assembly, and so the projects it references, was built in.</summary>
    public static string BuildConfiguration { get; } =
        typeof(Repository).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>()
            .Single(a => a.Key == "BuildConfiguration").Value!;

    /// <summary>RepositoryUrl of Directory.Build.props, the one place that names where the project lives.</summary>
    public static string Url { get; } = Metadata("RepositoryUrl").TrimEnd('/');

    /// <summary>The branch the package's links point into (RepositoryBranch).</summary>
    public static string Branch { get; } = Metadata("RepositoryBranch");

    /// <summary>What a relative repository path becomes in the package: <c>Url/blob/Branch/</c>.</summary>
    public static string LinkBase => Url + "/blob/" + Branch + "/";

    public static string RuntimeProject => Path.Combine(Root, "src", "ConcurrencySafety", "ConcurrencySafety.csproj");

    /// <summary>
    /// Every rule ID the analyzers define: the string constants of RuleIdentifiers.cs, the one
    /// place IDs are declared (read as text so that this project loads no Roslyn assembly).
    /// </summary>
    public static IReadOnlySet<string> RuleIds()
    {
        var source = File.ReadAllText(Path.Combine(Root, "analyzers", "ConcurrencySafety.Analyzers", "RuleIdentifiers.cs"));
        return RuleIdConstant().Matches(source).Select(m => m.Groups[1].Value).ToHashSet(StringComparer.Ordinal);
    }

    private static string Metadata(string key) =>
        typeof(Repository).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>().Single(a => a.Key == key).Value!;

    private static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "ConcurrencySafety.sln")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException($"No ConcurrencySafety.sln above {AppContext.BaseDirectory}.");
    }

    [GeneratedRegex("""const\s+string\s+\w+\s*=\s*"(CSA\d{4})"\s*;""")]
    private static partial Regex RuleIdConstant();
}
