using System.Reflection;
using System.Text.RegularExpressions;
using ConcurrencySafety.Package.Tests.Infrastructure;

namespace ConcurrencySafety.Package.Tests;

/// <summary>
/// The README's Go → C# table names the library's API; these tests keep those names real when the
/// API changes. (The rule table is checked by the analyzer tests' CatalogTests.)
/// </summary>
public sealed partial class ReadmeQuickReferenceTests
{
    /// <summary>Names from the BCL or placeholders that the table may use besides the library's own.</summary>
    private static readonly HashSet<string> OtherNames = new(StringComparer.Ordinal)
    {
        "Task", "Timeout", "InfiniteTimeSpan", "Interlocked", "Increment", "CancellationToken", "TimeProvider",
        "F", "T",
    };

    private static readonly Type[] LibraryTypes = typeof(Chan).Assembly.GetExportedTypes();

    [Fact]
    public void Table_exists_and_covers_the_Go_idioms()
    {
        var rows = Rows();
        var go = string.Join('\n', rows.Select(r => r.Go));
        foreach (var idiom in new[] { "go f()", "make(chan T, n)", "ch <- v", "v, ok := <-ch", "close(ch)", "select", "time.After", "time.Tick", "sync.WaitGroup", "errgroup", "sync.Mutex", "semaphore.Weighted" })
        {
            Assert.Contains(idiom, go, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void Every_name_in_the_CSharp_column_exists()
    {
        var unknown = new List<string>();
        foreach (var (go, csharp) in Rows())
        {
            foreach (Match code in InlineCode().Matches(csharp))
            {
                var text = code.Groups[1].Value;
                foreach (Match name in PascalName().Matches(text))
                {
                    if (!OtherNames.Contains(name.Value) && !IsLibraryTypeOrMember(name.Value))
                    {
                        unknown.Add($"{name.Value} in `{text}` (row `{go}`)");
                    }
                }

                // Type.Member: the member must belong to that library type.
                foreach (Match access in TypeMemberAccess().Matches(text))
                {
                    var type = LibraryTypes.FirstOrDefault(t => SimpleName(t) == access.Groups["type"].Value);
                    if (type is not null && type.GetMember(access.Groups["member"].Value, BindingFlags.Public | BindingFlags.Static | BindingFlags.Instance).Length == 0)
                    {
                        unknown.Add($"{access.Value}: {type.Name} has no public member {access.Groups["member"].Value} (row `{go}`)");
                    }
                }
            }
        }

        Assert.Empty(unknown);
    }

    private static bool IsLibraryTypeOrMember(string name) =>
        LibraryTypes.Any(t => SimpleName(t) == name
            || t.GetMember(name, BindingFlags.Public | BindingFlags.Static | BindingFlags.Instance).Length > 0);

    private static string SimpleName(Type type) => type.Name.Split('`')[0];

    private static List<(string Go, string CSharp)> Rows()
    {
        var lines = File.ReadAllLines(Path.Combine(Repository.Root, "README.md"));
        var start = Array.FindIndex(lines, l => l.StartsWith("## Go → C# quick reference", StringComparison.Ordinal));
        Assert.True(start >= 0, "README has no '## Go → C# quick reference' section");
        var rows = lines.Skip(start + 1)
            .TakeWhile(l => !l.StartsWith("## ", StringComparison.Ordinal))
            .Where(l => l.StartsWith("| ", StringComparison.Ordinal))
            .Skip(1) // header; the |---| separator does not start with "| "
            .Select(l => l.Split(" | "))
            .Select(cells => (Go: cells[0].TrimStart('|', ' '), CSharp: cells[1]))
            .ToList();
        Assert.True(rows.Count >= 15, $"only {rows.Count} rows");
        return rows;
    }

    [GeneratedRegex("`([^`]+)`")]
    private static partial Regex InlineCode();

    [GeneratedRegex(@"\b[A-Z][A-Za-z0-9]*\b")]
    private static partial Regex PascalName();

    [GeneratedRegex(@"\b(?<type>[A-Z][A-Za-z0-9]*)(?:<[^>]*>)?\.(?<member>[A-Z][A-Za-z0-9]*)")]
    private static partial Regex TypeMemberAccess();
}
