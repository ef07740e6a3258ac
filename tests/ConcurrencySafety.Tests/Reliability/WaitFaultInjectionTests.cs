using ConcurrencySafety.Channels;

namespace ConcurrencySafety.Tests.Reliability;

/// <summary>
/// Issue 13, bug 1, the mechanism: every wait path that fails after it registered (the
/// internal <see cref="WaitFaults"/> hook throws right after the registration, and again
/// right after the cancellation and timeout are armed) leaves nothing registered, loses no
/// item, keeps no cancellation callback that could hit a later operation, and, when a partner
/// completed the operation just before the failure, reports that completion instead.
/// </summary>
public class WaitFaultInjectionTests
{
    private static readonly TimeSpan Long = TimeSpan.FromMinutes(10);

    private sealed class InjectedFault() : Exception("injected by the test");

    /// <summary>The public twin of the internal <see cref="WaitStage"/>, for theory parameters.</summary>
    public enum Stage { Registered, Armed }

    private static WaitStage Internal(Stage stage) => stage == Stage.Armed ? WaitStage.Armed : WaitStage.Registered;

    /// <summary>Throws at (<paramref name="path"/>, <paramref name="stage"/>), once, after running <paramref name="first"/>.</summary>
    private static IDisposable FailAt(WaitPath path, Stage stage, Action? first = null)
    {
        int fired = 0;
        return WaitFaults.Install((p, s) =>
        {
            if (p == path && s == Internal(stage) && Interlocked.Exchange(ref fired, 1) == 0)
            {
                first?.Invoke();
                throw new InjectedFault();
            }
        });
    }

