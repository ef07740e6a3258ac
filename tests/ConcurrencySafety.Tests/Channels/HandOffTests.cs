using ConcurrencySafety.Channels;

namespace ConcurrencySafety.Tests.Channels;

/// <summary>
/// The default hand-over (no options): a woken asynchronous party runs next on the completing
/// pool thread once the completer's code has returned to the pool, or on the pool; never inside
/// the completer's code. See src/ConcurrencySafety/Channels/HandOff.cs.
/// </summary>
public class HandOffTests
{
    private static readonly TimeSpan Long = TimeSpan.FromSeconds(30);

    /// <summary>
    /// Runs <paramref name="body"/> as the continuation of a channel hand-over completed from a
    /// dedicated thread: that continuation is the first item of a runner loop on a pool thread,
    /// the place where the default hand-over parks the parties it wakes.
    /// </summary>
    private static async Task<T> InRunner<T>(Func<Task<T>> body)
    {
        var (startTx, startRx) = Chan.Rendezvous<int>();
        var running = Run();
        WaitUntil(() => startRx.Core.WaitingCounts.Receivers == 1, "the runner's receive waits");
        var thread = new Thread(() => startTx.Send(0));
        thread.Start();
        Assert.True(thread.Join(Long));
        return await running.WaitAsync(Long);

        async Task<T> Run()
        {
            await startRx.ReceiveAsync().ConfigureAwait(false);
            Assert.True(HandOff.IsRunnerThread, "a woken continuation runs in a runner loop");
            return await body().ConfigureAwait(false);
        }
    }

    [Fact]
    public async Task A_send_from_a_runner_never_runs_the_woken_receivers_code_before_it_returns()
    {
        var (tx, rx) = Chan.Rendezvous<int>();
        int receiverThread = -1;
        bool senderInsideSend = false;
        bool ranInsideSend = true;
        var receiving = Receive();
        WaitUntil(() => rx.Core.WaitingCounts.Receivers == 1, "the receiver waits");

        int senderThread = await InRunner(async () =>
        {
            senderInsideSend = true;
            await tx.SendAsync(1).ConfigureAwait(false); // completes at once: the receiver waits
            senderInsideSend = false;
            return Environment.CurrentManagedThreadId;
        });

        await receiving.WaitAsync(Long);
        Assert.False(ranInsideSend && receiverThread == senderThread, "the receiver's code ran inside the sender's SendAsync");

        async Task Receive()
        {
            Assert.Equal(1, await rx.ReceiveAsync().ConfigureAwait(false));
            receiverThread = Environment.CurrentManagedThreadId;
            ranInsideSend = Volatile.Read(ref senderInsideSend);
        }
    }

    [Fact]
    public async Task A_woken_receiver_that_blocks_does_not_block_the_sender_that_woke_it()
    {
        // The receiver's code blocks until the sender has gone on past its send. Run inline
        // inside the send, it would wait for the sender forever (here: fail after 30 s).
        var (tx, rx) = Chan.Rendezvous<int>();
        using var senderWentOn = new ManualResetEventSlim();
        var receiving = Receive();
        WaitUntil(() => rx.Core.WaitingCounts.Receivers == 1, "the receiver waits");

        await InRunner(async () =>
        {
            await tx.SendAsync(1).ConfigureAwait(false);
            senderWentOn.Set();
            return 0;
        });

        Assert.True(await receiving.WaitAsync(Long));

        async Task<bool> Receive()
        {
            await rx.ReceiveAsync().ConfigureAwait(false);
            return senderWentOn.Wait(Long);
        }
    }

