using System.Text;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace ConcurrencySafety.Analyzers.Tests.Robustness;

/// <summary>
/// Seeded source mutations for the fuzzer: truncation, token deletion, statement duplication
/// and swapping, and splicing a member of another file into a type. Each mutant is a pure
/// function of (corpus, seed, index), so a failure is replayed from the three numbers the test
/// prints.
/// </summary>
internal static class Mutator
{
    /// <summary>One mutant: its source and what was done to get it.</summary>
    public sealed record Mutant(string Source, string Origin, string Description);

    /// <summary>Mutant number <paramref name="index"/> of the run seeded by <paramref name="seed"/>.</summary>
    public static Mutant Create(IReadOnlyList<(string Name, string Source)> corpus, int seed, int index)
    {
        var random = new Random(unchecked((seed * 7919) + index));
        var (name, source) = corpus[random.Next(corpus.Count)];
        var steps = new List<string>();
        var count = 1 + random.Next(3);
        for (var i = 0; i < count; i++)
        {
            var (mutated, step) = MutateOnce(source, corpus, random);
            source = mutated;
            steps.Add(step);
        }

        return new Mutant(source, name, string.Join("; ", steps));
    }

    private static (string Source, string Step) MutateOnce(string source, IReadOnlyList<(string Name, string Source)> corpus, Random random)
    {
        var root = CSharpSyntaxTree.ParseText(source, new CSharpParseOptions(LanguageVersion.Latest)).GetRoot();
        switch (random.Next(6))
        {
            case 0:
            {
                if (source.Length < 2)
                {
                    break;
                }

                var at = random.Next(source.Length);
                return (source.Substring(0, at), $"truncate at {at}");
            }

            case 1:
            case 2:
            {
                var tokens = root.DescendantTokens().Where(t => t.Span.Length > 0).ToList();
                if (tokens.Count == 0)
                {
                    break;
                }

                var deletions = 1 + random.Next(Math.Min(4, tokens.Count));
                var spans = Enumerable.Range(0, deletions).Select(_ => tokens[random.Next(tokens.Count)].Span).Distinct().OrderByDescending(s => s.Start).ToList();
                var text = new StringBuilder(source);
                foreach (var span in spans)
                {
                    text.Remove(span.Start, span.Length);
                }

                return (text.ToString(), "delete tokens at " + string.Join(",", spans.Select(s => s.Start)));
            }

            case 3:
            {
                var statements = root.DescendantNodes().OfType<StatementSyntax>().Where(s => s is not BlockSyntax).ToList();
                if (statements.Count == 0)
                {
                    break;
                }

                var statement = statements[random.Next(statements.Count)];
                var copy = statement.ToFullString();
                return (source.Insert(statement.FullSpan.End, copy), $"duplicate statement at {statement.SpanStart}");
            }

            case 4:
            {
                var statements = root.DescendantNodes().OfType<StatementSyntax>().Where(s => s is not BlockSyntax).ToList();
                if (statements.Count < 2)
                {
                    break;
                }

                var a = statements[random.Next(statements.Count)];
                var b = statements[random.Next(statements.Count)];
                if (a.FullSpan.OverlapsWith(b.FullSpan))
                {
                    break;
                }

                var (first, second) = a.SpanStart < b.SpanStart ? (a, b) : (b, a);
                var text = source.Substring(0, first.FullSpan.Start)
                    + second.ToFullString()
                    + source.Substring(first.FullSpan.End, second.FullSpan.Start - first.FullSpan.End)
                    + first.ToFullString()
                    + source.Substring(second.FullSpan.End);
                return (text, $"swap statements at {first.SpanStart} and {second.SpanStart}");
            }

            default:
            {
                var types = root.DescendantNodes().OfType<TypeDeclarationSyntax>().Where(t => t.CloseBraceToken.Span.Length > 0).ToList();
                var (donorName, donorSource) = corpus[random.Next(corpus.Count)];
                var members = CSharpSyntaxTree.ParseText(donorSource, new CSharpParseOptions(LanguageVersion.Latest)).GetRoot()
                    .DescendantNodes().OfType<MemberDeclarationSyntax>().Where(m => m is not BaseNamespaceDeclarationSyntax).ToList();
                if (types.Count == 0 || members.Count == 0)
                {
                    break;
                }

                var target = types[random.Next(types.Count)];
                var member = members[random.Next(members.Count)];
                return (source.Insert(target.CloseBraceToken.SpanStart, member.ToFullString() + "\n"), $"splice a member of {donorName} into the type at {target.SpanStart}");
            }
        }

        // The chosen mutation did not apply: fall back to the one that always does.
        var cut = source.Length == 0 ? 0 : random.Next(source.Length);
        return (source.Substring(0, cut), $"truncate at {cut}");
    }

    /// <summary>Removes the analyzer-test markup (<c>{|ID:</c>, <c>|}</c>, <c>[|</c>, <c>|]</c>) from a test snippet.</summary>
    public static string StripMarkup(string snippet)
    {
        var text = System.Text.RegularExpressions.Regex.Replace(snippet, @"\{\|[A-Za-z0-9]+:", string.Empty);
        return text.Replace("|}", string.Empty).Replace("[|", string.Empty).Replace("|]", string.Empty);
    }

    /// <summary>The raw string literals (the test snippets) of a test source file, markup removed.</summary>
    public static IEnumerable<string> Snippets(string testFile)
    {
        var root = CSharpSyntaxTree.ParseText(testFile, new CSharpParseOptions(LanguageVersion.Latest)).GetRoot();
        foreach (var token in root.DescendantTokens())
        {
            if (token.IsKind(SyntaxKind.MultiLineRawStringLiteralToken) && token.ValueText.Contains("class ", StringComparison.Ordinal))
            {
                yield return StripMarkup(token.ValueText);
            }
        }
    }
}
