using System.IO.Compression;
using System.Reflection.Metadata;
using System.Reflection.PortableExecutable;
using System.Xml.Linq;
using ConcurrencySafety.Package.Tests.Infrastructure;

namespace ConcurrencySafety.Package.Tests;

/// <summary>Opens the packed .nupkg and .snupkg and checks what a user downloads.</summary>
[Collection(PackageCollection.Name)]
[Trait("Category", "Package")]
public sealed partial class PackageContentTests(PackedPackage package)
{
    private static readonly string[] ExpectedFiles =
    [
        "LICENSE",
        "README.md",
        "analyzers/dotnet/cs/ConcurrencySafety.Analyzers.dll",
        "analyzers/dotnet/cs/ConcurrencySafety.CodeFixes.dll",
        "build/ConcurrencySafety.targets",
        "configuration/recommended.globalconfig",
        "configuration/strict.globalconfig",
        "icon.png",
        "lib/net10.0/ConcurrencySafety.dll",
        "lib/net10.0/ConcurrencySafety.xml",
        "lib/net8.0/ConcurrencySafety.dll",
        "lib/net8.0/ConcurrencySafety.xml",
    ];

    [Fact]
    public void Pack_produces_the_package_and_its_symbol_package_only()
    {
        var produced = Directory.GetFiles(package.Feed).Select(Path.GetFileName).Order(StringComparer.Ordinal);
        Assert.Equal(new[] { Path.GetFileName(package.PackagePath), Path.GetFileName(package.SymbolPackagePath) }.Order(StringComparer.Ordinal), produced);
    }

    [Fact]
    public void Package_holds_exactly_the_runtime_the_analyzers_the_presets_the_docs_the_readme_the_icon_and_the_license()
    {
        using var zip = ZipFile.OpenRead(package.PackagePath);
        Assert.Equal(ExpectedFiles, ContentFiles(zip));
    }