    [Fact]
    public async Task A_sender_that_blocks_until_the_receiver_it_woke_has_run_does_not_deadlock()
    {
        // The woken receiver is parked to run after the sender's code returns, but the sender's
        // code blocks until the receiver has run: the watchdog must move it to another thread.
        var (tx, rx) = Chan.Rendezvous<int>();
        using var received = new ManualResetEventSlim();
        int receiverThread = -1;
        var receiving = Receive();
        WaitUntil(() => rx.Core.WaitingCounts.Receivers == 1, "the receiver waits");

        var (sawReceiver, senderThread) = await InRunner(async () =>
        {
            await tx.SendAsync(1).ConfigureAwait(false);
            return (received.Wait(Long), Environment.CurrentManagedThreadId); // blocks this pool thread
        });

        await receiving.WaitAsync(Long);
        Assert.True(sawReceiver);
        Assert.NotEqual(senderThread, receiverThread);

        async Task Receive()
        {
            await rx.ReceiveAsync().ConfigureAwait(false);
            receiverThread = Environment.CurrentManagedThreadId;
            received.Set();
        }
    }

    [Fact]
    public async Task A_blocking_library_wait_gives_the_party_parked_on_its_thread_to_the_pool_first()
    {
        // The sender wakes the receiver (parked on the sender's thread), then blocks in a library
        // Receive for the receiver's reply: the party it waits for is the one parked behind it.
        // The wait must hand it to the pool at once, not leave it to the watchdog; the runner's
        // own count shows which of the two moved it (the watchdog does not count). The watchdog
        // may legitimately win a round (if this thread loses the core for a whole tick between
        // the wake and the wait), so the test asks for the wait's flush in some of 20 rounds:
        // without the flush it never happens, with it only a preemption can take a round away.
        const int Rounds = 20;
        int flushedRounds = 0;
        for (int round = 0; round < Rounds; round++)
        {
            var (tx, rx) = Chan.Rendezvous<int>();
            var (backTx, backRx) = Chan.Rendezvous<int>();
            var echo = Echo();
            WaitUntil(() => rx.Core.WaitingCounts.Receivers == 1, "the echo waits");

            var (reply, flushed) = await InRunner(async () =>
            {
                await tx.SendAsync(41).ConfigureAwait(false);
                int before = HandOff.FlushedOnThisThread;
                int back = backRx.Receive(); // blocks this pool thread
                return (back, HandOff.FlushedOnThisThread - before);
            });

            await echo.WaitAsync(Long);
            Assert.Equal(42, reply);
            Assert.InRange(flushed, 0, 1);
            flushedRounds += flushed;

            async Task Echo()
            {
                int v = await rx.ReceiveAsync().ConfigureAwait(false);
                backTx.Send(v + 1);
            }
        }

        Assert.True(flushedRounds > 0, "no blocking wait gave its parked partner to the pool in " + Rounds + " rounds");
    }

    [Fact]
    public async Task Two_woken_receivers_that_block_do_not_block_the_sender_that_woke_them()
    {
        // Both woken parties block until the sender has gone on past both sends: both are parked
        // on the sender's runner; run inside a send, either would wait forever (here: fail
        // after 30 s).
        var (tx1, rx1) = Chan.Rendezvous<int>();
        var (tx2, rx2) = Chan.Rendezvous<int>();
        using var senderWentOn = new ManualResetEventSlim();
        var first = Receive(rx1);
        var second = Receive(rx2);
        WaitUntil(() => rx1.Core.WaitingCounts.Receivers == 1 && rx2.Core.WaitingCounts.Receivers == 1, "both receivers wait");

        await InRunner(async () =>
        {
            await tx1.SendAsync(1).ConfigureAwait(false);
            await tx2.SendAsync(2).ConfigureAwait(false);
            senderWentOn.Set();
            return 0;
        });

        Assert.True(await first.WaitAsync(Long));
        Assert.True(await second.WaitAsync(Long));

        async Task<bool> Receive(Receiver<int> rx)
        {
            await rx.ReceiveAsync().ConfigureAwait(false);
            return senderWentOn.Wait(Long);
        }
    }

