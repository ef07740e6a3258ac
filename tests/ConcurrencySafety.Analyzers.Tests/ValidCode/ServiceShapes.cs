// Valid: service-shaped code (handlers, workers, caches, counters on `this`) that shares state
// correctly, through helper methods, method groups, auto-properties and async invocations.
using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Collections.Immutable;
using System.IO;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using ConcurrencySafety;

namespace Corpus.ServiceShapes;

public sealed class RequestCounter
{
    private long _handled;
    private long _failed;
    private static long s_total;

    // Interlocked on every path of the helper the Parallel body calls.
    private void Complete(bool ok)
    {
        if (ok)
        {
            Interlocked.Increment(ref _handled);
        }
        else
        {
            Interlocked.Increment(ref _failed);
        }

        Interlocked.Increment(ref s_total);
    }

    public void HandleAll(bool[] outcomes) => Parallel.ForEach(outcomes, Complete);

    public long Handled => Interlocked.Read(ref _handled);
}

public sealed class Inventory
{
    // A private readonly lock object held by every access, in the helpers themselves.
    private readonly object _gate = new();
    private readonly Dictionary<string, int> _stock = new();

    public int Count { get; private set; }

    private void Add(string item)
    {
        lock (_gate)
        {
            _stock[item] = _stock.TryGetValue(item, out var n) ? n + 1 : 1;
            Count++;
        }
    }

    public async Task ReceiveAsync(string[] items)
    {
        var tasks = new List<Task>();
        foreach (var item in items)
        {
            tasks.Add(Task.Run(() => Add(item)));
        }

        await Task.WhenAll(tasks);
    }
}

public sealed class ConfigCache
{
    // Lazy<T> builds once; immutable snapshots are replaced atomically.
    private readonly Lazy<IReadOnlyDictionary<string, string>> _defaults = new(() => new Dictionary<string, string> { ["a"] = "1" });
    private ImmutableDictionary<string, string> _overrides = ImmutableDictionary<string, string>.Empty;

    private void Override(string key, string value) => ImmutableInterlocked.AddOrUpdate(ref _overrides, key, value, (_, _) => value);

    private string Lookup(string key) => Volatile.Read(ref _overrides).TryGetValue(key, out var v) ? v : _defaults.Value[key];

    public string[] Apply(string[] keys)
    {
        Parallel.ForEach(keys, k => Override(k, k.ToUpperInvariant()));
        return keys.AsParallel().Select(Lookup).ToArray();
    }
}

public sealed class Copier
{
    private long _bytes;

    private async Task CopyAsync(Stream from, Stream to)
    {
        await from.CopyToAsync(to).ConfigureAwait(false);
        _bytes += from.Length;
    }

    // Sequential awaits: one CopyAsync at a time.
    public async Task CopyInTurnAsync(Stream a, Stream b, Stream to)
    {
        await CopyAsync(a, to).ConfigureAwait(false);
        await CopyAsync(b, to).ConfigureAwait(false);
    }

    private static async Task<long> MeasureAsync(Stream from)
    {
        await Task.Yield();
        return from.Length;
    }

    // Concurrent invocations that touch nothing shared; the results are combined after the join.
    public async Task<long> MeasureBothAsync(Stream a, Stream b)
    {
        var t1 = MeasureAsync(a);
        var t2 = MeasureAsync(b);
        var lengths = await Task.WhenAll(t1, t2).ConfigureAwait(false);
        return lengths.Sum() + _bytes;
    }
}

public sealed class Fetcher
{
    private readonly ConcurrentDictionary<int, string> _results = new();

    private static async Task<string> FetchAsync(int id)
    {
        await Task.Delay(1).ConfigureAwait(false);
        return id.ToString();
    }

    // Async Select lambdas awaited together, writing only to a concurrent collection.
    public async Task<int> FetchAllAsync(int[] ids)
    {
        await Task.WhenAll(ids.Select(async id => _results[id] = await FetchAsync(id).ConfigureAwait(false))).ConfigureAwait(false);
        return _results.Count;
    }

    // Per-task locals combined after the join.
    public async Task<int> SumAllAsync(int[][] chunks)
    {
        var sums = await Task.WhenAll(chunks.Select(chunk => Task.Run(() =>
        {
            var sum = 0;
            foreach (var v in chunk)
            {
                sum += v;
            }

            return sum;
        }))).ConfigureAwait(false);
        return sums.Sum();
    }
}

public sealed class Worker
{
    private readonly Locked<List<string>> _log = new(new List<string>());
    private int _iterations;

    // A method group started once and joined before the field is read.
    private void Loop()
    {
        for (var i = 0; i < 10; i++)
        {
            _iterations++;
            using var guard = _log.Lock();
            guard.Value.Add(i.ToString());
        }
    }

    public int RunOnce()
    {
        var thread = new Thread(Loop);
        thread.Start();
        thread.Join();
        return _iterations;
    }
}
