using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;

namespace ConcurrencySafety.Tests.Sync;

public sealed class PermitSemaphoreTests
{
    [Fact]
    public async Task Permits_are_never_exceeded_by_threads_and_tasks()
    {
        var semaphore = new PermitSemaphore(3);
        int inside = 0, max = 0, total = 0;
        void Enter()
        {
            int now = Interlocked.Increment(ref inside);
            int seen;
            while ((seen = Volatile.Read(ref max)) < now) Interlocked.CompareExchange(ref max, now, seen);
            Interlocked.Increment(ref total);
            Interlocked.Decrement(ref inside);
        }
        await TaskScope.RunAsync(scope =>
        {
            for (int t = 0; t < 4; t++)
            {
                scope.Spawn(async ct =>
                {
                    for (int i = 0; i < 5_000; i++)
                        using (await semaphore.AcquireAsync(ct)) Enter();
                });
                scope.Spawn(ct =>
                {
                    for (int i = 0; i < 5_000; i++)
                        using (semaphore.Acquire(ct)) Enter();
                });
            }
            return Task.CompletedTask;
        });
        Assert.InRange(max, 1, 3);
        Assert.Equal(40_000, total);
        Assert.Equal(3, semaphore.Available);
    }

    [Fact]
    public void Disposing_a_permit_twice_releases_it_once()
    {
        var semaphore = new PermitSemaphore(2);
        Permit a = semaphore.Acquire();
        Permit copy = a;
        Permit b = semaphore.Acquire();
        Assert.Equal(0, semaphore.Available);
        a.Dispose();
        a.Dispose();
        copy.Dispose();
        Assert.Equal(1, semaphore.Available);
        Assert.False(copy.IsHeld);
        Assert.True(b.IsHeld);
        // The node of `a` is reused by the next acquisition; the stale copies stay harmless.
        Permit c = semaphore.Acquire();
        copy.Dispose();
        Assert.True(c.IsHeld);
        Assert.Equal(0, semaphore.Available);
        b.Dispose();
        c.Dispose();
        Assert.Equal(2, semaphore.Available);
    }

    [Fact]
    public void A_default_permit_releases_nothing()
    {
        var semaphore = new PermitSemaphore(1);
        using (semaphore.Acquire())
        {
            default(Permit).Dispose();
            Assert.Equal(0, semaphore.Available);
        }
        Assert.False(default(Permit).IsHeld);
        Assert.Equal(0, default(Permit).Weight);
    }

    [Fact]
    public async Task Async_waiters_are_served_in_FIFO_order()
    {
        var semaphore = new PermitSemaphore(1);
        Permit held = semaphore.Acquire();
        var order = new ConcurrentQueue<int>();
        var waiters = new List<Task>();
        for (int i = 0; i < 10; i++)
        {
            int id = i;
            ValueTask<Permit> pending = semaphore.AcquireAsync();
            waiters.Add(Task.Run(async () =>
            {
                using (await pending) order.Enqueue(id);
            }));
        }
        Assert.Equal(10, semaphore.WaitingCount);
        held.Dispose();
        await Task.WhenAll(waiters);
        Assert.Equal(Enumerable.Range(0, 10), order);
    }

    [Fact]
    public async Task A_large_request_is_not_starved_by_small_ones()
    {
        var semaphore = new PermitSemaphore(4);
        Permit small = semaphore.Acquire();
        ValueTask<Permit> big = semaphore.AcquireAsync(4);      // queued: needs all four
        ValueTask<Permit> later = semaphore.AcquireAsync(1);    // would fit now, but must not overtake
        Assert.False(semaphore.TryAcquire(out _));              // newcomers queue behind the big request too
        Assert.False(big.IsCompleted);
        Assert.False(later.IsCompleted);
        small.Dispose();
        Permit bigPermit = await big;
        Assert.Equal(4, bigPermit.Weight);
        Assert.False(later.IsCompleted);
        bigPermit.Dispose();
        using Permit laterPermit = await later;
        Assert.Equal(3, semaphore.Available);
    }

