using ConcurrencySafety.Channels;

namespace ConcurrencySafety.Tests.Channels;

/// <summary>
/// The spin step the ring flavours use inside the channel lock and in non-blocking calls must not
/// turn a pending <see cref="Thread.Interrupt"/> into an exception there (half-moved items, a
/// <c>TrySend</c> that throws). The control case shows that the BCL's own step does throw, so the
/// test would catch a return to it.
/// </summary>
public class SnoozeTests
{
    private static (Exception? Thrown, bool StillPending) SpinWithPendingInterrupt(bool useSnooze) =>
        RunWithPendingInterrupt(() =>
        {
            var spinner = default(SpinWait);
            for (int i = 0; i < 200; i++)
            {
                if (useSnooze)
                {
                    Snooze.Once(ref spinner);
                }
                else
                {
                    spinner.SpinOnce(sleep1Threshold: -1);
                }
            }
        });

    /// <summary>Runs <paramref name="spin"/> on a new thread with an interrupt pending: what it threw, and whether the interrupt was still pending after it.</summary>
    private static (Exception? Thrown, bool StillPending) RunWithPendingInterrupt(Action spin)
    {
        Exception? thrown = null;
        bool stillPending = false;
        var thread = new Thread(() =>
        {
            Thread.CurrentThread.Interrupt();
            try
            {
                spin();
            }
            catch (Exception e)
            {
                thrown = e;
            }

            try
            {
                Thread.Sleep(0);
            }
            catch (ThreadInterruptedException)
            {
                stillPending = true;
            }
        });
        thread.Start();
        Assert.True(thread.Join(TimeSpan.FromMinutes(1)), "the spinning thread ended");
        return (thrown, stillPending);
    }

    [Fact]
    public void Snooze_never_throws_a_pending_interrupt_and_leaves_it_pending()
    {
        var (thrown, stillPending) = SpinWithPendingInterrupt(useSnooze: true);
        Assert.Null(thrown);
        Assert.True(stillPending, "the interrupt is left for the caller's next blocking call");
    }

    [Fact]
    public void Control_the_bcl_spin_step_throws_a_pending_interrupt()
    {
        var (thrown, _) = SpinWithPendingInterrupt(useSnooze: false);
        Assert.IsType<ThreadInterruptedException>(thrown);
    }

    /// <summary>
    /// The back-off after a lost claim grows by one step per loss and stops at 2^6 pause units,
    /// so a claimant that keeps losing never waits more than a few microseconds between tries;
    /// and, like <see cref="Snooze.Once"/>, it never turns a pending interrupt into an exception
    /// (it runs inside TrySend and TryReceive).
    /// </summary>
    [Fact]
    public void The_back_off_after_a_lost_claim_grows_to_its_cap_and_never_throws()
    {
        var steps = new List<int>();
        var (thrown, stillPending) = RunWithPendingInterrupt(() =>
        {
            int step = 0;
            for (int i = 0; i < 10; i++)
            {
                Snooze.AfterLostClaim(ref step);
                steps.Add(step);
            }
        });

        Assert.Null(thrown);
        Assert.True(stillPending, "the interrupt is left pending for the caller's next blocking call");
        Assert.Equal([1, 2, 3, 4, 5, 6, 6, 6, 6, 6], steps);
    }
}