    private static void WaitUntil(Func<bool> condition, string what)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < deadline, "timed out waiting until " + what);
            Thread.Sleep(1);
        }
    }

    private static void AssertNothingQueued<T>(Receiver<T> rx) => Assert.Equal((0, 0, 0, 0), rx.Core.QueuedNodes);

    /// <summary>A token that can be cancelled but never is.</summary>
    private static readonly CancellationTokenSource Unfired = new();

    private static (Sender<int> Tx, Receiver<int> Rx) Make(int capacity) =>
        capacity < 0 ? Chan.Unbounded<int>() : Chan.Bounded<int>(capacity);

    // ------------------------------------------------------------------ receive paths

    public enum ReceiveForm { Blocking, BlockingTimeout, Async, Direct, AsyncEnumerator, Select, SelectAsync, SelectSet, SelectSetAsync }

    /// <summary>One receiving party, reused for the failed wait and the wait after it (a select keeps its engine).</summary>
    private sealed class Receiving
    {
        private readonly ReceiveForm _form;
        private readonly Receiver<int> _rx;
        private readonly Selector _selector;
        private readonly SelectSet _set;
        private int _got;

        public Receiving(ReceiveForm form, Receiver<int> rx, Receiver<int> never)
        {
            _form = form;
            _rx = rx;
            // A cancellation arm whose token is never cancelled: its callback registration must
            // be undone on a failure like the channel arms' nodes.
            _selector = new Selector().Receive(rx, x => _got = x).Receive(never, _ => throw new InvalidOperationException())
                .Cancelled(Unfired.Token, () => throw new InvalidOperationException());
            _set = NewSet(rx, never);
            _set.AddCancelled(Unfired.Token);
        }

        private static SelectSet NewSet(Receiver<int> rx, Receiver<int> never)
        {
            var set = new SelectSet();
            set.AddReceive(rx);
            set.AddReceive(never);
            return set;
        }

        public WaitPath Path => _form switch
        {
            ReceiveForm.Blocking or ReceiveForm.BlockingTimeout => WaitPath.ChannelBlocking,
            ReceiveForm.Async or ReceiveForm.AsyncEnumerator => WaitPath.ChannelAsync,
            ReceiveForm.Direct => WaitPath.ChannelDirectAsync,
            ReceiveForm.Select or ReceiveForm.SelectSet => WaitPath.SelectBlocking,
            _ => WaitPath.SelectAsync,
        };

        public Task<int> Receive(CancellationToken ct) => _form switch
        {
            ReceiveForm.Blocking => Task.Run(() => _rx.Receive(ct)),
            ReceiveForm.BlockingTimeout => Task.Run(() => _rx.TryReceive(Long, ct).Value),
            ReceiveForm.Async => Async(async () => (await _rx.TryReceiveAsync(Long, ct)).Value),
            ReceiveForm.Direct => _rx.ReceiveAsync(ct).AsTask(),
            ReceiveForm.AsyncEnumerator => Async(async () =>
            {
                await using var e = _rx.GetAsyncEnumerator(ct);
                Assert.True(await e.MoveNextAsync());
                return e.Current;
            }),
            ReceiveForm.Select => Task.Run(() =>
            {
                Assert.Equal(0, _selector.Select(ct));
                return _got;
            }),
            ReceiveForm.SelectAsync => Async(async () =>
            {
                Assert.Equal(0, await _selector.SelectAsync(ct));
                return _got;
            }),
            ReceiveForm.SelectSet => Task.Run(() => _set.Select(ct).Receive(_rx)),
            _ => Async(async () => (await _set.SelectAsync(ct)).Receive(_rx)),
        };

        private static Task<int> Async(Func<Task<int>> body) => body();
    }

    public static TheoryData<ReceiveForm, Stage, int> ReceiveCases()
    {
        var data = new TheoryData<ReceiveForm, Stage, int>();
        foreach (var form in Enum.GetValues<ReceiveForm>())
        {
            foreach (var stage in Enum.GetValues<Stage>())
            {
                foreach (int capacity in new[] { 0, 1, -1 })
                {
                    data.Add(form, stage, capacity);
                }
            }
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(ReceiveCases))]
    public async Task A_receive_that_fails_after_registering_leaves_nothing_behind(ReceiveForm form, Stage stage, int capacity)
    {
        var (tx, rx) = Make(capacity);
        var never = Chan.Never<int>();
        var party = new Receiving(form, rx, never);
        using var failedToken = new CancellationTokenSource();
        using (FailAt(party.Path, stage))
        {
            await Assert.ThrowsAsync<InjectedFault>(() => party.Receive(failedToken.Token));
        }

        AssertNothingQueued(rx);
        AssertNothingQueued(never);

        // The next item is not swallowed by a dead registration.
        if (capacity == 0)
        {
            Assert.Equal(SendStatus.Full, tx.TrySend(7).Status); // nobody waits
        }
        else
        {
            Assert.Equal(SendStatus.Sent, tx.TrySend(7).Status);
            Assert.Equal(7, rx.TryReceive().Value);
        }

        // A later wait of the same party is not hit by the failed wait's token.
        var next = party.Receive(CancellationToken.None);
        WaitUntil(() => rx.Core.WaitingCounts.Receivers == 1, "the next receive waits");
        failedToken.Cancel();
        Assert.Equal(SendStatus.Sent, tx.TrySend(8).Status);
        Assert.Equal(8, await next);
        AssertNothingQueued(rx);
        AssertNothingQueued(never);
        tx.Dispose();
    }

    [Theory]
    [MemberData(nameof(ReceiveCases))]
    public async Task A_receive_completed_by_a_sender_just_before_its_failure_returns_the_item(ReceiveForm form, Stage stage, int capacity)
    {
        var (tx, rx) = Make(capacity);
        var never = Chan.Never<int>();
        var party = new Receiving(form, rx, never);
        int got;
        using (FailAt(party.Path, stage, first: () => Assert.Equal(SendStatus.Sent, tx.TrySend(5).Status)))
        {
            got = await party.Receive(CancellationToken.None);
        }

        Assert.Equal(5, got);
        Assert.False(rx.TryReceive().IsReceived); // delivered once, not also buffered
        AssertNothingQueued(rx);
        AssertNothingQueued(never);
        tx.Dispose();
    }

    // ------------------------------------------------------------------ send paths

    public enum SendForm { Blocking, BlockingTimeout, Async, Direct, ChannelWriter, Select, SelectAsync, SelectSet, SelectSetAsync }

    private sealed class Sending(SendForm form, Sender<int> tx, Receiver<int> never)
    {
        private int _value;
        private Selector? _selector;
        private SelectSet? _set;

        public WaitPath Path => form switch
        {
            SendForm.Blocking or SendForm.BlockingTimeout => WaitPath.ChannelBlocking,
            SendForm.Async or SendForm.ChannelWriter => WaitPath.ChannelAsync,
            SendForm.Direct => WaitPath.ChannelDirectAsync,
            SendForm.Select or SendForm.SelectSet => WaitPath.SelectBlocking,
            _ => WaitPath.SelectAsync,
        };

        private Selector Selector => _selector ??= new Selector().Send(tx, () => _value).Receive(never, _ => throw new InvalidOperationException());

        private SelectSet Set
        {
            get
            {
                if (_set is null)
                {
                    _set = new SelectSet();
                    _set.AddSend(tx, () => _value);
                    _set.AddReceive(never);
                }

                return _set;
            }
        }

        public Task Send(int value, CancellationToken ct)
        {
            _value = value;
            return form switch
            {
                SendForm.Blocking => Task.Run(() => tx.Send(value, ct)),
                SendForm.BlockingTimeout => Task.Run(() => Assert.True(tx.TrySend(value, Long, ct).IsSent)),
                SendForm.Async => Async(async () => Assert.True((await tx.TrySendAsync(value, Long, ct)).IsSent)),
                SendForm.Direct => tx.SendAsync(value, ct).AsTask(),
                SendForm.ChannelWriter => tx.AsChannelWriter().WriteAsync(value, ct).AsTask(),
                SendForm.Select => Task.Run(() => Assert.Equal(0, Selector.Select(ct))),
                SendForm.SelectAsync => Async(async () => Assert.Equal(0, await Selector.SelectAsync(ct))),
                SendForm.SelectSet => Task.Run(() => Assert.True(Set.Select(ct).Send(tx).IsSent)),
                _ => Async(async () => Assert.True((await Set.SelectAsync(ct)).Send(tx).IsSent)),
            };
        }

        private static Task Async(Func<Task> body) => body();
    }

    public static TheoryData<SendForm, Stage, int> SendCases()
    {
        var data = new TheoryData<SendForm, Stage, int>();
        foreach (var form in Enum.GetValues<SendForm>())
        {
            foreach (var stage in Enum.GetValues<Stage>())
            {
                foreach (int capacity in new[] { 0, 1 })
                {
                    data.Add(form, stage, capacity);
                }
            }
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(SendCases))]
    public async Task A_send_that_fails_after_registering_leaves_nothing_behind(SendForm form, Stage stage, int capacity)
    {
        var (tx, rx) = Make(capacity);
        var never = Chan.Never<int>();
        var party = new Sending(form, tx, never);
        if (capacity == 1)
        {
            Assert.True(tx.TrySend(1).IsSent); // full, so the send below waits
        }

        using var failedToken = new CancellationTokenSource();
        using (FailAt(party.Path, stage))
        {
            await Assert.ThrowsAsync<InjectedFault>(() => party.Send(2, failedToken.Token));
        }

        AssertNothingQueued(rx);
        AssertNothingQueued(never);

        // The failed item was not sent, and nothing else was lost.
        if (capacity == 1)
        {
            Assert.Equal(1, rx.TryReceive().Value);
        }

        Assert.Equal(ReceiveStatus.Empty, rx.TryReceive().Status);

        // A later send of the same party is not hit by the failed send's token.
        if (capacity == 1)
        {
            Assert.True(tx.TrySend(9).IsSent);
        }

        var next = party.Send(3, CancellationToken.None);
        WaitUntil(() => rx.Core.WaitingCounts.Senders == 1, "the next send waits");
        failedToken.Cancel();
        if (capacity == 1)
        {
            Assert.Equal(9, rx.Receive());
        }

        Assert.Equal(3, rx.Receive());
        await next;
        AssertNothingQueued(rx);
        AssertNothingQueued(never);
        tx.Dispose();
    }

    [Theory]
    [MemberData(nameof(SendCases))]
    public async Task A_send_whose_item_was_taken_just_before_its_failure_reports_it_sent(SendForm form, Stage stage, int capacity)
    {
        var (tx, rx) = Make(capacity);
        var never = Chan.Never<int>();
        var party = new Sending(form, tx, never);
        if (capacity == 1)
        {
            Assert.True(tx.TrySend(1).IsSent);
        }

        var taken = new List<int>();
        using (FailAt(party.Path, stage, first: () => taken.Add(rx.TryReceive().Value)))
        {
            await party.Send(2, CancellationToken.None); // completes: the item moved
        }

        // Rendezvous: the receiver took 2 itself. Bounded: it took 1, and 2 moved into the slot.
        if (capacity == 0)
        {
            Assert.Equal([2], taken);
        }
        else
        {
            Assert.Equal([1], taken);
            Assert.Equal(2, rx.TryReceive().Value);
        }

        Assert.Equal(ReceiveStatus.Empty, rx.TryReceive().Status); // sent exactly once
        AssertNothingQueued(rx);
        tx.Dispose();
    }

    // ------------------------------------------------------------------ interop waits

    [Theory]
    [InlineData(Stage.Registered)]
    [InlineData(Stage.Armed)]
    public async Task A_wait_to_read_that_fails_after_registering_leaves_no_watcher(Stage stage)
    {
        var (tx, rx) = Chan.Bounded<int>(1);
        var reader = rx.AsChannelReader();
        using var failedToken = new CancellationTokenSource();
        using (FailAt(WaitPath.ChannelReady, stage))
        {
            await Assert.ThrowsAsync<InjectedFault>(() => reader.WaitToReadAsync(failedToken.Token).AsTask());
        }

        AssertNothingQueued(rx);
        var next = reader.WaitToReadAsync().AsTask();
        WaitUntil(() => rx.Core.QueuedNodes.ReadWatchers == 1, "the next wait watches");
        failedToken.Cancel();
        Assert.True(tx.TrySend(1).IsSent);
        Assert.True(await next);
        AssertNothingQueued(rx);
        tx.Dispose();
    }

    [Theory]
    [InlineData(Stage.Registered)]
    [InlineData(Stage.Armed)]
    public async Task A_wait_to_write_that_fails_after_registering_leaves_no_watcher(Stage stage)
    {
        var (tx, rx) = Chan.Bounded<int>(1);
        Assert.True(tx.TrySend(1).IsSent);
        var writer = tx.AsChannelWriter();
        using (FailAt(WaitPath.ChannelReady, stage))
        {
            await Assert.ThrowsAsync<InjectedFault>(() => writer.WaitToWriteAsync().AsTask());
        }

        AssertNothingQueued(rx);
        Assert.Equal(1, rx.TryReceive().Value);
        Assert.True(await writer.WaitToWriteAsync());
        tx.Dispose();
    }

    // ------------------------------------------------------------------ permits and locks

    public enum PermitForm { Acquire, TryAcquireTimeout, AcquireAsync, Lock, TryLockTimeout, LockAsync, Write, WriteAsync, ReadAsync, ScopeLimit }

    /// <summary>A resource held by the test, and a second request for it that has to wait.</summary>
    private sealed class Contended
    {
        private readonly PermitForm _form;
        private readonly PermitSemaphore _semaphore = new(1);
        private readonly Locked<int> _locked = new(0);
        private readonly RwLocked<int> _rw = new(0);
        private IDisposable? _held;

        public Contended(PermitForm form)
        {
            _form = form;
            _held = form switch
            {
                PermitForm.Acquire or PermitForm.TryAcquireTimeout or PermitForm.AcquireAsync or PermitForm.ScopeLimit => _semaphore.Acquire(),
                PermitForm.Lock or PermitForm.TryLockTimeout or PermitForm.LockAsync => _locked.Lock(),
                PermitForm.Write or PermitForm.WriteAsync => _rw.Read(),
                _ => _rw.Write(),
            };
        }

        public PermitQueue Queue => _form switch
        {
            PermitForm.Acquire or PermitForm.TryAcquireTimeout or PermitForm.AcquireAsync or PermitForm.ScopeLimit => _semaphore.Queue,
            PermitForm.Lock or PermitForm.TryLockTimeout or PermitForm.LockAsync => _locked.Queue,
            _ => _rw.Queue,
        };

        public WaitPath Path => _form is PermitForm.Acquire or PermitForm.TryAcquireTimeout or PermitForm.Lock or PermitForm.TryLockTimeout or PermitForm.Write
            ? WaitPath.PermitBlocking
            : WaitPath.PermitAsync;

        public void ReleaseHeld()
        {
            _held?.Dispose();
            _held = null;
        }

        /// <summary>Requests the resource, holds it briefly and releases it.</summary>
        public Task Request(CancellationToken ct) => _form switch
        {
            PermitForm.Acquire => Task.Run(() => _semaphore.Acquire(ct).Dispose()),
            PermitForm.TryAcquireTimeout => Task.Run(() =>
            {
                Assert.True(_semaphore.TryAcquire(Long, out var permit));
                permit.Dispose();
            }),
            PermitForm.AcquireAsync => Async(async () => (await _semaphore.AcquireAsync(ct)).Dispose()),
            PermitForm.Lock => Task.Run(() => _locked.Lock(ct).Dispose()),
            PermitForm.TryLockTimeout => Task.Run(() =>
            {
                Assert.True(_locked.TryLock(Long, out var guard));
                guard.Dispose();
            }),
            PermitForm.LockAsync => Async(async () => (await _locked.LockAsync(ct)).Dispose()),
            PermitForm.Write => Task.Run(() => _rw.Write(ct).Dispose()),
            PermitForm.WriteAsync => Async(async () => (await _rw.WriteAsync(ct)).Dispose()),
            PermitForm.ReadAsync => Async(async () => (await _rw.ReadAsync(ct)).Dispose()),
            _ => Async(async () => await _semaphore.AcquireAsync(ct).AsTask().ContinueWith(t => t.Result.Dispose(), TaskScheduler.Default)),
        };

        public void AssertFree()
        {
            Assert.Equal(0, Queue.Queued);
            Assert.Equal(Queue.Capacity, Queue.Available);
        }

        private static Task Async(Func<Task> body) => body();
    }

    public static TheoryData<PermitForm, Stage> PermitCases()
    {
        var data = new TheoryData<PermitForm, Stage>();
        foreach (var form in Enum.GetValues<PermitForm>())
        {
            if (form == PermitForm.ScopeLimit)
            {
                continue; // covered by its own test below
            }

            foreach (var stage in Enum.GetValues<Stage>())
            {
                data.Add(form, stage);
            }
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(PermitCases))]
    public async Task A_permit_request_that_fails_after_queueing_leaves_nothing_behind(PermitForm form, Stage stage)
    {
        var resource = new Contended(form);
        using var failedToken = new CancellationTokenSource();
        using (FailAt(resource.Path, stage))
        {
            await Assert.ThrowsAsync<InjectedFault>(() => resource.Request(failedToken.Token));
        }

        Assert.Equal(0, resource.Queue.Queued);

        // A later request waits, is not cancelled by the failed request's token, and gets the
        // permits once they are released (the failed request did not take them).
        var next = resource.Request(CancellationToken.None);
        WaitUntil(() => resource.Queue.Queued == 1, "the next request queues");
        failedToken.Cancel();
        resource.ReleaseHeld();
        await next;
        resource.AssertFree();
    }

    [Theory]
    [MemberData(nameof(PermitCases))]
    public async Task A_permit_request_granted_just_before_its_failure_gives_the_permits_back(PermitForm form, Stage stage)
    {
        var resource = new Contended(form);
        using (FailAt(resource.Path, stage, first: resource.ReleaseHeld))
        {
            await Assert.ThrowsAsync<InjectedFault>(() => resource.Request(CancellationToken.None));
        }

        resource.AssertFree();
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task A_scope_child_whose_slot_wait_fails_fails_the_scope_instead_of_hanging_it(bool spawnAsync)
    {
        var run = TaskScope.RunAsync(new TaskScopeOptions { MaxConcurrency = 1 }, async scope =>
        {
            scope.Spawn(ct => Task.Delay(Timeout.Infinite, ct)); // holds the only slot until the scope is cancelled
            using (FailAt(WaitPath.PermitAsync, Stage.Registered))
            {
                if (spawnAsync)
                {
                    await scope.SpawnAsync(_ => Task.CompletedTask);
                }
                else
                {
                    scope.Spawn(_ => Task.CompletedTask);
                }
            }
        });

        var failure = await Record.ExceptionAsync(() => run.WaitAsync(TimeSpan.FromSeconds(30)));
        Assert.IsNotType<TimeoutException>(failure);
        Assert.True(
            failure is InjectedFault || (failure is AggregateException all && all.InnerExceptions.Any(e => e is InjectedFault)),
            $"the scope reports the injected failure, not {failure}");
    }

    // ------------------------------------------------------------------ timer channels

    [Fact]
    public void A_tick_channel_whose_start_fails_stops_its_timer()
    {
        var clock = new TestClocks.CountingFakeTime();
        using (FailAt(WaitPath.TimerStart, Stage.Registered))
        {
            Assert.Throws<InjectedFault>(() => Chan.Tick(TimeSpan.FromSeconds(1), clock));
        }

        using (FailAt(WaitPath.TimerStart, Stage.Registered))
        {
            Assert.Throws<InjectedFault>(() => Chan.After(TimeSpan.FromSeconds(1), clock));
        }

        Assert.Equal(0, clock.LiveTimers);
        using var tick = Chan.Tick(TimeSpan.FromSeconds(1), clock);
        Assert.Equal(1, clock.LiveTimers);
        tick.Dispose();
        Assert.Equal(0, clock.LiveTimers);
    }
}
