// Every mistake of samples/Mistakes whose rule has a mechanical fix, in the forms a user writes
// (the variants of a rule side by side), for ConsumerTests' one-pass `dotnet format` test. Not
// compiled by the test project: it is copied into a fresh consumer of the packed package.
using ConcurrencySafety;

namespace Consumer;

internal static class Races
{
    /// <summary>The docs' headline race: an expression lambda whose value is the counter.</summary>
    public static int Headline()
    {
        int counter = 0;
        var tasks = new Task[1000];
        for (int i = 0; i < tasks.Length; i++)
        {
            tasks[i] = Task.Run(() => counter++); // CSA1001 (expression lambda)
        }

        Task.WaitAll(tasks);
        return counter;
    }

    /// <summary>The counter race of samples/Mistakes, and the other counter variants.</summary>
    public static long Counters(int[] values)
    {
        int counter = 0;
        long sum = 0;
        int left = values.Length;
        var tasks = new Task[values.Length];
        for (int i = 0; i < tasks.Length; i++)
        {
            int v = values[i];
            tasks[i] = Task.Run(() => { counter++; }); // CSA1001 (Increment)
        }

        Parallel.For(0, values.Length, i =>
        {
            sum += values[i]; // CSA1001 (Add)
            left--;           // CSA1001 (Decrement)
        });
        Task.WaitAll(tasks);
        return counter + sum + left;
    }

    /// <summary>A field written from concurrent bodies without synchronization.</summary>
    internal sealed class PageCounter
    {
        private int _pages;

        public int CountPages(string[] documents)
        {
            Parallel.ForEach(documents, d => _pages += d.Length / 3000 + 1); // CSA1003
            return _pages;
        }
    }

    /// <summary>The for-loop capture bug.</summary>
    public static void ForLoopCapture(string[] lines)
    {
        var tasks = new Task[lines.Length];
        for (int i = 0; i < lines.Length; i++)
        {
            tasks[i] = Task.Run(() => Console.WriteLine(lines[i])); // CSA1004
        }

        Task.WaitAll(tasks);
    }

    /// <summary>A lock on a fresh object.</summary>
    internal sealed class Account
    {
        private decimal _balance;

        public decimal Balance => _balance;

        public void Deposit(decimal amount)
        {
            lock (new object()) // CSA1005
            {
                _balance += amount;
            }
        }
    }
}

internal static class Lifecycle
{
    /// <summary>Fire-and-forget in a synchronous method.</summary>
    public static void UnjoinedTask(string path)
    {
        Task.Run(() => File.Delete(path)); // CSA2001 (synchronous)
    }

    /// <summary>Fire-and-forget in an async method, plainly and with an explicit discard.</summary>
    public static async Task UnjoinedInAsync()
    {
        Task.Run(() => Console.WriteLine("warming the cache")); // CSA2001 (await)
        _ = Task.Run(() => Console.WriteLine("telemetry"));     // CSA2009 (await)
        await Task.Yield();
    }

    /// <summary>A receive loop while the method still holds the sender.</summary>
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
        foreach (var r in resultRx) sum += r; // CSA2003
        resultTx.Dispose();
        Task.WaitAll(workers);
        return sum;
    }

    /// <summary>A release that an exception skips.</summary>
    public static async Task PermitNotReleased(SemaphoreSlim gate, Func<int> work)
    {
        await gate.WaitAsync(); // CSA2004
        work();
        gate.Release();
    }

    /// <summary>An unbounded channel.</summary>
    public static Receiver<string> UnboundedChannel()
    {
        var (tx, rx) = Chan.Unbounded<string>(); // CSA2006
        tx.Dispose();
        return rx;
    }

    /// <summary>A blocking send inside an async method.</summary>
    public static async Task BlockingInAsync(Sender<int> output)
    {
        await Task.Yield();
        output.Send(1); // CSA2007
    }
}

internal static class Ownership
{
    /// <summary>Go's "N goroutines range over one channel" with a using per worker.</summary>
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

    /// <summary>Work started beside a scope instead of in it.</summary>
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

    /// <summary>A BlockingCollection consumed to the end that nobody completes.</summary>
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
