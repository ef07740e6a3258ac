namespace ConcurrencySafety.Tests.Select;

/// <summary>
/// Exactly-once under stress: T selectors send by selecting over T channels while T selectors
/// receive by selecting over the same channels. Every value must be received exactly once,
/// and both sides must count the same number of completed operations.
/// </summary>
public class SelectStressTests
{
    private const int T = 4;
    private const int Operations = 1_000_000;

    [Theory]
    [InlineData(0, false, false)]
    [InlineData(1, false, false)]
    [InlineData(0, true, false)]
    [InlineData(1, true, false)]
    [InlineData(0, true, true)]
    [InlineData(1, true, true)]
    [InlineData(64, false, false)]
    [InlineData(64, true, false)]
    [InlineData(64, true, true)]
    public async Task Selecting_senders_and_selecting_receivers_move_every_value_exactly_once(int capacity, bool async, bool synchronousContinuations)
    {
        int operations = async ? Operations / 4 : Operations;
        var options = new ChanOptions { AllowSynchronousContinuations = synchronousContinuations };
        var pairs = Enumerable.Range(0, T).Select(_ => Chan.Bounded<int>(capacity, options)).ToArray();
        var seen = new int[operations];
        int sentCount = 0, receivedCount = 0;
        int perWorker = operations / T;

        var senders = Enumerable.Range(0, T).Select(w => Run(async, async () =>
        {
            int next = w * perWorker;
            int end = next + perWorker;
            var selector = new Selector();
            foreach (var (tx, _) in pairs)
            {
                selector.Send(tx, () => next, () => { next++; Interlocked.Increment(ref sentCount); });
            }

            while (next < end)
            {
                if (async) await selector.SelectAsync();
                else selector.Select();
            }
        })).ToArray();

        var receivers = Enumerable.Range(0, T).Select(w => Run(async, async () =>
        {
            var selector = new Selector();
            foreach (var (_, rx) in pairs)
            {
                selector.Receive(rx, v => { Interlocked.Increment(ref seen[v]); Interlocked.Increment(ref receivedCount); });
            }

            for (int i = 0; i < perWorker; i++)
            {
                if (async) await selector.SelectAsync();
                else selector.Select();
            }
        })).ToArray();

        await Task.WhenAll(senders.Concat(receivers)).WaitAsync(TimeSpan.FromMinutes(4));
        Assert.Equal(operations, sentCount);
        Assert.Equal(operations, receivedCount);
        Assert.All(seen, count => Assert.Equal(1, count));
        foreach (var (tx, rx) in pairs)
        {
            Assert.Equal((0, 0), rx.Core.WaitingCounts);
            Assert.Equal(ReceiveStatus.Empty, rx.TryReceive().Status);
        }
    }

    private static Task Run(bool async, Func<Task> body) =>
        async ? Task.Run(body) : Task.Factory.StartNew(() => body().GetAwaiter().GetResult(), TaskCreationOptions.LongRunning);
}
