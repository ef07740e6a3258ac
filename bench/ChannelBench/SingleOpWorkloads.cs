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
    ];

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
