using System.Text.RegularExpressions;

namespace ConcurrencySafety.Package.Tests.Infrastructure;

/// <summary>
/// A folder of consumer projects that restore ConcurrencySafety from the local feed and
/// nothing else from it: a NuGet.config with the feed plus the usual public source (package
/// source mapping sends only ConcurrencySafety to the feed), and a private packages folder.
/// Empty Directory.Build.props/.targets/.Packages.props stop MSBuild from importing anything
/// above the folder.
/// </summary>
public sealed partial class Consumers
{
    private Consumers(string root, string version)
    {
        Root = root;
        Version = version;
    }

    public string Root { get; }

    public string Version { get; }

    internal static Consumers Create(string root, string feed, string version)
    {
        Directory.CreateDirectory(root);
        File.WriteAllText(Path.Combine(root, "NuGet.config"), $"""
            <?xml version="1.0" encoding="utf-8"?>
            <configuration>
              <packageSources>
                <clear />
                <add key="local" value="{feed}" />
                <add key="nuget.org" value="https://api.nuget.org/v3/index.json" />
              </packageSources>
              <packageSourceMapping>
                <packageSource key="local">
                  <package pattern="ConcurrencySafety" />
                </packageSource>
                <packageSource key="nuget.org">
                  <package pattern="*" />
                </packageSource>
              </packageSourceMapping>
              <config>
                <add key="globalPackagesFolder" value="{Path.Combine(root, "packages")}" />
              </config>
            </configuration>
            """);
        File.WriteAllText(Path.Combine(root, "Directory.Build.props"), "<Project />\n");
        File.WriteAllText(Path.Combine(root, "Directory.Build.targets"), "<Project />\n");
        File.WriteAllText(Path.Combine(root, "Directory.Packages.props"), "<Project />\n");
        return new Consumers(root, version);
    }

    /// <summary>Writes a console project named Consumer in its own folder and returns that folder.</summary>
    public string CreateProject(string name, string program, string? editorConfig = null, string referenceAttributes = "", string properties = "")
    {
        var dir = Path.Combine(Root, name);
        Directory.CreateDirectory(dir);
        File.WriteAllText(Path.Combine(dir, "Consumer.csproj"), $"""
            <Project Sdk="Microsoft.NET.Sdk">
              <PropertyGroup>
                <OutputType>Exe</OutputType>
                <TargetFramework>net10.0</TargetFramework>
                <ImplicitUsings>enable</ImplicitUsings>
                <Nullable>enable</Nullable>
                {properties}
              </PropertyGroup>
              <ItemGroup>
                <PackageReference Include="ConcurrencySafety" Version="{Version}" {referenceAttributes} />
              </ItemGroup>
            </Project>
            """);
        File.WriteAllText(Path.Combine(dir, "Program.cs"), program);
        if (editorConfig is not null)
        {
            File.WriteAllText(Path.Combine(dir, ".editorconfig"), editorConfig);
        }

        return dir;
    }

    public static string ProjectFile(string projectDir) => Path.Combine(projectDir, "Consumer.csproj");

    /// <summary><c>dotnet build</c> with its implicit restore, as a user runs it.</summary>
    public static Task<CommandResult> BuildAsync(string projectDir) =>
        DotNetCli.RunAsync(projectDir, "build", ProjectFile(projectDir), "-c", "Release", "-nodeReuse:false");

    /// <summary>Runs the program built by <see cref="BuildAsync"/>.</summary>
    public static Task<CommandResult> RunBuiltAsync(string projectDir) =>
        DotNetCli.RunAsync(projectDir, Path.Combine(projectDir, "bin", "Release", "net10.0", "Consumer.dll"));
}

/// <summary>Reads compiler and analyzer diagnostics out of MSBuild's console output.</summary>
internal static partial class BuildDiagnostics
{
    /// <summary>The distinct "severity ID" pairs reported for files under <paramref name="folder"/>, e.g. "error CSA1001".</summary>
    public static SortedSet<string> In(CommandResult build, string folder)
    {
        var found = new SortedSet<string>(StringComparer.Ordinal);
        foreach (Match m in Diagnostic().Matches(build.Output))
        {
            var file = m.Groups["file"].Value;
            if (Path.GetFullPath(file).StartsWith(Path.GetFullPath(folder), StringComparison.Ordinal))
            {
                found.Add(m.Groups["severity"].Value + " " + m.Groups["id"].Value);
            }
        }

        return found;
    }

    // path(line,col): error CSA1001: message [project]
    [GeneratedRegex(@"^\s*(?<file>(?:[A-Za-z]:)?[\\/][^(\r\n]+)\(\d+,\d+(?:,\d+,\d+)?\): (?<severity>error|warning) (?<id>[A-Za-z]+\d+):", RegexOptions.Multiline)]
    private static partial Regex Diagnostic();
}