    [Fact]
    public async Task Several_parties_woken_by_one_continuation_are_all_parked_on_its_runner()
    {
        // Three receivers woken by one continuation all wait on the waker's runner (its queue
        // holds up to HandOff.QueueCapacity), instead of the second and third going to the pool.
        // The watchdog may legitimately move them (if this thread loses the core for a whole
        // tick between the sends and the count), so the test asks for all three parked in some
        // of 20 rounds; with a one-party slot it never happens. Every item arrives either way.
        const int Rounds = 20;
        const int Parties = 3;
        int roundsAllParked = 0;
        for (int round = 0; round < Rounds; round++)
        {
            var channels = Enumerable.Range(0, Parties).Select(_ => Chan.Rendezvous<int>()).ToArray();
            var receiving = channels.Select(c => Receive(c.Item2)).ToArray();
            WaitUntil(() => channels.All(c => c.Item2.Core.WaitingCounts.Receivers == 1), "the receivers wait");

            int parked = await InRunner(async () =>
            {
                for (int i = 0; i < Parties; i++)
                {
                    await channels[i].Item1.SendAsync(i).ConfigureAwait(false); // completes at once: the receiver waits
                }

                return HandOff.ParkedOnThisThread;
            });

            Assert.InRange(parked, 0, Parties);
            if (parked == Parties)
            {
                roundsAllParked++;
            }

            for (int i = 0; i < Parties; i++)
            {
                Assert.Equal(i, await receiving[i].WaitAsync(Long));
            }
        }

        Assert.True(roundsAllParked > 0, "three woken parties were never all parked on the runner in " + Rounds + " rounds");

        static async Task<int> Receive(Receiver<int> rx) => await rx.ReceiveAsync().ConfigureAwait(false);
    }

    [Fact]
    public async Task A_woken_party_that_blocks_until_one_parked_behind_it_has_run_does_not_deadlock()
    {
        // Both receivers are parked on the sender's runner, the first ahead of the second. The
        // first blocks (outside this library) until the second has run: the runner cannot get
        // to the second, so the watchdog must move it to another thread (here: fail after 30 s).
        var (tx1, rx1) = Chan.Rendezvous<int>();
        var (tx2, rx2) = Chan.Rendezvous<int>();
        using var secondRan = new ManualResetEventSlim();
        var first = First();
        var second = Second();
        WaitUntil(() => rx1.Core.WaitingCounts.Receivers == 1 && rx2.Core.WaitingCounts.Receivers == 1, "both receivers wait");

        await InRunner(async () =>
        {
            await tx1.SendAsync(1).ConfigureAwait(false);
            await tx2.SendAsync(2).ConfigureAwait(false);
            return 0;
        });

        Assert.True(await first.WaitAsync(Long));
        await second.WaitAsync(Long);

        async Task<bool> First()
        {
            await rx1.ReceiveAsync().ConfigureAwait(false);
            return secondRan.Wait(Long); // blocks the runner's thread
        }

        async Task Second()
        {
            await rx2.ReceiveAsync().ConfigureAwait(false);
            secondRan.Set();
        }
    }

    [Fact]
    public async Task A_ping_pong_from_a_runner_takes_turns_on_one_thread_and_moves_every_item_once()
    {
        // Not a timing claim: what the parking does when nothing blocks. Both parties end on
        // the thread that ran them; every item arrives once and in order.
        const int Items = 10_000;
        var (tx, rx) = Chan.Rendezvous<int>();
        var (backTx, backRx) = Chan.Rendezvous<int>();
        var echo = Echo(rx, backTx);
        WaitUntil(() => rx.Core.WaitingCounts.Receivers == 1, "the echo waits");

        int sum = await InRunner(() => PingPong(tx, backRx, Items));

        Assert.Equal(Items * (Items - 1) / 2, sum);
        Assert.Equal(Items, await echo.WaitAsync(Long));
    }

