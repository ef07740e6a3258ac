using System;
using System.Threading;
using System.Threading.Tasks;

namespace ConcurrencySafety.Tests.Sync;

public sealed class RwLockedTests
{
    [Fact]
    public void Readers_share_and_writers_exclude()
    {
        var rw = new RwLocked<int>(7);
        using (var r1 = rw.Read())
        using (var r2 = rw.Read())
        {
            Assert.Equal(7, r1.Value + r2.Value - 7);
            Assert.False(rw.TryWrite(TimeSpan.Zero, out _));
        }
        using (var w = rw.Write())
        {
            w.Value = 8;
            Assert.False(rw.TryRead(TimeSpan.Zero, out _));
            Assert.False(rw.TryWrite(TimeSpan.FromMilliseconds(10), out _));
        }
        Assert.True(rw.TryRead(TimeSpan.Zero, out var r));
        using (r) Assert.Equal(8, r.Value);
    }

    [Fact]
    public async Task Writers_never_overlap_readers_or_each_other()
    {
        var rw = new RwLocked<(int Readers, int Writers, long Writes)>((0, 0, 0));
        int violations = 0, readers = 0, writers = 0;
        await TaskScope.RunAsync(scope =>
        {
            for (int t = 0; t < 4; t++)
            {
                scope.Spawn(async ct =>
                {
                    for (int i = 0; i < 2_000; i++)
                    {
                        using var g = await rw.WriteAsync(ct);
                        if (Interlocked.Increment(ref writers) != 1 || Volatile.Read(ref readers) != 0) Interlocked.Increment(ref violations);
                        g.Value.Writes++;
                        Interlocked.Decrement(ref writers);
                    }
                });
                scope.Spawn(async ct =>
                {
                    for (int i = 0; i < 2_000; i++)
                    {
                        using var g = await rw.ReadAsync(ct);
                        Interlocked.Increment(ref readers);
                        if (Volatile.Read(ref writers) != 0) Interlocked.Increment(ref violations);
                        _ = g.Value.Writes;
                        Interlocked.Decrement(ref readers);
                    }
                });
                scope.Spawn(ct =>
                {
                    for (int i = 0; i < 2_000; i++)
                    {
                        using var g = rw.Write(ct);
                        if (Interlocked.Increment(ref writers) != 1 || Volatile.Read(ref readers) != 0) Interlocked.Increment(ref violations);
                        g.Value.Writes++;
                        Interlocked.Decrement(ref writers);
                    }
                });
            }
            return Task.CompletedTask;
        });
        Assert.Equal(0, violations);
        using var check = rw.Read();
        Assert.Equal(16_000, check.Value.Writes);
    }

    [Fact]
    public async Task A_waiting_writer_is_not_starved_by_a_stream_of_readers()
    {
        var rw = new RwLocked<int>(0);
        using var stop = new CancellationTokenSource();
        // Readers keep the lock read-held continuously (overlapping) until the writer got in.
        Task readers = TaskScope.RunAsync(scope =>
        {
            for (int t = 0; t < 3; t++)
                scope.Spawn(ct =>
                {
                    while (!stop.IsCancellationRequested)
                        using (rw.Read()) Thread.SpinWait(200);
                });
            return Task.CompletedTask;
        });
        await Task.Delay(20);
        Assert.True(rw.TryWrite(TimeSpan.FromSeconds(10), out var w));
        using (w) w.Value = 1;
        await stop.CancelAsync();
        await readers;
    }

    [Fact]
    public void Guards_used_after_dispose_throw()
    {
        var rw = new RwLocked<int>(1);
        var r = rw.Read();
        r.Dispose();
        r.Dispose();
        Assert.Throws<ObjectDisposedException>(() => r.Value);
        var w = rw.Write();
        w.Dispose();
        Assert.Throws<ObjectDisposedException>(() => w.Value = 2);
        Assert.Throws<ObjectDisposedException>(() => default(ReadGuard<int>).Value);
        Assert.Throws<ObjectDisposedException>(() => default(WriteGuard<int>).Value);
        Assert.Throws<ArgumentOutOfRangeException>(() => rw.TryRead(TimeSpan.FromMilliseconds(-3), out _));
        Assert.Throws<ArgumentOutOfRangeException>(() => rw.TryWrite(TimeSpan.FromMilliseconds(-3), out _));
        Assert.Equal("RwLocked<Int32>", rw.ToString());
    }

    [Fact]
    public async Task Async_waits_can_be_canceled()
    {
        var rw = new RwLocked<int>(0);
        using var w = rw.Write();
        using var cts = new CancellationTokenSource();
        ValueTask<ReadGuard<int>> read = rw.ReadAsync(cts.Token);
        ValueTask<WriteGuard<int>> write = rw.WriteAsync(cts.Token);
        await cts.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(async () => await read);
        await Assert.ThrowsAnyAsync<OperationCanceledException>(async () => await write);
    }
}
