// The channel workloads of shared/anchors/channels/WORKLOADS.md, for this library, in two
// implementations: `cs-sync` (dedicated threads, blocking Send/Receive) and `cs-async`
// (thread-pool tasks, SendAsync/ReceiveAsync). Each message is one 64-bit struct.
using System.Diagnostics;
using System.Globalization;

namespace ConcurrencySafety.Bench;

/// <summary>One message: a 64-bit integer in a struct, as in the anchors.</summary>
internal readonly record struct Msg(long Value);

internal static class ChannelWorkloads
{
    public static readonly string[] Tests = ["seq", "spsc", "mpsc", "mpmc", "select_rx", "select_both"];

    /// <summary>One registered case per test; each prints every flavour in both implementations.</summary>
    public static IEnumerable<Workload> All { get; } = Tests
        .Select(test => new Workload(test, (n, t, output) =>
        {
            RunTest(test, n, t, output);
            return Task.CompletedTask;
        }))
        .ToArray();

    public static (string Name, int? Capacity)[] Flavors(int n) =>
        [("bounded0", 0), ("bounded1", 1), ("boundedN", n), ("unbounded", null)];

    private static readonly ChanOptions Inline = new() { AllowSynchronousContinuations = true };

    private static (Sender<Msg>, Receiver<Msg>) Make(int? capacity, bool inline = false)
    {
        var options = inline ? Inline : ChanOptions.Default;
        return capacity is int c ? Chan.Bounded<Msg>(c, options) : Chan.Unbounded<Msg>(options);
    }

    /// <summary>
    /// Optional filters for studying a few cases (comma-separated lists; unset = all):
    /// CHANNELBENCH_IMPL (cs-sync, cs-async, cs-inline) and CHANNELBENCH_FLAVOR (bounded0, ...).
    /// </summary>
    private static readonly string[]? OnlyImpls = Environment.GetEnvironmentVariable("CHANNELBENCH_IMPL")?.Split(',');

    private static readonly string[]? OnlyFlavors = Environment.GetEnvironmentVariable("CHANNELBENCH_FLAVOR")?.Split(',');

    /// <summary>Runs one test on every flavour in both implementations, printing one line per case.</summary>
    private static void RunTest(string test, int n, int t, TextWriter output)
    {
        foreach (var (flavor, capacity) in Flavors(n))
        {
            if (test == "seq" && (capacity is int c && c < n)) continue;
            if (OnlyFlavors is not null && !OnlyFlavors.Contains(flavor)) continue;
            Report(output, "cs-sync", test, flavor, () => RunSync(test, n, t, capacity));
            Report(output, "cs-async", test, flavor, () => RunAsync(test, n, t, capacity, inline: false).GetAwaiter().GetResult());
            Report(output, "cs-inline", test, flavor, () => RunAsync(test, n, t, capacity, inline: true).GetAwaiter().GetResult());
        }
    }

    private static void Report(TextWriter output, string impl, string test, string flavor, Action run)
    {
        if (OnlyImpls is not null && !OnlyImpls.Contains(impl)) return;
        var before = Counters ? ProcessCounters.Take() : default;
        var sw = Stopwatch.StartNew();
        run();
        double seconds = sw.Elapsed.TotalSeconds;
        output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{impl} {test} {flavor} {seconds:F3}"));
        if (Counters && output != TextWriter.Null)
        {
            Console.Error.WriteLine(string.Create(CultureInfo.InvariantCulture, $"# {impl} {test} {flavor}: {ProcessCounters.Take().Since(before, seconds)}"));
        }
    }

    /// <summary>CHANNELBENCH_COUNTERS=1: after each timed case, print the process's CPU time, pool work items, lock contentions and context switches to stderr.</summary>
    private static readonly bool Counters = Environment.GetEnvironmentVariable("CHANNELBENCH_COUNTERS") == "1";

