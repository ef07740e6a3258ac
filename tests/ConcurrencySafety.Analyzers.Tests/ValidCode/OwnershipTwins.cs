// Valid: the correct twins of the mistakes listed in issue 15 (ownership and lifecycle, part 2).
// Each method is the shape a rule must accept.
using System;
using System.Collections.Generic;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using ConcurrencySafety;

namespace Corpus.OwnershipTwins;

public static class Twins
{
    // CSA2007: sending to an unbounded channel never waits, even from async code. (The
    // channel holds at most items.Length values: unbounded on purpose, CSA2006 is its warning.)
    public static async Task<int> UnboundedSendInAsyncCode(int[] items)
    {
#pragma warning disable CSA2006
        var (tx, rx) = Chan.Unbounded<int>();
#pragma warning restore CSA2006
        using (tx)
        {
            foreach (var item in items) tx.Send(item);
        }

        int sum = 0;
        await foreach (var x in rx) sum += x;
        rx.Dispose();
        return sum;
    }

    // CSA2005: a fixed pool of threads in an array filled by a for loop, all joined.
    public static long FixedThreadArray()
    {
        long[] partial = new long[4];
        var threads = new Thread[4];
        for (int i = 0; i < threads.Length; i++)
        {
            int id = i;
            threads[i] = new Thread(() => partial[id] = id * 10L);
            threads[i].Start();
        }

        foreach (var t in threads) t.Join();
        return partial.Sum();
    }

    // CSA2010: a value that is sent and then reassigned with a fresh one; a copy sent while
    // the producer keeps its own; a per-iteration value.
    public static async Task BatchesAsync(Sender<List<int>> tx, IEnumerable<int> items)
    {
        var batch = new List<int>();
        foreach (var item in items)
        {
            batch.Add(item);
            if (batch.Count == 100)
            {
                await tx.SendAsync(batch);
                batch = new List<int>();
            }
        }

        if (batch.Count > 0) await tx.SendAsync(batch.ToList());
        batch.Clear();
        for (int i = 0; i < 3; i++)
        {
            var chunk = new List<int> { i };
            await tx.SendAsync(chunk);
        }
    }

    private static readonly Locked<List<string>> Names = new(new List<string>());
    private static readonly RwLocked<Dictionary<string, int>> Hits = new(new Dictionary<string, int>());

    // CSA2011: guard data copied out (g.Value.ToList()), values returned, work done inside.
    public static List<string> NamesSnapshot()
    {
        using (var g = Names.Lock())
        {
            g.Value.Add("ada");
            return g.Value.ToList();
        }
    }

    public static int HitCount(string key)
    {
        using var r = Hits.Read();
        return r.Value.TryGetValue(key, out var n) ? n : 0;
    }

    // CSA2012: changes go through the write guard.
    public static void Hit(string key)
    {
        using var w = Hits.Write();
        w.Value[key] = w.Value.TryGetValue(key, out var n) ? n + 1 : 1;
    }

    // CSA2013: LockAsync held across await, which is the point of it.
    public static async Task<int> AppendAsync(string name, CancellationToken ct)
    {
        using (var g = await Names.LockAsync(ct))
        {
            await Task.Delay(1, ct);
            g.Value.Add(name);
            return g.Value.Count;
        }
    }

    // CSA2014: a worker that owns its clone; a stream disposed after the join.
    public static async Task<int> WorkersOwnTheirClonesAsync(int[] jobs)
    {
        var (jobsTx, jobsRx) = Chan.Bounded<int>(16);
        var (resultsTx, resultsRx) = Chan.Bounded<int>(16);
        var workers = new Task[4];
        for (int w = 0; w < workers.Length; w++)
        {
            var myJobs = jobsRx.Clone();
            var myResults = resultsTx.Clone();
            workers[w] = Task.Run(async () =>
            {
                using (myJobs)
                using (myResults)
                {
                    await foreach (var job in myJobs) await myResults.SendAsync(job * 2);
                }
            });
        }

        jobsRx.Dispose();
        resultsTx.Dispose();
        var feeder = Task.Run(async () =>
        {
            using (jobsTx)
            {
                foreach (var job in jobs) await jobsTx.SendAsync(job);
            }
        });

        int sum = 0;
        await foreach (var r in resultsRx) sum += r;
        await feeder;
        await Task.WhenAll(workers);
        resultsRx.Dispose();
        return sum;
    }

    public static async Task<int> ReadThenDisposeAsync(string path)
    {
        var stream = System.IO.File.OpenRead(path);
        var read = Task.Run(() => stream.ReadByte());
        var first = await read;
        stream.Dispose();
        return first;
    }

    // CSA2016: children spawned in the scope; a task awaited inside the body.
    public static async Task CrawlAsync(string[] urls)
    {
        await TaskScope.RunAsync(async scope =>
        {
            foreach (var url in urls) scope.Spawn(ct => Console.WriteLine(url));
            var pending = new List<Task>();
            foreach (var url in urls) pending.Add(Task.Run(() => Console.WriteLine(url.Length)));
            await Task.WhenAll(pending);
        });
    }

    // CSA2017: event handlers that are async void; Task-aware parallel loops.
    public static event EventHandler? Saved;

    public static void Subscribe()
    {
        Saved += async (sender, e) => await Task.Yield();
        Saved += OnSaved;
    }

    private static async void OnSaved(object? sender, EventArgs e) => await Task.Yield();

    public static async Task UploadAllAsync(List<string> files) =>
        await Parallel.ForEachAsync(files, async (file, ct) => await Task.Delay(file.Length, ct));

    // CSA2018: the wait before the try; a release guarded by a flag set after the wait.
    public static async Task ThrottledAsync(SemaphoreSlim slots, CancellationToken ct)
    {
        await slots.WaitAsync(ct);
        try { await Task.Delay(1, ct); }
        finally { slots.Release(); }

        var taken = false;
        try
        {
            await slots.WaitAsync(ct);
            taken = true;
            await Task.Delay(1, ct);
        }
        finally
        {
            if (taken) slots.Release();
        }
    }

    // CSA2008: a BCL writer completed in finally, after work that can throw.
    public static async Task<int> CompletedInFinallyAsync(Func<int, Task<int>> fetch)
    {
        var channel = System.Threading.Channels.Channel.CreateBounded<int>(8);
        var producer = Task.Run(async () =>
        {
            try
            {
                for (int i = 0; i < 10; i++) await channel.Writer.WriteAsync(await fetch(i));
            }
            finally
            {
                channel.Writer.Complete();
            }
        });

        int sum = 0;
        await foreach (var x in channel.Reader.ReadAllAsync()) sum += x;
        await producer;
        return sum;
    }

    // CSA2019: CompleteAdding in a finally of the producer.
    public static async Task<int> BlockingQueueAsync()
    {
        using var queue = new System.Collections.Concurrent.BlockingCollection<int>(16);
        var producer = Task.Run(() =>
        {
            try
            {
                for (int i = 0; i < 10; i++) queue.Add(i);
            }
            finally
            {
                queue.CompleteAdding();
            }
        });

        int sum = 0;
        foreach (var item in queue.GetConsumingEnumerable()) sum += item;
        await producer;
        return sum;
    }
}
