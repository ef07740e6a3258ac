// A snapshot of what a timed case cost the process beyond its wall time (CHANNELBENCH_COUNTERS=1,
// see ChannelWorkloads.Report): CPU time, thread-pool work items, lock contentions, and the
// context switches of all its threads (Linux /proc only; -1 elsewhere). Diagnostic: these
// explain a wall-time difference between two builds, they do not replace it.
using System.Globalization;

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

    private static (long Voluntary, long Involuntary) ContextSwitches()
    {
        long voluntary = 0, involuntary = 0;
        try
        {
            foreach (var dir in Directory.EnumerateDirectories("/proc/self/task"))
            {
                foreach (var line in File.ReadLines(Path.Combine(dir, "status")))
                {
                    if (line.StartsWith("voluntary_ctxt_switches:", StringComparison.Ordinal))
                    {
                        voluntary += long.Parse(line.AsSpan(24).Trim(), CultureInfo.InvariantCulture);
                    }
                    else if (line.StartsWith("nonvoluntary_ctxt_switches:", StringComparison.Ordinal))
                    {
                        involuntary += long.Parse(line.AsSpan(27).Trim(), CultureInfo.InvariantCulture);
                    }
                }
            }
        }
        catch (IOException)
        {
            return (-1, -1);
        }
        catch (UnauthorizedAccessException)
        {
            return (-1, -1);
        }

        return (voluntary, involuntary);
    }
}
