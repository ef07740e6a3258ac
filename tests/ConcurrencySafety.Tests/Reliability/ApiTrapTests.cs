namespace ConcurrencySafety.Tests.Reliability;

/// <summary>Issue 13, bug 4: the four API traps.</summary>
public class ApiTrapTests
{
    // ------------------------------------------------------------------ default results

    [Fact]
    public void A_default_receive_result_claims_nothing_and_its_value_cannot_be_read()
    {
        var result = default(ReceiveResult<string>);
        Assert.Equal(ReceiveStatus.None, result.Status);
        Assert.False(result.IsReceived);
        Assert.False(result.IsDisconnected);
        Assert.Contains("default", Assert.Throws<InvalidOperationException>(() => result.Value).Message);
        Assert.Contains("default", Assert.Throws<InvalidOperationException>(() => result.TryGetValue(out _)).Message);
        Assert.Contains("default", result.ToString());
    }

    [Fact]
    public void A_default_send_result_claims_nothing_and_has_no_item_to_give_back()
    {
        var result = default(SendResult<string>);
        Assert.Equal(SendStatus.None, result.Status);
        Assert.False(result.IsSent);
        Assert.Contains("default", Assert.Throws<InvalidOperationException>(() => result.UnsentItem).Message);
        Assert.Contains("default", Assert.Throws<InvalidOperationException>(() => result.TryGetUnsentItem(out _)).Message);
        Assert.Contains("default", result.ToString());
    }

    [Fact]
    public void Real_results_are_never_none()
    {
        var (tx, rx) = Chan.Bounded<int>(1);
        Assert.Equal(SendStatus.Sent, tx.TrySend(1).Status);
        Assert.Equal(SendStatus.Full, tx.TrySend(2).Status);
        Assert.Equal(2, tx.TrySend(2).UnsentItem);
        Assert.Equal(ReceiveStatus.Received, rx.TryReceive().Status);
        Assert.Equal(ReceiveStatus.Empty, rx.TryReceive().Status);
        Assert.True(rx.TryReceive().TryGetValue(out _) is false);
        tx.Dispose();
        Assert.Equal(ReceiveStatus.Disconnected, rx.TryReceive().Status);
    }

    // ------------------------------------------------------------------ capacity int.MaxValue

    [Fact]
    public void A_channel_bounded_at_int_max_value_reports_that_capacity_and_is_bounded()
    {
        var (tx, rx) = Chan.Bounded<int>(int.MaxValue);
        Assert.Equal(int.MaxValue, tx.Capacity);
        Assert.Equal(int.MaxValue, rx.Capacity);
        Assert.False(tx.IsFull);
        Assert.Contains("capacity 2147483647", tx.ToString());
        for (int i = 0; i < 100; i++)
        {
            Assert.True(tx.TrySend(i).IsSent); // grows past the initial ring
        }

        Assert.Equal(100, rx.Count);
        Assert.Equal(0, rx.Receive());
        var (utx, urx) = Chan.Unbounded<int>();
        Assert.Null(utx.Capacity);
        Assert.Null(urx.Capacity);
        Assert.False(utx.IsFull);
        tx.Dispose();
        utx.Dispose();
    }

    // ------------------------------------------------------------------ infinite select timeouts

    [Fact]
    public async Task SelectSet_select_accepts_an_infinite_timeout_like_every_channel_try_method()
    {
        var (tx, rx) = Chan.Bounded<int>(1);
        var set = new SelectSet();
        int index = set.AddReceive(rx);
        Assert.True(tx.TrySend(4).IsSent);
        var ready = set.Select(Timeout.InfiniteTimeSpan);
        Assert.NotNull(ready);
        Assert.Equal(4, ready.Value.Receive(rx));

        var waiting = Task.Run(() => set.Select(Timeout.InfiniteTimeSpan));
        while (rx.Core.WaitingCounts.Receivers == 0)
        {
            await Task.Delay(1);
        }

        Assert.True(tx.TrySend(5).IsSent);
        var chosen = await waiting.WaitAsync(TimeSpan.FromSeconds(30));
        Assert.Equal(index, chosen!.Value.Index);
        Assert.Equal(5, chosen.Value.Receive(rx));
        Assert.Throws<ArgumentOutOfRangeException>(() => set.Select(TimeSpan.FromMilliseconds(-2)));
        tx.Dispose();
    }

