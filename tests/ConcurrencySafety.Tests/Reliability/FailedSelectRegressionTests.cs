namespace ConcurrencySafety.Tests.Reliability;

/// <summary>
/// Issue 13, bug 1: an async select whose wait failed after its arms had registered left a
/// live node in the channel (the next item went to it and was never received) and a live
/// cancellation registration (cancelling that token later cancelled another select).
/// </summary>
public class FailedSelectRegressionTests
{
    private static void WaitUntil(Func<bool> condition, string what)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < deadline, "timed out waiting until " + what);
            Thread.Sleep(1);
        }
    }

    [Fact]
    public async Task An_async_select_with_a_fifty_day_timeout_loses_no_item_and_leaves_no_cancellation_behind()
    {
        var (tx, rx) = Chan.Bounded<int>(4);
        var received = new List<int>();
        var selector = new Selector()
            .Receive(rx, received.Add)
            .Timeout(TimeSpan.FromDays(50), () => received.Add(-1));
        using var cts = new CancellationTokenSource();

        // Nothing is ready, so the select registers its arm and then arms its timer. Whether
        // arming a 50-day timer fails or works, the next item must reach a receiver.
        var first = selector.SelectAsync(cts.Token).AsTask();
        Assert.Equal(SendStatus.Sent, tx.TrySend(1).Status);
        bool failed = false;
        try
        {
            Assert.Equal(0, await first);
        }
        catch (ArgumentOutOfRangeException)
        {
            failed = true;
        }

        if (failed)
        {
            Assert.Equal(1, rx.TryReceive().Value); // the item was buffered, not swallowed by a dead arm
        }
        else
        {
            Assert.Equal([1], received);
            received.Clear();
        }

        Assert.Equal((0, 0, 0, 0), rx.Core.QueuedNodes);

        // Cancelling the first select's token now must not touch a later select of the same
        // selector that does not even take a token.
        var second = Task.Run(() => selector.Select());
        WaitUntil(() => rx.Core.WaitingCounts.Receivers == 1, "the blocking select waits");
        cts.Cancel();
        Assert.Equal(SendStatus.Sent, tx.TrySend(2).Status);
        Assert.Equal(0, await second);
        Assert.Equal([2], received);
        Assert.Equal((0, 0, 0, 0), rx.Core.QueuedNodes);
        tx.Dispose();
    }
}
