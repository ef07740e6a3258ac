using System.Collections.Immutable;
using System.IO;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.Diagnostics;

namespace ConcurrencySafety.Analyzers.Tests.TypeState;

/// <summary>
/// Drives <see cref="TypeStateGenerator"/> with <see cref="CSharpGeneratorDriver"/>, then checks
/// the generated text, that the result compiles, that misuse of the generated states is a
/// compile error or an analyzer error, and that invalid declarations report CSA3004.
/// </summary>
public class TypeStateGeneratorTests
{
    private const string Job = """
        using ConcurrencySafety;

        namespace Shop;

        [TypeStates("Created", "Running", "Done")]
        [Transition("Start", From = "Created", To = "Running")]
        [Transition("Tick", From = "Running", To = "Running")]
        [Transition("Finish", From = "Running", To = "Done")]
        public sealed partial class Job
        {
            public int Steps;
            partial void OnTick() => Steps++;

            public sealed partial class Running
            {
                public int Progress => Data.Steps;
            }
        }
        """;

    private static readonly ImmutableArray<MetadataReference> References = LoadReferences();

    private static ImmutableArray<MetadataReference> LoadReferences()
    {
        var platform = ((string)AppContext.GetData("TRUSTED_PLATFORM_ASSEMBLIES")!).Split(Path.PathSeparator);
        return platform.Where(p => Path.GetFileName(p) is "System.Runtime.dll" or "System.Private.CoreLib.dll" or "netstandard.dll" or "System.Console.dll" or "System.Collections.dll")
            .Select(p => (MetadataReference)MetadataReference.CreateFromFile(p))
            .Append(MetadataReference.CreateFromFile(typeof(ConsumesAttribute).Assembly.Location))
            .ToImmutableArray();
    }

    private static (Compilation Output, ImmutableArray<Diagnostic> GeneratorDiagnostics, GeneratorDriverRunResult Run) Generate(params string[] sources)
    {
        var compilation = CSharpCompilation.Create(
            "GeneratorTest",
            sources.Select(s => CSharpSyntaxTree.ParseText(s, new CSharpParseOptions(LanguageVersion.Latest))),
            References,
            new CSharpCompilationOptions(OutputKind.DynamicallyLinkedLibrary, nullableContextOptions: NullableContextOptions.Enable));
        GeneratorDriver driver = CSharpGeneratorDriver.Create(new TypeStateGenerator());
        driver = driver.RunGeneratorsAndUpdateCompilation(compilation, out var output, out var diagnostics);
        return (output, diagnostics, driver.GetRunResult());
    }

    private static string[] Errors(Compilation compilation) =>
        compilation.GetDiagnostics().Where(d => d.Severity == DiagnosticSeverity.Error).Select(d => d.ToString()).ToArray();

    [Fact]
    public void Generates_a_class_per_state_and_a_consuming_method_per_transition()
    {
        var (output, diagnostics, run) = Generate(Job);

        Assert.Empty(diagnostics);
        Assert.Empty(Errors(output));
        var text = Assert.Single(run.GeneratedTrees).ToString();
        Assert.Contains("namespace Shop;", text);
        Assert.Contains("public sealed partial class Created : global::ConcurrencySafety.Consumable", text);
        Assert.Contains("public sealed partial class Running : global::ConcurrencySafety.Consumable", text);
        Assert.Contains("public sealed partial class Done : global::ConcurrencySafety.Consumable", text);
        Assert.Contains("[global::ConcurrencySafety.Consumes]\n        public Running Start()", text.Replace("\r\n", "\n"));
        Assert.Contains("public Done Finish()", text);
        Assert.Contains("public Created Begin()", text);
        Assert.Contains("partial void OnTick();", text);
        Assert.DoesNotContain("[global::ConcurrencySafety.MustConsume]", text);
    }