    [Fact]
    public void A_selector_timeout_of_infinite_never_fires()
    {
        var (tx, rx) = Chan.Bounded<int>(1);
        bool timedOut = false;
        int got = 0;
        var selector = new Selector().Receive(rx, x => got = x).Timeout(Timeout.InfiniteTimeSpan, () => timedOut = true);
        Assert.True(tx.TrySend(3).IsSent);
        Assert.Equal(0, selector.Select());
        Assert.Equal(3, got);
        Assert.False(timedOut);
        Assert.Throws<ArgumentOutOfRangeException>(() => new Selector().Timeout(TimeSpan.FromMilliseconds(-2), () => { }));
        tx.Dispose();
    }

    // ------------------------------------------------------------------ pre-cancelled tokens

    /// <summary>One API called on a resource that is ready (room, an item, a free lock): the call could complete at once.</summary>
    /// <param name="Call">Calls the API with the given token.</param>
    /// <param name="AssertNoEffect">Checks afterwards that the call had no effect.</param>
    public sealed record ReadyCall(Func<CancellationToken, Task> Call, Action AssertNoEffect);

    private static Func<CancellationToken, Task> Sync(Action<CancellationToken> call) => ct =>
    {
        call(ct);
        return Task.CompletedTask;
    };

    private static ReadyCall WithRoom(Func<Sender<int>, Func<CancellationToken, Task>> call)
    {
        var (tx, rx) = Chan.Bounded<int>(1);
        return new ReadyCall(call(tx), () => Assert.Equal(ReceiveStatus.Empty, rx.TryReceive().Status));
    }

    private static ReadyCall WithItem(Func<Receiver<int>, Func<CancellationToken, Task>> call)
    {
        var (tx, rx) = Chan.Bounded<int>(1);
        Assert.True(tx.TrySend(1).IsSent);
        return new ReadyCall(call(rx), () => Assert.Equal(1, rx.Count));
    }

    private static ReadyCall Free(Func<PermitSemaphore, Func<CancellationToken, Task>> call)
    {
        var semaphore = new PermitSemaphore(2);
        return new ReadyCall(call(semaphore), () => Assert.Equal(2, semaphore.Available));
    }

    private static ReadyCall FreeLock(Func<Locked<int>, Func<CancellationToken, Task>> call)
    {
        var locked = new Locked<int>(0);
        return new ReadyCall(call(locked), () => Assert.Equal(1, locked.Queue.Available));
    }

    private static ReadyCall FreeRw(Func<RwLocked<int>, Func<CancellationToken, Task>> call)
    {
        var rw = new RwLocked<int>(0);
        return new ReadyCall(call(rw), () => Assert.Equal(rw.Queue.Capacity, rw.Queue.Available));
    }

    private static ReadyCall ScopeBody(Func<Func<TaskScope, Task>, CancellationToken, Task> run)
    {
        bool ran = false;
        return new ReadyCall(ct => run(_ => { ran = true; return Task.CompletedTask; }, ct), () => Assert.False(ran));
    }

    private static readonly TimeSpan Second = TimeSpan.FromSeconds(1);