    [Fact]
    public async Task A_runner_that_finds_no_other_pool_work_at_the_end_of_a_budget_goes_on_with_no_cap()
    {
        // It is asked at the end of each budget; a runner that goes on has renewed once more by
        // the next time it asks. There is no cap on the renewals (HandOff.cs, "Fairness"): a
        // loop of 2 * Items continuations is asked up to 2 * Items / RunBudget times (156),
        // where the cap of three renewals that session 15 removed stopped every loop after its
        // third ask. The test asks for more than that cap allowed: MoreThanTheOldCap asks in
        // one loop.
        // The probe belongs to the loop it was set in: if this thread is preempted for a whole
        // watchdog tick (a loaded CI machine), the watchdog moves the parties to the pool, the
        // ping-pong goes on in another loop and this one stops asking. So up to five runs.
        const int Items = 20_000, Attempts = 5, MoreThanTheOldCap = 5;
        var counts = new List<int>();
        for (int attempt = 0; attempt < Attempts; attempt++)
        {
            var (_, asked) = await PingPongWithProbe(Items, workWaiting: false);
            Assert.True(asked.Length <= 2 * Items / HandOff.RunBudget, $"the runner asked {asked.Length} times in one loop of at most {2 * Items} continuations");
            for (int i = 1; i < asked.Length; i++)
            {
                Assert.Equal(asked[i - 1] + 1, asked[i]);
            }

            counts.Add(asked.Length);
            if (asked.Length >= MoreThanTheOldCap)
            {
                return;
            }
        }

        Assert.Fail($"the runner asked {string.Join(", ", counts)} time(s) in {Attempts} runs of {2 * Items} continuations: it stopped going on while no other work waited");
    }

    [Fact]
    public async Task A_runner_that_finds_other_pool_work_waiting_gives_its_parties_to_the_pool()
    {
        // The answer "work is waiting" ends the loop (the probe goes with it), so it is asked
        // once, with no renewal before it; the ping-pong goes on from the pool. (Not asked at
        // all only if the watchdog moved the parties before the first budget ended, when this
        // thread was preempted for a whole tick.)
        var (renewalsBefore, asked) = await PingPongWithProbe(2_000, workWaiting: true);

        Assert.True(asked.Length <= 1, $"asked {asked.Length} times: the runner went on after the answer 'work is waiting'");
        Assert.All(asked, renewals => Assert.Equal(renewalsBefore, renewals));
    }

    /// <summary>
    /// Runs a ping-pong of <paramref name="items"/> round trips in a runner whose "is other pool
    /// work waiting" is answered by a probe that always says <paramref name="workWaiting"/>
    /// (standing in for the pool's queues, so that other tests' work cannot change the answer).
    /// Checks that every item moved once and in order; returns the runner's renewal count when
    /// the probe was set and the count it had at each ask.
    /// </summary>
    private static async Task<(int RenewalsBefore, int[] Asked)> PingPongWithProbe(int items, bool workWaiting)
    {
        var seen = new List<int>();
        var (tx, rx) = Chan.Rendezvous<int>();
        var (backTx, backRx) = Chan.Rendezvous<int>();
        var echo = Echo(rx, backTx);
        WaitUntil(() => rx.Core.WaitingCounts.Receivers == 1, "the echo waits");

        int renewalsBefore = -1;
        int sum = await InRunner(async () =>
        {
            renewalsBefore = HandOff.RenewalsOnThisThread;
            HandOff.SetPendingWorkProbeOnThisThread(() =>
            {
                seen.Add(HandOff.RenewalsOnThisThread); // on the runner's thread, inside its loop
                return workWaiting;
            });
            return await PingPong(tx, backRx, items).ConfigureAwait(false);
        });

        Assert.Equal(items * (items - 1) / 2, sum);
        Assert.Equal(items, await echo.WaitAsync(Long));
        return (renewalsBefore, [.. seen]);
    }

