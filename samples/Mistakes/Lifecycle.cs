using System.Threading.Channels;
using ConcurrencySafety;

namespace ConcurrencySafety.Mistakes;

/// <summary>Lifecycle mistakes: work never joined, channels that never close, permits that leak.</summary>
internal static class Lifecycle
{
    /// <summary>Fire-and-forget: nobody waits for the task, so its failure is lost and it may outlive the caller.</summary>
    public static void UnjoinedTask()
    {
        Task.Run(() => Console.WriteLine("warming the cache")); // CSA2001
    }

    /// <summary>An explicit discard: still unjoined, reported at warning severity.</summary>
    public static void DiscardedTask()
    {
        _ = Task.Run(() => Console.WriteLine("telemetry")); // CSA2009
    }

    /// <summary>The producer never disposes its sender, so the channel never closes.</summary>
    public static async Task<int> SenderNeverDisposed()
    {
        var (tx, rx) = Chan.Bounded<int>(8); // CSA2002
        var producer = Task.Run(async () =>
        {
            for (int i = 0; i < 10; i++) await tx.SendAsync(i);
        });
        int sum = 0;
        while (sum < 45) sum += await rx.ReceiveAsync();
        await producer;
        rx.Dispose();
        return sum;
    }

    /// <summary>The worker-pool bug: the original result sender is still held while the results are read to the end.</summary>
    public static int ReceivingWhileHoldingTheSender(int[] jobs)
    {
        var (resultTx, resultRx) = Chan.Bounded<int>(16);
        var workers = new Task[4];
        for (int w = 0; w < workers.Length; w++)
        {
            var tx = resultTx.Clone();
            int id = w;
            workers[w] = Task.Run(() =>
            {
                using (tx)
                {
                    for (int i = id; i < jobs.Length; i += 4) tx.Send(jobs[i] * jobs[i]);
                }
            });
        }

        int sum = 0;
        foreach (var r in resultRx) sum += r; // CSA2003: hangs, resultTx is still open
        resultTx.Dispose();
        Task.WaitAll(workers);
        return sum;
    }

    /// <summary>A release that an exception skips: the slot leaks forever.</summary>
    public static async Task PermitNotReleased(SemaphoreSlim gate, Func<int> work)
    {
        await gate.WaitAsync(); // CSA2004
        work();
        gate.Release();
    }

    /// <summary>Pitfall: one OS thread per item.</summary>
    public static void ThreadPerItem(List<string> urls)
    {
        var threads = new List<Thread>();
        foreach (var url in urls)
        {
            var t = new Thread(() => Console.WriteLine(url)); // CSA2005
            t.Start();
            threads.Add(t);
        }

        foreach (var t in threads) t.Join();
    }

    /// <summary>Pitfall: an unbounded channel has no backpressure.</summary>
    public static Receiver<string> UnboundedChannel()
    {
        var (tx, rx) = Chan.Unbounded<string>(); // CSA2006
        tx.Dispose();
        return rx;
    }

    /// <summary>A blocking send inside an async method ties up a pool thread.</summary>
    public static async Task BlockingInAsync(Sender<int> output)
    {
        await Task.Yield();
        output.Send(1); // CSA2007
    }

    /// <summary>A BCL channel read to the end whose writer is never completed: the loop never ends.</summary>
    public static async Task<int> WriterNeverCompleted()
    {
        var ch = Channel.CreateBounded<int>(8);
        var producer = Task.Run(async () =>
        {
            for (int i = 0; i < 10; i++) await ch.Writer.WriteAsync(i);
        });
        int sum = 0;
        await foreach (var x in ch.Reader.ReadAllAsync()) sum += x; // CSA2008
        await producer;
        return sum;
    }
}
