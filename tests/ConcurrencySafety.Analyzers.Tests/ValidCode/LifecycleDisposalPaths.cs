// Valid: senders disposed on every normal path in the ways the path reasoning of CSA2002 must
// accept, and receive-until-disconnected loops (CSA2003's loop shapes) that are correct
// because every sender of the method is gone before the loop, or because the loop can end
// another way (a timeout, a counter, a cancellation check).
using System;
using System.Collections.Generic;
using System.Threading;
using System.Threading.Tasks;
using ConcurrencySafety;

namespace Corpus.LifecycleDisposalPaths;

public static class Producers
{
    // Dispose in both branches.
    public static void SendOrCancel(Sender<int> shared, int value, bool cancelled)
    {
        var mine = shared.Clone();
        if (cancelled)
        {
            mine.Dispose();
        }
        else
        {
            mine.Send(value);
            mine.Dispose();
        }
    }

    // An early return inside a try whose finally disposes.
    public static int SendPositive(Sender<int> shared, IReadOnlyList<int> values)
    {
        var mine = shared.Clone();
        try
        {
            var sent = 0;
            foreach (var v in values)
            {
                if (v < 0)
                {
                    return sent;
                }

                mine.Send(v);
                sent++;
            }

            return sent;
        }
        finally
        {
            mine.Dispose();
        }
    }

    // A throw before the dispose: the exceptional path need not dispose.
    public static void SendChecked(Sender<int> shared, int value)
    {
        var mine = shared.Clone();
        if (value < 0)
        {
            throw new ArgumentOutOfRangeException(nameof(value), "Send only non-negative values.");
        }

        mine.Send(value);
        mine.Dispose();
    }

    // Dispose after a loop that may run zero times, and in a using statement with an early exit.
    public static void SendAll(Sender<int> shared, IEnumerable<int> values, bool twice)
    {
        var mine = shared.Clone();
        foreach (var v in values)
        {
            if (v == 0)
            {
                continue;
            }

            mine.Send(v);
        }

        mine.Dispose();

        var again = shared.Clone();
        using (again)
        {
            if (!twice)
            {
                return;
            }

            foreach (var v in values)
            {
                again.Send(v);
            }
        }
    }
}

public static class Consumers
{
    // Go's `for { v, ok := <-ch; if !ok { break } }`, after the collector dropped its sender.
    public static async Task<long> SumAsync(int[] jobs)
    {
        var (resultTx, resultRx) = Chan.Bounded<long>(16);
        var workers = new Task[2];
        for (var w = 0; w < workers.Length; w++)
        {
            var tx = resultTx.Clone();
            var id = w;
            workers[w] = Task.Run(async () =>
            {
                using (tx)
                {
                    for (var i = id; i < jobs.Length; i += 2)
                    {
                        await tx.SendAsync((long)jobs[i] * jobs[i]);
                    }
                }
            });
        }

        resultTx.Dispose();
        long sum = 0;
        using (resultRx)
        {
            while (true)
            {
                var r = await resultRx.TryReceiveAsync(Timeout.InfiniteTimeSpan);
                if (!r.TryGetValue(out var value))
                {
                    break;
                }

                sum += value;
            }
        }

        await Task.WhenAll(workers);
        return sum;
    }

    // Receive with the throwing form until disconnection, after the producer owns the only sender.
    public static int CountBlocking(int n)
    {
        var (tx, rx) = Chan.Bounded<int>(4);
        var producer = new Thread(() =>
        {
            using (tx)
            {
                for (var i = 0; i < n; i++)
                {
                    tx.Send(i);
                }
            }
        });
        producer.Start();
        var count = 0;
        try
        {
            while (true)
            {
                rx.Receive();
                count++;
            }
        }
        catch (ChannelDisconnectedException)
        {
        }
        finally
        {
            rx.Dispose();
            producer.Join();
        }

        return count;
    }

    // A heartbeat loop that holds its own sender on purpose: it ends on a timeout or a
    // cancellation check, not on the channel closing.
    public static async Task<int> DrainUntilQuietAsync(CancellationToken cancellationToken)
    {
        var (tx, rx) = Chan.Bounded<int>(8);
        using (tx)
        using (rx)
        {
            await tx.SendAsync(1, cancellationToken);
            var seen = 0;
            while (!cancellationToken.IsCancellationRequested)
            {
                var r = await rx.TryReceiveAsync(TimeSpan.FromMilliseconds(20), cancellationToken);
                if (!r.IsReceived)
                {
                    break;
                }

                seen++;
            }

            while (seen < 100 && rx.TryReceive(out _))
            {
                seen++;
            }

            return seen;
        }
    }

    // await foreach with a token, once the method's sender is moved into the producer.
    public static async Task<int> TotalAsync(int n, CancellationToken cancellationToken)
    {
        var (tx, rx) = Chan.Bounded<int>(4);
        var producer = Task.Run(async () =>
        {
            using (tx)
            {
                for (var i = 1; i <= n; i++)
                {
                    await tx.SendAsync(i, cancellationToken);
                }
            }
        });
        var total = 0;
        using (rx)
        {
            await foreach (var x in rx.WithCancellation(cancellationToken))
            {
                total += x;
            }
        }

        await producer;
        return total;
    }

    // A service loop that runs until shutdown and keeps its own sender on purpose (a ticker
    // clones it): the token passed to WithCancellation is its way out, so CSA2003 stays silent.
    public static async Task ServeAsync(Func<int, ValueTask> handle, CancellationToken stoppingToken)
    {
        var (tx, rx) = Chan.Bounded<int>(64);
        using (tx)
        using (rx)
        {
            var ticker = Task.Run(async () =>
            {
                using var mine = tx.Clone();
                var n = 0;
                while (!stoppingToken.IsCancellationRequested)
                {
                    await mine.SendAsync(n++, stoppingToken);
                    await Task.Delay(1000, stoppingToken);
                }
            });
            try
            {
                await foreach (var tick in rx.WithCancellation(stoppingToken))
                {
                    await handle(tick);
                }
            }
            finally
            {
                try
                {
                    await ticker;
                }
                catch (OperationCanceledException)
                {
                }
            }
        }
    }
}
