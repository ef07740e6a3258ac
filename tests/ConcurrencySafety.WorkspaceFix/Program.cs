// Usage: ConcurrencySafety.WorkspaceFix <project.csproj> <rule ID>
// Opens the project with MSBuildWorkspace (as Visual Studio and Rider load projects), takes the
// analyzers and code fixes from its analyzer references whose file name starts with
// "ConcurrencySafety." (the restored package, not a copy of this repository's), reports every
// diagnostic of theirs, and applies the first code action offered for the first diagnostic
// with the given ID through the workspace, which writes the file. One line per fact:
//   REFERENCE <path>     DIAGNOSTIC <id> <file>(<line>,<column>)     ACTION <title> [<key>]     APPLIED <file>
// Exit code 0 when a fix was applied, 1 when none was found, 2 on bad arguments.
using System.Collections.Immutable;
using System.Composition;
using System.Reflection;
using Microsoft.Build.Locator;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CodeActions;
using Microsoft.CodeAnalysis.CodeFixes;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.MSBuild;

if (args.Length != 2 || !File.Exists(args[0]))
{
    Console.Error.WriteLine("usage: ConcurrencySafety.WorkspaceFix <project.csproj> <rule ID>");
    return 2;
}

MSBuildLocator.RegisterDefaults();
return await WorkspaceFix.RunAsync(Path.GetFullPath(args[0]), args[1]);

internal static class WorkspaceFix
{
    public static async Task<int> RunAsync(string projectPath, string ruleId)
    {
        using var workspace = MSBuildWorkspace.Create();
        workspace.RegisterWorkspaceFailedHandler(e => Console.WriteLine("WORKSPACE " + e.Diagnostic.Kind + " " + e.Diagnostic.Message));
        var project = await workspace.OpenProjectAsync(projectPath);

        var references = project.AnalyzerReferences.OfType<AnalyzerFileReference>()
            .Where(r => Path.GetFileName(r.FullPath).StartsWith("ConcurrencySafety.", StringComparison.Ordinal))
            .ToList();
        foreach (var reference in references)
        {
            Console.WriteLine("REFERENCE " + reference.FullPath);
        }

        var analyzers = references.SelectMany(r => r.GetAnalyzers(LanguageNames.CSharp)).ToImmutableArray();
        var fixers = references
            .SelectMany(r => r.GetAssembly().GetTypes())
            .Where(t => !t.IsAbstract && typeof(CodeFixProvider).IsAssignableFrom(t) && t.GetCustomAttribute<ExportCodeFixProviderAttribute>() is not null)
            .Select(t => (CodeFixProvider)Activator.CreateInstance(t)!)
            .ToList();
        Console.WriteLine($"LOADED {analyzers.Length} analyzers, {fixers.Count} code fixes");

        var compilation = await project.GetCompilationAsync() ?? throw new InvalidOperationException("no compilation");
        var diagnostics = await compilation.WithAnalyzers(analyzers, project.AnalyzerOptions).GetAnalyzerDiagnosticsAsync();
        foreach (var diagnostic in diagnostics.OrderBy(d => d.Location.SourceSpan.Start))
        {
            var span = diagnostic.Location.GetLineSpan();
            Console.WriteLine($"DIAGNOSTIC {diagnostic.Id} {Path.GetFileName(span.Path)}({span.StartLinePosition.Line + 1},{span.StartLinePosition.Character + 1})");
        }

        var target = diagnostics.Where(d => d.Id == ruleId).OrderBy(d => d.Location.SourceSpan.Start).FirstOrDefault();
        var document = target is null ? null : project.GetDocument(target.Location.SourceTree);
        if (target is null || document is null)
        {
            Console.WriteLine("NO DIAGNOSTIC " + ruleId);
            return 1;
        }

        var actions = new List<CodeAction>();
        foreach (var fixer in fixers.Where(f => f.FixableDiagnosticIds.Contains(ruleId)))
        {
            await fixer.RegisterCodeFixesAsync(new CodeFixContext(document, target, (action, _) => actions.Add(action), CancellationToken.None));
        }

        foreach (var action in actions)
        {
            Console.WriteLine($"ACTION {action.Title} [{action.EquivalenceKey}]");
        }

        if (actions.Count == 0)
        {
            Console.WriteLine("NO ACTION");
            return 1;
        }

        foreach (var operation in await actions[0].GetOperationsAsync(CancellationToken.None))
        {
            operation.Apply(workspace, CancellationToken.None);
        }

        Console.WriteLine("APPLIED " + document.FilePath);
        return 0;
    }
}
