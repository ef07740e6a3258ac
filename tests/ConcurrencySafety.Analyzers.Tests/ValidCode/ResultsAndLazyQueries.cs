// Valid: the correct twins of the shapes issue 14 added last: not-thread-safe objects reached
// through a method or property result, lazy async Select queries enumerated later, and local
// async functions started more than once.
using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Collections.Immutable;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;

namespace Corpus.ResultsAndLazyQueries;

public sealed class PriceCache
{
    // One private lock object guards the dictionary, however the code reaches it.
    private readonly object _gate = new();
    private readonly Dictionary<string, decimal> _prices = new();
    private readonly ConcurrentDictionary<string, int> _hits = new();
    private ImmutableList<string> _log = ImmutableList<string>.Empty;

    private Dictionary<string, decimal> Prices => _prices;

    private Dictionary<string, decimal> GetPrices() => _prices;

    private ConcurrentDictionary<string, int> Hits() => _hits;

    // An immutable snapshot: callers get a value that nobody changes.
    public ImmutableList<string> Log => _log;

    // A copy per call: each caller changes its own list.
    private List<string> Keys()
    {
        lock (_gate)
        {
            return new List<string>(_prices.Keys);
        }
    }

    private void Store(string key, decimal price)
    {
        lock (_gate)
        {
            Prices[key] = price;
        }
    }

    public void Refresh(string[] keys) => Parallel.ForEach(keys, key =>
    {
        Store(key, key.Length);
        lock (_gate)
        {
            GetPrices().Remove(key + ":old");
        }

        Hits().AddOrUpdate(key, 1, (_, n) => n + 1);
        ImmutableInterlocked.Update(ref _log, log => log.Add(key));
        var mine = Keys();
        mine.Add(key);
    });
}

public static class LazyQueries
{
    // Interlocked after the await; per-item locals; results combined after the join.
    public static async Task<int> FetchAllAsync(int[] ids)
    {
        var fetched = 0;
        var tasks = ids.Select(async id =>
        {
            await Task.Delay(1).ConfigureAwait(false);
            Interlocked.Increment(ref fetched);
            var size = id * 2;
            return size;
        });
        var sizes = await Task.WhenAll(tasks).ConfigureAwait(false);
        return sizes.Sum() + fetched;
    }

    // Enumerated one task at a time: each is awaited before the next lambda starts.
    public static async Task<int> FetchInOrderAsync(int[] ids)
    {
        var total = 0;
        var tasks = ids.Select(async id =>
        {
            await Task.Delay(1).ConfigureAwait(false);
            total += id;
        });
        foreach (var task in tasks)
        {
            await task.ConfigureAwait(false);
        }

        return total;
    }

    // The query is written before it is enumerated: nothing runs until ToList.
    public static async Task<int> PrepareThenRunAsync(int[] ids)
    {
        var offset = 0;
        var query = ids.Select(async id =>
        {
            await Task.Yield();
            return id + offset;
        });
        offset = 10;
        var running = query.ToList();
        var results = await Task.WhenAll(running).ConfigureAwait(false);
        return results.Sum();
    }
}

public static class LocalAsyncSteps
{
    // Started twice, but awaited before the next start: one instance at a time.
    public static async Task<int> RunTwiceAsync()
    {
        var done = 0;

        async Task StepAsync(int delay)
        {
            await Task.Delay(delay).ConfigureAwait(false);
            done++;
        }

        await StepAsync(1).ConfigureAwait(false);
        await StepAsync(2).ConfigureAwait(false);
        return done;
    }
}
