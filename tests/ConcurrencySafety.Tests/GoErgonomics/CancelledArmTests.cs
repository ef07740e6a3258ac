namespace ConcurrencySafety.Tests.GoErgonomics;

/// <summary>Issue 17, item 8: a select arm for a cancellation token (Go's <c>case &lt;-ctx.Done():</c>).</summary>
public class CancelledArmTests
{
    private static readonly TimeSpan Long = TimeSpan.FromSeconds(30);

    private static void WaitUntil(Func<bool> condition, string what)
    {
        var deadline = DateTime.UtcNow + Long;
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < deadline, "timed out waiting until " + what);
            Thread.Sleep(1);
        }
    }

    [Fact]
    public async Task A_waiting_select_completes_through_the_cancelled_arm_without_an_exception()
    {
        var (tx, rx) = Chan.Bounded<int>(1);
        using var stop = new CancellationTokenSource();
        var handled = new List<string>();
        var selector = new Selector()
            .Receive(rx, x => handled.Add("item " + x))
            .Cancelled(stop.Token, () => handled.Add("cancelled"));
        var select = Task.Run(() => selector.Select());
        WaitUntil(() => rx.Core.WaitingCounts.Receivers == 1, "the select waits");
        stop.Cancel();
        Assert.Equal(1, await select.WaitAsync(Long));
        Assert.Equal(["cancelled"], handled);

        // The receive arm left nothing behind: the next item is buffered, not lost.
        Assert.Equal((0, 0, 0, 0), rx.Core.QueuedNodes);
        Assert.True(tx.TrySend(5).IsSent);
        Assert.Equal(5, rx.TryReceive().Value);
        tx.Dispose();
    }

    [Fact]
    public async Task An_async_select_completes_through_the_cancelled_arm()
    {
        var (tx, rx) = Chan.Rendezvous<int>();
        using var stop = new CancellationTokenSource();
        bool cancelled = false;
        var selector = new Selector().Receive(rx, _ => { }).Cancelled(stop.Token, () => cancelled = true);
        var select = selector.SelectAsync().AsTask();
        Assert.False(select.IsCompleted);
        stop.Cancel();
        Assert.Equal(1, await select.WaitAsync(Long));
        Assert.True(cancelled);
        Assert.Equal(SendStatus.Full, tx.TrySend(1).Status); // no receiver left registered
        tx.Dispose();
    }

    [Fact]
    public void A_token_already_cancelled_makes_the_arm_ready_at_once()
    {
        var (tx, rx) = Chan.Bounded<int>(1);
        bool cancelled = false;
        var selector = new Selector().Receive(rx, _ => { }).Cancelled(new CancellationToken(true), () => cancelled = true);
        Assert.Equal(1, selector.Select());
        Assert.True(cancelled);
        tx.Dispose();
    }

    [Fact]
    public void A_token_that_cannot_be_cancelled_never_completes_the_arm()
    {
        var (tx, rx) = Chan.Bounded<int>(1);
        var selector = new Selector().Cancelled(CancellationToken.None, () => throw new InvalidOperationException()).Receive(rx, _ => { });
        Assert.True(tx.TrySend(1).IsSent);
        Assert.Equal(1, selector.Select());
        Assert.Equal(-2, new Selector().Cancelled(CancellationToken.None, () => { }).Timeout(TimeSpan.Zero, () => { }).Select());
        tx.Dispose();
    }

    [Fact]
    public void With_an_item_and_a_cancelled_token_both_ready_exactly_one_arm_completes()
    {
        using var stop = new CancellationTokenSource();
        stop.Cancel();
        var counts = new int[2];
        var (tx, rx) = Chan.Bounded<int>(1);
        int handlers = 0;
        var selector = new Selector()
            .Receive(rx, _ => handlers++)
            .Cancelled(stop.Token, () => handlers++);
        for (int i = 0; i < 400; i++)
        {
            Assert.True(tx.TrySend(i).IsSent);
            handlers = 0;
            int chosen = selector.Select();
            Assert.Equal(1, handlers);
            counts[chosen]++;

            // Chosen: the item was taken. Not chosen: it is still there.
            Assert.Equal(chosen == 0 ? 0 : 1, rx.Count);
            if (chosen == 1)
            {
                Assert.Equal(i, rx.TryReceive().Value);
            }
        }

        tx.Dispose();
        Assert.True(counts[0] > 0 && counts[1] > 0, $"both arms are chosen at random ({counts[0]} / {counts[1]})");
    }

    [Fact]
    public void A_biased_select_prefers_the_arm_added_first()
    {
        var (tx, rx) = Chan.Bounded<int>(1);
        Assert.True(tx.TrySend(1).IsSent);
        var cancelledFirst = new Selector { Biased = true }.Cancelled(new CancellationToken(true), () => { }).Receive(rx, _ => { });
        Assert.Equal(0, cancelledFirst.Select());
        Assert.Equal(1, rx.Count);
        var receiveFirst = new Selector { Biased = true }.Receive(rx, _ => { }).Cancelled(new CancellationToken(true), () => { });
        Assert.Equal(0, receiveFirst.Select());
        Assert.Equal(0, rx.Count);
        tx.Dispose();
    }

    [Fact]
    public async Task Cancellation_racing_a_rendezvous_send_completes_exactly_one_arm_and_loses_no_item()
    {
        for (int i = 0; i < 300; i++)
        {
            var (tx, rx) = Chan.Rendezvous<int>();
            using var stop = new CancellationTokenSource();
            int received = 0;
            bool cancelled = false;
            var selector = new Selector().Receive(rx, x => received = x).Cancelled(stop.Token, () => cancelled = true);
            var select = selector.SelectAsync().AsTask();
            var send = Task.Run(() => tx.TrySend(i + 1, Long));
            var cancel = Task.Run(stop.Cancel);
            int chosen = await select.WaitAsync(Long);
            await cancel;
            Assert.True(chosen == 0 ? received == i + 1 && !cancelled : cancelled && received == 0, $"one arm per select (chosen {chosen})");
            if (chosen == 1)
            {
                Assert.Equal(i + 1, rx.Receive()); // the send did not go to the cancelled select
            }

            Assert.True((await send).IsSent);
            Assert.Equal((0, 0, 0, 0), rx.Core.QueuedNodes);
            tx.Dispose();
        }
    }

    [Fact]
    public async Task The_select_token_throws_while_the_arm_token_completes()
    {
        var (tx, rx) = Chan.Bounded<int>(1);
        using var arm = new CancellationTokenSource();
        using var call = new CancellationTokenSource();
        var selector = new Selector().Receive(rx, _ => { }).Cancelled(arm.Token, () => { });
        var select = selector.SelectAsync(call.Token).AsTask();
        call.Cancel();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => select.WaitAsync(Long));
        arm.Cancel();
        Assert.Equal(1, await selector.SelectAsync());
        tx.Dispose();
    }

    [Fact]
    public async Task A_select_set_returns_the_cancellation_operation_and_checks_the_token_it_is_read_with()
    {
        var (tx, rx) = Chan.Bounded<int>(1);
        using var stop = new CancellationTokenSource();
        var set = new SelectSet();
        int receive = set.AddReceive(rx);
        int cancelled = set.AddCancelled(stop.Token);
        var waiting = set.SelectAsync().AsTask();
        stop.Cancel();
        var op = await waiting.WaitAsync(Long);
        Assert.Equal(cancelled, op.Index);
        Assert.Throws<InvalidOperationException>(() => op.Cancelled(CancellationToken.None));
        Assert.Throws<InvalidOperationException>(() => op.Receive(rx));
        op.Cancelled(stop.Token);

        Assert.True(tx.TrySend(3).IsSent);
        var biased = new SelectSet { Biased = true };
        int r = biased.AddReceive(rx);
        biased.AddCancelled(stop.Token);
        var got = biased.Select();
        Assert.Equal(r, got.Index);
        Assert.Throws<InvalidOperationException>(() => got.Cancelled(stop.Token));
        Assert.Equal(3, got.Receive(rx));
        Assert.Equal(0, receive);
        tx.Dispose();
    }
}
