using System.Diagnostics;
using System.Globalization;

namespace ConcurrencySafety.Bench;

/// <summary>
/// Diagnostic cases for the data-owning lock (not part of WORKLOADS.md; run them by name):
/// `lock`: T threads (or tasks) each add 1 through the lock N/T times; the total is checked.
/// </summary>
internal static class LockWorkloads
{
    public static IEnumerable<Workload> All { get; } =
    [
        new("lock", (n, t, o) => Time(o, "cs-locked", "threads", () => Threads(n, t)), OnlyWhenAsked: true),
        new("lock", (n, t, o) => Time(o, "cs-locked", "tasks", () => Tasks(n, t)), OnlyWhenAsked: true),
        new("lock", (n, t, o) => Time(o, "bcl-monitor", "threads", () => MonitorThreads(n, t)), OnlyWhenAsked: true),
    ];

    private static async Task Time(TextWriter output, string impl, string flavor, Func<Task> run)
    {
        var sw = Stopwatch.StartNew();
        await run();
        output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{impl} lock {flavor} {sw.Elapsed.TotalSeconds:F3}"));
    }

    private static Task Threads(int n, int t)
    {
        var counter = new Locked<long>(0);
        int each = n / t;
        // Dedicated threads, so that all T really contend (pool children might run one by one).
        var threads = new Thread[t];
        for (int i = 0; i < t; i++)
        {
            threads[i] = new Thread(() =>
            {
                for (int j = 0; j < each; j++)
                    using (var g = counter.Lock()) g.Value++;
            });
            threads[i].Start();
        }
        foreach (Thread th in threads) th.Join();
        using (var g = counter.Lock())
            if (g.Value != (long)each * t) throw new InvalidOperationException("lost an increment");
        return Task.CompletedTask;
    }

    private static async Task Tasks(int n, int t)
    {
        var counter = new Locked<long>(0);
        int each = n / t;
        await TaskScope.RunAsync(scope =>
        {
            for (int i = 0; i < t; i++)
                scope.Spawn(async ct =>
                {
                    for (int j = 0; j < each; j++)
                        using (var g = await counter.LockAsync(ct)) g.Value++;
                });
            return Task.CompletedTask;
        });
        using (var g = counter.Lock())
            if (g.Value != (long)each * t) throw new InvalidOperationException("lost an increment");
    }

    private static Task MonitorThreads(int n, int t)
    {
        long counter = 0;
        var gate = new object();
        int each = n / t;
        var threads = new Thread[t];
        for (int i = 0; i < t; i++)
        {
            threads[i] = new Thread(() =>
            {
                for (int j = 0; j < each; j++)
                    lock (gate) counter++;
            });
            threads[i].Start();
        }
        foreach (Thread th in threads) th.Join();
        if (counter != (long)each * t) throw new InvalidOperationException("lost an increment");
        return Task.CompletedTask;
    }
}
