using ConcurrencySafety.Channels;

namespace ConcurrencySafety.Tests.Channels;

/// <summary>The channel's own lock (src/ConcurrencySafety/Channels/ChannelLock.cs).</summary>
public class ChannelLockTests
{
    [Fact]
    public void Threads_that_contend_for_the_lock_never_overlap_and_lose_no_update()
    {
        var gate = new ChannelLock();
        const int Threads = 4;
        const int PerThread = 100_000;
        long total = 0; // changed only under the lock, with a plain read-modify-write
        int inside = 0;
        int overlaps = 0;
        var threads = new Thread[Threads];
        for (int t = 0; t < Threads; t++)
        {
            threads[t] = new Thread(() =>
            {
                for (int i = 0; i < PerThread; i++)
                {
                    using (gate.EnterScope())
                    {
                        if (Interlocked.Increment(ref inside) != 1)
                        {
                            Interlocked.Increment(ref overlaps);
                        }

                        total++;
                        if (i % 64 == 0)
                        {
                            Thread.Yield(); // sometimes hold the lock across a yield, so others park
                        }

                        Interlocked.Decrement(ref inside);
                    }
                }
            });
            threads[t].Start();
        }

        foreach (var thread in threads)
        {
            Assert.True(thread.Join(TimeSpan.FromSeconds(60)), "a contending thread never finished");
        }

        Assert.Equal(0, overlaps);
        Assert.Equal((long)Threads * PerThread, total);
        Assert.False(gate.IsHeld);
    }

    [Fact]
    public void A_thread_parked_on_the_lock_is_woken_when_the_owner_leaves()
    {
        var gate = new ChannelLock();
        gate.Enter();
        using var entered = new ManualResetEventSlim();
        var waiter = new Thread(() =>
        {
            gate.Enter();
            entered.Set();
            gate.Exit();
        });
        waiter.Start();

        TestWaits.Until(() => gate.IsContended, "the second thread has parked on the lock");
        Assert.False(entered.IsSet);
        gate.Exit();

        Assert.True(entered.Wait(TimeSpan.FromSeconds(10)), "the parked thread was never woken");
        Assert.True(waiter.Join(TimeSpan.FromSeconds(10)));
        Assert.False(gate.IsHeld);
    }

    [Fact]
    public void An_interrupt_of_a_parked_thread_is_held_until_it_leaves_the_lock_and_no_other_parked_thread_loses_its_wake()
    {
        var gate = new ChannelLock();
        gate.Enter();
        int owned = 0;
        Exception? interruptedFailure = null;
        bool interruptRaisedAfterwards = false;
        bool raisedInsideRegion = false;
        var interrupted = new Thread(() =>
        {
            try
            {
                gate.Enter();
            }
            catch (Exception e)
            {
                interruptedFailure = e;
                return;
            }

            Interlocked.Increment(ref owned);
            try
            {
                Thread.Sleep(0); // an interrupt pending here, inside the locked region, would throw
            }
            catch (ThreadInterruptedException)
            {
                raisedInsideRegion = true;
            }

            gate.Exit();
            try
            {
                Thread.Sleep(TimeSpan.FromSeconds(10)); // the interrupt held back during Enter lands here, after Exit
            }
            catch (ThreadInterruptedException)
            {
                interruptRaisedAfterwards = true;
            }
        });
        var other = new Thread(() =>
        {
            gate.Enter();
            Interlocked.Increment(ref owned);
            gate.Exit();
        });
        interrupted.Start();
        other.Start();

        TestWaits.Until(
            () => interrupted.ThreadState.HasFlag(ThreadState.WaitSleepJoin) && other.ThreadState.HasFlag(ThreadState.WaitSleepJoin),
            "both threads have parked on the lock");
        interrupted.Interrupt();
        Thread.Sleep(50); // let the interrupt reach the parked wait before the owner leaves
        gate.Exit();

        Assert.True(interrupted.Join(TimeSpan.FromSeconds(20)), "the interrupted thread never got the lock");
        Assert.True(other.Join(TimeSpan.FromSeconds(20)), "the other parked thread was never woken");
        Assert.Null(interruptedFailure);
        Assert.Equal(2, owned);
        Assert.False(raisedInsideRegion, "the held-back interrupt was raised inside the locked region");
        Assert.True(interruptRaisedAfterwards, "the interrupt was swallowed instead of raised again after Exit");
        Assert.False(gate.IsHeld);
    }
}
