// Valid: permits and locks released on every path (timed waits, loops, throttling, the
// library's guards), BCL channels completed by their producers, and the code the CSA2001 fixes
// write (awaited tasks, task scopes).
using System;
using System.Collections.Generic;
using System.Linq;
using System.Threading;
using System.Threading.Channels;
using System.Threading.Tasks;
using ConcurrencySafety;

namespace Corpus.LifecycleReleases;

public sealed class RateLimitedClient
{
    private readonly SemaphoreSlim _gate = new(4, 4);
    private int _served;

    public int Served => Volatile.Read(ref _served);

    // A timed wait: the slot is held only in the branch that got it, released in its finally.
    public async Task<bool> TryCallAsync(Func<CancellationToken, Task> call, CancellationToken cancellationToken)
    {
        if (await _gate.WaitAsync(TimeSpan.FromSeconds(1), cancellationToken).ConfigureAwait(false))
        {
            try
            {
                await call(cancellationToken).ConfigureAwait(false);
                Interlocked.Increment(ref _served);
                return true;
            }
            finally
            {
                _gate.Release();
            }
        }

        return false;
    }

    // The failed wait leaves first; the rest of the method holds the slot inside try/finally.
    public bool TryCall(Action call)
    {
        if (!_gate.Wait(TimeSpan.FromMilliseconds(100)))
        {
            return false;
        }

        try
        {
            call();
            return true;
        }
        finally
        {
            _gate.Release();
        }
    }

    // One wait per item, released in the loop body's finally.
    public async Task CallEachAsync(IEnumerable<Func<Task>> calls, CancellationToken cancellationToken)
    {
        foreach (var call in calls)
        {
            await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
            try
            {
                await call().ConfigureAwait(false);
            }
            finally
            {
                _gate.Release();
            }
        }
    }

    // Throttling: the slot is handed to the task, which releases it when it finishes.
    public async Task CallAllAsync(IReadOnlyList<Func<Task>> calls, CancellationToken cancellationToken)
    {
        var running = new List<Task>(calls.Count);
        foreach (var call in calls)
        {
            await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
            running.Add(Task.Run(async () =>
            {
                try
                {
                    await call().ConfigureAwait(false);
                }
                finally
                {
                    _gate.Release();
                }
            }));
        }

        await Task.WhenAll(running).ConfigureAwait(false);
    }
}

public sealed class Ledger
{
    private readonly Locked<decimal> _balance = new(0m);
    private readonly RwLocked<Dictionary<string, decimal>> _limits = new(new Dictionary<string, decimal>());
    private readonly PermitSemaphore _writers = new(2);

    public async Task DepositAsync(decimal amount, CancellationToken cancellationToken)
    {
        using var guard = await _balance.LockAsync(cancellationToken).ConfigureAwait(false);
        guard.Value += amount;
    }

    public bool TryWithdraw(decimal amount)
    {
        if (!_balance.TryLock(TimeSpan.FromMilliseconds(50), out var guard))
        {
            return false;
        }

        try
        {
            if (guard.Value < amount)
            {
                return false;
            }

            guard.Value -= amount;
            return true;
        }
        finally
        {
            guard.Dispose();
        }
    }

    public async Task<decimal> LimitAsync(string account, CancellationToken cancellationToken)
    {
        using var limits = await _limits.ReadAsync(cancellationToken).ConfigureAwait(false);
        return limits.Value.TryGetValue(account, out var limit) ? limit : 0m;
    }

    public async Task SetLimitAsync(string account, decimal limit, CancellationToken cancellationToken)
    {
        using (await _writers.AcquireAsync(cancellationToken).ConfigureAwait(false))
        using (var limits = await _limits.WriteAsync(cancellationToken).ConfigureAwait(false))
        {
            limits.Value[account] = limit;
        }
    }

    // The permit moves into the task, which gives it back in its finally.
    public async Task<Task> StartAuditAsync(CancellationToken cancellationToken)
    {
        var permit = await _writers.AcquireAsync(cancellationToken).ConfigureAwait(false);
        return Task.Run(() =>
        {
            try
            {
                Audit();
            }
            finally
            {
                permit.Dispose();
            }
        });
    }

    private static void Audit() { }
}

public static class BclPipelines
{
    // Producers complete the writer when the last one is done; the reader drains to the end.
    public static async Task<int> SumAsync(int producers, CancellationToken cancellationToken)
    {
        var channel = Channel.CreateBounded<int>(new BoundedChannelOptions(16) { SingleReader = true });
        var writer = channel.Writer;
        var reader = channel.Reader;
        var producing = Enumerable.Range(0, producers)
            .Select(p => Task.Run(async () =>
            {
                for (var i = 0; i < 10; i++)
                {
                    await writer.WriteAsync(p * 10 + i, cancellationToken).ConfigureAwait(false);
                }
            }))
            .ToArray();
        var completing = Task.WhenAll(producing).ContinueWith(t => writer.TryComplete(t.Exception), TaskScheduler.Default);

        var sum = 0;
        while (await reader.WaitToReadAsync(cancellationToken).ConfigureAwait(false))
        {
            while (reader.TryRead(out var item))
            {
                sum += item;
            }
        }

        await completing.ConfigureAwait(false);
        return sum;
    }

    public static async Task<List<string>> CollectAsync(IEnumerable<string> lines)
    {
        var channel = Channel.CreateBounded<string>(new BoundedChannelOptions(64) { SingleWriter = true });
        var producer = Task.Run(async () =>
        {
            try
            {
                foreach (var line in lines)
                {
                    await channel.Writer.WriteAsync(line).ConfigureAwait(false);
                }
            }
            finally
            {
                channel.Writer.Complete();
            }
        });

        var collected = new List<string>();
        await foreach (var line in channel.Reader.ReadAllAsync().ConfigureAwait(false))
        {
            collected.Add(line);
        }

        await producer.ConfigureAwait(false);
        await channel.Reader.Completion.ConfigureAwait(false);
        return collected;
    }

    public static int CountBlocking(int n)
    {
        var channel = Channel.CreateBounded<int>(4);
        var producer = Task.Run(async () =>
        {
            for (var i = 0; i < n; i++)
            {
                await channel.Writer.WriteAsync(i).ConfigureAwait(false);
            }

            channel.Writer.Complete();
        });

        var count = 0;
        foreach (var _ in channel.Reader.ReadAllAsync().ToBlockingEnumerable())
        {
            count++;
        }

        producer.GetAwaiter().GetResult();
        return count;
    }
}

public static class FixedSpawns
{
    // What the CSA2001 fixes write: an awaited task, and work run as the only child of a scope.
    public static async Task RefreshAsync(CancellationToken cancellationToken)
    {
        await Task.Run(() => Reload(), cancellationToken).ConfigureAwait(false);
        await TaskScope.RunAsync(scope =>
        {
            scope.Spawn(ct => Reload());
            return Task.CompletedTask;
        }, cancellationToken).ConfigureAwait(false);
        await TaskScope.RunAsync(scope =>
        {
            scope.Spawn(async ct => await Task.Delay(1, ct).ConfigureAwait(false));
            return Task.CompletedTask;
        }).ConfigureAwait(false);
    }

    public static void RefreshBlocking() => Scope.Run(scope => scope.Spawn(() => Reload()));

    private static void Reload() { }
}
