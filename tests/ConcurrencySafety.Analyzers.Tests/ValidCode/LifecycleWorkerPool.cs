// Valid: the seed's worker pool. Jobs fan out to a fixed number of workers, results fan in.
// Every worker owns clones of the job receiver and the result sender; the collector disposes
// its own result sender before it drains the results, so the results loop ends.
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using ConcurrencySafety;

namespace Corpus.LifecycleWorkerPool;

public static class WorkerPool
{
    public static async Task<int[]> RunAsync(int[] jobs, int workerCount)
    {
        var (jobsTx, jobsRx) = Chan.Bounded<int>(16);
        var (resultsTx, resultsRx) = Chan.Bounded<(int Job, int Result)>(16);

        var workers = new Task[workerCount];
        for (int w = 0; w < workerCount; w++)
        {
            var myJobs = jobsRx.Clone();
            var myResults = resultsTx.Clone();
            workers[w] = Task.Run(async () =>
            {
                using (myJobs)
                using (myResults)
                {
                    await foreach (int job in myJobs) await myResults.SendAsync((job, job * 2));
                }
            });
        }

        // The seed's fix for the classic hang: drop the collector's own handles first.
        jobsRx.Dispose();
        resultsTx.Dispose();

        var feeder = Task.Run(async () =>
        {
            using (jobsTx)
                foreach (var job in jobs) await jobsTx.SendAsync(job);
        });

        var results = new int[jobs.Length];
        int count = 0;
        await foreach (var (job, result) in resultsRx)
        {
            results[count++] = result;
        }

        await Task.WhenAll(workers.Append(feeder));
        resultsRx.Dispose();
        return results;
    }

    // The same pool with a scope and a concurrency limit, blocking workers on threads.
    public static int Threads(int[] jobs) => Scope.Run(s =>
    {
        var (resultsTx, resultsRx) = Chan.Bounded<int>(4);
        var chunks = jobs.Chunk(jobs.Length / 4 + 1).ToArray();
        for (int w = 0; w < 4; w++)
        {
            int[] chunk = w < chunks.Length ? chunks[w] : new int[0];
            var tx = resultsTx.Clone();
            s.Spawn(() =>
            {
                using (tx)
                    foreach (var job in chunk) tx.Send(job * job);
            });
        }

        resultsTx.Dispose();
        int sum = 0;
        foreach (var r in resultsRx) sum += r;
        return sum;
    });

    // Bounded concurrency with permits; each permit is released by using.
    public static async Task<int> LimitedAsync(int[] jobs, CancellationToken ct)
    {
        var permits = new PermitSemaphore(3);
        var done = new Locked<int>(0);
        await TaskScope.RunAsync(async scope =>
        {
            foreach (var job in jobs)
            {
                using (await permits.AcquireAsync(ct))
                {
                    scope.Spawn(async token =>
                    {
                        await Task.Delay(1, token);
                        using var guard = await done.LockAsync(token);
                        guard.Value += job;
                    });
                }
            }
        }, ct);
        using var total = done.Lock();
        return total.Value;
    }
}
