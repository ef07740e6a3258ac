namespace ConcurrencySafety.Samples;

/// <summary>Scoped threads and tasks, permits, and locks that own their data.</summary>
internal static class ScopeSamples
{
    /// <summary>std::thread::scope: children borrow the caller's array; Run returns after all of them.</summary>
    public static Task ScopedThreads()
    {
        int[] numbers = Enumerable.Range(1, 1_000).ToArray();
        long[] partial = new long[4];
        int chunk = numbers.Length / partial.Length;
        Scope.Run(s =>
        {
            for (int w = 0; w < partial.Length; w++)
            {
                int worker = w; // each child writes only its own slot
                s.Spawn(() =>
                {
                    long sum = 0;
                    foreach (int n in numbers.AsSpan(worker * chunk, chunk)) sum += n;
                    partial[worker] = sum;
                });
            }
            JoinHandle<int> max = s.Spawn(() => numbers.Max());
            Console.WriteLine($"  max (joined inside the scope): {max.Join()}");
        });
        long total = partial.Sum(); // safe: no child outlives Scope.Run
        Console.WriteLine($"  sum of 1..1000 by 4 scoped children: {total}");
        return Task.CompletedTask;
    }

    /// <summary>The WaitGroup replacement: no Add/Done to forget; the first failure cancels the rest.</summary>
    public static async Task WaitGroupReplacement()
    {
        string[] urls = ["a", "bb", "ccc", "dddd"];
        int[] sizes = new int[urls.Length];
        await TaskScope.RunAsync(scope =>
        {
            for (int i = 0; i < urls.Length; i++)
            {
                int index = i;
                scope.Spawn(async ct =>
                {
                    await Task.Delay(10, ct);        // stands in for an HTTP request
                    sizes[index] = urls[index].Length;
                });
            }
            return Task.CompletedTask;               // no wg.Wait(): the scope joins every child
        });
        Console.WriteLine($"  fetched sizes: {string.Join(", ", sizes)}");

        try
        {
            await TaskScope.RunAsync(scope =>
            {
                scope.Spawn(async ct => await Task.Delay(Timeout.Infinite, ct)); // canceled by the failure
                scope.Spawn(async ct =>
                {
                    await Task.Delay(10, ct);
                    throw new InvalidOperationException("backend down");
                });
                return Task.CompletedTask;
            });
        }
        catch (InvalidOperationException e)
        {
            Console.WriteLine($"  first failure, after the sibling was canceled and joined: {e.Message}");
        }

        int live = 0, peak = 0;
        await TaskScope.RunAsync(new TaskScopeOptions { MaxConcurrency = 3 }, async scope =>
        {
            for (int i = 0; i < 12; i++)
            {
                await scope.SpawnAsync(async ct => // waits for a free slot: backpressure
                {
                    int now = Interlocked.Increment(ref live);
                    InterlockedMax(ref peak, now);
                    await Task.Delay(5, ct);
                    Interlocked.Decrement(ref live);
                });
            }
        });
        Console.WriteLine($"  12 jobs with MaxConcurrency = 3, peak running: {peak}");
    }

    /// <summary>Permits: released by disposing, exactly once; weighted requests wait their turn.</summary>
    public static async Task Permits()
    {
        var connections = new PermitSemaphore(2);
        int inUse = 0, peak = 0;
        await TaskScope.RunAsync(scope =>
        {
            for (int i = 0; i < 6; i++)
            {
                scope.Spawn(async ct =>
                {
                    using (await connections.AcquireAsync(ct)) // plain permits: a using block
                    {
                        InterlockedMax(ref peak, Interlocked.Increment(ref inUse));
                        await Task.Delay(5, ct);
                        Interlocked.Decrement(ref inUse);
                    }
                });
            }
            return Task.CompletedTask;
        });
        Console.WriteLine($"  6 requests over 2 connections, peak in use: {peak}");

        // The permit as a guard: held until the end of the scope, released once even if disposed twice.
        using Permit both = await connections.AcquireAsync(weight: 2); // a weighted request
        Console.WriteLine($"  holding {both.Weight} permits; available now: {connections.Available}");
        bool gotOne = connections.TryAcquire(TimeSpan.FromMilliseconds(10), out Permit extra);
        using (extra) Console.WriteLine($"  TryAcquire(10 ms) while all are held: {gotOne}");
        both.Dispose();
        both.Dispose(); // harmless: nothing is released twice
        Console.WriteLine($"  after disposing twice, available: {connections.Available} of {connections.Capacity}");
    }

