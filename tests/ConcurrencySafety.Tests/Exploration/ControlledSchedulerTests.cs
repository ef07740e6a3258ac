namespace ConcurrencySafety.Tests.Exploration;

/// <summary>The scheduler itself: it must find an interleaving bug that needs a specific order, and replay a seed exactly.</summary>
public class ControlledSchedulerTests
{
    [Fact]
    public void Finds_a_lost_update_that_needs_one_specific_interleaving()
    {
        // Read, yield, write: the update is lost only if the other thread runs between the two.
        var failure = Assert.Throws<InvalidOperationException>(() => Exploration.Explore((scheduler, _) =>
        {
            var counter = 0;
            IEnumerable<bool> Increment()
            {
                var read = counter;
                yield return true;
                counter = read + 1;
            }

            scheduler.Spawn("A", Increment());
            scheduler.Spawn("B", Increment());
            return () => Assert.Equal(2, counter);
        }));
        Assert.Contains("exploration failed at seed", failure.Message, StringComparison.Ordinal);
        Assert.Contains("steps, the first", failure.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_long_schedule_keeps_only_its_first_steps_in_the_trace_but_counts_them_all()
    {
        var scheduler = new ControlledScheduler(seed: 7, pct: false);
        const int Yields = ControlledScheduler.TraceLimit + 500;
        static IEnumerable<bool> Steps(int n)
        {
            for (var i = 0; i < n; i++)
            {
                yield return true;
            }
        }

        scheduler.Spawn("A", Steps(Yields));
        Assert.True(scheduler.Run());
        Assert.Equal(ControlledScheduler.TraceLimit, scheduler.Trace.Count);
        Assert.Equal(Yields + 1, scheduler.StepsRun); // the last step finds the iterator done
        Assert.All(scheduler.Trace, name => Assert.Equal("A", name));
    }

    [Fact]
    public void A_seed_replays_the_same_schedule()
    {
        static List<string> Schedule(int seed, bool pct)
        {
            var scheduler = new ControlledScheduler(seed, pct);
            static IEnumerable<bool> Steps(int n)
            {
                for (var i = 0; i < n; i++)
                {
                    yield return true;
                }
            }

            scheduler.Spawn("A", Steps(10));
            scheduler.Spawn("B", Steps(10));
            scheduler.Spawn("C", Steps(10));
            Assert.True(scheduler.Run());
            return scheduler.Trace;
        }

        Assert.Equal(Schedule(42, pct: false), Schedule(42, pct: false));
        Assert.Equal(Schedule(43, pct: true), Schedule(43, pct: true));
        Assert.NotEqual(Schedule(42, pct: false), Schedule(44, pct: false));
    }
}
