// Valid: hand-made synchronization, thread-confined state, atomics.
using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Collections.Immutable;
using System.Threading;
using System.Threading.Channels;
using System.Threading.Tasks;

namespace Corpus.Synchronization;

public sealed class Cache<TKey, TValue> where TKey : notnull
{
    private ImmutableDictionary<TKey, TValue> _entries = ImmutableDictionary<TKey, TValue>.Empty;
    private readonly Lazy<string> _name = new(() => "cache", LazyThreadSafetyMode.ExecutionAndPublication);
    private readonly ThreadLocal<Random> _random = new(() => new Random());

    public void Warm(IEnumerable<KeyValuePair<TKey, TValue>> items)
    {
        Parallel.ForEach(items, item =>
        {
            ImmutableInterlocked.AddOrUpdate(ref _entries, item.Key, item.Value, (_, _) => item.Value);
            _ = _random.Value!.Next();
            _ = _name.Value;
        });
    }

    public int Count => Volatile.Read(ref _entries).Count;
}

public sealed class Worker
{
    private readonly SemaphoreSlim _throttle = new(4);
    private readonly object _sync = new();
    private readonly List<string> _log = new();
    private volatile bool _stopping;
    private int _active;

    public async Task ProcessAsync(IEnumerable<string> jobs)
    {
        var running = new List<Task>();
        foreach (var job in jobs)
        {
            await _throttle.WaitAsync();
            running.Add(Task.Run(() =>
            {
                try
                {
                    Interlocked.Increment(ref _active);
                    lock (_sync)
                    {
                        _log.Add(job);
                    }
                }
                finally
                {
                    Interlocked.Decrement(ref _active);
                    _throttle.Release();
                }
            }));
        }

        await Task.WhenAll(running);
    }

    public void Stop() => _stopping = true;

    public void Spin()
    {
        var thread = new Thread(() =>
        {
            while (!_stopping)
            {
                Thread.Sleep(1);
            }
        });
        thread.Start();
        _stopping = true;
        thread.Join();
    }

    public IReadOnlyList<string> Log
    {
        get
        {
            lock (_sync)
            {
                return _log.ToArray();
            }
        }
    }
}

public static class Handoff
{
    public static int SignalAfterWrite()
    {
        int value = 0;
        using var ready = new ManualResetEventSlim();
        ThreadPool.QueueUserWorkItem(_ =>
        {
            value = 42;
            ready.Set();
        });
        ready.Wait();
        return value;
    }

    public static async Task<int> ThroughChannelAsync(int count)
    {
        var channel = Channel.CreateUnbounded<int>();
        var producer = Task.Run(async () =>
        {
            for (int i = 0; i < count; i++)
            {
                await channel.Writer.WriteAsync(i);
            }

            channel.Writer.Complete();
        });

        int sum = 0;
        await foreach (var item in channel.Reader.ReadAllAsync())
        {
            sum += item;
        }

        await producer;
        return sum;
    }

    public static int ProducerConsumer()
    {
        using var queue = new BlockingCollection<int>();
        var consumer = Task.Run(() =>
        {
            var total = 0;
            foreach (var item in queue.GetConsumingEnumerable())
            {
                total += item;
            }

            return total;
        });
        for (var i = 0; i < 100; i++)
        {
            queue.Add(i);
        }

        queue.CompleteAdding();
        return consumer.Result;
    }

    public static long TimerTicks(TimeSpan period)
    {
        long ticks = 0;
        using (var timer = new Timer(_ => Interlocked.Increment(ref ticks), null, TimeSpan.Zero, period))
        {
            Thread.Sleep(period * 3);
        }

        return Interlocked.Read(ref ticks);
    }
}
