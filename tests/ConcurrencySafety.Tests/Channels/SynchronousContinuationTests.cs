namespace ConcurrencySafety.Tests.Channels;

/// <summary>
/// ChanOptions.AllowSynchronousContinuations: which thread runs the code after an await that a
/// hand-over completes, and what must stay true when it is the completing thread.
/// </summary>
public class SynchronousContinuationTests
{
    private static readonly TimeSpan Long = TimeSpan.FromSeconds(30);
    private static readonly ChanOptions Inline = new() { AllowSynchronousContinuations = true };

    /// <summary>Where and when a continuation ran.</summary>
    private sealed class Witness
    {
        public int ThreadId = -1;
        public volatile bool Ran;

        public void Record()
        {
            ThreadId = Environment.CurrentManagedThreadId;
            Ran = true;
        }
    }

    /// <summary>Runs <paramref name="body"/> on a new dedicated thread and returns what it returned and that thread's id.</summary>
    private static (T Result, int ThreadId) OnOwnThread<T>(Func<T> body)
    {
        T result = default!;
        int id = -1;
        var thread = new Thread(() =>
        {
            id = Environment.CurrentManagedThreadId;
            result = body();
        });
        thread.Start();
        Assert.True(thread.Join(Long));
        return (result, id);
    }

    private static async Task ReceiveThenRecord(Receiver<int> rx, Witness witness)
    {
        await rx.ReceiveAsync().ConfigureAwait(false); // no context: the option alone decides
        witness.Record();
    }

    private static async Task SendThenRecord(Sender<int> tx, Witness witness)
    {
        await tx.SendAsync(7).ConfigureAwait(false);
        witness.Record();
    }

    [Fact]
    public async Task By_default_a_woken_receiver_continues_on_the_thread_pool_not_on_the_sending_thread()
    {
        var (tx, rx) = Chan.Rendezvous<int>();
        var witness = new Witness();
        var receiving = ReceiveThenRecord(rx, witness); // waits: nothing was sent yet
        Assert.False(receiving.IsCompleted);

        var (_, senderThread) = OnOwnThread(() => { tx.Send(1); return 0; });
        await receiving.WaitAsync(Long);
        Assert.NotEqual(senderThread, witness.ThreadId);
    }

    [Fact]
    public void With_synchronous_continuations_a_send_runs_the_waiting_receivers_code_before_it_returns()
    {
        var (tx, rx) = Chan.Rendezvous<int>(Inline);
        var witness = new Witness();
        var receiving = ReceiveThenRecord(rx, witness);
        Assert.False(receiving.IsCompleted);

        var (ranBeforeSendReturned, senderThread) = OnOwnThread(() => { tx.Send(1); return witness.Ran; });
        Assert.True(ranBeforeSendReturned);
        Assert.Equal(senderThread, witness.ThreadId);
        Assert.True(receiving.IsCompletedSuccessfully);
    }

    [Fact]
    public void With_synchronous_continuations_a_receive_runs_the_waiting_senders_code_before_it_returns()
    {
        var (tx, rx) = Chan.Bounded<int>(1, Inline);
        Assert.True(tx.TrySend(1).IsSent); // full: the next send waits
        var witness = new Witness();
        var sending = SendThenRecord(tx, witness);
        Assert.False(sending.IsCompleted);

        var ((item, ranBeforeReceiveReturned), receiverThread) = OnOwnThread(() => (rx.Receive(), witness.Ran));
        Assert.Equal(1, item);
        Assert.True(ranBeforeReceiveReturned);
        Assert.Equal(receiverThread, witness.ThreadId);
        Assert.Equal(7, rx.TryReceive().Value); // the woken sender's item moved into the freed slot
    }

    [Fact]
    public void With_synchronous_continuations_a_send_runs_a_waiting_async_select_and_its_handler_before_it_returns()
    {
        var (tx, rx) = Chan.Rendezvous<int>(Inline);
        var (otherTx, otherRx) = Chan.Rendezvous<string>();
        var witness = new Witness();
        int got = 0;
        var selector = new Selector()
            .Receive(rx, v => { got = v; witness.Record(); })
            .Receive(otherRx, _ => { });
        var selecting = selector.SelectAsync();
        Assert.False(selecting.IsCompleted);

        var (ranBeforeSendReturned, senderThread) = OnOwnThread(() => { tx.Send(5); return witness.Ran; });
        Assert.True(ranBeforeSendReturned);
        Assert.Equal(senderThread, witness.ThreadId);
        Assert.Equal(5, got);
        Assert.Equal(0, selecting.Result);
        Assert.Equal((0, 0), otherRx.Core.WaitingCounts); // the losing arm left no registration
        otherTx.Dispose();
    }

    /// <summary>A context that queues what is posted to it and runs it only when asked.</summary>
    private sealed class QueueingContext : SynchronizationContext
    {
        public readonly System.Collections.Concurrent.ConcurrentQueue<(SendOrPostCallback, object?)> Posted = new();

        public override void Post(SendOrPostCallback d, object? state) => Posted.Enqueue((d, state));
    }

