using Microsoft.Extensions.Time.Testing;

namespace ConcurrencySafety.Tests.Select;

public class SelectorTests
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
    public void The_ready_arm_completes_with_its_typed_value_and_the_others_are_untouched()
    {
        var (numbersTx, numbers) = Chan.Bounded<int>(4);
        var (wordsTx, words) = Chan.Bounded<string>(4);
        wordsTx.Send("hello");
        string? gotWord = null;
        int gotNumber = -1;
        int chosen = new Selector()
            .Receive(numbers, n => gotNumber = n)
            .Receive(words, w => gotWord = w)
            .Select();
        Assert.Equal(1, chosen);
        Assert.Equal("hello", gotWord);
        Assert.Equal(-1, gotNumber);
        Assert.Equal(0, numbers.Count);
        numbersTx.Dispose();
        wordsTx.Dispose();
    }

    [Fact]
    public void A_blocked_select_is_completed_by_a_later_send_and_unregisters_the_rest()
    {
        var (aTx, a) = Chan.Rendezvous<int>();
        var (bTx, b) = Chan.Rendezvous<int>();
        int got = 0;
        var selector = new Selector().Receive(a, x => got = x).Receive(b, x => got = -x);
        var select = Task.Run(() => selector.Select());
        WaitUntil(() => b.Core.WaitingCounts.Receivers == 1 && a.Core.WaitingCounts.Receivers == 1, "the select registers on both");
        bTx.Send(5);
        Assert.Equal(1, select.Result);
        Assert.Equal(-5, got);
        Assert.Equal((0, 0), a.Core.WaitingCounts);
        Assert.Equal(SendStatus.Full, aTx.TrySend(1).Status); // nobody waits on a any more
    }

    [Fact]
    public async Task An_async_select_that_waited_runs_its_handler_once_and_the_handler_may_select_again()
    {
        var (aTx, a) = Chan.Rendezvous<int>();
        var (bTx, b) = Chan.Bounded<int>(1);
        var handled = new List<int>();
        int nested = 0;
        Selector? selector = null;
        selector = new Selector()
            .Receive(a, x =>
            {
                handled.Add(x);
                Volatile.Write(ref nested, 1);
                // The engine is free again when the handler runs: a nested select works.
                Assert.Equal(1, selector!.Select());
            })
            .Receive(b, x => handled.Add(-x));
        var select = selector.SelectAsync().AsTask();
        WaitUntil(() => a.Core.WaitingCounts.Receivers == 1 && b.Core.WaitingCounts.Receivers == 1, "the select registers on both");
        Assert.True(bTx.TrySend(2).IsSent); // handed straight to the waiting select
        Assert.Equal(1, await select.WaitAsync(TimeSpan.FromSeconds(30)));
        Assert.Equal([-2], handled);

        var second = selector.SelectAsync().AsTask();
        WaitUntil(() => a.Core.WaitingCounts.Receivers == 1, "the second select waits");
        var sender = Task.Run(() => aTx.Send(7));
        WaitUntil(() => Volatile.Read(ref nested) == 1, "the handler of a runs its nested select");
        Assert.True(bTx.TrySend(3).IsSent); // for the handler's nested select
        Assert.Equal(0, await second.WaitAsync(TimeSpan.FromSeconds(30)));
        await sender;
        Assert.Equal([-2, 7, -3], handled);
    }

    [Fact]
    public async Task A_handler_exception_after_an_async_wait_faults_the_select_and_frees_the_selector()
    {
        var (tx, rx) = Chan.Rendezvous<int>();
        var selector = new Selector().Receive(rx, x => throw new InvalidOperationException("handler " + x));
        var select = selector.SelectAsync().AsTask();
        WaitUntil(() => rx.Core.WaitingCounts.Receivers == 1, "the select waits");
        var sender = Task.Run(() => tx.Send(4));
        var e = await Assert.ThrowsAsync<InvalidOperationException>(() => select.WaitAsync(TimeSpan.FromSeconds(30)));
        Assert.Equal("handler 4", e.Message);
        await sender;
        Assert.Equal(SendStatus.Full, tx.TrySend(5).Status); // nothing left registered
        var again = Task.Run(() => selector.Select(new CancellationTokenSource(TimeSpan.FromMilliseconds(50)).Token));
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => again); // usable (not "already running")
    }

    [Fact]
    public void A_send_arm_on_a_rendezvous_channel_pairs_with_a_blocked_receiver()
    {
        var (tx, rx) = Chan.Rendezvous<string>();
        var (otherTx, other) = Chan.Rendezvous<string>();
        var receiving = Task.Run(() => rx.Receive());
        WaitUntil(() => rx.Core.WaitingCounts.Receivers == 1, "the receiver waits");
        bool sent = false;
        int chosen = new Selector().Send(tx, "ping", () => sent = true).Receive(other, _ => { }).Select();
        Assert.Equal(0, chosen);
        Assert.True(sent);
        Assert.Equal("ping", receiving.Result);
        otherTx.Dispose();
    }

    [Fact]
    public void A_blocked_send_arm_is_completed_by_a_later_receiver_and_the_value_goes_exactly_once()
    {
        var (tx1, rx1) = Chan.Rendezvous<int>();
        var (tx2, rx2) = Chan.Rendezvous<int>();
        var selector = new Selector().Send(tx1, 1).Send(tx2, 2);
        var select = Task.Run(() => selector.Select());
        WaitUntil(() => rx1.Core.WaitingCounts.Senders == 1 && rx2.Core.WaitingCounts.Senders == 1, "both sends wait");
        Assert.Equal(2, rx2.Receive());
        Assert.Equal(1, select.Result);
        Assert.Equal(ReceiveStatus.Empty, rx1.TryReceive().Status); // the losing arm sent nothing
    }

    [Fact]
    public void Two_always_ready_arms_are_chosen_fairly()
    {
        var (aTx, a) = Chan.Unbounded<int>();
        var (bTx, b) = Chan.Unbounded<int>();
        const int selects = 100_000;
        for (int i = 0; i < selects; i++)
        {
            aTx.Send(i);
            bTx.Send(i);
        }

        int countA = 0, countB = 0;
        var selector = new Selector().Receive(a, _ => countA++).Receive(b, _ => countB++);
        for (int i = 0; i < selects; i++) selector.Select();
        Assert.Equal(selects, countA + countB);
        Assert.InRange(countA, selects * 45 / 100, selects * 55 / 100);
        Assert.InRange(countB, selects * 45 / 100, selects * 55 / 100);
    }

    [Fact]
    public void A_biased_select_prefers_arms_in_order()
    {
        var (aTx, a) = Chan.Unbounded<int>();
        var (bTx, b) = Chan.Unbounded<int>();
        for (int i = 0; i < 100; i++)
        {
            aTx.Send(i);
            bTx.Send(i);
        }

        var selector = new Selector { Biased = true }.Receive(a, _ => { }).Receive(b, _ => { });
        for (int i = 0; i < 100; i++) Assert.Equal(0, selector.Select());
        Assert.Equal(1, selector.Select());
    }

    [Fact]
    public void The_default_arm_runs_when_nothing_is_ready_and_takes_nothing()
    {
        var (tx, rx) = Chan.Bounded<int>(1);
        bool ranDefault = false;
        var selector = new Selector().Receive(rx, _ => { }).Send(tx, 7).Default(() => ranDefault = true);
        Assert.Equal(1, selector.Select()); // only the send is ready: room in the buffer
        Assert.Equal(0, selector.Select()); // now only the receive is ready: the buffer is full
        Assert.False(ranDefault);

        // On a rendezvous channel with nobody else around, neither arm is ready.
        var (rtx, rrx) = Chan.Rendezvous<int>();
        var lonely = new Selector().Receive(rrx, _ => { }).Send(rtx, 1).Default(() => ranDefault = true);
        Assert.Equal(-1, lonely.Select());
        Assert.True(ranDefault);
        Assert.Equal((0, 0), rrx.Core.WaitingCounts);
    }

    /// <summary>A fake clock that moves forward while the select arms its timer, as a test thread calling Advance at that moment would.</summary>
    private sealed class ClockThatMovesWhileArming(FakeTimeProvider inner, TimeSpan jump) : TimeProvider
    {
        public override DateTimeOffset GetUtcNow() => inner.GetUtcNow();

        public override long GetTimestamp() => inner.GetTimestamp();

        public override long TimestampFrequency => inner.TimestampFrequency;

        public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period)
        {
            var timer = inner.CreateTimer(callback, state, dueTime, period);
            inner.Advance(jump);
            return timer;
        }
    }

    [Fact]
    public async Task A_clock_that_moves_while_the_timer_is_armed_still_times_out_at_the_deadline()
    {
        // The select reads 0 s elapsed, then the clock jumps 2 s before the timer is set: a
        // timer set for "3 s from now" would fire at 5 s and miss the advance to 3 s below.
        var fake = new FakeTimeProvider();
        var (tx, rx) = Chan.Rendezvous<int>();
        var selector = new Selector(new ClockThatMovesWhileArming(fake, TimeSpan.FromSeconds(2)))
            .Receive(rx, _ => { })
            .Timeout(TimeSpan.FromSeconds(3), () => { });
        var select = selector.SelectAsync().AsTask();
        Assert.False(select.IsCompleted);
        fake.Advance(TimeSpan.FromSeconds(1));
        Assert.Equal(-2, await select.WaitAsync(Long));
        Assert.Equal((0, 0), rx.Core.WaitingCounts);
        tx.Dispose();
    }

    [Fact]
    public async Task The_timeout_arm_runs_when_fake_time_passes()
    {
        var time = new FakeTimeProvider();
        var (tx, rx) = Chan.Rendezvous<int>();
        bool timedOut = false;
        var selector = new Selector(time).Receive(rx, _ => { }).Timeout(TimeSpan.FromSeconds(3), () => timedOut = true);
        var select = Task.Run(() => selector.Select());
        WaitUntil(() => rx.Core.WaitingCounts.Receivers == 1, "the select waits");
        time.Advance(TimeSpan.FromSeconds(2));
        await Task.Delay(20);
        Assert.False(select.IsCompleted);
        time.Advance(TimeSpan.FromSeconds(1));
        Assert.Equal(-2, await select.WaitAsync(Long));
        Assert.True(timedOut);
        Assert.Equal((0, 0), rx.Core.WaitingCounts);
        tx.Dispose();
    }

    [Fact]
    public async Task An_async_select_times_out_on_the_system_clock_too()
    {
        var (tx, rx) = Chan.Rendezvous<int>();
        bool timedOut = false;
        var selector = new Selector().Receive(rx, _ => { }).Timeout(TimeSpan.FromMilliseconds(30), () => timedOut = true);
        Assert.Equal(-2, await selector.SelectAsync());
        Assert.Equal(-2, selector.Select());
        Assert.True(timedOut);
        Assert.Equal((0, 0), rx.Core.WaitingCounts);
        tx.Dispose();
    }

    [Fact]
    public void A_select_with_a_ticker_and_an_after_channel_uses_the_time_provider()
    {
        var time = new FakeTimeProvider();
        using var tick = Chan.Tick(TimeSpan.FromMilliseconds(500), time);
        using var timeout = Chan.After(TimeSpan.FromSeconds(3), time);
        int ticks = 0;
        bool done = false;
        var selector = new Selector { Biased = true }.Receive(timeout, _ => done = true).Receive(tick, _ => ticks++);
        while (!done)
        {
            time.Advance(TimeSpan.FromMilliseconds(500));
            selector.Select();
        }

        Assert.Equal(5, ticks); // ticks at 0.5 .. 2.5 s; at 3.0 s the biased timeout wins
    }

    [Fact]
    public async Task Cancelling_a_select_leaves_no_registration_and_later_operations_behave_normally()
    {
        var (aTx, a) = Chan.Rendezvous<int>();
        var (bTx, b) = Chan.Bounded<int>(1);
        bTx.Send(0); // full: a send arm on b must wait
        using var cts = new CancellationTokenSource();
        var selector = new Selector().Receive(a, _ => { }).Send(bTx, 99);
        var select = selector.SelectAsync(cts.Token).AsTask();
        WaitUntil(() => a.Core.WaitingCounts.Receivers == 1 && b.Core.WaitingCounts.Senders == 1, "the select registers");
        cts.Cancel();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => select);
        Assert.Equal((0, 0), a.Core.WaitingCounts);
        Assert.Equal((0, 0), b.Core.WaitingCounts);

        // As if the select never happened: b still holds only 0, a pairs normally.
        Assert.Equal(0, b.Receive());
        Assert.Equal(ReceiveStatus.Empty, b.TryReceive().Status);
        var receiving = Task.Run(() => a.Receive());
        aTx.Send(3);
        Assert.Equal(3, await receiving.WaitAsync(Long));

        // The blocking form too.
        using var cts2 = new CancellationTokenSource(TimeSpan.FromMilliseconds(30));
        Assert.ThrowsAny<OperationCanceledException>(() => new Selector().Receive(a, _ => { }).Select(cts2.Token));
        Assert.Equal((0, 0), a.Core.WaitingCounts);
    }

    [Fact]
    public void A_closed_channel_makes_its_arm_ready_with_disconnected()
    {
        var (tx, rx) = Chan.Bounded<int>(2);
        tx.Send(1);
        tx.Dispose();
        var log = new List<string>();
        var selector = new Selector().Receive(rx, x => log.Add("item " + x), () => log.Add("closed"));
        selector.Select();
        selector.Select();
        Assert.Equal(["item 1", "closed"], log);

        var strict = new Selector().Receive(rx, _ => { });
        Assert.Throws<ChannelDisconnectedException>(() => strict.Select());
    }

    [Fact]
    public void A_disconnected_arm_is_retired_after_its_handler_ran_so_a_loop_does_not_spin()
    {
        var (aTx, a) = Chan.Bounded<int>(1);
        var (bTx, b) = Chan.Bounded<int>(1);
        aTx.Dispose();
        int closedA = 0, items = 0;
        var selector = new Selector().Receive(a, _ => { }, () => closedA++).Receive(b, _ => items++);
        Assert.Equal(0, selector.Select()); // a reports closed once ...
        Assert.Equal(1, selector.ActiveCount);
        bTx.Send(5);
        Assert.Equal(1, selector.Select()); // ... and is skipped afterwards
        Assert.Equal((1, 1), (closedA, items));

        var onlyClosed = new Selector().Receive(a, _ => { }, () => { });
        onlyClosed.Select();
        Assert.Contains("retired", Assert.Throws<InvalidOperationException>(() => onlyClosed.Select()).Message);
        bTx.Dispose();
    }

    [Fact]
    public void A_send_arm_without_receivers_gives_its_item_back()
    {
        var (tx, rx) = Chan.Rendezvous<string>();
        rx.Dispose();
        string? back = null;
        new Selector().Send(tx, "lost?", onDisconnected: item => back = item).Select();
        Assert.Equal("lost?", back);
    }

    [Fact]
    public void Bad_input_is_rejected_with_clear_exceptions()
    {
        Assert.Contains("wait forever", Assert.Throws<ArgumentException>(() => new Selector().Select()).Message);
        var (tx, rx) = Chan.Bounded<int>(1);
        Assert.Throws<ArgumentNullException>(() => new Selector().Receive(rx, null!));
        Assert.Throws<ArgumentNullException>(() => new Selector().Receive<int>(null!, _ => { }));
        Assert.Throws<ArgumentOutOfRangeException>(() => new Selector().Timeout(TimeSpan.FromSeconds(-1), () => { }));
        Assert.Throws<InvalidOperationException>(() => new Selector().Default(() => { }).Default(() => { }));
        var selector = new Selector().Receive(rx, _ => { });
        rx.Dispose();
        Assert.Throws<ObjectDisposedException>(() => selector.Select());
        Assert.Throws<ObjectDisposedException>(() => new Selector().Receive(rx, _ => { }));
        tx.Dispose();
        Assert.Throws<ObjectDisposedException>(() => new Selector().Send(tx, 1));
    }

    [Fact]
    public void Running_one_selector_concurrently_is_reported()
    {
        var (tx, rx) = Chan.Rendezvous<int>();
        var selector = new Selector().Receive(rx, _ => { });
        var first = Task.Run(() => selector.Select());
        WaitUntil(() => rx.Core.WaitingCounts.Receivers == 1, "the first select waits");
        Assert.Throws<InvalidOperationException>(() => selector.Select());
        tx.Send(1);
        Assert.Equal(0, first.Result);
    }

    [Fact]
    public async Task A_disposed_handle_is_reported_even_when_another_arm_is_ready_and_the_selector_stays_free()
    {
        var (readyTx, ready) = Chan.Bounded<int>(4);
        var (_, idle) = Chan.Bounded<int>(4);
        readyTx.Send(1);
        readyTx.Send(2);
        int got = 0;
        var selector = new Selector().Receive(ready, x => got = x).Receive(idle, _ => { });
        idle.Dispose();
        for (int round = 0; round < 3; round++)
        {
            // Every select reports the disposed arm (not "already running": the failed select
            // released the selector), whichever arm the random order would try first.
            Assert.Throws<ObjectDisposedException>(() => selector.Select());
            await Assert.ThrowsAsync<ObjectDisposedException>(async () => await selector.SelectAsync());
        }

        Assert.Equal(0, got);
        Assert.Equal(2, ready.Count); // nothing was received by the failed selects
    }

    [Fact]
    public async Task SelectAsync_reports_a_failure_during_a_ready_select_through_its_task_and_a_misuse_at_once()
    {
        var (tx, rx) = Chan.Bounded<int>(4);
        var (_, other) = Chan.Bounded<int>(4);
        tx.Send(1);
        var selector = new Selector().Receive(rx, x => throw new FormatException($"handler got {x}"));

        // The arm is ready, so the select completes without waiting; the handler's exception
        // is the task's, not the call's (as it is when the select had to wait).
        ValueTask<int> failed = selector.SelectAsync();
        Assert.True(failed.IsFaulted);
        var thrown = await Assert.ThrowsAsync<FormatException>(async () => await failed);
        Assert.Equal("handler got 1", thrown.Message);

        // An already cancelled token: a cancelled task, the ready item left in the channel.
        tx.Send(2);
        using var cts = new CancellationTokenSource();
        cts.Cancel();
        ValueTask<int> cancelled = selector.SelectAsync(cts.Token);
        Assert.True(cancelled.IsCanceled);
        var oce = await Assert.ThrowsAnyAsync<OperationCanceledException>(async () => await cancelled);
        Assert.Equal(cts.Token, oce.CancellationToken);
        Assert.Equal(1, rx.Count);

        // A disconnected arm without a handler, chosen at once: the task carries the error.
        var (lonelyTx, lonely) = Chan.Bounded<int>(1);
        lonelyTx.Dispose();
        var strict = new Selector().Receive(lonely, _ => { });
        ValueTask<int> disconnected = strict.SelectAsync();
        Assert.True(disconnected.IsFaulted);
        await Assert.ThrowsAsync<ChannelDisconnectedException>(async () => await disconnected);

        // A misuse is still reported by the call itself, as a send on a disposed handle is.
        var withDisposed = new Selector().Receive(rx, _ => { }).Receive(other, _ => { });
        other.Dispose();
        Assert.Throws<ObjectDisposedException>(() => { _ = withDisposed.SelectAsync(); });

        // Every failed select left its selector free: the next one runs and takes the item.
        int got = 0;
        var fine = new Selector().Receive(rx, x => got = x);
        Assert.Equal(0, await fine.SelectAsync());
        Assert.Equal(2, got);
        tx.Send(3);
        Assert.Throws<FormatException>(() => selector.Select()); // free again, and still failing in the handler
    }

    [Fact]
    public async Task Disposing_the_last_handle_of_an_arm_while_the_select_waits_fails_the_select_with_ObjectDisposedException()
    {
        // A receive arm: its channel's last receiver is the arm's own, disposed by another party.
        var (tx, rx) = Chan.Rendezvous<int>();
        var (_, idle) = Chan.Rendezvous<int>();
        var selector = new Selector().Receive(rx, _ => { }).Receive(idle, _ => { });
        var waiting = selector.SelectAsync().AsTask();
        WaitUntil(() => rx.Core.WaitingCounts.Receivers == 1 && idle.Core.WaitingCounts.Receivers == 1, "the select waits on both arms");
        rx.Dispose();
        await Assert.ThrowsAsync<ObjectDisposedException>(() => waiting.WaitAsync(TimeSpan.FromSeconds(30)));
        Assert.Equal(0, idle.Core.WaitingCounts.Receivers); // every arm was unregistered
        Assert.True(tx.TrySend(1).Status == SendStatus.Disconnected);

        // A send arm, blocking: nothing was sent, and a receiver finds the channel closed.
        var (stx, srx) = Chan.Rendezvous<int>();
        var sending = new Selector().Send(stx, 7, () => { });
        var blocked = Task.Run(() => sending.Select());
        WaitUntil(() => srx.Core.WaitingCounts.Senders == 1, "the send arm waits");
        stx.Dispose();
        await Assert.ThrowsAsync<ObjectDisposedException>(() => blocked.WaitAsync(TimeSpan.FromSeconds(30)));
        Assert.True(srx.TryReceive().IsDisconnected);
    }

    [Fact]
    public void A_value_factory_runs_once_per_select_and_a_throwing_one_sends_nothing()
    {
        var (aTx, a) = Chan.Bounded<int>(8);
        var (bTx, b) = Chan.Bounded<int>(8);
        int calls = 0;
        bool fail = false;
        var selector = new Selector()
            .Send(aTx, 7)
            .Send(bTx, () => fail ? throw new FormatException("the factory failed") : ++calls * 10);
        for (int i = 0; i < 4; i++)
        {
            selector.Select();
        }

        // The factory ran on every select, whichever arm won; the fixed arm always sends its value.
        Assert.Equal(4, calls);
        var fromA = Drain(a);
        var fromB = Drain(b);
        Assert.Equal(4, fromA.Count + fromB.Count);
        Assert.All(fromA, x => Assert.Equal(7, x));
        Assert.All(fromB, x => Assert.True(x % 10 == 0 && x >= 10 && x <= 40, $"a factory value, got {x}"));

        fail = true;
        Assert.Throws<FormatException>(() => selector.Select());
        Assert.Equal(0, a.Count + b.Count); // the select did not start: nothing was sent

        fail = false;
        selector.Select(); // the selector is free again
        Assert.Equal(5, calls);
        Assert.Equal(1, a.Count + b.Count);

        static List<int> Drain(Receiver<int> rx)
        {
            var items = new List<int>();
            while (rx.TryReceive(out int x))
            {
                items.Add(x);
            }

            return items;
        }
    }

    [Fact]
    public async Task A_clock_that_throws_when_a_timed_select_starts_leaves_the_selector_free()
    {
        var clock = new FailingClock { Fail = true };
        var (tx, rx) = Chan.Bounded<int>(1);
        int got = 0;
        var selector = new Selector(clock).Receive(rx, x => got = x).Timeout(TimeSpan.FromSeconds(30), () => { });
        Assert.Throws<TimeZoneNotFoundException>(() => selector.Select());
        await Assert.ThrowsAsync<TimeZoneNotFoundException>(async () => await selector.SelectAsync());

        clock.Fail = false;
        tx.Send(7);
        Assert.Equal(0, selector.Select()); // not "already running": the failed selects released it
        Assert.Equal(7, got);
    }

    [Fact]
    public void A_select_set_call_rejected_as_concurrent_does_not_change_the_running_select()
    {
        var time = new TestClocks.CountingFakeTime();
        var (_, rx) = Chan.Rendezvous<int>();
        var set = new SelectSet(time);
        set.AddReceive(rx);
        var first = Task.Run(() => set.Select(TimeSpan.FromSeconds(1)));
        WaitUntil(() => rx.Core.WaitingCounts.Receivers == 1 && time.LiveTimers == 1, "the first select waits with its timer armed");

        // Each rejected call would otherwise have rewritten the running select's settings (no
        // timeout, a one-hour one, a default), and its timer would then have found no timeout due.
        Assert.Throws<InvalidOperationException>(() => set.Select());
        Assert.Throws<InvalidOperationException>(() => set.Select(TimeSpan.FromHours(1)));
        Assert.Throws<InvalidOperationException>(() => set.TrySelect());
        Assert.Throws<InvalidOperationException>(() => set.Select());

        time.Fake.Advance(TimeSpan.FromSeconds(2));
        Assert.True(first.Wait(TimeSpan.FromSeconds(10)), "the running select kept its 1 s timeout");
        Assert.Null(first.Result);
        Assert.Equal((0, 0), rx.Core.WaitingCounts);
    }

    /// <summary>A system clock whose timestamp read throws while <see cref="Fail"/> is set.</summary>
    private sealed class FailingClock : TimeProvider
    {
        public volatile bool Fail;

        public override long GetTimestamp() => Fail ? throw new TimeZoneNotFoundException("test clock failure") : System.GetTimestamp();
    }

    [Fact]
    public async Task Worker_shutdown_pattern_every_worker_exits_when_the_shutdown_sender_is_disposed()
    {
        var (shutdownTx, shutdown) = Chan.Rendezvous<int>();
        var (doneTx, done) = Chan.Unbounded<int>();
        var workers = Enumerable.Range(0, 4).Select(id =>
        {
            var myShutdown = shutdown.Clone();
            var myDone = doneTx.Clone();
            return Task.Run(async () =>
            {
                using (myShutdown)
                using (myDone)
                using (var tick = Chan.Tick(TimeSpan.FromMilliseconds(5)))
                {
                    bool running = true;
                    int ticks = 0;
                    var selector = new Selector()
                        .Receive(myShutdown, _ => { }, () => running = false)
                        .Receive(tick, _ => ticks++);
                    while (running) await selector.SelectAsync();
                    myDone.Send(id);
                }
            });
        }).ToArray();
        shutdown.Dispose();
        doneTx.Dispose();
        await Task.Delay(30);
        shutdownTx.Dispose(); // the signal: every worker's shutdown arm becomes "disconnected"
        await Task.WhenAll(workers).WaitAsync(Long);
        Assert.Equal([0, 1, 2, 3], done.Order().ToArray());
    }

    [Fact]
    public void The_dynamic_form_reports_the_index_and_hands_over_typed_values()
    {
        var (aTx, a) = Chan.Bounded<int>(1);
        var (bTx, b) = Chan.Bounded<string>(1);
        var (cTx, c) = Chan.Bounded<int>(1);
        var set = new SelectSet();
        int ia = set.AddReceive(a);
        int ib = set.AddReceive(b);
        int ic = set.AddSend(cTx, 42);
        bTx.Send("x");
        var op = set.TrySelect();
        Assert.NotNull(op);
        // b is ready and c has room: either may win, but exactly one does.
        if (op.Value.Index == ib)
        {
            Assert.Equal("x", op.Value.Receive(b));
            Assert.Equal(0, c.Count);
        }
        else
        {
            Assert.Equal(ic, op.Value.Index);
            Assert.True(op.Value.Send(cTx).IsSent);
            Assert.Equal(42, c.Receive());
            Assert.Equal("x", b.Receive());
        }

        Assert.Throws<InvalidOperationException>(() => op.Value.Receive(a)); // wrong handle for that index
        Assert.Equal(0, ia);
        Assert.Null(new SelectSet().TrySelect());
        aTx.Dispose();
    }

    [Fact]
    public void Dynamic_select_with_a_timeout_returns_null_and_a_stale_operation_is_rejected()
    {
        var (tx, rx) = Chan.Rendezvous<int>();
        var set = new SelectSet();
        set.AddReceive(rx);
        Assert.Null(set.Select(TimeSpan.FromMilliseconds(10)));
        var buffered = Chan.Bounded<int>(1);
        var set2 = new SelectSet();
        set2.AddReceive(buffered.Receiver);
        buffered.Sender.Send(1);
        var first = set2.Select();
        buffered.Sender.Send(2);
        var second = set2.Select();
        Assert.Equal(2, second.Receive(buffered.Receiver));
        Assert.Throws<InvalidOperationException>(() => first.Receive(buffered.Receiver));
        Assert.Throws<ArgumentException>(() => new SelectSet().Select());
        set2.Disable(0);
        Assert.Null(set2.TrySelect());
        Assert.Throws<ArgumentOutOfRangeException>(() => set2.Disable(5));
        tx.Dispose();
    }

    [Fact]
    public void Selectors_created_together_draw_independent_arm_orders()
    {
        // Regression: the fair order's seed came from the millisecond clock, so selectors made in
        // the same millisecond shuffled their arms identically. 32 independent 31-bit seeds
        // collide with negligible probability; the clock gave one or two distinct values here.
        var seeds = new HashSet<uint>();
        for (int i = 0; i < 32; i++)
        {
            seeds.Add(new Selector().Engine.RandomState);
        }

        Assert.True(seeds.Count >= 30, $"only {seeds.Count} distinct seeds among 32 selectors");
    }
}
