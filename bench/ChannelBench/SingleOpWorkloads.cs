using System.Diagnostics;
using System.Globalization;

namespace ConcurrencySafety.Bench;

/// <summary>
/// Diagnostic case `try_pair_ns` (not part of WORKLOADS.md; run it by name): one thread calls
/// TrySend then TryReceive on a bounded(1024) and on an unbounded channel, in batches of N/10
/// pairs, and prints the fastest batch's nanoseconds per pair (not seconds, unlike the other
/// cases). The minimum over batches is what the code costs when the thread was not preempted,
/// so old and new builds can be compared on a loaded machine, where whole-run times are noise.
/// Diagnostic case `seq_ns`: the `seq` workload (one thread sends N, then receives N, with the
/// blocking forms) on a new bounded(N) channel and a new unbounded one per batch, so the ring's
/// growth and the list's block allocation are counted; prints the fastest of 10 batches in
/// nanoseconds per item (one send and one receive).
/// Diagnostic case `select_pair_ns`: one thread runs a blocking select over four send arms, then
/// a blocking select over the four receive arms of the same channels (bounded(1024) and
/// unbounded), as each `select_both` producer and consumer does per item, with nothing to wait
/// for; prints the fastest of 30 batches of N/10 pairs in nanoseconds per pair. Its crossbeam
/// twin is in bench/CrossbeamSingleOp.
/// </summary>
internal static class SingleOpWorkloads
{
    private const int Batches = 30;

    public static IEnumerable<Workload> All { get; } =
    [
        new("try_pair_ns", (n, _, o) => Run(o, "bounded", n, Chan.Bounded<Msg>(1024)), OnlyWhenAsked: true),
        new("try_pair_ns", (n, _, o) => Run(o, "unbounded", n, Chan.Unbounded<Msg>()), OnlyWhenAsked: true),
        new("seq_ns", (n, _, o) => RunSeq(o, "boundedN", n, () => Chan.Bounded<Msg>(n)), OnlyWhenAsked: true),
        new("seq_ns", (n, _, o) => RunSeq(o, "unbounded", n, Chan.Unbounded<Msg>), OnlyWhenAsked: true),
        new("select_pair_ns", (n, _, o) => RunSelectPair(o, "bounded", n, () => Chan.Bounded<Msg>(1024)), OnlyWhenAsked: true),
        new("select_pair_ns", (n, _, o) => RunSelectPair(o, "unbounded", n, Chan.Unbounded<Msg>), OnlyWhenAsked: true),
        new("polled_pair_ns", (n, _, o) => RunPolledPair(o, "bounded", n, Chan.Bounded<Msg>(1024)), OnlyWhenAsked: true),
        new("polled_pair_ns", (n, _, o) => RunPolledPair(o, "unbounded", n, Chan.Unbounded<Msg>()), OnlyWhenAsked: true),
    ];

    /// <summary>
    /// Diagnostic `polled_pair_ns`: N TrySend+TryReceive pairs on one thread while a second thread
    /// reads <c>Count</c> in a loop (a monitoring loop beside a busy channel); prints the mean
    /// nanoseconds per pair, and the poller's reads per second to stderr.
    /// </summary>
    private static Task RunPolledPair(TextWriter output, string flavor, int n, (Sender<Msg> Tx, Receiver<Msg> Rx) channel)
    {
        var (tx, rx) = channel;
        using var stop = new CancellationTokenSource();
        long polls = 0;
        var poller = new Thread(() =>
        {
            while (!stop.IsCancellationRequested)
            {
                if (rx.Count < 0) throw new InvalidOperationException("a count is never negative");
                polls++;
            }
        });
        poller.Start();
        // The mean over the whole run, not the fastest batch: the poller's effect is the point,
        // and the fastest batch is the one in which it happened not to run.
        var sw = Stopwatch.StartNew();
        for (int i = 0; i < n; i++)
        {
            tx.TrySend(new Msg(i));
            if (!rx.TryReceive(out _)) throw new InvalidOperationException("the item just sent was not received");
        }

        double mean = sw.Elapsed.TotalNanoseconds / n;
        stop.Cancel();
        poller.Join();
        output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"cs-try polled_pair_ns {flavor} {mean:F2}"));
        Console.Error.WriteLine(string.Create(CultureInfo.InvariantCulture, $"# polled_pair_ns {flavor}: {polls / sw.Elapsed.TotalSeconds / 1e6:F1} million Count reads per second"));
        tx.Dispose();
        rx.Dispose();
        return Task.CompletedTask;
    }

    private static Task RunSelectPair(TextWriter output, string flavor, int n, Func<(Sender<Msg> Tx, Receiver<Msg> Rx)> make)
    {
        var chans = Enumerable.Range(0, 4).Select(_ => make()).ToArray();
        var sends = new Selector();
        foreach (var (tx, _) in chans) sends.Send(tx, new Msg(1));
        var receives = new Selector();
        long received = 0;
        foreach (var (_, rx) in chans) receives.Receive(rx, m => received += m.Value);
        int pairs = Math.Max(n / 10, 1000);
        double best = double.MaxValue;
        for (int batch = 0; batch < Batches; batch++)
        {
            var sw = Stopwatch.StartNew();
            for (int i = 0; i < pairs; i++)
            {
                sends.Select();
                receives.Select();
            }

            best = Math.Min(best, sw.Elapsed.TotalNanoseconds / pairs);
        }

        if (received != (long)Batches * pairs) throw new InvalidOperationException("every item sent is received once");
        output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"cs-select select_pair_ns {flavor} {best:F2}"));
        foreach (var (tx, rx) in chans)
        {
            tx.Dispose();
            rx.Dispose();
        }

        return Task.CompletedTask;
    }

    private static Task RunSeq(TextWriter output, string flavor, int n, Func<(Sender<Msg> Tx, Receiver<Msg> Rx)> make)
    {
        double best = double.MaxValue;
        for (int batch = 0; batch < 10; batch++)
        {
            var sw = Stopwatch.StartNew();
            var (tx, rx) = make();
            for (int i = 0; i < n; i++) tx.Send(new Msg(i));
            for (int i = 0; i < n; i++) rx.Receive();
            best = Math.Min(best, sw.Elapsed.TotalNanoseconds / n);
            tx.Dispose();
            rx.Dispose();
        }

        output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"cs-seq seq_ns {flavor} {best:F2}"));
        return Task.CompletedTask;
    }

    private static Task Run(TextWriter output, string flavor, int n, (Sender<Msg> Tx, Receiver<Msg> Rx) channel)
    {
        var (tx, rx) = channel;
        int pairs = Math.Max(n / 10, 1000);
        double best = double.MaxValue;
        for (int batch = 0; batch < Batches; batch++)
        {
            var sw = Stopwatch.StartNew();
            for (int i = 0; i < pairs; i++)
            {
                tx.TrySend(new Msg(i));
                if (!rx.TryReceive(out _)) throw new InvalidOperationException("the item just sent was not received");
            }

            best = Math.Min(best, sw.Elapsed.TotalNanoseconds / pairs);
        }

        output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"cs-try try_pair_ns {flavor} {best:F2}"));
        tx.Dispose();
        rx.Dispose();
        return Task.CompletedTask;
    }
}
