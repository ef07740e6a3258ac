using System.Diagnostics;
using ConcurrencySafety.Channels;

namespace ConcurrencySafety.Tests.Channels;

/// <summary>The adaptive spin of blocking waits (src/ConcurrencySafety/Channels/Backoff.cs).</summary>
public class BackoffTests
{
    [Fact]
    public void Spins_that_keep_running_out_shrink_the_budget_to_the_minimum_so_the_waiter_parks_almost_at_once()
    {
        long[] budgets = OnOwnThread(() =>
        {
            int never = 0;
            var seen = new long[40];
            for (int i = 0; i < seen.Length; i++)
            {
                Assert.False(Backoff.SpinUntilSet(ref never));
                seen[i] = Backoff.CurrentBudgetNanoseconds;
            }

            return seen;
        });

        if (Environment.ProcessorCount == 1)
        {
            return; // a single core never spins
        }

        for (int i = 1; i < budgets.Length; i++)
        {
            Assert.True(budgets[i] <= budgets[i - 1], "a failed spin never raises the budget");
        }

        Assert.InRange(budgets[^1], 1, Backoff.MinSpinNanoseconds + 1);
    }

    [Fact]
    public void A_wait_that_spinning_satisfies_never_lowers_the_budget()
    {
        var (before, after, result) = OnOwnThread(() =>
        {
            int set = 1;
            long b = Backoff.CurrentBudgetNanoseconds;
            bool r = Backoff.SpinUntilSet(ref set);
            return (b, Backoff.CurrentBudgetNanoseconds, r);
        });

        Assert.True(result);
        Assert.True(after >= before);
        Assert.True(after <= Backoff.MaxSpinNanoseconds + 1);
    }

    [Fact]
    public void A_flag_set_by_another_thread_while_spinning_or_parked_is_seen()
    {
        // Blocking hand-overs through a rendezvous channel between two dedicated threads, many
        // times: each wait either sees the flag while spinning or parks and is pulsed.
        var (tx, rx) = Chan.Rendezvous<int>();
        const int Items = 2_000;
        long sum = 0;
        var consumer = new Thread(() =>
        {
            for (int i = 0; i < Items; i++) sum += rx.Receive();
        });
        consumer.Start();
        for (int i = 0; i < Items; i++) tx.Send(i);
        Assert.True(consumer.Join(TimeSpan.FromMinutes(5))); // a correctness test: under heavy load a parked hand-over can take milliseconds
        Assert.Equal((long)Items * (Items - 1) / 2, sum);
    }

    // The probe's answer is checked before the deadline, so a first answer is deterministic
    // (the budget of a few microseconds may pass during the first probe's JIT compilation).
    [Fact]
    public void A_probe_that_gives_up_stops_the_spin_at_once_and_leaves_the_budget_alone()
    {
        var (result, probes, before, after) = OnOwnThread(() =>
        {
            var probe = new CountingProbe(giveUpAt: 1, doneAt: int.MaxValue);
            long b = Backoff.CurrentBudgetNanoseconds;
            bool r = Backoff.SpinUntil(ref probe);
            return (r, probe.Calls, b, Backoff.CurrentBudgetNanoseconds);
        });

        Assert.False(result);
        Assert.Equal(before, after);
        Assert.Equal(Environment.ProcessorCount == 1 ? 0 : 1, probes);
    }

    [Fact]
    public void A_probe_that_completes_ends_the_spin_with_true_and_never_lowers_the_budget()
    {
        var (result, probes, before, after) = OnOwnThread(() =>
        {
            var probe = new CountingProbe(giveUpAt: int.MaxValue, doneAt: 1);
            long b = Backoff.CurrentBudgetNanoseconds;
            bool r = Backoff.SpinUntil(ref probe);
            return (r, probe.Calls, b, Backoff.CurrentBudgetNanoseconds);
        });

        if (Environment.ProcessorCount == 1)
        {
            Assert.False(result); // a single core never spins
            return;
        }

        Assert.True(result);
        Assert.Equal(1, probes);
        Assert.True(after >= before);
    }

    [Fact]
    public void Probes_that_never_complete_run_out_the_budget_and_halve_it()
    {
        var (result, probes, before, after) = OnOwnThread(() =>
        {
            var probe = new CountingProbe(giveUpAt: int.MaxValue, doneAt: int.MaxValue);
            long b = Backoff.CurrentBudgetNanoseconds;
            bool r = Backoff.SpinUntil(ref probe);
            return (r, probe.Calls, b, Backoff.CurrentBudgetNanoseconds);
        });

        Assert.False(result);
        if (Environment.ProcessorCount > 1)
        {
            Assert.True(probes >= 1);
            Assert.True(after < before, $"the budget went from {before} ns to {after} ns");
        }
    }

    [Fact]
    public void A_wait_right_after_waking_a_parked_owner_spins_longer_and_does_not_lower_the_budget_when_that_runs_out()
    {
        var (result, before, after, elapsedNs, next) = OnOwnThread(() =>
        {
            int never = 0;
            long b = Backoff.CurrentBudgetNanoseconds;
            Backoff.NoteWokeParked();
            long start = Stopwatch.GetTimestamp();
            bool r = Backoff.SpinUntilSet(ref never);
            long elapsed = (long)Stopwatch.GetElapsedTime(start).TotalNanoseconds;
            long a = Backoff.CurrentBudgetNanoseconds;

            // The note is used up: the next failing wait halves the budget again.
            Backoff.SpinUntilSet(ref never);
            return (r, b, a, elapsed, Backoff.CurrentBudgetNanoseconds);
        });

        Assert.False(result);
        if (Environment.ProcessorCount == 1)
        {
            return; // a single core never spins
        }

        Assert.Equal(before, after);
        Assert.True(elapsedNs >= Backoff.WakeLatencyNanoseconds, $"the wait spun {elapsedNs} ns");
        Assert.True(next < after, $"the budget went from {after} ns to {next} ns");
    }

    /// <summary>Answers Again until its <c>doneAt</c>-th or <c>giveUpAt</c>-th call.</summary>
    private struct CountingProbe(int giveUpAt, int doneAt) : ISpinProbe
    {
        public int Calls;

        public SpinOutcome Probe()
        {
            Calls++;
            return Calls == doneAt ? SpinOutcome.Done : Calls == giveUpAt ? SpinOutcome.GiveUp : SpinOutcome.Again;
        }
    }

    private static T OnOwnThread<T>(Func<T> body)
    {
        T result = default!;
        var thread = new Thread(() => result = body());
        thread.Start();
        Assert.True(thread.Join(TimeSpan.FromSeconds(30)));
        return result;
    }
}