    [Fact]
    public void Generated_transitions_carry_Consumes_and_return_the_target_state()
    {
        var (output, _, _) = Generate(Job);
        var running = output.GetTypeByMetadataName("Shop.Job+Running")!;
        var consumes = output.GetTypeByMetadataName("ConcurrencySafety.ConsumesAttribute");

        var tick = Assert.Single(running.GetMembers("Tick").OfType<IMethodSymbol>());
        var finish = Assert.Single(running.GetMembers("Finish").OfType<IMethodSymbol>());
        Assert.Equal("Shop.Job.Running", tick.ReturnType.ToDisplayString());
        Assert.Equal("Shop.Job.Done", finish.ReturnType.ToDisplayString());
        Assert.Contains(finish.GetAttributes(), a => SymbolEqualityComparer.Default.Equals(a.AttributeClass, consumes));
        Assert.Empty(running.GetMembers("Start"));
    }

    [Fact]
    public void Calling_a_transition_from_the_wrong_state_does_not_compile()
    {
        var (output, _, _) = Generate(Job, """
            namespace Shop;
            static class Use
            {
                static void M() => new Job().Begin().Finish();
            }
            """);

        Assert.Contains(Errors(output), e => e.Contains("CS1061", StringComparison.Ordinal) && e.Contains("Finish", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Valid_use_of_generated_states_compiles_and_reports_nothing()
    {
        var (output, _, _) = Generate(Job, """
            namespace Shop;
            static class Use
            {
                static int M()
                {
                    var running = new Job().Begin().Start();
                    running = running.Tick();
                    running = running.Tick();
                    var progress = running.Progress;
                    var done = running.Finish();
                    return progress + done.Data.Steps;
                }
            }
            """);

        Assert.Empty(Errors(output));
        Assert.Empty(await AnalyzeAsync(output));
    }

    [Fact]
    public async Task Double_transition_on_generated_state_is_reported_by_the_analyzer()
    {
        var (output, _, _) = Generate(Job, """
            namespace Shop;
            static class Use
            {
                static void M()
                {
                    var created = new Job().Begin();
                    var a = created.Start();
                    var b = created.Start();
                }
            }
            """);

        Assert.Empty(Errors(output));
        var diagnostic = Assert.Single(await AnalyzeAsync(output));
        Assert.Equal("CSA3002", diagnostic.Id);
    }

    [Fact]
    public async Task Data_object_is_consumed_by_Begin()
    {
        var (output, _, _) = Generate(Job, """
            namespace Shop;
            static class Use
            {
                static int M()
                {
                    var job = new Job();
                    var created = job.Begin();
                    var running = created.Start();
                    var done = running.Finish();
                    return job.Steps;
                }
            }
            """);

        Assert.Empty(Errors(output));
        var diagnostic = Assert.Single(await AnalyzeAsync(output));
        Assert.Equal("CSA3001", diagnostic.Id);
        Assert.Contains("job.Begin()", diagnostic.GetMessage(System.Globalization.CultureInfo.InvariantCulture), StringComparison.Ordinal);
    }

    [Fact]
    public void MustReachFinalState_marks_only_non_final_states()
    {
        var (output, _, run) = Generate("""
            using ConcurrencySafety;
            [TypeStates("Open", "Closed", MustReachFinalState = true)]
            [Transition("Close", From = "Open", To = "Closed")]
            partial class Door { }
            """);

        Assert.Empty(Errors(output));
        var mustConsume = output.GetTypeByMetadataName("ConcurrencySafety.MustConsumeAttribute");
        Assert.Contains(output.GetTypeByMetadataName("Door+Open")!.GetAttributes(), a => SymbolEqualityComparer.Default.Equals(a.AttributeClass, mustConsume));
        Assert.DoesNotContain(output.GetTypeByMetadataName("Door+Closed")!.GetAttributes(), a => SymbolEqualityComparer.Default.Equals(a.AttributeClass, mustConsume));
        Assert.Single(run.GeneratedTrees);
    }

    [Fact]
    public void Nested_generic_class_in_the_global_namespace_compiles()
    {
        var (output, diagnostics, run) = Generate("""
            using ConcurrencySafety;
            public static partial class Outer
            {
                [TypeStates("Empty", "Full")]
                [Transition("Fill", From = "Empty", To = "Full")]
                [Transition("Drain", From = "Full", To = "Empty")]
                public partial class Tank<T> where T : struct
                {
                    public T Level;
                }
            }

            static class Use
            {
                static void M()
                {
                    Outer.Tank<int>.Full full = new Outer.Tank<int>().Begin().Fill();
                    Outer.Tank<int>.Empty empty = full.Drain();
                }
            }
            """);

        Assert.Empty(diagnostics);
        Assert.Empty(Errors(output));
        Assert.Single(run.GeneratedTrees);
    }

    [Theory]
    [InlineData("""[TypeStates("A", "B")] [Transition("Go", From = "A", To = "B")] class NotPartial { }""", "'NotPartial' must be declared partial")]
    [InlineData("""[TypeStates("A", "B")] [Transition("Go", From = "A", To = "C")] partial class M { }""", "ends in 'C', which is not a declared state")]
    [InlineData("""[TypeStates("A", "B")] [Transition("Go", From = "X", To = "B")] partial class M { }""", "starts from 'X', which is not a declared state")]
    [InlineData("""[TypeStates("A", "A")] partial class M { }""", "state 'A' is declared twice")]
    [InlineData("""[TypeStates("A", "not valid")] partial class M { }""", "state name 'not valid' is not a valid C# identifier")]
    [InlineData("""[TypeStates()] partial class M { }""", "it declares no states")]
    [InlineData("""[TypeStates("A", "B")] [Transition("Go", From = "A", To = "B")] [Transition("Go", From = "A", To = "A")] partial class M { }""", "state 'A' already has a member named 'Go'")]
    [InlineData("""[TypeStates("A", "class")] partial class M { }""", "state name 'class' is not a valid C# identifier")]
    public void Invalid_declaration_reports_CSA3004_and_generates_nothing(string declaration, string expected)
    {
        var (_, diagnostics, run) = Generate("using ConcurrencySafety;\n" + declaration);

        var diagnostic = Assert.Single(diagnostics);
        Assert.Equal("CSA3004", diagnostic.Id);
        Assert.Equal(DiagnosticSeverity.Error, diagnostic.Severity);
        Assert.Contains(expected, diagnostic.GetMessage(System.Globalization.CultureInfo.InvariantCulture), StringComparison.Ordinal);
        Assert.Empty(run.GeneratedTrees);
    }

    [Fact]
    public void Valid_declaration_reports_no_CSA3004()
    {
        var (_, diagnostics, _) = Generate("""
            using ConcurrencySafety;
            [TypeStates("Only")]
            partial class Single { }
            """);

        Assert.Empty(diagnostics);
    }

    [Fact]
    public void Unrelated_edit_reuses_the_cached_output()
    {
        var compilation = CSharpCompilation.Create("Incremental", [CSharpSyntaxTree.ParseText(Job)], References, new CSharpCompilationOptions(OutputKind.DynamicallyLinkedLibrary));
        GeneratorDriver driver = CSharpGeneratorDriver.Create(
            [new TypeStateGenerator().AsSourceGenerator()],
            driverOptions: new GeneratorDriverOptions(IncrementalGeneratorOutputKind.None, trackIncrementalGeneratorSteps: true));
        driver = driver.RunGenerators(compilation);
        driver = driver.RunGenerators(compilation.AddSyntaxTrees(CSharpSyntaxTree.ParseText("class Unrelated { }")));

        var outputs = driver.GetRunResult().Results[0].TrackedOutputSteps.SelectMany(step => step.Value).SelectMany(step => step.Outputs).ToList();
        Assert.NotEmpty(outputs);
        Assert.All(outputs, output => Assert.True(output.Reason is IncrementalStepRunReason.Cached or IncrementalStepRunReason.Unchanged, output.Reason.ToString()));
    }

    private static async Task<ImmutableArray<Diagnostic>> AnalyzeAsync(Compilation compilation)
    {
        var analyzers = ImmutableArray.Create<DiagnosticAnalyzer>(new CSA3001UseAfterConsumeAnalyzer(), new CSA3002DoubleConsumeAnalyzer(), new CSA3003MustConsumeDroppedAnalyzer());
        var diagnostics = await compilation.WithAnalyzers(analyzers).GetAnalyzerDiagnosticsAsync();
        return diagnostics;
    }
}
