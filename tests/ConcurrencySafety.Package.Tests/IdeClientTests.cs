using System.Text.Json.Nodes;
using ConcurrencySafety.Package.Tests.Infrastructure;
using Xunit.Abstractions;

namespace ConcurrencySafety.Package.Tests;

/// <summary>
/// A real editor back end on a consumer of the packed package: csharp-ls 0.28.0 (a Roslyn
/// language server, installed from the NuGet source as a dotnet tool) opens the consumer,
/// and the race's CSA1001 must arrive over LSP (pull diagnostics) at the range of the written
/// variable. The whole exchange is printed to the test output and written to
/// TestResults/ide-client/csharp-ls-transcript.txt.
/// </summary>
/// <remarks>
/// csharp-ls runs a project's analyzers only when its <c>csharp.analyzersEnabled</c> setting is
/// true (off by default since 0.24.0; the client here answers <c>workspace/configuration</c> with
/// it). Its code actions come only from the code-fix providers of Roslyn's own assemblies
/// (Handlers/CodeAction.fs instantiates them from Microsoft.CodeAnalysis.Features,
/// .CSharp.Features and .Workspaces) for the compiler's diagnostics
/// (<c>semanticModel.GetDiagnostics()</c>), so no package's code fix is ever offered; the test
/// records the actions it offers. The package's fix is proved the way Visual Studio and Rider
/// load it by WorkspaceFixTests (MSBuildWorkspace).
/// </remarks>
[Collection(PackageCollection.Name)]
[Trait("Category", "Package")]
public sealed class IdeClientTests(PackedPackage package, ITestOutputHelper output)
{
    private const string CsharpLsVersion = "0.28.0";

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

    [Fact]
    public async Task Csharp_ls_publishes_CSA1001_at_the_written_variable()
    {
        var tools = Path.Combine(package.WorkRoot, "tools");
        var install = await DotNetCli.RunAsync(package.WorkRoot, "tool", "install", "csharp-ls", "--version", CsharpLsVersion, "--tool-path", tools);
        Assert.True(install.ExitCode == 0, install.ToString());

        var consumers = await package.GetConsumersAsync();
        var project = consumers.CreateProject("lsp", Race);
        var restore = await DotNetCli.RunAsync(project, "restore", Consumers.ProjectFile(project));
        Assert.True(restore.ExitCode == 0, restore.ToString());
        var program = Path.Combine(project, "Program.cs");
        var uri = new Uri(program).AbsoluteUri;
        var rootUri = new Uri(project + Path.DirectorySeparatorChar).AbsoluteUri.TrimEnd('/');

        // Where the analyzer must point: 'counter' in 'counter++' (0-based line and character).
        var lines = Race.Split('\n');
        var expectedLine = Array.FindIndex(lines, l => l.Contains("counter++", StringComparison.Ordinal));
        var expectedCharacter = lines[expectedLine].IndexOf("counter++", StringComparison.Ordinal);

        await using var client = LspClient.Start(Path.Combine(tools, "csharp-ls"), project, new JsonObject { ["analyzersEnabled"] = true });
        JsonObject? found = null;
        try
        {
            await client.RequestAsync("initialize", new JsonObject
            {
                ["processId"] = Environment.ProcessId,
                ["rootUri"] = rootUri,
                ["workspaceFolders"] = new JsonArray(new JsonObject { ["uri"] = rootUri, ["name"] = "lsp" }),
                ["capabilities"] = new JsonObject
                {
                    ["workspace"] = new JsonObject { ["configuration"] = true },
                    ["textDocument"] = new JsonObject
                    {
                        ["publishDiagnostics"] = new JsonObject(),
                        ["diagnostic"] = new JsonObject(),
                        ["codeAction"] = new JsonObject
                        {
                            ["codeActionLiteralSupport"] = new JsonObject { ["codeActionKind"] = new JsonObject { ["valueSet"] = new JsonArray("quickfix", "refactor") } },
                            ["resolveSupport"] = new JsonObject { ["properties"] = new JsonArray("edit") },
                        },
                    },
                },
            }, TimeSpan.FromMinutes(2));
            await client.NotifyAsync("initialized", new JsonObject());
            await client.NotifyAsync("textDocument/didOpen", new JsonObject
            {
                ["textDocument"] = new JsonObject { ["uri"] = uri, ["languageId"] = "csharp", ["version"] = 1, ["text"] = File.ReadAllText(program) },
            });

            // The server loads the project in the background; pull until our diagnostic is there
            // (a generous limit: the machine is shared).
            var deadline = DateTime.UtcNow + TimeSpan.FromMinutes(5);
            while (found is null && DateTime.UtcNow < deadline)
            {
                var report = await client.RequestAsync("textDocument/diagnostic", new JsonObject { ["textDocument"] = new JsonObject { ["uri"] = uri } }, TimeSpan.FromMinutes(2));
                found = ((JsonArray?)report?["items"] ?? []).OfType<JsonObject>().FirstOrDefault(d => (string?)d["code"] == "CSA1001")
                    ?? client.Notifications("textDocument/publishDiagnostics")
                        .SelectMany(n => ((JsonArray?)n["params"]?["diagnostics"] ?? []).OfType<JsonObject>())
                        .FirstOrDefault(d => (string?)d["code"] == "CSA1001");
                if (found is null)
                {
                    await Task.Delay(TimeSpan.FromSeconds(3));
                }
            }

            Assert.True(found is not null, "csharp-ls never reported CSA1001");
            Assert.Equal(expectedLine, (int)found!["range"]!["start"]!["line"]!);
            Assert.Equal(expectedCharacter, (int)found["range"]!["start"]!["character"]!);
            Assert.Equal(expectedLine, (int)found["range"]!["end"]!["line"]!);
            Assert.Equal(expectedCharacter + "counter".Length, (int)found["range"]!["end"]!["character"]!);
            Assert.Equal(1, (int)found["severity"]!); // error
            Assert.EndsWith("/docs/rules/CSA1001.md", (string?)found["codeDescription"]?["href"], StringComparison.Ordinal);

            // What the server offers at the diagnostic (recorded in the transcript).
            var actions = await client.RequestAsync("textDocument/codeAction", new JsonObject
            {
                ["textDocument"] = new JsonObject { ["uri"] = uri },
                ["range"] = found["range"]!.DeepClone(),
                ["context"] = new JsonObject { ["diagnostics"] = new JsonArray(found.DeepClone()) },
            }, TimeSpan.FromMinutes(2));
            Assert.IsType<JsonArray>(actions);
        }
        finally
        {
            var transcript = client.Transcript;
            output.WriteLine(transcript);
            var folder = Path.Combine(Repository.Root, "TestResults", "ide-client");
            Directory.CreateDirectory(folder);
            File.WriteAllText(Path.Combine(folder, "csharp-ls-transcript.txt"), transcript + "\n---- server stderr ----\n" + client.StandardError);
        }
    }
}