    private static void RunSync(string test, int n, int t, int? capacity)
    {
        var (tx, rx) = Make(capacity);
        switch (test)
        {
            case "seq":
                for (int i = 0; i < n; i++) tx.Send(new Msg(i));
                for (int i = 0; i < n; i++) rx.Receive();
                break;
            case "spsc":
            {
                var producer = Spawn(() => { for (int i = 0; i < n; i++) tx.Send(new Msg(i)); });
                for (int i = 0; i < n; i++) rx.Receive();
                Join(producer);
                break;
            }
            case "mpsc":
            {
                var producers = Enumerable.Range(0, t).Select(_ => Spawn(() => { for (int i = 0; i < n / t; i++) tx.Send(new Msg(i)); })).ToArray();
                for (int i = 0; i < n / t * t; i++) rx.Receive();
                Join(producers);
                break;
            }
            case "select_rx":
            {
                var chans = Enumerable.Range(0, t).Select(_ => Make(capacity)).ToArray();
                var producers = chans.Select(c => Spawn(() => { for (int i = 0; i < n / t; i++) c.Item1.Send(new Msg(i)); })).ToArray();
                var selector = new Selector();
                foreach (var (_, r) in chans) selector.Receive(r, static _ => { });
                for (int i = 0; i < n / t * t; i++) selector.Select();
                Join(producers);
                Dispose(chans);
                break;
            }
            case "select_both":
            {
                var chans = Enumerable.Range(0, t).Select(_ => Make(capacity)).ToArray();
                var threads = new List<Thread>();
                for (int j = 0; j < t; j++)
                {
                    threads.Add(Spawn(() =>
                    {
                        var selector = new Selector();
                        foreach (var (s, _) in chans) selector.Send(s, new Msg(1));
                        for (int i = 0; i < n / t; i++) selector.Select();
                    }));
                    threads.Add(Spawn(() =>
                    {
                        var selector = new Selector();
                        foreach (var (_, r) in chans) selector.Receive(r, static _ => { });
                        for (int i = 0; i < n / t; i++) selector.Select();
                    }));
                }

                Join([.. threads]);
                Dispose(chans);
                break;
            }
            case "mpmc":
            {
                var threads = new List<Thread>();
                for (int j = 0; j < t; j++)
                {
                    threads.Add(Spawn(() => { for (int i = 0; i < n / t; i++) tx.Send(new Msg(i)); }));
                    threads.Add(Spawn(() => { for (int i = 0; i < n / t; i++) rx.Receive(); }));
                }

                Join([.. threads]);
                break;
            }
        }

        tx.Dispose();
        rx.Dispose();
    }

    /// <summary>The async implementation; with <paramref name="inline"/>, every channel allows synchronous continuations (`cs-inline`).</summary>
    private static async Task RunAsync(string test, int n, int t, int? capacity, bool inline)
    {
        var (tx, rx) = Make(capacity, inline);
        switch (test)
        {
            case "seq":
                for (int i = 0; i < n; i++) await tx.SendAsync(new Msg(i));
                for (int i = 0; i < n; i++) await rx.ReceiveAsync();
                break;
            case "spsc":
            {
                var producer = Task.Run(async () => { for (int i = 0; i < n; i++) await tx.SendAsync(new Msg(i)); });
                for (int i = 0; i < n; i++) await rx.ReceiveAsync();
                await producer;
                break;
            }
            case "mpsc":
            {
                var producers = Enumerable.Range(0, t).Select(_ => Task.Run(async () => { for (int i = 0; i < n / t; i++) await tx.SendAsync(new Msg(i)); })).ToArray();
                for (int i = 0; i < n / t * t; i++) await rx.ReceiveAsync();
                await Task.WhenAll(producers);
                break;
            }
            case "select_rx":
            {
                var chans = Enumerable.Range(0, t).Select(_ => Make(capacity, inline)).ToArray();
                var producers = chans.Select(c => Task.Run(async () => { for (int i = 0; i < n / t; i++) await c.Item1.SendAsync(new Msg(i)); })).ToArray();
                var selector = new Selector();
                foreach (var (_, r) in chans) selector.Receive(r, static _ => { });
                for (int i = 0; i < n / t * t; i++) await selector.SelectAsync();
                await Task.WhenAll(producers);
                Dispose(chans);
                break;
            }
            case "select_both":
            {
                var chans = Enumerable.Range(0, t).Select(_ => Make(capacity, inline)).ToArray();
                var tasks = new List<Task>();
                for (int j = 0; j < t; j++)
                {
                    tasks.Add(Task.Run(async () =>
                    {
                        var selector = new Selector();
                        foreach (var (s, _) in chans) selector.Send(s, new Msg(1));
                        for (int i = 0; i < n / t; i++) await selector.SelectAsync();
                    }));
                    tasks.Add(Task.Run(async () =>
                    {
                        var selector = new Selector();
                        foreach (var (_, r) in chans) selector.Receive(r, static _ => { });
                        for (int i = 0; i < n / t; i++) await selector.SelectAsync();
                    }));
                }

                await Task.WhenAll(tasks);
                Dispose(chans);
                break;
            }
            case "mpmc":
            {
                var tasks = new List<Task>();
                for (int j = 0; j < t; j++)
                {
                    tasks.Add(Task.Run(async () => { for (int i = 0; i < n / t; i++) await tx.SendAsync(new Msg(i)); }));
                    tasks.Add(Task.Run(async () => { for (int i = 0; i < n / t; i++) await rx.ReceiveAsync(); }));
                }

                await Task.WhenAll(tasks);
                break;
            }
        }

        tx.Dispose();
        rx.Dispose();
    }

    private static void Dispose((Sender<Msg>, Receiver<Msg>)[] chans)
    {
        foreach (var (s, r) in chans)
        {
            s.Dispose();
            r.Dispose();
        }
    }

    internal static Thread Spawn(Action body)
    {
        var thread = new Thread(() => body()) { IsBackground = true };
        thread.Start();
        return thread;
    }

    internal static void Join(params Thread[] threads)
    {
        foreach (var thread in threads) thread.Join();
    }
}
