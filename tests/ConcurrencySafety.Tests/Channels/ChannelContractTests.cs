using System.Collections.Concurrent;
using System.Threading.Channels;

namespace ConcurrencySafety.Tests.Channels;

/// <summary>
/// The behaviour every channel flavour must have. Each flavour runs this whole class through a
/// subclass at the bottom of the file.
/// </summary>
public abstract class ChannelContractTests
{
    /// <summary>Capacity passed to Chan.Bounded, or null for unbounded.</summary>
    protected abstract int? Capacity { get; }

    /// <summary>Options of the channels under test; the inline subclasses allow synchronous continuations.</summary>
    protected virtual ChanOptions Options => ChanOptions.Default;

    protected (Sender<int> Tx, Receiver<int> Rx) Create() =>
        Capacity is int c ? Chan.Bounded<int>(c, Options) : Chan.Unbounded<int>(Options);

    private static readonly TimeSpan Long = TimeSpan.FromSeconds(30);

    /// <summary>Waits (bounded) until the condition holds; fails the test otherwise.</summary>
    protected static void WaitUntil(Func<bool> condition, string what)
    {
        var deadline = DateTime.UtcNow + Long;
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < deadline, "timed out waiting until " + what);
            Thread.Sleep(1);
        }
    }

    [Fact]
    public void Items_arrive_in_fifo_order()
    {
        var (tx, rx) = Create();
        var producer = Task.Run(() =>
        {
            using (tx)
            {
                for (int i = 0; i < 2000; i++) tx.Send(i);
            }
        });
        var received = rx.ToList();
        producer.Wait(Long);
        Assert.Equal(Enumerable.Range(0, 2000), received);
        rx.Dispose();
    }

    [Fact]
    public async Task Async_iteration_sees_every_item_in_order_and_ends_on_close()
    {
        var (tx, rx) = Create();
        var producer = Task.Run(async () =>
        {
            using (tx)
            {
                for (int i = 0; i < 500; i++) await tx.SendAsync(i);
            }
        });
        var received = new List<int>();
        await foreach (var x in rx) received.Add(x);
        await producer;
        Assert.Equal(Enumerable.Range(0, 500), received);
    }

    [Fact]
    public void Disposing_the_last_sender_lets_receivers_drain_then_reports_disconnected()
    {
        var (tx, rx) = Create();
        int buffered = Math.Min(Capacity ?? 3, 3);
        for (int i = 0; i < buffered; i++) Assert.True(tx.TrySend(i).IsSent);
        tx.Dispose();
        Assert.True(rx.IsClosed);
        for (int i = 0; i < buffered; i++) Assert.Equal(i, rx.Receive());
        Assert.Equal(ReceiveStatus.Disconnected, rx.TryReceive().Status);
        Assert.Throws<ChannelDisconnectedException>(() => rx.Receive());
        Assert.Empty(rx);
    }

    [Fact]
    public void A_blocked_receiver_wakes_with_disconnected_when_the_last_sender_goes()
    {
        var (tx, rx) = Create();
        var waiting = Task.Run(() => rx.TryReceive(Timeout.InfiniteTimeSpan));
        WaitUntil(() => rx.Core.WaitingCounts.Receivers == 1, "the receiver blocks");
        tx.Dispose();
        Assert.True(waiting.Wait(Long));
        Assert.Equal(ReceiveStatus.Disconnected, waiting.Result.Status);
    }

    [Fact]
    public async Task An_async_receiver_wakes_with_disconnected_when_the_last_sender_goes()
    {
        var (tx, rx) = Create();
        var pending = rx.ReceiveAsync().AsTask();
        WaitUntil(() => rx.Core.WaitingCounts.Receivers == 1, "the receiver waits");
        tx.Dispose();
        await Assert.ThrowsAsync<ChannelDisconnectedException>(() => pending);
    }

    [Fact]
    public void Clones_keep_the_channel_open_until_the_last_is_disposed()
    {
        var (tx, rx) = Create();
        var tx2 = tx.Clone();
        tx.Dispose();
        Assert.False(rx.IsClosed);
        var pending = Task.Run(() => rx.Receive());
        tx2.Send(42);
        Assert.Equal(42, pending.Result);
        tx2.Dispose();
        Assert.True(rx.IsClosed);
        Assert.Equal(ReceiveStatus.Disconnected, rx.TryReceive().Status);
    }

    [Fact]
    public void Receiver_clones_keep_senders_connected_until_the_last_is_disposed()
    {
        var (tx, rx) = Create();
        var rx2 = rx.Clone();
        rx.Dispose();
        Assert.False(tx.IsDisconnected);
        rx2.Dispose();
        Assert.True(tx.IsDisconnected);
        var result = tx.TrySend(7);
        Assert.Equal(SendStatus.Disconnected, result.Status);
        Assert.Equal(7, result.UnsentItem);
        Assert.Throws<ChannelDisconnectedException>(() => tx.Send(8));
    }

    [Fact]
    public async Task Disposing_the_last_receiver_wakes_blocked_senders_and_returns_their_items()
    {
        var (tx, rx) = Create();
        FillToCapacity(tx);
        var blocked = Task.Run(() => tx.TrySend(99, Timeout.InfiniteTimeSpan));
        var blockedAsync = tx.TrySendAsync(100, Timeout.InfiniteTimeSpan).AsTask();
        if (Capacity is null)
        {
            // An unbounded channel never blocks a sender: both complete at once.
            Assert.True((await blocked.WaitAsync(Long)).IsSent);
            Assert.True((await blockedAsync.WaitAsync(Long)).IsSent);
            rx.Dispose();
            Assert.Equal(SendStatus.Disconnected, tx.TrySend(1).Status);
            return;
        }

        WaitUntil(() => rx.Core.WaitingCounts.Senders == 2, "both senders block");
        rx.Dispose();
        var r1 = await blocked.WaitAsync(Long);
        var r2 = await blockedAsync.WaitAsync(Long);
        Assert.Equal((SendStatus.Disconnected, 99), (r1.Status, r1.UnsentItem));
        Assert.Equal((SendStatus.Disconnected, 100), (r2.Status, r2.UnsentItem));
    }

    [Fact]
    public void TrySend_reports_full_distinctly_from_disconnected()
    {
        var (tx, rx) = Create();
        if (Capacity is null)
        {
            Assert.True(tx.TrySend(1).IsSent);
            return;
        }

        FillToCapacity(tx);
        var full = tx.TrySend(5);
        Assert.Equal(SendStatus.Full, full.Status);
        Assert.Equal(5, full.UnsentItem);
        rx.Dispose();
        Assert.Equal(SendStatus.Disconnected, tx.TrySend(6).Status);
    }

    [Fact]
    public void TryReceive_reports_empty_distinctly_from_disconnected()
    {
        var (tx, rx) = Create();
        Assert.Equal(ReceiveStatus.Empty, rx.TryReceive().Status);
        Assert.False(rx.TryReceive(out _));
        tx.Dispose();
        Assert.Equal(ReceiveStatus.Disconnected, rx.TryReceive().Status);
    }

    [Fact]
    public async Task Receive_timeouts_report_timeout_and_leave_no_waiter()
    {
        var (tx, rx) = Create();
        Assert.Equal(ReceiveStatus.Timeout, rx.TryReceive(TimeSpan.FromMilliseconds(20)).Status);
        Assert.Equal(ReceiveStatus.Timeout, (await rx.TryReceiveAsync(TimeSpan.FromMilliseconds(20))).Status);
        Assert.Equal(ReceiveStatus.Timeout, rx.TryReceive(TimeSpan.Zero).Status);
        Assert.Equal((0, 0), rx.Core.WaitingCounts);

        // A later exchange behaves as if the timed-out waits never happened.
        var pending = Task.Run(() => rx.Receive());
        tx.Send(3);
        Assert.Equal(3, pending.Result);
    }

    [Fact]
    public async Task Send_timeouts_report_timeout_and_give_the_item_back()
    {
        var (tx, rx) = Create();
        if (Capacity is null) return; // never full
        FillToCapacity(tx);
        var r = tx.TrySend(50, TimeSpan.FromMilliseconds(20));
        Assert.Equal((SendStatus.Timeout, 50), (r.Status, r.UnsentItem));
        var ra = await tx.TrySendAsync(51, TimeSpan.FromMilliseconds(20));
        Assert.Equal((SendStatus.Timeout, 51), (ra.Status, ra.UnsentItem));
        Assert.Equal((0, 0), rx.Core.WaitingCounts);
        tx.Dispose();
        Assert.DoesNotContain(50, rx);
    }

    [Fact]
    public async Task Deadlines_in_the_past_try_once_and_future_deadlines_wait()
    {
        var (tx, rx) = Create();
        Assert.Equal(ReceiveStatus.Timeout, rx.TryReceiveUntil(DateTimeOffset.UtcNow.AddSeconds(-1)).Status);
        Assert.Equal(ReceiveStatus.Timeout, (await rx.TryReceiveUntilAsync(DateTimeOffset.UtcNow.AddMilliseconds(20))).Status);
        var pending = Task.Run(() => rx.TryReceiveUntil(DateTimeOffset.UtcNow.AddSeconds(30)));
        var sent = tx.TrySendUntil(9, DateTimeOffset.UtcNow.AddSeconds(30));
        Assert.True(sent.IsSent);
        Assert.Equal(9, pending.Result.Value);
        if (Capacity is int)
        {
            FillToCapacity(tx);
            Assert.Equal(SendStatus.Timeout, tx.TrySendUntil(1, DateTimeOffset.UtcNow.AddSeconds(-1)).Status);
            Assert.Equal(SendStatus.Timeout, (await tx.TrySendUntilAsync(1, DateTimeOffset.UtcNow.AddMilliseconds(10))).Status);
        }
    }

    [Fact]
    public async Task Cancelling_a_receive_takes_nothing_and_leaves_no_waiter()
    {
        var (tx, rx) = Create();
        using var cts = new CancellationTokenSource();
        var pendingAsync = rx.ReceiveAsync(cts.Token).AsTask();
        using var cts2 = new CancellationTokenSource();
        var pendingSync = Task.Run(() => rx.Receive(cts2.Token));
        WaitUntil(() => rx.Core.WaitingCounts.Receivers == 2, "both receivers wait");
        cts.Cancel();
        cts2.Cancel();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => pendingAsync);
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => pendingSync);
        Assert.Equal((0, 0), rx.Core.WaitingCounts);

        var next = Task.Run(() => rx.Receive());
        tx.Send(11);
        Assert.Equal(11, await next.WaitAsync(Long));
    }

    [Fact]
    public async Task Cancelling_a_send_never_delivers_the_item()
    {
        var (tx, rx) = Create();
        if (Capacity is null) return; // sends never wait
        FillToCapacity(tx);
        using var cts = new CancellationTokenSource();
        var pending = tx.SendAsync(-1, cts.Token).AsTask();
        WaitUntil(() => rx.Core.WaitingCounts.Senders == 1, "the sender waits");
        cts.Cancel();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => pending);
        Assert.Equal((0, 0), rx.Core.WaitingCounts);
        tx.Dispose();
        Assert.DoesNotContain(-1, rx.ToList());
    }

    [Fact]
    public void An_already_cancelled_token_throws_without_touching_the_channel()
    {
        var (tx, rx) = Create();
        using var cts = new CancellationTokenSource();
        cts.Cancel();
        Assert.Throws<OperationCanceledException>(() => tx.Send(1, cts.Token));
        Assert.Throws<OperationCanceledException>(() => rx.Receive(cts.Token));
        Assert.True(rx.ReceiveAsync(cts.Token).IsCanceled);
        Assert.Equal(ReceiveStatus.Empty, rx.TryReceive().Status);
    }

    [Fact]
    public async Task Blocking_and_async_endpoints_work_on_the_same_channel_at_once()
    {
        var (tx, rx) = Create();
        const int n = 3000;
        var syncProducer = new Thread(() =>
        {
            for (int i = 0; i < n; i++) tx.Send(i);
        });
        var tx2 = tx.Clone();
        var asyncProducer = Task.Run(async () =>
        {
            using (tx2)
            {
                for (int i = n; i < 2 * n; i++) await tx2.SendAsync(i);
            }
        });
        syncProducer.Start();
        var rx2 = rx.Clone();
        var syncConsumer = Task.Factory.StartNew(() => rx2.ToList(), TaskCreationOptions.LongRunning);
        var asyncConsumed = new List<int>();
        var asyncConsumer = Task.Run(async () =>
        {
            await foreach (var x in rx) asyncConsumed.Add(x);
        });
        syncProducer.Join();
        tx.Dispose();
        await asyncProducer;
        await asyncConsumer.WaitAsync(Long);
        var all = (await syncConsumer.WaitAsync(Long)).Concat(asyncConsumed).OrderBy(x => x).ToList();
        Assert.Equal(Enumerable.Range(0, 2 * n), all);
    }

    [Fact]
    public void Blocked_senders_are_served_in_arrival_order()
    {
        var (tx, rx) = Create();
        if (Capacity is null) return;
        FillToCapacity(tx);
        var senders = new List<Task>();
        for (int i = 0; i < 3; i++)
        {
            int value = 1000 + i;
            senders.Add(Task.Run(() => tx.Send(value)));
            WaitUntil(() => rx.Core.WaitingCounts.Senders == value - 999, "sender " + value + " blocks");
        }

        var received = new List<int>();
        for (int i = 0; i < (Capacity ?? 0) + 3; i++) received.Add(rx.Receive());
        Assert.Equal(new[] { 1000, 1001, 1002 }, received.Where(x => x >= 1000));
        Task.WaitAll(senders.ToArray(), Long);
    }

    [Fact]
    public void Blocked_receivers_are_served_in_arrival_order()
    {
        var (tx, rx) = Create();
        var receivers = new List<Task<int>>();
        for (int i = 0; i < 3; i++)
        {
            receivers.Add(Task.Run(() => rx.Receive()));
            int expected = i + 1;
            WaitUntil(() => rx.Core.WaitingCounts.Receivers == expected, "receiver blocks");
        }

        for (int i = 0; i < 3; i++)
        {
            tx.Send(i);
            Assert.Equal(i, receivers[i].Result);
        }
    }

    [Fact]
    public void Introspection_reports_capacity_count_and_state()
    {
        var (tx, rx) = Create();
        Assert.Equal(Capacity, tx.Capacity);
        Assert.Equal(Capacity, rx.Capacity);
        Assert.True(rx.IsEmpty);
        Assert.Equal(0, rx.Count);
        Assert.Equal(Capacity == 0, tx.IsFull);
        if (Capacity is not 0)
        {
            tx.TrySend(1);
            Assert.Equal(1, tx.Count);
            Assert.False(rx.IsEmpty);
            Assert.Equal(Capacity == 1, rx.IsFull);
        }

        Assert.False(rx.IsClosed);
        Assert.False(tx.IsDisconnected);
    }

    [Fact]
    public void Disposed_handles_throw_on_every_use_and_dispose_is_idempotent()
    {
        var (tx, rx) = Create();
        var keep = tx.Clone();
        tx.Dispose();
        tx.Dispose();
        rx.Dispose();
        rx.Dispose();
        Assert.Throws<ObjectDisposedException>(() => tx.Send(1));
        Assert.Throws<ObjectDisposedException>(() => tx.TrySend(1));
        Assert.Throws<ObjectDisposedException>(() => { _ = tx.SendAsync(1); });
        Assert.Throws<ObjectDisposedException>(() => tx.Clone());
        Assert.Throws<ObjectDisposedException>(() => tx.Count);
        Assert.Throws<ObjectDisposedException>(() => rx.Receive());
        Assert.Throws<ObjectDisposedException>(() => rx.TryReceive());
        Assert.Throws<ObjectDisposedException>(() => { _ = rx.ReceiveAsync(); });
        Assert.Throws<ObjectDisposedException>(() => rx.GetEnumerator());
        Assert.Throws<ObjectDisposedException>(() => rx.IsClosed);
        Assert.Throws<ObjectDisposedException>(() => rx.Clone());
        keep.Dispose();
    }

    [Fact]
    public void Bad_timeouts_throw_argument_out_of_range_with_a_helpful_message()
    {
        var (tx, rx) = Create();
        var ex = Assert.Throws<ArgumentOutOfRangeException>(() => rx.TryReceive(TimeSpan.FromMilliseconds(-2)));
        Assert.Equal("timeout", ex.ParamName);
        Assert.Contains("InfiniteTimeSpan", ex.Message);
        Assert.Throws<ArgumentOutOfRangeException>(() => tx.TrySend(1, TimeSpan.FromMilliseconds(-5)));
        Assert.Throws<ArgumentOutOfRangeException>(() => { _ = tx.TrySendAsync(1, TimeSpan.FromDays(-1)); });
        // Timeouts past int.MaxValue ms are supported (TimeoutConverterTests).
    }

    [Fact]
    public async Task Channel_reader_and_writer_adapters_interoperate_with_bcl_style_code()
    {
        var (tx, rx) = Create();
        ChannelWriter<int> writer = tx.AsChannelWriter();
        tx.Dispose(); // the writer owns its own clone
        ChannelReader<int> reader = rx.AsChannelReader();
        var producer = Task.Run(async () =>
        {
            for (int i = 0; i < 100; i++) await writer.WriteAsync(i);
            writer.Complete();
        });
        var got = new List<int>();
        await foreach (var x in reader.ReadAllAsync()) got.Add(x);
        await producer;
        Assert.Equal(Enumerable.Range(0, 100), got);
        Assert.False(writer.TryComplete());
    }

    [Fact]
    public async Task Adapter_wait_to_read_wakes_on_an_item_and_reports_false_after_close()
    {
        var (tx, rx) = Create();
        var reader = rx.AsChannelReader();
        var waiting = reader.WaitToReadAsync().AsTask();
        Assert.False(waiting.IsCompleted);
        var sender = Task.Run(() => tx.Send(5));
        Assert.True(await waiting.WaitAsync(Long));
        Assert.Equal(5, await reader.ReadAsync());
        await sender;
        tx.Dispose();
        Assert.False(await reader.WaitToReadAsync());
        await Assert.ThrowsAsync<ChannelClosedException>(() => reader.ReadAsync().AsTask());
    }

    [Fact]
    public async Task Channel_reader_completion_completes_once_every_sender_is_gone_and_the_buffer_is_drained()
    {
        var (tx, rx) = Create();
        using (rx)
        {
            var reader = rx.AsChannelReader();
            Task completion = reader.Completion;
            Assert.False(completion.IsCompleted);
            int buffered = Math.Min(Capacity ?? 2, 2);
            for (int i = 0; i < buffered; i++) Assert.True(tx.TrySend(i).IsSent);
            using (var clone = tx.Clone())
            {
                tx.Dispose();
                Assert.False(completion.IsCompleted); // a clone still holds the channel open
            }
            if (buffered > 0)
            {
                Assert.False(completion.IsCompleted); // closed, but items are left to read
                for (int i = 0; i < buffered; i++) Assert.True(reader.TryRead(out _));
            }
            await completion.WaitAsync(Long);
            Assert.True(reader.Completion.IsCompletedSuccessfully); // asked again after the end
        }
    }

    [Fact]
    public async Task Disposing_the_last_receiver_while_receives_wait_through_it_fails_them_with_ObjectDisposedException()
    {
        var (tx, rx) = Create();
        using (tx)
        {
            // Before: each of these waited for ever, since no send can reach a channel whose
            // receivers are all gone.
            var blocking = Task.Run(() => rx.Receive());
            var timed = Task.Run(() => rx.TryReceive(Long));
            var asynchronous = rx.ReceiveAsync().AsTask();
            WaitUntil(() => rx.Core.WaitingCounts.Receivers == 3, "three receives wait");

            rx.Dispose();
            foreach (var receive in new Task[] { blocking, timed, asynchronous })
            {
                var error = await Assert.ThrowsAsync<ObjectDisposedException>(() => receive.WaitAsync(Long));
                Assert.Contains("no receiver of the channel is left", error.Message);
            }

            Assert.Equal(0, rx.Core.WaitingCounts.Receivers);
            Assert.True(tx.TrySend(1).Status == SendStatus.Disconnected);
        }
    }

    [Fact]
    public void A_receive_that_passed_its_handle_check_before_the_last_receiver_was_disposed_is_refused_instead_of_registered()
    {
        // The race of the test above, made deterministic: the operation reaches the channel only
        // after the last receiver is gone (the handle check it passed came before the dispose).
        var (tx, rx) = Create();
        using (tx)
        {
            var core = rx.Core;
            rx.Dispose();
            Assert.Throws<ObjectDisposedException>(() => core.Receive(out _, Timeout.Infinite, CancellationToken.None));
            Assert.Throws<ObjectDisposedException>(() => { _ = core.ReceiveAsync(Timeout.Infinite, CancellationToken.None); });
            Assert.Equal(0, core.WaitingCounts.Receivers);
            Assert.True(tx.TrySend(1).Status == SendStatus.Disconnected);
        }
    }

    [Fact]
    public void A_send_or_a_clone_that_passed_its_handle_check_before_the_last_sender_was_disposed_is_refused()
    {
        var (tx, rx) = Create();
        using (rx)
        {
            var core = tx.Core;
            tx.Dispose();
            Assert.Throws<ObjectDisposedException>(() => core.AddSender()); // a closed channel never reopens
            if (Capacity == 0)
            {
                // No lock-free path on a rendezvous channel: the locked path refuses the send.
                Assert.Throws<ObjectDisposedException>(() => core.TrySend(1));
            }

            Assert.True(rx.TryReceive().IsDisconnected);
        }

        var (tx2, rx2) = Create();
        using (tx2)
        {
            var core = rx2.Core;
            rx2.Dispose();
            Assert.Throws<ObjectDisposedException>(() => core.AddReceiver());
            Assert.True(tx2.TrySend(1).Status == SendStatus.Disconnected);
        }
    }

    [Fact]
    public async Task Completing_the_writer_ends_its_waiting_write_as_closed_and_its_waiting_WaitToWriteAsync_with_false()
    {
        if (Capacity is null)
        {
            return; // an unbounded write never waits
        }

        var (tx, rx) = Create();
        using (rx)
        {
            FillToCapacity(tx);
            var writer = tx.AsChannelWriter(); // owns a clone: the only sender once tx goes
            tx.Dispose();
            var waitToWrite = writer.WaitToWriteAsync().AsTask();
            var write = writer.WriteAsync(99).AsTask();
            WaitUntil(() => rx.Core.WaitingCounts.Senders == 1, "the write waits");
            Assert.False(waitToWrite.IsCompleted);

            Assert.True(writer.TryComplete());
            Assert.False(await waitToWrite.WaitAsync(Long)); // waited for ever before
            await Assert.ThrowsAsync<ChannelClosedException>(() => write.WaitAsync(Long));
            Assert.Equal(Capacity.Value, rx.Count); // 99 was not written
        }
    }

    [Fact]
    public async Task Disposing_the_last_receiver_of_a_closed_channel_with_items_left_completes_the_reader_completion()
    {
        if (Capacity == 0)
        {
            return; // nothing can be left in a rendezvous channel
        }

        var (tx, rx) = Create();
        var completion = rx.AsChannelReader().Completion;
        tx.Send(1);
        tx.Dispose();
        Assert.False(completion.IsCompleted); // closed, an item left to read
        rx.Dispose(); // the item is dropped: nothing more will ever be read
        await completion.WaitAsync(Long); // stayed pending for ever before
    }

    [Fact]
    public async Task Disposing_a_receiver_while_another_one_lives_leaves_the_waiting_receive_to_complete()
    {
        // The correct twin: only the side's last handle abandons the waits.
        var (tx, rx) = Create();
        using (tx)
        using (var other = rx.Clone())
        {
            var receive = rx.ReceiveAsync().AsTask();
            WaitUntil(() => rx.Core.WaitingCounts.Receivers == 1, "the receive waits");
            rx.Dispose();
            Assert.False(receive.IsCompleted);
            tx.Send(42);
            Assert.Equal(42, await receive.WaitAsync(Long));
        }
    }

    [Fact]
    public async Task Disposing_the_last_sender_while_sends_wait_through_it_fails_them_and_nothing_arrives_after_the_close()
    {
        if (Capacity is null)
        {
            return; // an unbounded send never waits
        }

        var (tx, rx) = Create();
        using (rx)
        {
            FillToCapacity(tx);
            var blocking = Task.Run(() => tx.Send(1000));
            var asynchronous = tx.SendAsync(1001).AsTask();
            WaitUntil(() => rx.Core.WaitingCounts.Senders == 2, "two sends wait");

            // Before: a receiver could still take these items after the channel reported itself
            // closed and drained (on a rendezvous channel at once).
            tx.Dispose();
            foreach (var send in new Task[] { blocking, asynchronous })
            {
                var error = await Assert.ThrowsAsync<ObjectDisposedException>(() => send.WaitAsync(Long));
                Assert.Contains("no sender of the channel is left", error.Message);
            }

            var received = new List<int>();
            while (rx.TryReceive() is { IsReceived: true } got)
            {
                received.Add(got.Value);
            }

            Assert.Equal(Enumerable.Range(0, Capacity.Value), received); // the buffered items only
            Assert.True(rx.TryReceive().IsDisconnected);
            await rx.AsChannelReader().Completion.WaitAsync(Long);
        }
    }

    protected void FillToCapacity(Sender<int> tx)
    {
        for (int i = 0; i < (Capacity ?? 0); i++)
        {
            Assert.True(tx.TrySend(i).IsSent);
        }
    }
}

