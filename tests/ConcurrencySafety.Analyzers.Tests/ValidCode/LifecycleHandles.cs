// Valid: the library's resource-owning handles other than senders, released as CSA2002 asks
// (tickers disposed, writers from AsChannelWriter completed, receivers disposed when reading
// stops early), and the shapes where an undisposed handle holds nothing.
using System;
using System.Collections.Generic;
using System.Threading;
using System.Threading.Channels;
using System.Threading.Tasks;
using ConcurrencySafety;

namespace Corpus.LifecycleHandles;

public static class Heartbeats
{
    // Go's `ticker := time.NewTicker(d); defer ticker.Stop()`: a using declaration stops the
    // timer on every way out, also when the select throws.
    public static async Task<int> PumpAsync(Receiver<string> events, CancellationToken cancellationToken)
    {
        using var ticker = Chan.Tick(TimeSpan.FromSeconds(1));
        int seen = 0;
        var selector = new Selector()
            .Receive(events, (string e) => seen++, () => { })
            .Receive(ticker, _ => Console.WriteLine($"alive, {seen} events"));
        while (!events.IsClosed)
        {
            await selector.SelectAsync(cancellationToken).ConfigureAwait(false);
        }

        return seen;
    }

    // A service loop that never ends needs no dispose: no path leaves the method.
    public static void RunForever(Action beat)
    {
        var ticker = Chan.Tick(TimeSpan.FromSeconds(30));
        foreach (var _ in ticker)
        {
            beat();
        }
    }

    // A ticker handed to its owner, and a one-shot timer (it ends by itself once it fires).
    public static Receiver<DateTimeOffset> StartHeartbeat(TimeSpan period) => Chan.Tick(period);

    public static bool WaitOnce(Receiver<int> input)
    {
        var timeout = Chan.After(TimeSpan.FromSeconds(1));
        bool got = false;
        new Selector().Receive(input, (int _) => got = true, () => { }).Receive(timeout, _ => { }).Select();
        return got;
    }
}

public static class Adapters
{
    // The writer owns a sender clone: completing it in a finally releases the clone.
    public static async Task WriteAllAsync(Sender<int> tx, IEnumerable<int> values, CancellationToken cancellationToken)
    {
        var writer = tx.AsChannelWriter();
        try
        {
            foreach (var v in values)
            {
                await writer.WriteAsync(v, cancellationToken).ConfigureAwait(false);
            }
        }
        finally
        {
            writer.Complete();
        }
    }

    // Handed to an API built on System.Threading.Channels, which completes it.
    public static Task FeedAsync(Sender<int> tx, Func<ChannelWriter<int>, Task> produce) => produce(tx.AsChannelWriter());
}

public static class EarlyStop
{
    // A reader that may stop early disposes its receiver: the producer's next send fails with
    // ChannelDisconnectedException instead of waiting for a reader that never comes.
    public static async Task<int?> FirstAboveAsync(int[] values, int limit)
    {
        var (tx, rx) = Chan.Bounded<int>(4);
        var producer = Task.Run(async () =>
        {
            using (tx)
            {
                foreach (var v in values)
                {
                    await tx.SendAsync(v).ConfigureAwait(false);
                }
            }
        });

        int? found = null;
        using (rx)
        {
            await foreach (var x in rx)
            {
                if (x > limit)
                {
                    found = x;
                    break;
                }
            }
        }

        try
        {
            await producer.ConfigureAwait(false);
        }
        catch (ChannelDisconnectedException)
        {
            // the reader stopped first: expected
        }

        return found;
    }

    // A reader that stops early while the producer's sends take the token it cancels.
    public static async Task<int> TakeAsync(int count)
    {
        using var cts = new CancellationTokenSource();
        var (tx, rx) = Chan.Rendezvous<int>();
        var producer = Task.Run(async () =>
        {
            using (tx)
            {
                for (int i = 0; ; i++)
                {
                    await tx.SendAsync(i, cts.Token).ConfigureAwait(false);
                }
            }
        });

        int taken = 0;
        await foreach (var x in rx)
        {
            if (++taken == count)
            {
                cts.Cancel();
                break;
            }
        }

        try
        {
            await producer.ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
        }

        return taken;
    }

    // Read to the end: the channel is closed, the undisposed receiver holds nothing.
    public static async Task<long> SumAsync(int[] values)
    {
        var (tx, rx) = Chan.Bounded<int>(8);
        var producer = Task.Run(async () =>
        {
            using (tx)
            {
                foreach (var v in values)
                {
                    await tx.SendAsync(v).ConfigureAwait(false);
                }
            }
        });

        long sum = 0;
        await foreach (var x in rx)
        {
            sum += x;
        }

        await producer.ConfigureAwait(false);
        return sum;
    }
}
