using System.Diagnostics;
using System.Globalization;

namespace ConcurrencySafety.Bench;

/// <summary>
/// Diagnostic case `try_pair_ns` (not part of WORKLOADS.md; run it by name): one thread calls
/// TrySend then TryReceive on a bounded(1024) and on an unbounded channel, in batches of N/10
/// pairs, and prints the fastest batch's nanoseconds per pair (not seconds, unlike the other
/// cases). The minimum over batches is what the code costs when the thread was not preempted,
/// so old and new builds can be compared on a loaded machine, where whole-run times are noise.
/// </summary>
internal static class SingleOpWorkloads
{
    private const int Batches = 30;

    public static IEnumerable<Workload> All { get; } =
    [
        new("try_pair_ns", (n, _, o) => Run(o, "bounded", n, Chan.Bounded<Msg>(1024)), OnlyWhenAsked: true),
        new("try_pair_ns", (n, _, o) => Run(o, "unbounded", n, Chan.Unbounded<Msg>()), OnlyWhenAsked: true),
    ];

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
