namespace ConcurrencySafety.Samples;

/// <summary>Channel patterns: producer/consumer, unit signals, select with a ticker and a timeout, a pipeline, a worker pool and cancellation.</summary>
internal static class ChannelSamples
{
    /// <summary>A producer sends into a bounded channel; the consumer's foreach ends when the producer disposes its sender.</summary>
    public static async Task ProducerConsumer()
    {
        var (tx, rx) = Chan.Bounded<int>(4);
        var producer = Task.Run(async () =>
        {
            using (tx) // disposing the only sender closes the channel
            {
                for (int i = 1; i <= 5; i++)
                {
                    await tx.SendAsync(i * i);
                }
            }
        });

        using (rx)
        {
            await foreach (int square in rx)
            {
                Console.WriteLine($"received {square}");
            }
        }

        await producer;
        Console.WriteLine("channel closed and drained: the loop ended by itself");
    }

    /// <summary>Unit signals on a rendezvous channel: "done" is a send that completes only when the other side takes it.</summary>
    public static async Task UnitSignals()
    {
        var (doneTx, done) = Chan.Rendezvous<ValueTuple>();
        var worker = Task.Run(async () =>
        {
            using (doneTx)
            {
                Console.WriteLine("worker: working...");
                await Task.Delay(50);
                await doneTx.SendAsync(default); // blocks until main receives: a handshake
                Console.WriteLine("worker: main has seen the signal");
            }
        });

        using (done)
        {
            await done.ReceiveAsync();
            Console.WriteLine("main: worker signalled done");
        }

        await worker;
    }

    /// <summary>Select: two producers, a 500 ms ticker and an overall 3 s timeout.</summary>
    public static async Task SelectWithTickerAndTimeout()
    {
        var (fastTx, fast) = Chan.Bounded<string>(1);
        var (slowTx, slow) = Chan.Bounded<int>(1);
        var producers = new[]
        {
            Task.Run(async () =>
            {
                using (fastTx)
                {
                    for (int i = 0; i < 5; i++)
                    {
                        await Task.Delay(300);
                        await fastTx.SendAsync($"fast #{i}");
                    }
                }
            }),
            Task.Run(async () =>
            {
                using (slowTx)
                {
                    for (int i = 0; i < 3; i++)
                    {
                        await Task.Delay(700);
                        await slowTx.SendAsync(i);
                    }
                }
            }),
        };

        using var ticker = Chan.Tick(TimeSpan.FromMilliseconds(500));
        using var timeout = Chan.After(TimeSpan.FromSeconds(3));
        bool done = false;
        int open = 2;

        // Each handler receives the arm's own type: a string from `fast`, an int from `slow`.
        var selector = new Selector()
            .Receive(fast, (string message) => Console.WriteLine($"  {message}"), () => open--)
            .Receive(slow, (int n) => Console.WriteLine($"  slow value {n}"), () => open--)
            .Receive(ticker, _ => Console.WriteLine("  tick"))
            .Receive(timeout, _ =>
            {
                Console.WriteLine("  3 s timeout: stop");
                done = true;
            });
        while (!done)
        {
            await selector.SelectAsync();
        }

        Console.WriteLine($"producers still sending when the timeout fired: {open}");
        await Task.WhenAll(producers);
        fast.Dispose();
        slow.Dispose();
    }

    /// <summary>Three stages connected by bounded channels; each stage closes its output when its input ends.</summary>
    public static async Task Pipeline()
    {
        var (numbersTx, numbers) = Chan.Bounded<int>(8);
        var (squaresTx, squares) = Chan.Bounded<int>(8);

        var generate = Task.Run(async () =>
        {
            using (numbersTx)
            {
                for (int i = 1; i <= 10; i++) await numbersTx.SendAsync(i);
            }
        });
        var square = Task.Run(async () =>
        {
            using (numbers)
            using (squaresTx)
            {
                await foreach (int n in numbers) await squaresTx.SendAsync(n * n);
            }
        });

        long sum = 0;
        using (squares)
        {
            await foreach (int s in squares) sum += s;
        }

        await Task.WhenAll(generate, square);
        Console.WriteLine($"sum of squares 1..10 = {sum}");
    }

    /// <summary>
    /// A hot async hand-off with synchronous continuations: each send runs the waiting
    /// consumer's next loop step on the producer's own thread, with no thread-pool hop per item.
    /// Safe here because the code after every await on this channel only adds and awaits again;
    /// it never blocks a thread (see ChanOptions.AllowSynchronousContinuations).
    /// </summary>
    public static async Task InlineHandOff()
    {
        var (tx, rx) = Chan.Rendezvous<int>(new ChanOptions { AllowSynchronousContinuations = true });
        var consumer = Task.Run(async () =>
        {
            long sum = 0;
            using (rx)
            {
                await foreach (int x in rx) sum += x;
            }

            return sum;
        });

        using (tx)
        {
            for (int i = 1; i <= 100_000; i++) await tx.SendAsync(i);
        }

        Console.WriteLine($"sum of 1..100000 through a rendezvous channel = {await consumer}");
    }

    /// <summary>A worker pool: jobs fan out to workers, results fan in; every worker owns a clone of the results sender.</summary>
    public static async Task WorkerPool()
    {
        var (jobsTx, jobs) = Chan.Bounded<int>(16);
        var (resultsTx, results) = Chan.Bounded<(int Job, int Worker)>(16);
        var workers = Enumerable.Range(1, 3).Select(id =>
        {
            var myJobs = jobs.Clone();
            var myResults = resultsTx.Clone();
            return Task.Run(async () =>
            {
                using (myJobs)
                using (myResults)
                {
                    await foreach (int job in myJobs)
                    {
                        await Task.Delay(5);
                        await myResults.SendAsync((job, id));
                    }
                }
            });
        }).ToArray();

        // The classic bug: keeping these originals alive would make the results loop below hang forever.
        jobs.Dispose();
        resultsTx.Dispose();

        var feeder = Task.Run(async () =>
        {
            using (jobsTx)
            {
                for (int j = 1; j <= 9; j++) await jobsTx.SendAsync(j);
            }
        });

        var perWorker = new int[4];
        using (results)
        {
            await foreach (var (job, worker) in results) perWorker[worker]++;
        }

        await Task.WhenAll(workers.Append(feeder));
        Console.WriteLine($"9 jobs done: worker 1 did {perWorker[1]}, worker 2 did {perWorker[2]}, worker 3 did {perWorker[3]}");
    }

    /// <summary>Channel-based cancellation: closing a "quit" channel stops every listener, like closing a Go done channel.</summary>
    public static async Task ChannelCancellation()
    {
        var (quitTx, quit) = Chan.Rendezvous<ValueTuple>();
        var listeners = Enumerable.Range(1, 3).Select(id =>
        {
            var myQuit = quit.Clone();
            return Task.Run(async () =>
            {
                using (myQuit)
                using (var tick = Chan.Tick(TimeSpan.FromMilliseconds(20)))
                {
                    int ticks = 0;
                    bool running = true;
                    var selector = new Selector()
                        .Receive(myQuit, _ => { }, () => running = false)
                        .Receive(tick, _ => ticks++);
                    while (running) await selector.SelectAsync();
                    return ticks;
                }
            });
        }).ToArray();
        quit.Dispose();

        await Task.Delay(100);
        quitTx.Dispose(); // every listener's quit arm turns "disconnected" at once
        int[] ticks = await Task.WhenAll(listeners);
        Console.WriteLine($"all {ticks.Length} listeners stopped (they had seen {ticks.Min()}..{ticks.Max()} ticks)");
    }
}
