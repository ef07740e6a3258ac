// ChannelBench: the project's side of the shared channel/task-scope workloads
// (WORKLOADS.md next to /work/shared/anchors/channels/run). Arguments: N T [TEST],
// defaults 5000000 4; TEST may be a comma-separated list of tests to run in one process
// (in registration order), to study how one workload affects the next. Each workload file
// contributes a list of cases; register new files in `registered` below.
using ConcurrencySafety.Bench;

int n = args.Length > 0 ? int.Parse(args[0], System.Globalization.CultureInfo.InvariantCulture) : 5_000_000;
int t = args.Length > 1 ? int.Parse(args[1], System.Globalization.CultureInfo.InvariantCulture) : 4;
string? only = args.Length > 2 ? args[2] : null;

IEnumerable<Workload>[] registered =
[
    SpawnWorkloads.All,
    LockWorkloads.All,
    ChannelWorkloads.All,
    SingleOpWorkloads.All,
    HandOverFloor.All,
];

// Warm-up: each workload first runs four times at N/10 with its output discarded, each run followed
// by a pause, so that the timed run measures the channels and scopes in steady state (tier-1
// code) rather than the JIT's tiering, which a single cold run of about a second is dominated
// by. Go and Rust run ahead-of-time compiled code, so this is the like-for-like comparison with
// them. Why twice, with pauses: the runtime starts counting calls to tier-0 code only once no
// new method has been compiled for 100 ms (the call-counting delay), promotes a method after
// 30 counted calls, and compiles its tier-1 code on a background thread. One warm-up run with
// no pause ends before the delay has even expired when N/10 items take less than that (as at
// N = 200,000), and the timed run then starts in tier-0 code: with the delay set to 0
// (DOTNET_TC_CallCountingDelayMs=0) the async bounded0/bounded1 cases of spsc, mpsc and
// select_rx took 0.33 to 0.85 of their default time in one run (bench/README.md, session 3).
// The first pause lets the delay expire, the second run makes the counted calls, the second
// pause lets the background compilation finish. That is one promotion; with tiered PGO (on by
// default since .NET 8) a hot method is promoted twice, tier 0 -> instrumented tier -> tier 1,
// so four runs: with two, the short cases' timed runs still ran in instrumented code about half
// of the time (perf showed TrySendFast/TryReceiveFast [InstrumentedTier] on top), which made
// them bimodal: cs-sync spsc unbounded took 0.14-0.18 s with two warm-up runs and 0.035-0.051 s
// with four, alternated in one quiet run (session 4). CHANNELBENCH_WARMUPS=K sets the number.
// Set CHANNELBENCH_COLD=1 for cold figures (one run per case, as the BCL anchor measures itself).
bool warmUp = Environment.GetEnvironmentVariable("CHANNELBENCH_COLD") != "1";
// On one processor (a process pinned with taskset, a container with one CPU) the runtime
// multiplies the call-counting delay by 10 (TC_DelaySingleProcMultiplier), the delay restarts
// at each new tier-0 compilation, and the background compiler shares the one core with the
// workload: with four runs and 250 ms pauses, and with four runs and 1.1 s pauses, the timed
// run was still mostly tier-0 code (perf). Eight runs with 1.1 s pauses reached tier 1
// (bench/README.md, session 16), so that is the default there.
bool singleProcessor = Environment.ProcessorCount == 1;
int WarmUpRuns = int.TryParse(Environment.GetEnvironmentVariable("CHANNELBENCH_WARMUPS"), out int warmUps) ? warmUps : singleProcessor ? 8 : 4;
int WarmUpPauseMilliseconds = singleProcessor ? 1_100 : 250;

// The workloads are driven from the main thread, which blocks while each one runs. Awaiting
// them here instead would move this loop onto a thread-pool thread after the first await, and
// the blocking forms (cs-sync's consumer loop, GetResult on the async forms) would then block a
// pool thread: the pool reads that as starvation and injects threads (13 to 15 by the select
// workloads, seen with ThreadPool.ThreadCount), and every later async workload ran on an
// oversubscribed pool, where a lock holder is often preempted. The anchors do not block their
// pool either.
foreach (IEnumerable<Workload> group in registered)
{
    foreach (Workload w in group)
    {
        if (only is null ? w.OnlyWhenAsked : !only.Split(',').Contains(w.Test, StringComparer.Ordinal)) continue;
        for (int run = 0; warmUp && run < WarmUpRuns; run++)
        {
            w.Run(Math.Max(n / 10, t * 100), t, TextWriter.Null).GetAwaiter().GetResult();
            Thread.Sleep(WarmUpPauseMilliseconds);
        }

        w.Run(n, t, Console.Out).GetAwaiter().GetResult();
    }
}
