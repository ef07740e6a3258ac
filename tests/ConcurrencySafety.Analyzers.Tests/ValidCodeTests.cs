using System.IO;
using System.Reflection;
using ConcurrencySafety.Analyzers.Tests.Infrastructure;

namespace ConcurrencySafety.Analyzers.Tests;

/// <summary>
/// The valid-code corpus: realistic, correct concurrent C# (ValidCode/*.cs, embedded as
/// resources, not compiled into this assembly). Every analyzer of the package runs over every
/// file and must stay silent. Add a file here for every false positive found.
/// </summary>
public class ValidCodeTests
{
    private const string Prefix = "ValidCode.";

    public static TheoryData<string> Files()
    {
        var data = new TheoryData<string>();
        foreach (var name in typeof(ValidCodeTests).Assembly.GetManifestResourceNames().Where(n => n.StartsWith(Prefix, StringComparison.Ordinal)).Order(StringComparer.Ordinal))
        {
            data.Add(name.Substring(Prefix.Length));
        }

        return data;
    }

    [Fact]
    public void Corpus_is_not_empty() => Assert.True(Files().Count >= 5, "the valid-code corpus lost its files");

    [Theory]
    [MemberData(nameof(Files))]
    public async Task All_analyzers_are_silent_on(string file)
    {
        using var stream = typeof(ValidCodeTests).Assembly.GetManifestResourceStream(Prefix + file)!;
        using var reader = new StreamReader(stream);
        var source = await reader.ReadToEndAsync();

        var (errors, diagnostics) = await AllAnalyzers.RunAsync(source, "/ValidCode/" + file);

        Assert.True(errors.IsEmpty, "the corpus file must compile:\n" + string.Join("\n", errors));
        Assert.True(diagnostics.IsEmpty, "false positives:\n" + string.Join("\n", diagnostics));
    }
}