    [Fact]
    public void No_dll_outside_the_expected_ones_and_no_Roslyn_assembly_anywhere()
    {
        using var zip = ZipFile.OpenRead(package.PackagePath);
        var dlls = zip.Entries.Select(e => e.FullName).Where(n => n.EndsWith(".dll", StringComparison.OrdinalIgnoreCase)).Order(StringComparer.Ordinal).ToList();
        Assert.Equal(ExpectedFiles.Where(f => f.EndsWith(".dll", StringComparison.Ordinal)), dlls);
        Assert.DoesNotContain(zip.Entries, e => e.Name.StartsWith("Microsoft.CodeAnalysis", StringComparison.OrdinalIgnoreCase));
        Assert.DoesNotContain(zip.Entries, e => e.FullName.StartsWith("lib/", StringComparison.Ordinal) && e.Name.Contains("Analyzers", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("net8.0", 8)]
    [InlineData("net10.0", 10)]
    public void Each_lib_folder_holds_the_runtime_built_for_that_framework(string folder, int runtimeMajor)
    {
        using var zip = ZipFile.OpenRead(package.PackagePath);
        var (name, references) = ReadAssembly(zip, $"lib/{folder}/ConcurrencySafety.dll");
        Assert.Equal("ConcurrencySafety", name);
        var systemRuntime = Assert.Single(references, r => r.Name == "System.Runtime");
        Assert.Equal(runtimeMajor, systemRuntime.Version.Major);
        Assert.DoesNotContain(references, r => r.Name.StartsWith("Microsoft.CodeAnalysis", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("net8.0")]
    [InlineData("net10.0")]
    public void XML_docs_document_the_public_API(string folder)
    {
        using var zip = ZipFile.OpenRead(package.PackagePath);
        using var stream = zip.GetEntry($"lib/{folder}/ConcurrencySafety.xml")!.Open();
        var members = XDocument.Load(stream).Descendants("member").Select(m => (string?)m.Attribute("name")).ToHashSet();
        Assert.Contains("T:ConcurrencySafety.Chan", members);
        Assert.Contains("T:ConcurrencySafety.Sender`1", members);
        Assert.Contains("T:ConcurrencySafety.Selector", members);
        Assert.True(members.Count > 100, $"only {members.Count} documented members");
    }

    [Fact]
    public void Analyzer_assemblies_build_against_the_pinned_Roslyn_and_keep_Workspaces_out_of_the_analyzer()
    {
        using var zip = ZipFile.OpenRead(package.PackagePath);
        var (analyzerName, analyzerRefs) = ReadAssembly(zip, "analyzers/dotnet/cs/ConcurrencySafety.Analyzers.dll");
        var (fixName, fixRefs) = ReadAssembly(zip, "analyzers/dotnet/cs/ConcurrencySafety.CodeFixes.dll");
        Assert.Equal("ConcurrencySafety.Analyzers", analyzerName);
        Assert.Equal("ConcurrencySafety.CodeFixes", fixName);

        // Loaded by compilers from Roslyn 4.8 on (VS 17.8, SDK 8.0.1xx); a newer reference would
        // silently disable the analyzers in older hosts.
        var roslyn = Assert.Single(analyzerRefs, r => r.Name == "Microsoft.CodeAnalysis");
        Assert.True(roslyn.Version <= new Version(4, 8, 0, 0), $"analyzers reference Microsoft.CodeAnalysis {roslyn.Version}");
        Assert.DoesNotContain(analyzerRefs, r => r.Name.Contains("Workspaces", StringComparison.Ordinal));
        Assert.Contains(fixRefs, r => r.Name == "Microsoft.CodeAnalysis.Workspaces");
    }

    [Fact]
    public void Nuspec_names_the_package_its_license_readme_icon_links_and_release_notes_and_has_no_dependencies()
    {
        var metadata = Nuspec();
        string? Value(string name) => metadata.Elements().SingleOrDefault(e => e.Name.LocalName == name)?.Value;

        Assert.Equal("ConcurrencySafety", Value("id"));
        Assert.Equal(package.Version, Value("version"));
        Assert.Equal("MIT", Value("license"));
        Assert.Equal("README.md", Value("readme"));
        Assert.Equal("icon.png", Value("icon"));
        Assert.False(string.IsNullOrWhiteSpace(Value("description")));

        // Both links come from RepositoryUrl in Directory.Build.props.
        Assert.Equal(Repository.Url, Value("projectUrl"));
        var repository = metadata.Elements().Single(e => e.Name.LocalName == "repository");
        Assert.Equal(Repository.Url, (string?)repository.Attribute("url"));
        Assert.Equal("git", (string?)repository.Attribute("type"));

        // Release notes: the first section of CHANGELOG.md.
        var changelog = File.ReadAllLines(Path.Combine(Repository.Root, "CHANGELOG.md"));
        var firstSection = changelog.SkipWhile(l => !l.StartsWith("## ", StringComparison.Ordinal)).ToList();
        Assert.NotEmpty(firstSection);
        Assert.StartsWith(firstSection[0], Value("releaseNotes"), StringComparison.Ordinal);
        Assert.DoesNotContain("\n## ", Value("releaseNotes"), StringComparison.Ordinal);

        // The analyzer projects are build-time references only: not package dependencies.
        var groups = metadata.Descendants().Where(e => e.Name.LocalName == "group").ToList();
        Assert.Equal(["net10.0", "net8.0"], groups.Select(g => (string?)g.Attribute("targetFramework")).Order(StringComparer.Ordinal));
        Assert.All(groups, g => Assert.Empty(g.Elements()));
    }

    [Fact]
    public void LICENSE_in_the_package_is_the_repository_file()
    {
        using var zip = ZipFile.OpenRead(package.PackagePath);
        Assert.Equal(File.ReadAllBytes(Path.Combine(Repository.Root, "LICENSE")), ReadAll(zip, "LICENSE"));
    }

    [Fact]
    public void Icon_is_a_PNG()
    {
        using var zip = ZipFile.OpenRead(package.PackagePath);
        Assert.Equal(new byte[] { 0x89, (byte)'P', (byte)'N', (byte)'G', 0x0D, 0x0A, 0x1A, 0x0A }, ReadAll(zip, "icon.png").Take(8).ToArray());
    }

    [Fact]
    public void Package_README_is_for_users_and_every_link_is_absolute_into_the_repository()
    {
        using var zip = ZipFile.OpenRead(package.PackagePath);
        var readme = System.Text.Encoding.UTF8.GetString(ReadAll(zip, "README.md"));

        // For users: it starts with what the package is and how to install it, not with
        // contributor commands.
        Assert.StartsWith("# ConcurrencySafety\n", readme, StringComparison.Ordinal);
        Assert.Contains("dotnet add package ConcurrencySafety", readme, StringComparison.Ordinal);
        Assert.DoesNotContain("dotnet test", readme, StringComparison.Ordinal);
        Assert.DoesNotContain("samples/Tour", readme, StringComparison.Ordinal);
        Assert.DoesNotContain("<!--", readme, StringComparison.Ordinal);

        var links = MarkdownLink().Matches(readme).Select(m => m.Groups["target"].Value).ToList();
        Assert.True(links.Count >= RuleIds.Count, $"only {links.Count} links");
        foreach (var link in links)
        {
            // nuget.org cannot resolve a relative link: each one points into the repository.
            Assert.StartsWith(Repository.LinkBase, link, StringComparison.Ordinal);
            var path = link[Repository.LinkBase.Length..].Split('#')[0];
            Assert.True(File.Exists(Path.Combine(Repository.Root, path)), $"the package README links to {path}, which is not in the repository");
        }

        // The rule table is the repository README's, so it lists every rule.
        foreach (var id in RuleIds)
        {
            Assert.Contains($"| [{id}]({Repository.LinkBase}docs/rules/{id}.md) |", readme, StringComparison.Ordinal);
        }
    }

    [Theory]
    [InlineData("recommended")]
    [InlineData("strict")]
    public void Each_preset_sets_every_rule(string preset)
    {
        using var zip = ZipFile.OpenRead(package.PackagePath);
        var lines = System.Text.Encoding.UTF8.GetString(ReadAll(zip, $"configuration/{preset}.globalconfig")).Split('\n');
        Assert.Contains("is_global = true", lines);
        var set = lines.Select(l => SeverityLine().Match(l)).Where(m => m.Success).ToDictionary(m => m.Groups["id"].Value, m => m.Groups["severity"].Value);
        Assert.Equal(RuleIds.Order(StringComparer.Ordinal), set.Keys.Order(StringComparer.Ordinal));
        if (preset == "strict")
        {
            Assert.All(set.Values, s => Assert.Equal("error", s));
        }
        else
        {
            // The defaults, as release tracking states them (CSA1001 is an error, CSA2006 a warning).
            Assert.Equal("error", set["CSA1001"]);
            Assert.Equal("warning", set["CSA2006"]);
        }
    }

    private static IReadOnlySet<string> RuleIds { get; } = Repository.RuleIds();

    private System.Xml.Linq.XElement Nuspec()
    {
        using var zip = ZipFile.OpenRead(package.PackagePath);
        using var stream = zip.GetEntry("ConcurrencySafety.nuspec")!.Open();
        return XDocument.Load(stream).Root!.Elements().Single(e => e.Name.LocalName == "metadata");
    }

    [System.Text.RegularExpressions.GeneratedRegex(@"\]\((?<target>[^)\s]+)\)")]
    private static partial System.Text.RegularExpressions.Regex MarkdownLink();

    [System.Text.RegularExpressions.GeneratedRegex(@"^dotnet_diagnostic\.(?<id>CSA\d{4})\.severity = (?<severity>\w+)$")]
    private static partial System.Text.RegularExpressions.Regex SeverityLine();

    [Theory]
    [InlineData("net8.0")]
    [InlineData("net10.0")]
    public void Symbol_package_has_portable_PDBs_with_every_source_embedded(string folder)
    {
        using var zip = ZipFile.OpenRead(package.SymbolPackagePath);
        Assert.DoesNotContain(zip.Entries, e => e.Name.EndsWith(".dll", StringComparison.OrdinalIgnoreCase));
        using var pdb = new MemoryStream(ReadAll(zip, $"lib/{folder}/ConcurrencySafety.pdb"));
        using var provider = MetadataReaderProvider.FromPortablePdbStream(pdb);
        var reader = provider.GetMetadataReader();
        var embeddedSource = new Guid("0E8A571B-6926-466E-B4AD-8AB04611F5FE");

        var documents = reader.Documents.Select(h => (Handle: h, Name: reader.GetString(reader.GetDocument(h).Name))).ToList();
        Assert.Contains(documents, d => d.Name.EndsWith("Chan.cs", StringComparison.Ordinal));
        foreach (var (handle, name) in documents)
        {
            var embedded = reader.GetCustomDebugInformation(handle).Any(c => reader.GetGuid(reader.GetCustomDebugInformation(c).Kind) == embeddedSource);
            Assert.True(embedded, $"{name} is not embedded in the PDB");
            if (Repository.BuildConfiguration == "Release")
            {
                // Deterministic source paths: no build machine's folder names in a released PDB.
                Assert.StartsWith("/_/", name, StringComparison.Ordinal);
            }
        }
    }

    private static List<string> ContentFiles(ZipArchive zip) =>
        zip.Entries.Select(e => e.FullName)
            .Where(n => !n.StartsWith("_rels/", StringComparison.Ordinal)
                && !n.StartsWith("package/services/", StringComparison.Ordinal)
                && n != "[Content_Types].xml"
                && !n.EndsWith(".nuspec", StringComparison.Ordinal))
            .Order(StringComparer.Ordinal)
            .ToList();

    private static byte[] ReadAll(ZipArchive zip, string entry)
    {
        var found = zip.GetEntry(entry);
        Assert.True(found is not null, $"{entry} is missing");
        using var stream = found!.Open();
        using var copy = new MemoryStream();
        stream.CopyTo(copy);
        return copy.ToArray();
    }

    private static (string Name, List<(string Name, Version Version)> References) ReadAssembly(ZipArchive zip, string entry)
    {
        using var image = new MemoryStream(ReadAll(zip, entry));
        using var pe = new PEReader(image);
        Assert.True(pe.HasMetadata, $"{entry} is not a managed assembly");
        var reader = pe.GetMetadataReader();
        var references = reader.AssemblyReferences.Select(h => reader.GetAssemblyReference(h)).Select(r => (reader.GetString(r.Name), r.Version)).ToList();
        return (reader.GetString(reader.GetAssemblyDefinition().Name), references);
    }
}
