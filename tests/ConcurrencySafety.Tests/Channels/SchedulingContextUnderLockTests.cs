namespace ConcurrencySafety.Tests.Channels;

/// <summary>
/// A wake that happens under the channel lock (closing the channel, the end of Drained) must not
/// hand a continuation to its captured scheduler there: QueueTask is user code, and a scheduler
/// that runs the task inline (a contract violation that test schedulers commit) would run the
/// awaiting code under the lock, and its next use of the channel would deadlock on the lock,
/// which is not recursive. Each test fails by timing out on the old code.
/// </summary>
public class SchedulingContextUnderLockTests
{
    private static readonly TimeSpan Long = TimeSpan.FromSeconds(30);

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(-1)]
    public async Task Closing_the_channel_wakes_a_receive_awaited_on_an_inline_scheduler_outside_the_lock(int capacity)
    {
        var (tx, rx) = capacity < 0 ? Chan.Unbounded<int>() : Chan.Bounded<int>(capacity);
        using (rx)
        {
            var scheduler = new InlineScheduler();
            var awaiting = StartOn(
                scheduler,
                async () =>
                {
                    try
                    {
                        await rx.ReceiveAsync(); // captures the scheduler
                        return "received";
                    }
                    catch (ChannelDisconnectedException)
                    {
                        Assert.Same(scheduler, TaskScheduler.Current); // resumed on the scheduler
                        return rx.TryReceive().IsDisconnected ? "disconnected, channel usable" : "?";
                    }
                });
            await WaitUntilAsync(() => rx.Core.WaitingCounts.Receivers == 1);

            // The last sender's dispose wakes the receive under the lock.
            var close = Task.Run(tx.Dispose);
            await close.WaitAsync(Long);
            Assert.Equal("disconnected, channel usable", await awaiting.WaitAsync(Long));
        }
    }

    [Fact]
    public async Task Drained_completes_a_completion_awaited_on_an_inline_scheduler_outside_the_lock()
    {
        var (tx, rx) = Chan.Bounded<int>(4);
        using (rx)
        {
            var scheduler = new InlineScheduler();
            tx.Send(1);
            var reader = rx.AsChannelReader();
            var awaiting = StartOn(
                scheduler,
                async () =>
                {
                    await reader.Completion; // captures the scheduler
                    return rx.TryReceive().IsDisconnected;
                });
            tx.Dispose();

            // Taking the last item of the closed channel completes Drained (the receive step
            // finds it under the lock).
            var last = Task.Run(() => rx.TryReceive());
            Assert.Equal(1, (await last.WaitAsync(Long)).Value);
            Assert.True(await awaiting.WaitAsync(Long));
        }
    }

    /// <summary>Starts <paramref name="body"/> on <paramref name="scheduler"/> from a pool thread, so that no synchronization context (the test framework's) is captured instead of the scheduler.</summary>
    private static Task<TResult> StartOn<TResult>(TaskScheduler scheduler, Func<Task<TResult>> body) =>
        Task.Run(() => Task.Factory.StartNew(body, CancellationToken.None, TaskCreationOptions.None, scheduler).Unwrap());

    private static async Task WaitUntilAsync(Func<bool> condition)
    {
        var deadline = DateTime.UtcNow + Long;
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < deadline, "timed out");
            await Task.Delay(1);
        }
    }

    /// <summary>Runs every task it is given inline, inside QueueTask (which its contract forbids).</summary>
    private sealed class InlineScheduler : TaskScheduler
    {
        protected override void QueueTask(Task task) => TryExecuteTask(task);

        protected override bool TryExecuteTaskInline(Task task, bool taskWasPreviouslyQueued) => TryExecuteTask(task);

        protected override IEnumerable<Task> GetScheduledTasks() => [];
    }
}