    [Fact]
    public void TryAcquire_times_out_without_taking_a_permit()
    {
        var semaphore = new PermitSemaphore(1);
        using Permit held = semaphore.Acquire();
        Assert.False(semaphore.TryAcquire(TimeSpan.FromMilliseconds(30), out Permit p));
        Assert.False(p.IsHeld);
        Assert.False(semaphore.TryAcquire(TimeSpan.Zero, out _));
        Assert.False(semaphore.TryAcquire(out _));
        Assert.Equal(0, semaphore.WaitingCount);
    }

    [Fact]
    public void TryAcquire_succeeds_when_a_permit_is_released_in_time()
    {
        var semaphore = new PermitSemaphore(1);
        Permit held = semaphore.Acquire();
        using var timer = new Timer(_ => held.Dispose(), null, 20, Timeout.Infinite);
        Assert.True(semaphore.TryAcquire(TimeSpan.FromSeconds(10), out Permit p));
        Assert.True(p.IsHeld);
        p.Dispose();
    }

    [Fact]
    public async Task Canceling_a_waiter_keeps_the_permits_and_lets_the_next_through()
    {
        var semaphore = new PermitSemaphore(2);
        Permit one = semaphore.Acquire();
        using var cts = new CancellationTokenSource();
        ValueTask<Permit> big = semaphore.AcquireAsync(2, cts.Token);   // blocks the queue
        ValueTask<Permit> small = semaphore.AcquireAsync(1);
        Assert.False(small.IsCompleted);
        await cts.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(async () => await big);
        using (await small) Assert.Equal(0, semaphore.Available); // let through by the cancellation
        one.Dispose();
        Assert.Equal(2, semaphore.Available);
        Assert.Equal(0, semaphore.WaitingCount);
    }

    [Fact]
    public void A_blocking_wait_can_be_canceled()
    {
        var semaphore = new PermitSemaphore(1);
        using Permit held = semaphore.Acquire();
        using var cts = new CancellationTokenSource(30);
        Assert.ThrowsAny<OperationCanceledException>(() => semaphore.Acquire(cts.Token));
        Assert.Equal(0, semaphore.WaitingCount);
        Assert.ThrowsAny<OperationCanceledException>(() => semaphore.Acquire(new CancellationToken(true)));
    }

    [Fact]
    public async Task An_already_canceled_token_fails_even_when_a_permit_is_free()
    {
        // The library's one rule (docs/channels.md, "Cancellation"): a token canceled before the
        // call wins, whether or not the call would have had to wait.
        var semaphore = new PermitSemaphore(1);
        await Assert.ThrowsAnyAsync<OperationCanceledException>(async () => await semaphore.AcquireAsync(new CancellationToken(true)));
        Assert.Throws<OperationCanceledException>(() => semaphore.Acquire(new CancellationToken(true)));
        Assert.Equal(1, semaphore.Available);
        using Permit held = semaphore.Acquire();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(async () => await semaphore.AcquireAsync(new CancellationToken(true)));
        Assert.Equal(0, semaphore.WaitingCount);
    }

    [Fact]
    public void Bad_inputs_are_rejected()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new PermitSemaphore(0));
        Assert.Throws<ArgumentOutOfRangeException>(() => new PermitSemaphore(-1));
        var semaphore = new PermitSemaphore(2);
        Assert.Throws<ArgumentOutOfRangeException>(() => semaphore.Acquire(0));
        Assert.Throws<ArgumentOutOfRangeException>(() => semaphore.Acquire(3));
        Assert.Throws<ArgumentOutOfRangeException>(() => { _ = semaphore.AcquireAsync(-1); });
        Assert.Throws<ArgumentOutOfRangeException>(() => { _ = semaphore.AcquireAsync(3); });
        Assert.Throws<ArgumentOutOfRangeException>(() => semaphore.TryAcquire(3, TimeSpan.Zero, out _));
        Assert.Throws<ArgumentOutOfRangeException>(() => semaphore.TryAcquire(TimeSpan.FromMilliseconds(-2), out _));
        Assert.Equal(2, semaphore.Available);
        // Timeout.InfiniteTimeSpan is the one accepted negative timeout.
        Assert.True(semaphore.TryAcquire(Timeout.InfiniteTimeSpan, out Permit p));
        p.Dispose();
        Assert.True(semaphore.TryAcquire(2, TimeSpan.Zero, out Permit both));
        Assert.Equal(2, both.Weight);
        both.Dispose();
    }
}