    /// <summary>
    /// Runs <paramref name="body"/> as the first continuation of a runner loop on a new
    /// dedicated thread, which registers a runner of its own (the pool's threads may have
    /// registered theirs long ago). On that thread <paramref name="before"/> runs first and
    /// <paramref name="after"/> once the loop has returned; whatever escapes goes to
    /// <paramref name="escaped"/>.
    /// </summary>
    private static Thread StartFreshRunner(Action body, Action? before, Action? after, Action<Exception> escaped)
    {
        var first = new Waiter();
        first.Reset(isAsync: true);
        first.AsValueTask().GetAwaiter().UnsafeOnCompleted(body); // stored only: nothing signals this waiter
        var thread = new Thread(() =>
        {
            try
            {
                before?.Invoke();
                ((IThreadPoolWorkItem)first).Execute(); // what a pool thread does with a queued waiter
                after?.Invoke();
            }
            catch (Exception e)
            {
                escaped(e);
            }
        })
        {
            IsBackground = true, // a regression that leaves it blocked must not keep the test host alive
        };
        thread.Start();
        return thread;
    }

    [Fact]
    public void A_new_runner_with_an_interrupt_pending_waits_out_a_contended_registry_lock_and_runs_its_first_waiter()
    {
        // Registering takes the watchdog's registry lock. Contended, Monitor.Enter throws
        // ThreadInterruptedException on a thread with an interrupt pending; until session 15
        // that throw left the runner loop before its first waiter ran (the waiter was lost).
        // Registration now retries and raises the interrupt again once it holds no lock.
        bool ran = false, ranInRunner = false, interruptKept = false;
        Exception? escaped = null;
        Thread runner;
        lock (HandOff.RegistryLockForTests)
        {
            runner = StartFreshRunner(
                body: () =>
                {
                    Volatile.Write(ref ran, true);
                    ranInRunner = HandOff.IsRunnerThread;
                },
                before: () => Thread.CurrentThread.Interrupt(), // pending until this thread's next blocking wait
                after: () =>
                {
                    try
                    {
                        Thread.Sleep(1);
                    }
                    catch (ThreadInterruptedException)
                    {
                        interruptKept = true;
                    }
                },
                escaped: e => escaped = e);

            // The only wait on the way into the loop is the contended registry lock. Its first
            // wait throws at once (the interrupt) and the retry waits again; before session 15
            // the throw ended the thread instead.
            WaitUntil(() => (runner.ThreadState & ThreadState.WaitSleepJoin) != 0 || !runner.IsAlive, "the new runner waits for the registry lock");
            Thread.Sleep(50);
            Assert.True(runner.IsAlive, $"the new runner ended while the registry lock was held: {escaped}");
            Assert.False(Volatile.Read(ref ran), "the first waiter ran before its runner was registered");
        }

        Assert.True(runner.Join(Long));
        Assert.Null(escaped);
        Assert.True(ran, "the first waiter was lost");
        Assert.True(ranInRunner, "the first waiter ran outside a runner loop");
        Assert.True(interruptKept, "the interrupt that the registry lock's wait consumed was not raised again");
    }

    [Fact]
    public void A_runner_whose_watchdog_could_not_start_parks_nothing_and_its_wakes_go_to_the_pool()
    {
        // Parking is safe only with a watchdog to move a stuck runner's parties; a runner whose
        // watchdog thread could not be started hands every wake to the pool.
        var (tx, rx) = Chan.Rendezvous<int>();
        int receiverThread = 0;
        var receiving = Receive();
        WaitUntil(() => rx.Core.WaitingCounts.Receivers == 1, "the receiver waits");

        bool sent = false, received = false;
        int parkedAfterSend = -2, runnerThread = 0;
        Exception? escaped = null;
        var runner = StartFreshRunner(
            body: () =>
            {
                runnerThread = Environment.CurrentManagedThreadId;
                sent = tx.TrySend(1).IsSent; // wakes the receiver
                parkedAfterSend = HandOff.ParkedOnThisThread;

                // Blocks this runner until the receiver has run: it can, since it is on the pool.
                received = receiving.Wait(Long);
            },
            before: HandOff.FailWatchdogStartOnThisThreadForTests,
            after: null,
            escaped: e => escaped = e);

        Assert.True(runner.Join(Long));
        Assert.Null(escaped);
        Assert.True(sent);
        Assert.Equal(0, parkedAfterSend);
        Assert.True(received, "the woken receiver did not run while its waker's runner was busy");
        Assert.NotEqual(runnerThread, receiverThread);

        async Task Receive()
        {
            Assert.Equal(1, await rx.ReceiveAsync().ConfigureAwait(false));
            receiverThread = Environment.CurrentManagedThreadId;
        }
    }

