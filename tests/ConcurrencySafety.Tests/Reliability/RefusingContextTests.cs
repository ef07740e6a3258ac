using ConcurrencySafety.Channels;

namespace ConcurrencySafety.Tests.Reliability;

/// <summary>
/// A waiter whose captured synchronization context refuses its continuation (Post throws, as a
/// UI context does once it has shut down) must not break the waking call or the other waiters.
/// </summary>
public sealed class RefusingContextTests
{
    [Fact]
    public async Task Closing_a_channel_wakes_every_receiver_even_when_one_context_refuses_its_continuation()
    {
        var (tx, rx) = Chan.Bounded<int>(1);
        var refused = StartUnder(new RefusingContext(), () => ReceiveOnce(rx));
        var plain = rx.ReceiveAsync().AsTask();
        TestWaits.Until(() => rx.Core.WaitingCounts.Receivers == 2, "both receivers wait");

        tx.Dispose(); // wakes both: must neither throw nor stop at the refusing one

        await Assert.ThrowsAsync<ChannelDisconnectedException>(() => plain.WaitAsync(TimeSpan.FromSeconds(10)));
        await Assert.ThrowsAsync<ChannelDisconnectedException>(() => refused.WaitAsync(TimeSpan.FromSeconds(10)));
        Assert.Equal((0, 0), rx.Core.WaitingCounts);
    }

    [Fact]
    public async Task A_hand_over_to_a_receiver_whose_context_refuses_neither_fails_the_sender_nor_loses_the_item()
    {
        var (tx, rx) = Chan.Rendezvous<int>();
        var refused = StartUnder(new RefusingContext(), () => ReceiveOnce(rx));
        TestWaits.Until(() => rx.Core.WaitingCounts.Receivers == 1, "the receiver waits");

        tx.Send(42); // the item moves to the receiver's node; the wake must not throw here

        Assert.Equal(42, await refused.WaitAsync(TimeSpan.FromSeconds(10)));
    }

    [Fact]
    public async Task An_interrupt_that_cuts_a_post_short_is_raised_again_on_the_completing_thread_and_the_item_arrives()
    {
        var (tx, rx) = Chan.Rendezvous<int>();
        var received = StartUnder(new InterruptedContext(), () => ReceiveOnce(rx));
        TestWaits.Until(() => rx.Core.WaitingCounts.Receivers == 1, "the receiver waits");

        Exception? raised = null;
        var completer = new Thread(() =>
        {
            tx.Send(7); // the wake's Post throws ThreadInterruptedException; the send itself succeeds
            try
            {
                Thread.Sleep(1); // the next blocking wait sees the interrupt again
            }
            catch (ThreadInterruptedException e)
            {
                raised = e;
            }
        });
        completer.Start();
        Assert.True(completer.Join(TimeSpan.FromSeconds(10)));
        Assert.NotNull(raised);
        Assert.Equal(7, await received.WaitAsync(TimeSpan.FromSeconds(10)));
    }

    [Fact]
    public async Task A_working_context_still_gets_the_continuation()
    {
        var context = new CountingContext();
        var (tx, rx) = Chan.Rendezvous<int>();
        var received = StartUnder(context, () => ReceiveOnce(rx));
        TestWaits.Until(() => rx.Core.WaitingCounts.Receivers == 1, "the receiver waits");
        tx.Send(5);
        Assert.Equal(5, await received.WaitAsync(TimeSpan.FromSeconds(10)));
        Assert.Equal(1, context.Posts);
    }

    private static async Task<int> ReceiveOnce(Receiver<int> rx) => await rx.ReceiveAsync();

    /// <summary>Starts <paramref name="start"/> on this thread with <paramref name="context"/> current, so that its first await captures it.</summary>
    private static Task<int> StartUnder(SynchronizationContext context, Func<Task<int>> start)
    {
        var previous = SynchronizationContext.Current;
        SynchronizationContext.SetSynchronizationContext(context);
        try
        {
            return start();
        }
        finally
        {
            SynchronizationContext.SetSynchronizationContext(previous);
        }
    }

    private sealed class RefusingContext : SynchronizationContext
    {
        public override void Post(SendOrPostCallback d, object? state) =>
            throw new InvalidOperationException("this context has shut down");
    }

    /// <summary>A context whose Post is cut short by an interrupt of the posting thread.</summary>
    private sealed class InterruptedContext : SynchronizationContext
    {
        public override void Post(SendOrPostCallback d, object? state) =>
            throw new ThreadInterruptedException("interrupted while posting");
    }

    private sealed class CountingContext : SynchronizationContext
    {
        private int _posts;

        public int Posts => Volatile.Read(ref _posts);

        public override void Post(SendOrPostCallback d, object? state)
        {
            Interlocked.Increment(ref _posts);
            ThreadPool.QueueUserWorkItem(_ => d(state));
        }
    }
}
