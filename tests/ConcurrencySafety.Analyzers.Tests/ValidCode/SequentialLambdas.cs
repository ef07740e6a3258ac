// Valid: lambdas that run on the calling thread (LINQ to Objects, List.ForEach, events).
using System;
using System.Collections.Generic;
using System.Linq;
using System.Text;

namespace Corpus.SequentialLambdas;

public sealed class Report
{
    public event EventHandler? Changed;

    private int _changes;

    public Report() => Changed += (_, _) => _changes++;

    public string Render(IReadOnlyList<(string Name, int Score)> rows)
    {
        var sb = new StringBuilder();
        var total = 0;
        rows.ToList().ForEach(r => total += r.Score);
        Array.ForEach(rows.ToArray(), r => sb.AppendLine(r.Name));

        var seen = new HashSet<string>();
        var unique = rows.Where(r => seen.Add(r.Name)).Select(r => r.Name).ToList();

        var index = 0;
        var numbered = rows.Select(r => $"{++index}. {r.Name}").ToList();

        for (int i = 0; i < rows.Count; i++)
        {
            var above = rows.Count(r => r.Score > rows[i].Score);
            sb.Append(above);
        }

        Changed?.Invoke(this, EventArgs.Empty);
        return sb.Append(total).Append(unique.Count).Append(numbered.Count).Append(_changes).ToString();
    }

    public static int Lock(object shared)
    {
        lock (shared)
        {
            return shared.GetHashCode();
        }
    }
}
