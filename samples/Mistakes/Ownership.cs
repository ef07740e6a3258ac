using ConcurrencySafety;

namespace ConcurrencySafety.Mistakes;

/// <summary>Ownership mistakes (issue 15): values used after they were handed to another side.</summary>
internal static class Ownership
{
    /// <summary>A batch sent on a channel, then cleared and refilled while the consumer reads it.</summary>
    public static async Task ReusedBatch(Sender<List<int>> tx, IEnumerable<int> items)
    {
        var batch = new List<int>();
        foreach (var item in items)
        {
            batch.Add(item);
            if (batch.Count == 100)
            {
                await tx.SendAsync(batch);
                batch.Clear(); // CSA2010: the consumer may be reading this list now
            }
        }
    }

    private static readonly Locked<List<string>> Names = new(new List<string>());
    private static readonly RwLocked<Dictionary<string, int>> Hits = new(new Dictionary<string, int>());
    private static readonly Locked<int> Entries = new(0);

    /// <summary>The guarded list handed out: the caller reads and changes it without the lock.</summary>
    public static List<string> GuardDataEscapes()
    {
        using (var g = Names.Lock())
        {
            return g.Value; // CSA2011
        }
    }

    /// <summary>A change made under a read guard: every other reader races with it.</summary>
    public static void MutationThroughReadGuard(string key)
    {
        using var r = Hits.Read();
        r.Value[key] = 1; // CSA2012
    }

    /// <summary>A lock taken by blocking, then held while the method is suspended.</summary>
    public static async Task BlockingLockAcrossAwait()
    {
        using (var g = Entries.Lock()) // CSA2013
        {
            await Task.Delay(10);
            g.Value++;
        }
    }

    /// <summary>A sender used after its using block ended: it throws ObjectDisposedException.</summary>
    public static async Task SenderUsedAfterUsing(Sender<int> tx)
    {
        using (tx)
        {
            await tx.SendAsync(1);
        }

        await tx.SendAsync(2); // CSA2015
    }

    /// <summary>Go's "N goroutines range over one channel" with a using per worker: the first to finish disposes the receiver under the others.</summary>
    public static async Task SharedReceiverDisposedByEachWorker()
    {
        var (jobsTx, jobsRx) = Chan.Bounded<int>(16);
        var workers = new Task[4];
        for (int w = 0; w < workers.Length; w++)
        {
            workers[w] = Task.Run(() =>
            {
                using (jobsRx) // CSA2014
                {
                    foreach (var job in jobsRx) Console.WriteLine(job);
                }
            });
        }

        using (jobsTx)
        {
            for (int i = 0; i < 100; i++) await jobsTx.SendAsync(i);
        }

        await Task.WhenAll(workers);
    }

    /// <summary>Work started beside a scope instead of in it: the scope returns while it still runs.</summary>
    public static async Task WorkEscapesScope(string[] urls)
    {
        await TaskScope.RunAsync(async scope =>
        {
            var pending = new List<Task>();
            foreach (var url in urls)
            {
                pending.Add(Task.Run(() => Console.WriteLine(url))); // CSA2016
            }

            await Task.Yield();
        });
    }

    /// <summary>An async lambda where an Action is expected: Parallel.ForEach returns while the uploads still run.</summary>
    public static void AsyncVoidInParallelForEach(List<string> files)
    {
        Parallel.ForEach(files, async file => await Task.Delay(file.Length)); // CSA2017
    }

    /// <summary>A cancelled wait still runs the finally, which releases a slot never taken.</summary>
    public static async Task WaitInsideTheTry(SemaphoreSlim slots, CancellationToken ct)
    {
        try
        {
            await slots.WaitAsync(ct); // CSA2018
            await Task.Delay(10, ct);
        }
        finally
        {
            slots.Release();
        }
    }

    /// <summary>A BlockingCollection consumed to the end that nobody completes: the loop blocks forever.</summary>
    public static async Task BlockingCollectionNeverCompleted()
    {
        using var queue = new System.Collections.Concurrent.BlockingCollection<int>(16);
        var producer = Task.Run(() =>
        {
            for (int i = 0; i < 10; i++) queue.Add(i);
        });
        foreach (var item in queue.GetConsumingEnumerable()) Console.WriteLine(item); // CSA2019
        await producer;
    }
}