    [Fact]
    public void A_continuation_that_captured_a_synchronization_context_is_posted_to_it_even_with_synchronous_continuations()
    {
        var (tx, rx) = Chan.Rendezvous<int>(Inline);
        var witness = new Witness();
        var context = new QueueingContext();
        var previous = SynchronizationContext.Current;
        SynchronizationContext.SetSynchronizationContext(context);
        Task receiving;
        try
        {
            receiving = Wait(); // captures the context at its await
        }
        finally
        {
            SynchronizationContext.SetSynchronizationContext(previous);
        }

        var (ranBeforeSendReturned, _) = OnOwnThread(() => { tx.Send(1); return witness.Ran; });
        Assert.False(ranBeforeSendReturned);
        Assert.True(context.Posted.TryDequeue(out var posted));
        posted.Item1(posted.Item2); // the "UI thread" runs it
        Assert.True(witness.Ran);
        Assert.True(receiving.IsCompletedSuccessfully);

        async Task Wait()
        {
            await rx.ReceiveAsync();
            witness.Record();
        }
    }

    [Fact]
    public async Task The_inline_continuation_runs_with_no_channel_lock_held()
    {
        // The continuation waits for ANOTHER thread to use the same channel. If the sender still
        // held the channel's lock while running it, that thread could never get in.
        var (tx, rx) = Chan.Bounded<int>(1, Inline);
        var receiving = Task.Run(async () =>
        {
            int first = await rx.ReceiveAsync();
            bool otherThreadSent = Task.Run(() => tx.TrySend(2).IsSent).Wait(Long);
            return (first, otherThreadSent);
        });
        WaitUntil(() => rx.Core.WaitingCounts.Receivers == 1, "the receiver waits");

        var (_, senderThread) = OnOwnThread(() => { tx.Send(1); return 0; });
        var (first, otherThreadSent) = await receiving.WaitAsync(Long);
        Assert.Equal(1, first);
        Assert.True(otherThreadSent);
        Assert.Equal(2, rx.TryReceive().Value);
    }

    [Fact]
    public async Task A_long_chain_of_stages_that_wake_each_other_inline_does_not_overflow_the_stack()
    {
        // Each stage awaits its input and sends to the next one, which is already waiting: every
        // hand-over would run the next stage inside the previous one. The depth limit sends the
        // chain through the thread pool every few stages instead.
        const int Stages = 20_000;
        var channels = Enumerable.Range(0, Stages + 1).Select(_ => Chan.Rendezvous<int>(Inline)).ToArray();
        var stages = new Task[Stages];
        for (int i = 0; i < Stages; i++)
        {
            var input = channels[i].Receiver;
            var output = channels[i + 1].Sender;
            stages[i] = Stage(input, output);
        }

        // A generous margin: on a loaded 2-core machine this chain took 17 s (at the base of
        // issue 13's branch too), close to the 30 s used elsewhere in this class.
        var margin = TimeSpan.FromMinutes(3);
        var last = channels[Stages].Receiver.ReceiveAsync().AsTask();
        await channels[0].Sender.SendAsync(0);
        Assert.Equal(Stages, await last.WaitAsync(margin));
        await Task.WhenAll(stages).WaitAsync(margin);

        static async Task Stage(Receiver<int> input, Sender<int> output) => await output.SendAsync(await input.ReceiveAsync() + 1);
    }

    [Fact]
    public async Task Closing_a_channel_wakes_waiting_receivers_on_the_thread_pool_even_with_synchronous_continuations()
    {
        var (tx, rx) = Chan.Rendezvous<int>(Inline);
        var witness = new Witness();
        var receiving = Wait();
        Assert.False(receiving.IsCompleted);

        var (_, closerThread) = OnOwnThread(() => { tx.Dispose(); return 0; });
        await receiving.WaitAsync(Long);
        Assert.NotEqual(closerThread, witness.ThreadId);

        async Task Wait()
        {
            var result = await rx.TryReceiveAsync(Timeout.InfiniteTimeSpan);
            Assert.True(result.IsDisconnected);
            witness.Record();
        }
    }

    [Fact]
    public async Task A_selecting_receiver_over_inline_channels_gets_every_value_of_plain_async_senders_exactly_once()
    {
        // The select_rx benchmark's shape: each sender's continuation runs inside the select
        // that took its item.
        const int Channels = 4, PerChannel = 50_000;
        var pairs = Enumerable.Range(0, Channels).Select(_ => Chan.Rendezvous<int>(Inline)).ToArray();
        var seen = new int[Channels * PerChannel];
        var senders = pairs.Select((pair, c) => Task.Run(async () =>
        {
            using var tx = pair.Sender;
            for (int i = 0; i < PerChannel; i++) await tx.SendAsync(c * PerChannel + i);
        })).ToArray();

        var selector = new Selector();
        foreach (var (_, rx) in pairs) selector.Receive(rx, v => seen[v]++, () => { });
        int received = 0;
        await Task.Run(async () =>
        {
            while (selector.ActiveCount > 0)
            {
                await selector.SelectAsync();
                received++;
            }
        }).WaitAsync(TimeSpan.FromMinutes(2));
        await Task.WhenAll(senders);

        Assert.All(seen, count => Assert.Equal(1, count));
        Assert.Equal(Channels * PerChannel + Channels, received); // every value, plus one "disconnected" per channel
    }

    [Fact]
    public void Null_options_are_rejected()
    {
        Assert.Throws<ArgumentNullException>("options", () => Chan.Bounded<int>(1, null!));
        Assert.Throws<ArgumentNullException>("options", () => Chan.Rendezvous<int>(null!));
        Assert.Throws<ArgumentNullException>("options", () => Chan.Unbounded<int>(null!));
        Assert.False(ChanOptions.Default.AllowSynchronousContinuations);
    }

    private static void WaitUntil(Func<bool> condition, string what)
    {
        var deadline = DateTime.UtcNow + Long;
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < deadline, "timed out waiting until " + what);
            Thread.Sleep(1);
        }
    }
}
