namespace ConcurrencySafety.Samples;

/// <summary>Data parallelism (Rayon's par_iter in C#), a SemaphoreSlim limit, producers with deadlines, and parallel stages joined by channels.</summary>
internal static class ParallelSamples
{
    /// <summary>PLINQ and Parallel: a reduction, ordered results, and per-thread partial sums.</summary>
    public static Task DataParallelism()
    {
        int[] numbers = Enumerable.Range(1, 1_000).ToArray();

        // Reduction (Rayon's par_iter().map().sum()): no shared state, nothing to race on.
        long sumOfSquares = numbers.AsParallel().Select(n => (long)n * n).Sum();

        // Ordered results (Rayon's collect keeps order): AsOrdered keeps the input order.
        int[] firstEvens = numbers.AsParallel().AsOrdered().Where(n => n % 2 == 0).Take(5).ToArray();

        // Per-thread partial sums merged once per thread (localInit/localFinally): the merge is
        // the only shared write, and Interlocked makes it safe.
        long total = 0;
        Parallel.For(
            0,
            numbers.Length,
            () => 0L,
            (i, _, partial) => partial + numbers[i],
            partial => Interlocked.Add(ref total, partial));

        Console.WriteLine($"sum of squares 1..1000 = {sumOfSquares}");
        Console.WriteLine($"first evens, in order: {string.Join(", ", firstEvens)}");
        Console.WriteLine($"Parallel.For total = {total}");
        return Task.CompletedTask;
    }

    /// <summary>Rayon plus channels: a parallel loop produces into a bounded channel while a consumer task drains it.</summary>
    public static async Task ParallelIntoChannel()
    {
        var (resultsTx, results) = Chan.Bounded<(int Item, bool IsPrime)>(32);
        var consumer = Task.Run(async () =>
        {
            int primes = 0, seen = 0;
            using (results)
            {
                await foreach (var (_, isPrime) in results)
                {
                    seen++;
                    if (isPrime) primes++;
                }
            }

            return (primes, seen);
        });

        using (resultsTx) // closes the channel once the parallel loop is done
        {
            // A sender is thread-safe: every parallel body sends through the same one, and a full
            // channel makes the loop wait (backpressure) instead of buffering without limit.
            Parallel.ForEach(Enumerable.Range(2, 9_999), n => resultsTx.Send((n, IsPrime(n))));
        }

        var (primeCount, total) = await consumer;
        Console.WriteLine($"checked {total} numbers in parallel: {primeCount} primes below 10001");

        static bool IsPrime(int n)
        {
            for (int d = 2; d * d <= n; d++)
            {
                if (n % d == 0) return false;
            }

            return true;
        }
    }

    /// <summary>A SemaphoreSlim limit with the release in a finally (the permit-guard version is the "permits" sample).</summary>
    public static async Task SemaphoreSlimLimit()
    {
        using var gate = new SemaphoreSlim(3);
        int inside = 0, peak = 0;
        await TaskScope.RunAsync(scope =>
        {
            for (int i = 0; i < 9; i++)
            {
                scope.Spawn(async ct =>
                {
                    await gate.WaitAsync(ct);
                    try
                    {
                        int now = Interlocked.Increment(ref inside);
                        int seen;
                        while ((seen = Volatile.Read(ref peak)) < now && Interlocked.CompareExchange(ref peak, now, seen) != seen)
                        {
                        }

                        await Task.Delay(5, ct);
                        Interlocked.Decrement(ref inside);
                    }
                    finally
                    {
                        gate.Release(); // forgetting this leaks a slot forever: the analyzer checks it (CSA2004)
                    }
                });
            }

            return Task.CompletedTask;
        });
        Console.WriteLine($"9 jobs through a gate of 3: at most {peak} inside at once");
    }

    /// <summary>Many producers with deadlines: each offer gives up at its deadline, and the misses are counted, never lost.</summary>
    public static async Task ProducersWithDeadlines()
    {
        var (jobsTx, jobs) = Chan.Bounded<int>(2);
        int sent = 0, timedOut = 0, processed = 0;

        var consumer = Task.Run(async () =>
        {
            using (jobs)
            {
                await foreach (int job in jobs)
                {
                    await Task.Delay(2); // a slow consumer: some producers will miss their deadline
                    Interlocked.Increment(ref processed);
                }
            }
        });

        await TaskScope.RunAsync(scope =>
        {
            for (int p = 0; p < 8; p++)
            {
                var mine = jobsTx.Clone();
                int producer = p;
                scope.Spawn(async ct =>
                {
                    using (mine)
                    {
                        for (int i = 0; i < 5; i++)
                        {
                            var deadline = DateTimeOffset.UtcNow.AddMilliseconds(3);
                            var result = await mine.TrySendUntilAsync((producer * 100) + i, deadline, ct);
                            if (result.IsSent)
                            {
                                Interlocked.Increment(ref sent);
                            }
                            else
                            {
                                Interlocked.Increment(ref timedOut); // the item came back in result.UnsentItem
                            }
                        }
                    }
                });
            }

            return Task.CompletedTask;
        });
        jobsTx.Dispose();
        await consumer;
        Console.WriteLine($"40 offers: {sent} sent, {timedOut} missed their deadline, {processed} processed (sent == processed: {sent == processed})");
    }

    /// <summary>A multi-stage pipeline whose middle stage runs on several workers, each owning a clone of the output sender.</summary>
    public static async Task ParallelPipeline()
    {
        var (rawTx, raw) = Chan.Bounded<int>(16);
        var (cookedTx, cooked) = Chan.Bounded<(int Input, long Output)>(16);

        var generator = Task.Run(async () =>
        {
            using (rawTx)
            {
                for (int i = 1; i <= 100; i++) await rawTx.SendAsync(i);
            }
        });

        // Each worker gets its own clones *before* the originals are dropped: a receiver or
        // sender disposed first would close (or disconnect) the channel under the workers' feet.
        var ends = Enumerable.Range(0, 4).Select(_ => (Input: raw.Clone(), Output: cookedTx.Clone())).ToArray();
        raw.Dispose();      // the workers hold their own clones
        cookedTx.Dispose(); // likewise: the collector's loop ends when the last worker finishes

        var workers = TaskScope.RunAsync(scope =>
        {
            foreach (var (input, output) in ends)
            {
                scope.Spawn(async ct =>
                {
                    using (input)
                    using (output)
                    {
                        await foreach (int n in input.WithCancellation(ct))
                        {
                            await output.SendAsync((n, (long)n * n * n), ct); // CPU work in parallel stages
                        }
                    }
                });
            }

            return Task.CompletedTask;
        });

        long sum = 0;
        int count = 0;
        using (cooked)
        {
            await foreach (var (_, output) in cooked)
            {
                sum += output;
                count++;
            }
        }

        await Task.WhenAll(generator, workers);
        Console.WriteLine($"4 parallel workers cubed {count} numbers; sum of cubes 1..100 = {sum}");
    }
}
