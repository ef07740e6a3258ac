// Valid: the correct twins of two shapes the race engine learned in session 5: tasks created
// per element and handed to the caller (`Task RunAll() => Task.WhenAll(items.Select(i =>
// Task.Run(...)))`), with queries of tasks awaited one at a time, and objects reached through a
// helper's result and passed to another helper (`Record(GetCache())`).
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;

namespace Corpus.ReturnedFanOut;

public sealed class ThumbnailService
{
    // Guards _done, however the code reaches it (directly or through Done()).
    private readonly object _gate = new();
    private readonly List<string> _done = new();
    private readonly ConcurrentDictionary<string, int> _sizes = new();
    private int _processed;

    public int Processed => Volatile.Read(ref _processed);

    private List<string> Done() => _done;

    private static void Record(List<string> log, string path) => log.Add(path);

    // Every task runs at once; each keeps its own local, counts with Interlocked, stores into a
    // concurrent dictionary, and changes the list only under the one private lock.
    public Task ResizeAllAsync(IReadOnlyList<string> paths) => Task.WhenAll(paths.Select(path => Task.Run(() =>
    {
        var size = path.Length * 2;
        _sizes[path] = size;
        Interlocked.Increment(ref _processed);
        lock (_gate)
        {
            Record(Done(), path);
        }
    })));

    // Results computed per task and combined after the join.
    public async Task<int> TotalAsync(IReadOnlyList<string> paths)
    {
        var sizes = await Task.WhenAll(paths.Select(p => Task.Run(() => p.Length)));
        return sizes.Sum();
    }

    // One at a time: each task is awaited before the query creates the next one.
    public async Task<int> SequentialAsync(IReadOnlyList<string> paths)
    {
        var count = 0;
        foreach (var pending in paths.Select(p => Task.Run(() => count += p.Length)))
        {
            await pending;
            count++;
        }

        return count;
    }

    // All started by ToList, all awaited by the loop: the code after it runs alone.
    public async Task<int> ThenResetAsync(IReadOnlyList<string> paths)
    {
        var seen = 0;
        foreach (var pending in paths.Select(p => Task.Run(() => Interlocked.Add(ref seen, p.Length))).ToList())
        {
            await pending;
        }

        seen = 0;
        return seen;
    }

    // Handed to the caller before any task starts: the caller decides how they overlap.
    public IEnumerable<Task<int>> Lazy(IReadOnlyList<string> paths) => paths.Select(p => Task.Run(() => p.Length));

    public List<string> Snapshot()
    {
        lock (_gate)
        {
            return _done.ToList();
        }
    }
}

public sealed class MetricsRecorder
{
    private readonly object _gate = new();
    private readonly Dictionary<string, int> _counts = new();

    private Dictionary<string, int> Counts() => _counts;

    private static Dictionary<string, int> Fresh() => new();

    // The helper takes the lock itself, so every caller's dictionary is changed under it.
    private void Bump(Dictionary<string, int> counts, string key)
    {
        lock (_gate)
        {
            counts[key] = counts.TryGetValue(key, out var n) ? n + 1 : 1;
        }
    }

    private static int Tally(Dictionary<string, int> counts, string[] keys)
    {
        foreach (var key in keys)
        {
            counts[key] = key.Length;
        }

        return counts.Count;
    }

    public void RecordAll(string[] keys) => Parallel.ForEach(keys, key => Bump(Counts(), key));

    // A fresh dictionary per worker, from a factory: nothing is shared.
    public int[] PerWorker(string[][] batches)
    {
        var results = new int[batches.Length];
        Parallel.For(0, batches.Length, i => results[i] = Tally(Fresh(), batches[i]));
        return results;
    }
}
