using System.Collections.Concurrent;
using System.Collections.Immutable;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Diagnostics;

namespace ConcurrencySafety.Analyzers.Infrastructure;

/// <summary>
/// The .editorconfig options of the race rules. Users name their own scheduling methods
/// (fully qualified: <c>Namespace.Type.Method</c>, comma separated) so that lambdas passed to
/// them are treated like lambdas passed to <c>Task.Run</c> (<see cref="ConcurrentMethodsKey"/>)
/// or like <c>Parallel.For</c> bodies (<see cref="ParallelMethodsKey"/>).
/// </summary>
internal sealed class ConcurrencyOptions
{
    public const string ConcurrentMethodsKey = "concurrencysafety.concurrent_methods";
    public const string ParallelMethodsKey = "concurrencysafety.parallel_methods";

    public static readonly ConcurrencyOptions Empty = new(ImmutableHashSet<string>.Empty, ImmutableHashSet<string>.Empty);

    // Parsing is cached by the raw option text: every file of a project usually shares one value.
    private static readonly ConcurrentDictionary<string, ImmutableHashSet<string>> ParsedLists = new(StringComparer.Ordinal);

    private readonly ImmutableHashSet<string> _concurrent;
    private readonly ImmutableHashSet<string> _parallel;
    private readonly ImmutableHashSet<string> _simpleNames;

    private ConcurrencyOptions(ImmutableHashSet<string> concurrent, ImmutableHashSet<string> parallel)
    {
        _concurrent = concurrent;
        _parallel = parallel;
        _simpleNames = concurrent.Union(parallel).Select(SimpleName).ToImmutableHashSet(StringComparer.Ordinal);
    }

    public bool IsEmpty => _simpleNames.IsEmpty;

    public static ConcurrencyOptions Get(AnalyzerOptions options, SyntaxTree tree)
    {
        var config = options.AnalyzerConfigOptionsProvider.GetOptions(tree);
        config.TryGetValue(ConcurrentMethodsKey, out var concurrent);
        config.TryGetValue(ParallelMethodsKey, out var parallel);
        if (string.IsNullOrWhiteSpace(concurrent) && string.IsNullOrWhiteSpace(parallel))
        {
            return Empty;
        }

        return new ConcurrencyOptions(Parse(concurrent), Parse(parallel));
    }

    /// <summary>Whether <paramref name="method"/> is named by an option; <paramref name="several"/> tells which one.</summary>
    public bool Matches(IMethodSymbol method, out bool several)
    {
        several = false;
        if (_simpleNames.IsEmpty || !_simpleNames.Contains(method.Name))
        {
            return false;
        }

        var fullName = method.ContainingType.OriginalDefinition.ToDisplayString(SymbolDisplayFormat.CSharpErrorMessageFormat.WithGenericsOptions(SymbolDisplayGenericsOptions.None)) + "." + method.Name;
        if (_parallel.Contains(fullName))
        {
            several = true;
            return true;
        }

        return _concurrent.Contains(fullName);
    }

    private static ImmutableHashSet<string> Parse(string? value)
    {
        if (string.IsNullOrWhiteSpace(value))
        {
            return ImmutableHashSet<string>.Empty;
        }

        return ParsedLists.GetOrAdd(value!, static v => v
            .Split(new[] { ',', ';' }, StringSplitOptions.RemoveEmptyEntries)
            .Select(s => s.Trim())
            .Where(s => s.Length > 0)
            .ToImmutableHashSet(StringComparer.Ordinal));
    }

    private static string SimpleName(string fullName)
    {
        var dot = fullName.LastIndexOf('.');
        return dot < 0 ? fullName : fullName.Substring(dot + 1);
    }
}