    [Fact]
    public async Task A_new_runner_on_a_dedicated_thread_parks_the_party_it_wakes()
    {
        // The twin of the test above, with the watchdog: the same wake is parked on the runner
        // and runs there once the waker's code has returned to the loop. A watchdog tick that
        // falls between the park and that return may move the party to the pool (a new runner
        // has made no progress yet, so one tick finds it "stuck"), so up to ten rounds; every
        // round must move the item, and one must run it on the runner.
        const int Rounds = 10;
        var outcomes = new List<string>();
        for (int round = 0; round < Rounds; round++)
        {
            var (tx, rx) = Chan.Rendezvous<int>();
            int receiverThread = 0;
            var receiving = Receive();
            WaitUntil(() => rx.Core.WaitingCounts.Receivers == 1, "the receiver waits");

            bool sent = false;
            int parkedAfterSend = -2, runnerThread = 0;
            Exception? escaped = null;
            var runner = StartFreshRunner(
                body: () =>
                {
                    runnerThread = Environment.CurrentManagedThreadId;
                    sent = tx.TrySend(1).IsSent;
                    parkedAfterSend = HandOff.ParkedOnThisThread;
                },
                before: null,
                after: null,
                escaped: e => escaped = e);

            Assert.True(runner.Join(Long));
            await receiving.WaitAsync(Long);
            Assert.Null(escaped);
            Assert.True(sent);
            if (parkedAfterSend == 1 && receiverThread == runnerThread)
            {
                return;
            }

            outcomes.Add($"parked {parkedAfterSend}, ran on the runner: {receiverThread == runnerThread}");

            async Task Receive()
            {
                Assert.Equal(1, await rx.ReceiveAsync().ConfigureAwait(false));
                receiverThread = Environment.CurrentManagedThreadId;
            }
        }

        Assert.Fail($"no round parked the woken receiver and ran it on the runner: {string.Join("; ", outcomes)}");
    }

