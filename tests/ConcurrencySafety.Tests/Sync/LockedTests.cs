using System;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;

namespace ConcurrencySafety.Tests.Sync;

public sealed class LockedTests
{
    private const int PerWorker = 100_000;

    [Fact]
    public void Eight_threads_times_100k_increments_give_the_exact_total()
    {
        var counter = new Locked<long>(0);
        // Dedicated threads, so that all eight really contend.
        var threads = Enumerable.Range(0, 8).Select(_ => new Thread(() =>
        {
            for (int i = 0; i < PerWorker; i++)
                using (var g = counter.Lock()) g.Value++;
        })).ToArray();
        foreach (var t in threads) t.Start();
        foreach (var t in threads) t.Join();
        using var check = counter.Lock();
        Assert.Equal(8L * PerWorker, check.Value);
    }

    [Fact]
    public async Task Eight_tasks_times_100k_async_increments_give_the_exact_total()
    {
        var counter = new Locked<long>(0);
        await TaskScope.RunAsync(scope =>
        {
            for (int t = 0; t < 8; t++)
            {
                scope.Spawn(async ct =>
                {
                    for (int i = 0; i < PerWorker; i++)
                        using (var g = await counter.LockAsync(ct)) g.Value++;
                });
            }
            return Task.CompletedTask;
        });
        using var check = counter.Lock();
        Assert.Equal(8L * PerWorker, check.Value);
    }

    [Fact]
    public async Task Mixed_blocking_and_async_lockers_exclude_each_other()
    {
        var state = new Locked<(long A, long B)>((0, 0));
        await TaskScope.RunAsync(scope =>
        {
            for (int t = 0; t < 4; t++)
            {
                scope.Spawn(async ct =>
                {
                    for (int i = 0; i < 20_000; i++)
                        using (var g = await state.LockAsync(ct)) { g.Value.A++; g.Value.B = g.Value.A; }
                });
                scope.Spawn(ct =>
                {
                    for (int i = 0; i < 20_000; i++)
                        using (var g = state.Lock(ct)) { g.Value.A++; g.Value.B = g.Value.A; }
                });
            }
            return Task.CompletedTask;
        });
        using var check = state.Lock();
        Assert.Equal((160_000L, 160_000L), check.Value);
    }

    [Fact]
    public void A_guard_used_after_dispose_throws_ObjectDisposedException()
    {
        var locked = new Locked<int>(1);
        var guard = locked.Lock();
        var copy = guard;
        guard.Dispose();
        guard.Dispose(); // idempotent
        Assert.False(guard.IsHeld);
        Assert.Throws<ObjectDisposedException>(() => guard.Value);
        Assert.Throws<ObjectDisposedException>(() => copy.Value++);
        Assert.Throws<ObjectDisposedException>(() => default(LockGuard<int>).Value);
        using var again = locked.Lock(); // released exactly once, so it can be taken again
        Assert.Equal(1, again.Value);
        Assert.Throws<ObjectDisposedException>(() => copy.Value); // a stale copy stays dead
    }

    [Fact]
    public void TryLock_times_out_while_held_and_succeeds_when_free()
    {
        var locked = new Locked<string>("data");
        using (locked.Lock())
        {
            Assert.False(locked.TryLock(TimeSpan.FromMilliseconds(20), out var failed));
            Assert.Throws<ObjectDisposedException>(() => failed.Value);
            Assert.False(locked.TryLock(TimeSpan.Zero, out _));
        }
        Assert.True(locked.TryLock(TimeSpan.Zero, out var guard));
        using (guard) Assert.Equal("data", guard.Value);
    }

    [Fact]
    public async Task LockAsync_waits_for_the_holder_and_can_be_canceled()
    {
        var locked = new Locked<int>(0);
        var held = locked.Lock();
        ValueTask<LockGuard<int>> waiting = locked.LockAsync();
        using var cts = new CancellationTokenSource();
        ValueTask<LockGuard<int>> canceled = locked.LockAsync(cts.Token);
        Assert.False(waiting.IsCompleted);
        await cts.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(async () => await canceled);
        held.Value = 5;
        held.Dispose();
        using var g = await waiting;
        Assert.Equal(5, g.Value);
    }

    [Fact]
    public void Blocking_lock_can_be_canceled_and_timeouts_are_validated()
    {
        var locked = new Locked<int>(0);
        using var held = locked.Lock();
        using var cts = new CancellationTokenSource(20);
        Assert.ThrowsAny<OperationCanceledException>(() => locked.Lock(cts.Token));
        Assert.Throws<ArgumentOutOfRangeException>(() => locked.TryLock(TimeSpan.FromMilliseconds(-5), out _));
    }

    [Fact]
    public void ToString_does_not_read_the_data()
    {
        var locked = new Locked<int>(0);
        using var held = locked.Lock();
        Assert.Equal("Locked<Int32>", locked.ToString()); // no deadlock, no data
    }
}
