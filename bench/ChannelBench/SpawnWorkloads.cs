using System.Diagnostics;
using System.Globalization;

namespace ConcurrencySafety.Bench;

/// <summary>
/// `spawn`: N/5 tiny tasks, each adding one to a shared atomic counter, spawned into one
/// scope that joins them all; the counter is checked.
/// </summary>
internal static class SpawnWorkloads
{
    public static IEnumerable<Workload> All { get; } =
    [
        new("spawn", (n, _, o) => Time(o, "cs-async", () => TaskScopeSpawn(n))),
        new("spawn", (n, _, o) => Time(o, "cs-sync", () => { ThreadScopeSpawn(n); return Task.CompletedTask; })),
        // Diagnostic only (`ChannelBench N T spawn_dedicated`): the thread scope's children on
        // dedicated threads instead of the pool, the alternative measured for docs/scopes.md.
        // Diagnostic only: each implementation alone in its process (for CPU-time comparisons).
        new("spawn_async", (n, _, o) => Time(o, "cs-async", () => TaskScopeSpawn(n)), OnlyWhenAsked: true),
        new("spawn_sync", (n, _, o) => Time(o, "cs-sync", () => { ThreadScopeSpawn(n); return Task.CompletedTask; }), OnlyWhenAsked: true),
        // Diagnostic only: the task scope opened from a pool thread (as rayon::scope runs its body in its pool).
        new("spawn_pool", (n, _, o) => Time(o, "cs-async-pool", () => Task.Run(() => TaskScopeSpawn(n))), OnlyWhenAsked: true),
        // Diagnostic only: the BCL anchor's shape (Task.Run + Task.WhenAll) in this process.
        new("spawn_bcl", (n, _, o) => Time(o, "bcl-inproc", () => BclSpawn(n)), OnlyWhenAsked: true),
        new("spawn_dedicated", (n, _, o) => Time(o, "cs-sync-threads", () => { DedicatedThreadsSpawn(n); return Task.CompletedTask; }), OnlyWhenAsked: true),
    ];

    private static async Task Time(TextWriter output, string impl, Func<Task> run)
    {
        var sw = Stopwatch.StartNew();
        await run();
        output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{impl} spawn tasks {sw.Elapsed.TotalSeconds:F3}"));
    }

    private static async Task TaskScopeSpawn(int n)
    {
        int k = n / 5;
        long counter = 0;
        await TaskScope.RunAsync(scope =>
        {
            for (int i = 0; i < k; i++) scope.Spawn(_ => Interlocked.Increment(ref counter));
            return Task.CompletedTask;
        });
        if (Interlocked.Read(ref counter) != k) throw new InvalidOperationException("lost a task");
    }

    private static void ThreadScopeSpawn(int n)
    {
        int k = n / 5;
        long counter = 0;
        Scope.Run(s =>
        {
            for (int i = 0; i < k; i++) s.Spawn(() => { Interlocked.Increment(ref counter); });
        });
        if (Interlocked.Read(ref counter) != k) throw new InvalidOperationException("lost a task");
    }

    private static async Task BclSpawn(int n)
    {
        int k = n / 5;
        long counter = 0;
        var tasks = new Task[k];
        for (int i = 0; i < k; i++) tasks[i] = Task.Run(() => Interlocked.Increment(ref counter));
        await Task.WhenAll(tasks);
        if (Interlocked.Read(ref counter) != k) throw new InvalidOperationException("lost a task");
    }

    private static void DedicatedThreadsSpawn(int n)
    {
        int k = n / 5;
        long counter = 0;
        var threads = new Thread[k];
        for (int i = 0; i < k; i++)
        {
            threads[i] = new Thread(() => Interlocked.Increment(ref counter));
            threads[i].Start();
        }
        foreach (Thread th in threads) th.Join();
        if (Interlocked.Read(ref counter) != k) throw new InvalidOperationException("lost a task");
    }
}
