namespace ConcurrencySafety.Soak;

/// <summary>A broken invariant: the soak run stops with this message.</summary>
internal sealed class SoakFailure(string message) : Exception(message);

internal static class Scenarios
{
    private static readonly TimeSpan RoundLimit = TimeSpan.FromMinutes(5);

    private static int? PickCapacity(Random random) => random.Next(4) switch
    {
        0 => 0,
        1 => 1,
        2 => 1 + random.Next(16),
        _ => null,
    };

    private static (Sender<int>, Receiver<int>) Make(int? capacity, bool synchronousContinuations = false)
    {
        var options = new ChanOptions { AllowSynchronousContinuations = synchronousContinuations };
        return capacity is int c ? Chan.Bounded<int>(c, options) : Chan.Unbounded<int>(options);
    }

    private static void Check(bool condition, string message)
    {
        if (!condition) throw new SoakFailure(message);
    }

    /// <summary>
    /// One select in the worker's form, canceled after a random few microseconds one time in
    /// five. Returns false when the cancellation won (the select then completed nothing).
    /// </summary>
    private static async Task<bool> SelectOnceAsync(Selector selector, bool async, Random rng)
    {
        using var cts = rng.Next(5) == 0 ? new CancellationTokenSource(TimeSpan.FromTicks(rng.Next(20_000))) : null;
        try
        {
            if (async) await selector.SelectAsync(cts?.Token ?? default);
            else selector.Select(cts?.Token ?? default);
            return true;
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }

    /// <summary>Runs a worker as a pool task (async form) or on a dedicated thread (blocking form).</summary>
    private static Task Worker(bool async, Func<Task> body) =>
        async ? Task.Run(body) : Task.Factory.StartNew(() => body().GetAwaiter().GetResult(), TaskCreationOptions.LongRunning);

    /// <summary>
    /// Selecting senders and selecting receivers over shared channels, each select sometimes
    /// canceled or timed out; senders finish by disposing their handles and receivers run until
    /// every arm reports disconnection. Every value must arrive exactly once.
    /// </summary>
    public static async Task<string> SelectExactlyOnceAsync(Random random)
    {
        int channels = 1 + random.Next(4), workers = 1 + random.Next(4);
        int? capacity = PickCapacity(random);
        int perSender = 20_000 + random.Next(30_000);
        int total = perSender * workers;

        // Each worker is wholly async or wholly blocking (never blocks after an await), which is
        // the contract of synchronous continuations, so half of the rounds turn them on.
        bool inline = random.Next(2) == 0;
        var pairs = Enumerable.Range(0, channels).Select(_ => Make(capacity, inline)).ToArray();
        var seen = new int[total];
        int sent = 0, received = 0, canceled = 0, timedOut = 0;
        int[] seeds = Enumerable.Range(0, 2 * workers).Select(_ => random.Next()).ToArray();

        var senders = Enumerable.Range(0, workers).Select(w =>
        {
            var mine = pairs.Select(p => p.Item1.Clone()).ToArray(); // each sender owns clones
            var rng = new Random(seeds[w]);
            bool async = rng.Next(2) == 0;
            return Worker(async, async () =>
            {
                int next = w * perSender, end = next + perSender;
                var selector = new Selector();
                foreach (var tx in mine) selector.Send(tx, () => next, () => { next++; Interlocked.Increment(ref sent); });
                if (rng.Next(2) == 0) selector.Timeout(TimeSpan.FromMilliseconds(1), () => Interlocked.Increment(ref timedOut));
                while (next < end)
                {
                    if (!await SelectOnceAsync(selector, async, rng)) Interlocked.Increment(ref canceled);
                }
                foreach (var tx in mine) tx.Dispose();
            });
        }).ToArray();
        foreach (var (tx, _) in pairs) tx.Dispose(); // the clones keep the channels open

        var receivers = Enumerable.Range(0, workers).Select(w =>
        {
            var mine = pairs.Select(p => p.Item2.Clone()).ToArray();
            var rng = new Random(seeds[workers + w]);
            bool async = rng.Next(2) == 0;
            return Worker(async, async () =>
            {
                var selector = new Selector();
                foreach (var rx in mine)
                {
                    selector.Receive(rx, v =>
                    {
                        Interlocked.Increment(ref seen[v]);
                        Interlocked.Increment(ref received);
                    }, () => { });
                }
                if (rng.Next(2) == 0) selector.Timeout(TimeSpan.FromMilliseconds(1), () => Interlocked.Increment(ref timedOut));
                while (selector.ActiveCount > 0)
                {
                    if (!await SelectOnceAsync(selector, async, rng)) Interlocked.Increment(ref canceled);
                }
                foreach (var rx in mine) rx.Dispose();
            });
        }).ToArray();
        foreach (var (_, rx) in pairs) rx.Dispose();

        await WaitAll(senders.Concat(receivers), "select round");
        string shape = $"select {channels} channels, capacity {capacity?.ToString() ?? "unbounded"}{(inline ? ", inline continuations" : "")}, {workers}+{workers} workers";
        Check(sent == total, $"{shape}: {sent} sends completed, expected {total}");
        Check(received == total, $"{shape}: {received} receives completed, expected {total}");
        int wrong = Array.FindIndex(seen, c => c != 1);
        Check(wrong < 0, $"{shape}: value {wrong} was received {(wrong < 0 ? 0 : seen[wrong])} times");
        return $"{shape}: {total} values exactly once ({canceled} canceled, {timedOut} timed-out selects)";
    }

    /// <summary>
    /// Producers and consumers with every plain operation form (blocking, async, try with a
    /// timeout, foreach), random cancellations; the multiset of values must survive.
    /// </summary>
    public static async Task<string> PlainOperationsAsync(Random random)
    {
        int? capacity = PickCapacity(random);
        int producers = 1 + random.Next(4), consumers = 1 + random.Next(4);
        int perProducer = 20_000 + random.Next(40_000);
        int total = perProducer * producers;
        var (tx, rx) = Make(capacity);
        var seen = new int[total];
        int canceled = 0;
        int[] seeds = Enumerable.Range(0, producers + consumers).Select(_ => random.Next()).ToArray();

        var producing = Enumerable.Range(0, producers).Select(p =>
        {
            var mine = tx.Clone();
            var rng = new Random(seeds[p]);
            bool async = rng.Next(2) == 0;
            return Worker(async, async () =>
            {
                using (mine)
                {
                    for (int i = p * perProducer; i < (p + 1) * perProducer;)
                    {
                        try
                        {
                            switch (rng.Next(4))
                            {
                                case 0:
                                    if (async) await mine.SendAsync(i); else mine.Send(i);
                                    i++;
                                    break;
                                case 1:
                                    var result = async ? await mine.TrySendAsync(i, TimeSpan.FromTicks(rng.Next(10_000))) : mine.TrySend(i, TimeSpan.FromTicks(rng.Next(10_000)));
                                    if (result.IsSent) i++;
                                    else Check(result.UnsentItem == i, "a timed-out send did not give its item back");
                                    break;
                                case 2:
                                    if (mine.TrySend(i).IsSent) i++;
                                    break;
                                default:
                                    using (var cts = new CancellationTokenSource(TimeSpan.FromTicks(rng.Next(20_000))))
                                    {
                                        if (async) await mine.SendAsync(i, cts.Token); else mine.Send(i, cts.Token);
                                    }
                                    i++;
                                    break;
                            }
                        }
                        catch (OperationCanceledException)
                        {
                            Interlocked.Increment(ref canceled); // not sent: try the same value again
                        }
                    }
                }
            });
        }).ToArray();
        tx.Dispose();

        var consuming = Enumerable.Range(0, consumers).Select(c =>
        {
            var mine = rx.Clone();
            var rng = new Random(seeds[producers + c]);
            bool async = rng.Next(2) == 0;
            return Worker(async, async () =>
            {
                using (mine)
                {
                    if (rng.Next(3) == 0)
                    {
                        if (async) await foreach (int v in mine) Interlocked.Increment(ref seen[v]);
                        else foreach (int v in mine) Interlocked.Increment(ref seen[v]);
                        return;
                    }
                    while (true)
                    {
                        ReceiveResult<int> r;
                        try
                        {
                            using var cts = rng.Next(4) == 0 ? new CancellationTokenSource(TimeSpan.FromTicks(rng.Next(20_000))) : null;
                            r = async
                                ? await mine.TryReceiveAsync(TimeSpan.FromTicks(rng.Next(10_000)), cts?.Token ?? default)
                                : mine.TryReceive(TimeSpan.FromTicks(rng.Next(10_000)), cts?.Token ?? default);
                        }
                        catch (OperationCanceledException)
                        {
                            Interlocked.Increment(ref canceled);
                            continue;
                        }
                        if (r.IsReceived) Interlocked.Increment(ref seen[r.Value]);
                        else if (r.IsDisconnected) return;
                    }
                }
            });
        }).ToArray();
        rx.Dispose();

        await WaitAll(producing.Concat(consuming), "plain round");
        string shape = $"plain, capacity {capacity?.ToString() ?? "unbounded"}, {producers} producers, {consumers} consumers";
        int wrong = Array.FindIndex(seen, n => n != 1);
        Check(wrong < 0, $"{shape}: value {wrong} was received {(wrong < 0 ? 0 : seen[wrong])} times");
        return $"{shape}: {total} values exactly once ({canceled} canceled operations)";
    }

    /// <summary>
    /// Task scopes with random failures, cancellations and limits: no child outlives its scope,
    /// and the first failure is the one rethrown.
    /// </summary>
    public static async Task<string> ScopesAsync(Random random)
    {
        int children = 10_000 + random.Next(40_000);
        int? limit = random.Next(3) == 0 ? 1 + random.Next(8) : null;
        int failAt = random.Next(2) == 0 ? random.Next(children) : -1;
        int live = 0, maxLive = 0, ran = 0, failed = 0;
        Exception? thrown = null;
        var options = new TaskScopeOptions { MaxConcurrency = limit };
        try
        {
            await TaskScope.RunAsync(options, async scope =>
            {
                for (int i = 0; i < children && !scope.Token.IsCancellationRequested; i++)
                {
                    int id = i;
                    await scope.SpawnAsync(async ct =>
                    {
                        int now = Interlocked.Increment(ref live);
                        int seen;
                        while ((seen = Volatile.Read(ref maxLive)) < now && Interlocked.CompareExchange(ref maxLive, now, seen) != seen) { }
                        try
                        {
                            Interlocked.Increment(ref ran);
                            if (id % 7 == 0) await Task.Yield();
                            if (id == failAt)
                            {
                                Volatile.Write(ref failed, 1);
                                throw new InvalidOperationException("child " + id);
                            }
                        }
                        finally
                        {
                            Interlocked.Decrement(ref live);
                        }
                    });
                }
            });
        }
        catch (Exception e)
        {
            thrown = e;
        }

        string shape = $"scope, {children} children, limit {limit?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "none"}, failure {(failAt >= 0 ? "at " + failAt : "none")}";
        Check(Volatile.Read(ref live) == 0, $"{shape}: {live} children still running after the scope returned");
        if (limit is int l) Check(maxLive <= l, $"{shape}: {maxLive} children ran at once, limit {l}");
        // The failing child may never start: once the scope is canceled, children that had
        // not started yet do not run. Its failure must be rethrown exactly when it ran.
        if (Volatile.Read(ref failed) == 1)
        {
            Check(thrown is InvalidOperationException { Message: var m } && m == "child " + failAt, $"{shape}: expected the child's failure, got {thrown?.GetType().Name ?? "none"}");
        }
        else
        {
            Check(thrown is null, $"{shape}: unexpected {thrown}");
        }
        return $"{shape}: {ran} ran, at most {maxLive} at once";
    }

    private static async Task WaitAll(IEnumerable<Task> tasks, string what)
    {
        try
        {
            await Task.WhenAll(tasks).WaitAsync(RoundLimit);
        }
        catch (TimeoutException)
        {
            throw new SoakFailure($"{what}: not finished after {RoundLimit.TotalMinutes} minutes (a lost wake-up or a hang)");
        }
    }
}