    [Fact]
    public void Failing_the_watchdog_start_for_a_thread_that_has_a_runner_is_rejected()
    {
        Exception? error = null;
        var runner = StartFreshRunner(
            body: () => { },
            before: null,
            after: () => error = Record.Exception(HandOff.FailWatchdogStartOnThisThreadForTests),
            escaped: e => error = e);

        Assert.True(runner.Join(Long));
        var rejected = Assert.IsType<InvalidOperationException>(error);
        Assert.Contains("has a runner already", rejected.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Setting_a_pending_work_probe_outside_a_runner_loop_is_rejected()
    {
        var error = Assert.Throws<InvalidOperationException>(() => HandOff.SetPendingWorkProbeOnThisThread(() => true));
        Assert.Contains("runner loop", error.Message, StringComparison.Ordinal);
        Assert.Equal(-1, HandOff.RenewalsOnThisThread);
    }

    /// <summary>Sends 0 .. items-1 and awaits each echo; returns the sum of the echoes and closes the channel.</summary>
    private static async Task<int> PingPong(Sender<int> tx, Receiver<int> backRx, int items)
    {
        int total = 0;
        for (int i = 0; i < items; i++)
        {
            await tx.SendAsync(i).ConfigureAwait(false);
            int back = await backRx.ReceiveAsync().ConfigureAwait(false);
            Assert.Equal(i, back);
            total += back;
        }

        tx.Dispose();
        return total;
    }

    /// <summary>Echoes every item back until the channel closes; returns how many it echoed.</summary>
    private static async Task<int> Echo(Receiver<int> rx, Sender<int> backTx)
    {
        int n = 0;
        while (await rx.TryReceiveAsync(Timeout.InfiniteTimeSpan).ConfigureAwait(false) is { IsReceived: true } got)
        {
            await backTx.SendAsync(got.Value).ConfigureAwait(false);
            n++;
        }

        return n;
    }

    /// <summary>A context that queues what is posted to it and runs it only when asked.</summary>
    private sealed class QueueingContext : SynchronizationContext
    {
        public readonly System.Collections.Concurrent.ConcurrentQueue<(SendOrPostCallback, object?)> Posted = new();

        public override void Post(SendOrPostCallback d, object? state) => Posted.Enqueue((d, state));
    }

    [Fact]
    public async Task A_continuation_that_captured_a_synchronization_context_is_posted_to_it_not_parked()
    {
        var (tx, rx) = Chan.Rendezvous<int>();
        var context = new QueueingContext();
        bool ran = false;
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

        await InRunner(async () =>
        {
            await tx.SendAsync(1).ConfigureAwait(false);
            return 0;
        });

        // The runner has finished its loop by now: a parked continuation would have run.
        Assert.False(Volatile.Read(ref ran));
        Assert.True(context.Posted.TryDequeue(out var posted));
        posted.Item1(posted.Item2); // the "UI thread" runs it
        Assert.True(ran);
        Assert.True(receiving.IsCompletedSuccessfully);

        async Task Wait()
        {
            await rx.ReceiveAsync();
            Volatile.Write(ref ran, true);
        }
    }

    /// <summary>A scheduler that runs its tasks on one dedicated thread and counts them.</summary>
    private sealed class OwnThreadScheduler : TaskScheduler, IDisposable
    {
        private readonly System.Collections.Concurrent.BlockingCollection<Task> _tasks = new();
        private readonly Thread _thread;
        public int Queued;

        public OwnThreadScheduler()
        {
            _thread = new Thread(() =>
            {
                foreach (var task in _tasks.GetConsumingEnumerable())
                {
                    TryExecuteTask(task);
                }
            }) { IsBackground = true };
            _thread.Start();
        }

        public int ThreadId => _thread.ManagedThreadId;

        protected override void QueueTask(Task task)
        {
            Interlocked.Increment(ref Queued);
            _tasks.Add(task);
        }

        protected override bool TryExecuteTaskInline(Task task, bool taskWasPreviouslyQueued) => false;

        protected override IEnumerable<Task> GetScheduledTasks() => _tasks.ToArray();

        public void Dispose() => _tasks.CompleteAdding();
    }

    [Fact]
    public async Task A_continuation_that_captured_a_task_scheduler_runs_on_that_scheduler()
    {
        var (tx, rx) = Chan.Rendezvous<int>();
        using var scheduler = new OwnThreadScheduler();
        var receiving = Task.Factory.StartNew(async () =>
        {
            await rx.ReceiveAsync(); // captures TaskScheduler.Current
            return Environment.CurrentManagedThreadId;
        }, CancellationToken.None, TaskCreationOptions.None, scheduler).Unwrap();
        WaitUntil(() => rx.Core.WaitingCounts.Receivers == 1, "the receiver waits");
        int queuedBefore = Volatile.Read(ref scheduler.Queued);

        await InRunner(async () =>
        {
            await tx.SendAsync(1).ConfigureAwait(false);
            return 0;
        });

        Assert.Equal(scheduler.ThreadId, await receiving.WaitAsync(Long));
        Assert.True(Volatile.Read(ref scheduler.Queued) > queuedBefore);
    }

    private static readonly AsyncLocal<string?> Local = new();

    [Fact]
    public async Task Async_locals_flow_with_each_party_across_a_parked_hand_over()
    {
        var (tx, rx) = Chan.Rendezvous<int>();
        string? receiverSaw = "unset";
        var receiving = Receive();
        WaitUntil(() => rx.Core.WaitingCounts.Receivers == 1, "the receiver waits");

        string? senderSaw = await InRunner(async () =>
        {
            Local.Value = "sender";
            await tx.SendAsync(1).ConfigureAwait(false);
            return Local.Value;
        });

        await receiving.WaitAsync(Long);
        Assert.Equal("sender", senderSaw);
        Assert.Equal("receiver", receiverSaw);

        async Task Receive()
        {
            Local.Value = "receiver";
            await rx.ReceiveAsync().ConfigureAwait(false);
            receiverSaw = Local.Value;
        }
    }

    [Fact]
    public async Task A_value_an_unsafe_continuation_leaves_on_its_thread_does_not_leak_into_the_next_parked_one()
    {
        // UnsafeOnCompleted does not flow (or restore) the execution context, so this raw
        // continuation's AsyncLocal write stays on the thread that ran it, as on any pool thread.
        // The pool cleans the thread after each work item; the runner loop must do the same
        // before it runs the party this continuation parked.
        var (tx1, rx1) = Chan.Rendezvous<int>();
        var (tx2, rx2) = Chan.Rendezvous<int>();
        string? party2Saw = "unset";
        Task party2;
        using (ExecutionContext.SuppressFlow())
        {
            // Party 2 captures no context, so its continuation runs in whatever context the
            // thread has: the clean one of a pool thread, unless something leaked.
            party2 = Party2();
        }

        WaitUntil(() => rx2.Core.WaitingCounts.Receivers == 1, "party 2 waits");

        var pending = rx1.ReceiveAsync();
        Register(pending, safe: false, () =>
        {
            Local.Value = "leaked";
            tx2.TrySend(2); // wakes party 2: parked in this runner
        });
        var thread = new Thread(() => tx1.Send(1));
        thread.Start();
        Assert.True(thread.Join(Long));

        await party2.WaitAsync(Long);
        Assert.Null(party2Saw);
        Assert.Equal(1, pending.Result);

        async Task Party2()
        {
            await rx2.ReceiveAsync().ConfigureAwait(false);
            party2Saw = Local.Value;
        }
    }

    [Fact]
    public async Task A_safe_OnCompleted_runs_in_the_execution_context_captured_when_it_was_registered()
    {
        var (tx, rx) = Chan.Rendezvous<int>();
        var saw = new TaskCompletionSource<string?>(TaskCreationOptions.RunContinuationsAsynchronously);
        Local.Value = "registrar";
        var pending = rx.ReceiveAsync();
        Register(pending, safe: true, () => saw.SetResult(Local.Value));
        Local.Value = null;

        await InRunner(async () =>
        {
            Local.Value = "sender";
            await tx.SendAsync(1).ConfigureAwait(false);
            return 0;
        });

        Assert.Equal("registrar", await saw.Task.WaitAsync(Long));
        Assert.Equal(1, pending.Result);
    }

    [Fact]
    public async Task Awaiting_one_operation_twice_is_rejected_without_losing_the_first_continuation()
    {
        var (tx, rx) = Chan.Rendezvous<int>();
        var pending = rx.ReceiveAsync();
        var first = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        Register(pending, safe: false, first.SetResult);
        Assert.Throws<InvalidOperationException>(() => Register(pending, safe: false, () => { }));

        Assert.True(tx.TrySend(5).IsSent);
        await first.Task.WaitAsync(Long);
        Assert.Equal(5, pending.Result);
    }

    /// <summary>Registers a raw continuation with no scheduling context (the tests' own context is not captured).</summary>
    private static void Register(ValueTask<int> pending, bool safe, Action continuation)
    {
        var awaiter = pending.ConfigureAwait(false).GetAwaiter();
        if (safe)
        {
            awaiter.OnCompleted(continuation);
        }
        else
        {
            awaiter.UnsafeOnCompleted(continuation);
        }
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
