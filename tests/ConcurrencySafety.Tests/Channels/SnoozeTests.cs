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
    private static (Exception? Thrown, bool StillPending) SpinWithPendingInterrupt(bool useSnooze)
    {
        Exception? thrown = null;
        bool stillPending = false;
        var thread = new Thread(() =>
        {
            Thread.CurrentThread.Interrupt();
            var spinner = default(SpinWait);
            try
            {
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
}