    /// <summary>A lock that owns its data: the counter is reachable only through the guard.</summary>
    public static async Task DataOwningLock()
    {
        var counter = new Locked<long>(0);
        var names = new RwLocked<List<string>>(["ada"]);
        await TaskScope.RunAsync(scope =>
        {
            for (int t = 0; t < 4; t++)
            {
                scope.Spawn(async ct =>
                {
                    for (int i = 0; i < 10_000; i++)
                        using (var g = await counter.LockAsync(ct)) g.Value++;
                });
            }
            scope.Spawn(_ =>
            {
                using var w = names.Write();
                w.Value.Add("grace");
            });
            return Task.CompletedTask;
        });
        using (var g = counter.Lock()) Console.WriteLine($"  4 tasks x 10,000 increments through the lock: {g.Value}");
        using (var r = names.Read()) Console.WriteLine($"  names read under a read guard: {string.Join(", ", r.Value)}");

        var guard = counter.Lock();
        guard.Dispose();
        try
        {
            _ = guard.Value;
        }
        catch (ObjectDisposedException)
        {
            Console.WriteLine("  a guard used after dispose throws ObjectDisposedException");
        }
    }

    private static void InterlockedMax(ref int target, int value)
    {
        int seen;
        while ((seen = Volatile.Read(ref target)) < value && Interlocked.CompareExchange(ref target, value, seen) != seen)
        {
        }
    }

    /// <summary>
    /// Go's <c>case &lt;-ctx.Done():</c> and a limit for one group of children: a listener stops
    /// through a cancellation arm (no exception), while at most two "downloads" run at once and
    /// a reporter child is not held back by their limit.
    /// </summary>
    public static async Task CancelledArmAndGroupLimit()
    {
        int peak = 0, running = 0, reports = 0;
        await TaskScope.RunAsync(async scope =>
        {
            var (progressTx, progress) = Chan.Bounded<int>(8);
            using var stop = new CancellationTokenSource();

            // The reporter: a select loop that ends on its cancellation arm, not on an exception.
            var reporter = scope.Spawn(async ct =>
            {
                bool listening = true;
                var selector = new Selector()
                    .Receive(progress, _ => Interlocked.Increment(ref reports))
                    .Cancelled(stop.Token, () => listening = false);
                while (listening) await selector.SelectAsync(ct);
            });

            var downloads = scope.Limit(2);                  // only the downloads are limited
            using (progressTx)
            {
                for (int i = 0; i < 6; i++)
                {
                    var mine = progressTx.Clone();
                    await downloads.SpawnAsync(async ct =>   // waits for one of the two slots
                    {
                        using (mine)
                        {
                            int now = Interlocked.Increment(ref running);
                            InterlockedMax(ref peak, now);
                            await Task.Delay(5, ct);         // stands in for a download
                            Interlocked.Decrement(ref running);
                            await mine.SendAsync(1, ct);
                        }
                    });
                }

                // The channel stays open (progressTx lives), so only the cancellation arm can end the loop.
                while (Volatile.Read(ref reports) < 6) await Task.Delay(1);
                stop.Cancel();                               // the reporter's select picks its Cancelled arm
                await reporter.JoinAsync();
            }
        });
        Console.WriteLine($"  6 downloads, at most {peak} at once; the reporter saw {reports} and stopped through its cancelled arm");

        static void InterlockedMax(ref int target, int value)
        {
            int seen;
            while (value > (seen = Volatile.Read(ref target)) && Interlocked.CompareExchange(ref target, value, seen) != seen)
            {
            }
        }
    }
}
