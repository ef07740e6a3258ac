// A snapshot of what a timed case cost the process beyond its wall time (CHANNELBENCH_COUNTERS=1,
// see ChannelWorkloads.Report): CPU time, thread-pool work items, lock contentions, and the
// context switches of all its threads, finished ones included (64-bit Linux getrusage only; -1 elsewhere). Diagnostic: these
// explain a wall-time difference between two builds, they do not replace it.
using System.Globalization;
using System.Runtime.InteropServices;

namespace ConcurrencySafety.Bench;

internal readonly record struct ProcessCounters(TimeSpan Cpu, long WorkItems, long Contentions, long Voluntary, long Involuntary)
{
    public static ProcessCounters Take()
    {
        var (voluntary, involuntary) = ContextSwitches();
        return new ProcessCounters(
            Environment.CpuUsage.TotalTime,
            ThreadPool.CompletedWorkItemCount,
            Monitor.LockContentionCount,
            voluntary,
            involuntary);
    }

    public string Since(ProcessCounters before, double wallSeconds) => string.Create(
        CultureInfo.InvariantCulture,
        $"cpu {(Cpu - before.Cpu).TotalSeconds:F3} s ({(Cpu - before.Cpu).TotalSeconds / wallSeconds:F2} cores), pool items {WorkItems - before.WorkItems}, lock contentions {Contentions - before.Contentions}, context switches {Voluntary - before.Voluntary} voluntary / {Involuntary - before.Involuntary} involuntary, pool threads {ThreadPool.ThreadCount}");

    /// <summary>
    /// The context switches of every thread the process has had, finished ones included:
    /// getrusage(RUSAGE_SELF), which adds an exiting thread's counts to the process's. (Until
    /// session 7 this summed /proc/self/task/*/status, the threads alive at the read: the
    /// dedicated threads of a cs-sync case had exited by then, so their switches were missing.)
    /// </summary>
    private static (long Voluntary, long Involuntary) ContextSwitches()
    {
        if (!OperatingSystem.IsLinux() || !Environment.Is64BitProcess)
        {
            return (-1, -1);
        }

        // struct rusage on 64-bit Linux: two struct timevals (2 longs each), then 14 longs, of
        // which ru_nvcsw and ru_nivcsw are the last two.
        var usage = new long[18];
        return GetRUsage(RUsageSelf, usage) == 0 ? (usage[16], usage[17]) : (-1, -1);
    }

    private const int RUsageSelf = 0;

    [DllImport("libc", EntryPoint = "getrusage")]
    private static extern int GetRUsage(int who, [Out] long[] usage);
}