    private static readonly Dictionary<string, Func<ReadyCall>> Apis = new()
    {
        ["Sender.Send"] = () => WithRoom(tx => Sync(ct => tx.Send(2, ct))),
        ["Sender.SendAsync"] = () => WithRoom(tx => ct => tx.SendAsync(2, ct).AsTask()),
        ["Sender.TrySend(timeout)"] = () => WithRoom(tx => Sync(ct => tx.TrySend(2, Second, ct))),
        ["Sender.TrySend(zero timeout)"] = () => WithRoom(tx => Sync(ct => tx.TrySend(2, TimeSpan.Zero, ct))),
        ["Sender.TrySendUntil"] = () => WithRoom(tx => Sync(ct => tx.TrySendUntil(2, DateTimeOffset.UtcNow + Second, ct))),
        ["Sender.TrySendAsync(timeout)"] = () => WithRoom(tx => ct => tx.TrySendAsync(2, Second, ct).AsTask()),
        ["Sender.TrySendUntilAsync"] = () => WithRoom(tx => ct => tx.TrySendUntilAsync(2, DateTimeOffset.UtcNow + Second, ct).AsTask()),
        ["ChannelWriter.WriteAsync"] = () => WithRoom(tx => ct => tx.AsChannelWriter().WriteAsync(2, ct).AsTask()),
        ["ChannelWriter.WaitToWriteAsync"] = () => WithRoom(tx => ct => tx.AsChannelWriter().WaitToWriteAsync(ct).AsTask()),
        ["Receiver.Receive"] = () => WithItem(rx => Sync(ct => rx.Receive(ct))),
        ["Receiver.ReceiveAsync"] = () => WithItem(rx => ct => rx.ReceiveAsync(ct).AsTask()),
        ["Receiver.TryReceive(timeout)"] = () => WithItem(rx => Sync(ct => rx.TryReceive(Second, ct))),
        ["Receiver.TryReceiveUntil"] = () => WithItem(rx => Sync(ct => rx.TryReceiveUntil(DateTimeOffset.UtcNow + Second, ct))),
        ["Receiver.TryReceiveAsync(timeout)"] = () => WithItem(rx => ct => rx.TryReceiveAsync(Second, ct).AsTask()),
        ["Receiver.TryReceiveUntilAsync"] = () => WithItem(rx => ct => rx.TryReceiveUntilAsync(DateTimeOffset.UtcNow + Second, ct).AsTask()),
        ["Receiver.GetAsyncEnumerator"] = () => WithItem(rx => ct => rx.GetAsyncEnumerator(ct).MoveNextAsync().AsTask()),
        ["Receiver.WithCancellation"] = () => WithItem(rx => async ct =>
        {
            await foreach (int _ in rx.WithCancellation(ct))
            {
                break;
            }
        }),
        ["ChannelReader.ReadAsync"] = () => WithItem(rx => ct => rx.AsChannelReader().ReadAsync(ct).AsTask()),
        ["ChannelReader.WaitToReadAsync"] = () => WithItem(rx => ct => rx.AsChannelReader().WaitToReadAsync(ct).AsTask()),
        ["Selector.Select"] = () => WithItem(rx => Sync(ct => new Selector().Receive(rx, _ => { }).Select(ct))),
        ["Selector.SelectAsync"] = () => WithItem(rx => ct => new Selector().Receive(rx, _ => { }).SelectAsync(ct).AsTask()),
        ["Selector.Select(send)"] = () => WithRoom(tx => Sync(ct => new Selector().Send(tx, 2).Select(ct))),
        ["SelectSet.Select"] = () => WithItem(rx => Sync(ct => Set(rx).Select(ct))),
        ["SelectSet.Select(timeout)"] = () => WithItem(rx => Sync(ct => Set(rx).Select(Second, ct))),
        ["SelectSet.SelectAsync"] = () => WithItem(rx => ct => Set(rx).SelectAsync(ct).AsTask()),
        ["PermitSemaphore.Acquire"] = () => Free(s => Sync(ct => s.Acquire(ct))),
        ["PermitSemaphore.Acquire(weight)"] = () => Free(s => Sync(ct => s.Acquire(2, ct))),
        ["PermitSemaphore.AcquireAsync"] = () => Free(s => ct => s.AcquireAsync(ct).AsTask()),
        ["PermitSemaphore.AcquireAsync(weight)"] = () => Free(s => ct => s.AcquireAsync(2, ct).AsTask()),
        ["Locked.Lock"] = () => FreeLock(l => Sync(ct => l.Lock(ct))),
        ["Locked.LockAsync"] = () => FreeLock(l => ct => l.LockAsync(ct).AsTask()),
        ["RwLocked.Read"] = () => FreeRw(l => Sync(ct => l.Read(ct))),
        ["RwLocked.Write"] = () => FreeRw(l => Sync(ct => l.Write(ct))),
        ["RwLocked.ReadAsync"] = () => FreeRw(l => ct => l.ReadAsync(ct).AsTask()),
        ["RwLocked.WriteAsync"] = () => FreeRw(l => ct => l.WriteAsync(ct).AsTask()),
        ["TaskScope.RunAsync"] = () => ScopeBody((body, ct) => TaskScope.RunAsync(body, ct)),
        ["TaskScope.RunAsync(options)"] = () => ScopeBody((body, ct) => TaskScope.RunAsync(new TaskScopeOptions { MaxConcurrency = 2 }, body, ct)),
        ["TaskScope.RunSupervisedAsync"] = () => ScopeBody((body, ct) => TaskScope.RunSupervisedAsync(body, ct)),
    };

    private static SelectSet Set(Receiver<int> rx)
    {
        var set = new SelectSet();
        set.AddReceive(rx);
        return set;
    }

    public static TheoryData<string> ApiNames() => new(Apis.Keys);

    [Theory]
    [MemberData(nameof(ApiNames))]
    public async Task A_token_cancelled_before_the_call_wins_even_when_the_call_could_complete_at_once(string api)
    {
        var ready = Apis[api]();
        using var cts = new CancellationTokenSource();
        cts.Cancel();
        Task call;
        try
        {
            call = ready.Call(cts.Token);
        }
        catch (Exception e)
        {
            call = Task.FromException(e);
        }

        var thrown = await Assert.ThrowsAnyAsync<OperationCanceledException>(() => call);
        Assert.Equal(cts.Token, thrown.CancellationToken);
        ready.AssertNoEffect();
    }
}
