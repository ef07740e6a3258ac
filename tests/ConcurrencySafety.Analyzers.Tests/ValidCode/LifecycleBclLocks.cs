// Valid: the BCL's synchronization types used the way their documentation asks: every acquire
// released in a finally that starts right after it (Monitor, ReaderWriterLockSlim with the
// upgradeable pattern, Mutex, Semaphore, SpinLock, .NET 9's Lock and its scope), the ref-flag
// forms that lock lowers to, timed acquires tested before the work, and the hand-offs where one
// method enters and another exits.
using System;
using System.Collections.Generic;
using System.Threading;

namespace Corpus.LifecycleBclLocks;

public sealed class MonitorCounter
{
    private readonly object _sync = new();
    private readonly Queue<int> _items = new();

    // The classic form: Enter, then try, Exit in the finally.
    public void Add(int item)
    {
        Monitor.Enter(_sync);
        try
        {
            _items.Enqueue(item);
            Monitor.Pulse(_sync);
        }
        finally
        {
            Monitor.Exit(_sync);
        }
    }

    // What the lock statement lowers to: the flag tells the finally whether the monitor was taken.
    public int Take()
    {
        var lockTaken = false;
        try
        {
            Monitor.Enter(_sync, ref lockTaken);
            while (_items.Count == 0)
            {
                Monitor.Wait(_sync);
            }

            return _items.Dequeue();
        }
        finally
        {
            if (lockTaken)
            {
                Monitor.Exit(_sync);
            }
        }
    }

    // A timed attempt: the failed branch leaves, the rest holds the monitor inside try/finally.
    public bool TryTake(TimeSpan timeout, out int item)
    {
        item = 0;
        if (!Monitor.TryEnter(_sync, timeout))
        {
            return false;
        }

        try
        {
            return _items.TryDequeue(out item);
        }
        finally
        {
            Monitor.Exit(_sync);
        }
    }

    // The timed attempt with a flag, tested in the finally.
    public int CountOrMinusOne()
    {
        var taken = false;
        try
        {
            Monitor.TryEnter(_sync, 50, ref taken);
            return taken ? _items.Count : -1;
        }
        finally
        {
            if (taken)
            {
                Monitor.Exit(_sync);
            }
        }
    }
}

public sealed class ReadMostlyCache
{
    private readonly ReaderWriterLockSlim _rw = new(LockRecursionPolicy.NoRecursion);
    private readonly Dictionary<string, int> _map = new(StringComparer.Ordinal);

    public bool TryGet(string key, out int value)
    {
        _rw.EnterReadLock();
        try
        {
            return _map.TryGetValue(key, out value);
        }
        finally
        {
            _rw.ExitReadLock();
        }
    }

    // The upgradeable pattern: the write lock nested inside the upgradeable read lock, each
    // released by its own finally.
    public int GetOrAdd(string key, Func<string, int> create)
    {
        _rw.EnterUpgradeableReadLock();
        try
        {
            if (_map.TryGetValue(key, out var existing))
            {
                return existing;
            }

            var created = create(key);
            _rw.EnterWriteLock();
            try
            {
                _map[key] = created;
            }
            finally
            {
                _rw.ExitWriteLock();
            }

            return created;
        }
        finally
        {
            _rw.ExitUpgradeableReadLock();
        }
    }

    public bool TrySet(string key, int value, TimeSpan timeout)
    {
        if (_rw.TryEnterWriteLock(timeout))
        {
            try
            {
                _map[key] = value;
                return true;
            }
            finally
            {
                _rw.ExitWriteLock();
            }
        }

        return false;
    }
}

// A reader/writer lock held across calls: one method enters, another exits (a hand-off, the
// caller pairs them).
public sealed class BatchWriter : IDisposable
{
    private readonly ReaderWriterLockSlim _rw = new();
    private readonly List<int> _batch = new();

    public void Begin() => _rw.EnterWriteLock();

    public void Write(int value) => _batch.Add(value);

    public void End() => _rw.ExitWriteLock();

    public void Dispose() => _rw.Dispose();
}

public sealed class CrossProcessFile : IDisposable
{
    private readonly Mutex _mutex = new(initiallyOwned: false);
    private readonly Semaphore _slots = new(initialCount: 2, maximumCount: 2);
    private int _writes;

    public void Write()
    {
        _mutex.WaitOne();
        try
        {
            _writes++;
        }
        finally
        {
            _mutex.ReleaseMutex();
        }
    }

    public bool TryWrite(TimeSpan timeout)
    {
        if (!_mutex.WaitOne(timeout))
        {
            return false;
        }

        try
        {
            _writes++;
            return true;
        }
        finally
        {
            _mutex.ReleaseMutex();
        }
    }

    public void Limited(Action work)
    {
        _slots.WaitOne();
        try
        {
            work();
        }
        finally
        {
            _slots.Release();
        }
    }

    public void Dispose()
    {
        _mutex.Dispose();
        _slots.Dispose();
    }
}

// A semaphore used as a signal: released by the producer, waited on by the consumer.
public sealed class SignalledQueue : IDisposable
{
    private readonly Semaphore _items = new(0, int.MaxValue);
    private readonly System.Collections.Concurrent.ConcurrentQueue<int> _queue = new();

    public void Add(int item)
    {
        _queue.Enqueue(item);
        _items.Release();
    }

    public int Take()
    {
        _items.WaitOne();
        _queue.TryDequeue(out var item);
        return item;
    }

    public void Dispose() => _items.Dispose();
}

public sealed class SpinCounter
{
    // Not readonly: SpinLock is a mutable struct, and a readonly field would lock a copy.
    private SpinLock _spin = new(enableThreadOwnerTracking: false);
    private long _total;

    public void Add(long amount)
    {
        var taken = false;
        try
        {
            _spin.Enter(ref taken);
            _total += amount;
        }
        finally
        {
            if (taken)
            {
                _spin.Exit(useMemoryBarrier: false);
            }
        }
    }

    public bool TryAdd(long amount)
    {
        var taken = false;
        try
        {
            _spin.TryEnter(0, ref taken);
            if (taken)
            {
                _total += amount;
            }

            return taken;
        }
        finally
        {
            if (taken)
            {
                _spin.Exit();
            }
        }
    }
}

public sealed class LockStats
{
    private readonly Lock _lock = new();
    private int _hits;

    public void Hit()
    {
        lock (_lock)
        {
            _hits++;
        }
    }

    public void HitWithScope()
    {
        using (_lock.EnterScope())
        {
            _hits++;
        }
    }

    public int Read()
    {
        using var scope = _lock.EnterScope();
        return _hits;
    }

    public void HitExplicitly()
    {
        _lock.Enter();
        try
        {
            _hits++;
        }
        finally
        {
            _lock.Exit();
        }
    }

    public bool TryHit()
    {
        if (!_lock.TryEnter(TimeSpan.FromMilliseconds(10)))
        {
            return false;
        }

        try
        {
            _hits++;
            return true;
        }
        finally
        {
            _lock.Exit();
        }
    }
}
