using System.Diagnostics;
using System.Globalization;

namespace ConcurrencySafety.Bench;

/// <summary>
/// Diagnostic case `floor` (not part of WORKLOADS.md; run it by name): the least a blocking
/// hand-over between two OS threads costs on this machine, with no channel at all. One producer
/// thread hands N items to one consumer thread through a single int slot: the producer waits
/// until the slot is empty and fills it, the consumer waits until it is full and empties it
/// (what spsc bounded(1) does, and within one write of what a rendezvous does). Each side polls
/// the slot with a one-unit pause for up to <see cref="SpinPolls"/> polls (about 50 µs on session 6's machine),
/// then parks on a monitor, and the other side pulses it only if it flagged that it sleeps.
/// Prints `floor spsc bounded1 SECONDS`: the figure our blocking forms are compared with in
/// bench/README.md (session 6), quiet and with `--load 2`'s busy processes beside it.
/// Then `floor mpsc bounded1 SECONDS` and `floor mpmc bounded1 SECONDS` (session 7): T producer
/// threads and one (mpsc) or T (mpmc) consumer threads share the slot, each party claiming it
/// with one compare-and-swap (what bounded(1) does with no lock and no queue of waiters); the
/// same polls and parks. `FLOOR_POLLS` overrides the number of polls before a park.
/// </summary>
internal static class HandOverFloor
{
    /// <summary>How many polls a side makes before it parks.</summary>
    private static readonly int SpinPolls = int.TryParse(Environment.GetEnvironmentVariable("FLOOR_POLLS"), out int polls) ? Math.Max(1, polls) : 1000; // at least one: a racing party claims only while polling

    public static IEnumerable<Workload> All { get; } =
    [
        new("floor", (n, t, o) => Run(o, n, t), OnlyWhenAsked: true),
    ];

    private static Task Run(TextWriter output, int n, int t)
    {
        Spsc(output, n);
        Many(output, n, t, 1, "mpsc");
        Many(output, n, t, t, "mpmc");
        return Task.CompletedTask;
    }

    /// <summary>
    /// <paramref name="producers"/> threads fill the slot and <paramref name="consumers"/>
    /// threads empty it, N items in all, each claim one compare-and-swap that several parties
    /// race for (mpsc and mpmc bounded(1) with no lock and no queue of waiters).
    /// </summary>
    private static void Many(TextWriter output, int n, int producers, int consumers, string test)
    {
        var slot = new Slot();
        var watch = Stopwatch.StartNew();
        var threads = new List<Thread>();
        for (int p = 0; p < producers; p++)
        {
            threads.Add(Party(slot, Share(n, producers, p), from: 0, to: 1));
        }

        for (int c = 0; c < consumers; c++)
        {
            threads.Add(Party(slot, Share(n, consumers, c), from: 1, to: 0));
        }

        foreach (var thread in threads)
        {
            thread.Join();
        }

        output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"floor {test} bounded1 {watch.Elapsed.TotalSeconds:F3}"));
    }

    private static int Share(int n, int parties, int index) => n / parties + (index < n % parties ? 1 : 0);

    private static Thread Party(Slot slot, int items, int from, int to)
    {
        var thread = new Thread(() =>
        {
            for (int i = 0; i < items; i++)
            {
                slot.Claim(from, to);
            }
        });
        thread.Start();
        return thread;
    }

    private static void Spsc(TextWriter output, int n)
    {
        var slot = new Slot();
        var watch = Stopwatch.StartNew();
        var consumer = new Thread(() =>
        {
            for (int i = 0; i < n; i++)
            {
                slot.WaitFor(1);
                slot.Set(0);
            }
        });
        consumer.Start();
        for (int i = 0; i < n; i++)
        {
            slot.WaitFor(0);
            slot.Set(1);
        }

        consumer.Join();
        output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"floor spsc bounded1 {watch.Elapsed.TotalSeconds:F3}"));
    }

    /// <summary>The slot (0 empty, 1 full) and the sleepers' flag, on one object.</summary>
    private sealed class Slot
    {
        private int _value;
        private int _sleepers;

        /// <summary>Spins, then parks, until the slot holds <paramref name="wanted"/>.</summary>
        public void WaitFor(int wanted)
        {
            for (int poll = 0; poll < SpinPolls; poll++)
            {
                if (Volatile.Read(ref _value) == wanted)
                {
                    return;
                }

                Thread.SpinWait(1);
            }

            Park(wanted);
        }

        /// <summary>Parks on the monitor until the slot holds <paramref name="wanted"/>.</summary>
        private void Park(int wanted)
        {
            // Dekker handshake with Set and Claim: the sleeper count is raised with a full fence
            // before the last check, and they write the value with a full fence before they read
            // the count, so either we see the value or the writer sees us and pulses under the
            // monitor.
            Interlocked.Increment(ref _sleepers);
            lock (this)
            {
                while (Volatile.Read(ref _value) != wanted)
                {
                    Monitor.Wait(this);
                }
            }

            Interlocked.Decrement(ref _sleepers);
        }

        /// <summary>
        /// Spins, then parks, until it changes the slot from <paramref name="from"/> to
        /// <paramref name="to"/> with one compare-and-swap (several parties race for it: the
        /// producers, and in mpmc the consumers too), and then wakes every parked party
        /// (PulseAll), if any is parked: a herd that shapes the multi-party figures.
        /// </summary>
        public void Claim(int from, int to)
        {
            while (true)
            {
                for (int poll = 0; poll < SpinPolls; poll++)
                {
                    if (Volatile.Read(ref _value) == from && Interlocked.CompareExchange(ref _value, to, from) == from)
                    {
                        WakeSleepers();
                        return;
                    }

                    Thread.SpinWait(1);
                }

                Park(from);
            }
        }

        private void WakeSleepers()
        {
            if (Volatile.Read(ref _sleepers) != 0)
            {
                lock (this)
                {
                    Monitor.PulseAll(this);
                }
            }
        }

        /// <summary>Writes the slot and wakes a parked partner, if there is one.</summary>
        public void Set(int value)
        {
            Interlocked.Exchange(ref _value, value);
            WakeSleepers();
        }
    }
}
