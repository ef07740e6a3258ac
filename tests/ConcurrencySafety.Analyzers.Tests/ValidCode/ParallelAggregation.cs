// Valid: data-parallel loops that aggregate without races.
using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;

namespace Corpus.ParallelAggregation;

public sealed class Histogram
{
    private readonly object _gate = new();
    private readonly Dictionary<int, int> _buckets = new();
    private long _samples;

    public void AddAll(IReadOnlyList<double> values, double width)
    {
        Parallel.ForEach(values, value =>
        {
            var bucket = (int)(value / width);
            lock (_gate)
            {
                _buckets.TryGetValue(bucket, out var count);
                _buckets[bucket] = count + 1;
            }

            Interlocked.Increment(ref _samples);
        });
    }

    public long Samples => Interlocked.Read(ref _samples);
}

public static class Numeric
{
    public static long SumOfSquares(int[] values)
    {
        long total = 0;
        Parallel.For(
            0,
            values.Length,
            () => 0L,
            (i, _, local) => local + (long)values[i] * values[i],
            local => Interlocked.Add(ref total, local));
        return total;
    }

    public static double[] Normalize(double[] input)
    {
        var max = input.Max();
        var output = new double[input.Length];
        Parallel.For(0, input.Length, i =>
        {
            var scaled = input[i] / max;
            output[i] = scaled;
        });
        return output;
    }

    public static int CountPrimes(int limit) =>
        Enumerable.Range(2, limit).AsParallel().Count(IsPrime);

    public static IDictionary<char, int> LetterCounts(IEnumerable<string> words)
    {
        var counts = new ConcurrentDictionary<char, int>();
        words.AsParallel().ForAll(word =>
        {
            foreach (var c in word)
            {
                counts.AddOrUpdate(c, 1, (_, n) => n + 1);
            }
        });
        return counts;
    }

    public static List<int> EvenSquares(int[] values)
    {
        var bag = new ConcurrentBag<int>();
        Parallel.ForEach(values, v =>
        {
            if (v % 2 == 0)
            {
                bag.Add(v * v);
            }
        });

        // Sorted after the loop has joined: only this thread touches the list.
        var result = bag.ToList();
        result.Sort();
        return result;
    }

    public static void ScaleRows(double[][] rows, double factor)
    {
        for (int r = 0; r < rows.Length; r++)
        {
            // Synchronous: the loop variable does not move while the body runs.
            Parallel.For(0, rows[r].Length, c => rows[r][c] *= factor);
        }
    }

    private static bool IsPrime(int n)
    {
        for (var d = 2; d * d <= n; d++)
        {
            if (n % d == 0)
            {
                return false;
            }
        }

        return true;
    }
}
