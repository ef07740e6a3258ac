// ChannelBench: the project's side of the shared channel/task-scope workloads
// (WORKLOADS.md next to /work/shared/anchors/channels/run). Arguments: N T [TEST],
// defaults 5000000 4. Each workload file contributes a list of cases; register new files in
// `Registered` below.
using ConcurrencySafety.Bench;

int n = args.Length > 0 ? int.Parse(args[0], System.Globalization.CultureInfo.InvariantCulture) : 5_000_000;
int t = args.Length > 1 ? int.Parse(args[1], System.Globalization.CultureInfo.InvariantCulture) : 4;
string? only = args.Length > 2 ? args[2] : null;

IEnumerable<Workload>[] registered =
[
    SpawnWorkloads.All,
    LockWorkloads.All,
    // ChannelWorkloads.All,  (channel cases, added with the channels)
];

foreach (IEnumerable<Workload> group in registered)
{
    foreach (Workload w in group)
    {
        if (only is null ? w.OnlyWhenAsked : !string.Equals(only, w.Test, StringComparison.Ordinal)) continue;
        await w.Run(n, t, Console.Out);
    }
}