public sealed class RendezvousChannelTests : ChannelContractTests
{
    protected override int? Capacity => 0;

    [Fact]
    public void A_send_completes_only_when_a_receiver_takes_the_item()
    {
        var (tx, rx) = Chan.Rendezvous<int>();
        Assert.Equal(SendStatus.Full, tx.TrySend(1).Status);
        var send = Task.Run(() => tx.Send(1));
        WaitUntil(() => rx.Core.WaitingCounts.Senders == 1, "the sender waits");
        Assert.False(send.IsCompleted);
        Assert.Equal(1, rx.Receive());
        Assert.True(send.Wait(TimeSpan.FromSeconds(30)));
    }
}

public sealed class Bounded1ChannelTests : ChannelContractTests
{
    protected override int? Capacity => 1;
}

public sealed class Bounded4ChannelTests : ChannelContractTests
{
    protected override int? Capacity => 4;
}

public sealed class UnboundedChannelTests : ChannelContractTests
{
    protected override int? Capacity => null;
}

// The whole contract again with synchronous continuations: running the woken party's code on
// the completing thread must not change what any operation observes.
public sealed class RendezvousInlineChannelTests : ChannelContractTests
{
    protected override int? Capacity => 0;

    protected override ChanOptions Options { get; } = new() { AllowSynchronousContinuations = true };
}

public sealed class Bounded1InlineChannelTests : ChannelContractTests
{
    protected override int? Capacity => 1;

    protected override ChanOptions Options { get; } = new() { AllowSynchronousContinuations = true };
}

public sealed class UnboundedInlineChannelTests : ChannelContractTests
{
    protected override int? Capacity => null;

    protected override ChanOptions Options { get; } = new() { AllowSynchronousContinuations = true };
}

public sealed class ReceiverEnumerationTests
{
    [Fact]
    public async Task Linq_works_on_a_receiver_and_the_async_view_is_an_IAsyncEnumerable()
    {
        var (tx, rx) = Chan.Unbounded<int>();
        for (int i = 0; i < 10; i++) tx.Send(i);
        tx.Dispose();
        Assert.Equal([0, 1, 2], rx.Take(3).ToList()); // not ambiguous with async LINQ
        IAsyncEnumerable<int> rest = rx.AsAsyncEnumerable();
        var seen = new List<int>();
        await foreach (var x in rest) seen.Add(x);
        Assert.Equal([3, 4, 5, 6, 7, 8, 9], seen);
        rx.Dispose();
        Assert.Throws<ObjectDisposedException>(() => rx.AsAsyncEnumerable());
    }
}
