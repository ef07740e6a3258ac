// Valid: shapes from real code bases (docs/real-code.md, "Lifecycle, ownership and type-state
// rules") that the lifecycle rules first reported as errors.
using System;
using System.Threading;
using System.Threading.Tasks;

namespace Corpus.LifecycleRealCodeShapes;

// RabbitMQ's heartbeat: one-shot timers re-armed at the end of each callback, so callbacks never
// overlap; the callback is async void because Timer takes a void delegate, and its whole body is
// one try that catches every exception (CSA2017).
public sealed class Heartbeat : IDisposable
{
    private readonly Timer _timer;
    private int _beats;

    public Heartbeat()
    {
        _timer = new Timer(OnTick, null, 200, Timeout.Infinite);
    }

    public int Beats => Volatile.Read(ref _beats);

    public void Dispose() => _timer.Dispose();

    private async void OnTick(object? state)
    {
        try
        {
            await Task.Yield();
            Interlocked.Increment(ref _beats);
            _timer.Change(200, Timeout.Infinite);
        }
        catch (ObjectDisposedException)
        {
            // disposed during shutdown
        }
        catch (Exception)
        {
            // the next tick notices a dead peer
        }
    }

    public void Arm(Timer timer)
    {
        timer.Change(100, Timeout.Infinite);
        LocalTick(null);

        async void LocalTick(object? state)
        {
            try
            {
                await Task.Delay(1);
            }
            catch
            {
                // nothing escapes to the thread pool
            }
        }
    }
}

// RabbitMQ's topology recovery: the caller holds the semaphore; around a user callback the
// method lets it go and takes it back in a finally, so it is held again on every path and the
// caller releases it (CSA2004).
public sealed class Recovery
{
    private readonly SemaphoreSlim _entities = new(1, 1);

    public async Task RecoverAsync(Func<Task> callback, CancellationToken cancellationToken)
    {
        await _entities.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            await RecoverOneAsync(callback, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            _entities.Release();
        }
    }

    private async Task RecoverOneAsync(Func<Task> callback, CancellationToken cancellationToken)
    {
        try
        {
            _entities.Release();
            await callback().ConfigureAwait(false);
        }
        finally
        {
            await _entities.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
    }
}

// RabbitMQ's SocketFrameHandler.CloseAsync: the wait sits alone in a try whose catch returns
// (a cancelled wait takes no slot), and the slot is released in the finally of the next try
// (CSA2004).
public sealed class Closer
{
    private readonly SemaphoreSlim _closing = new(1, 1);
    private bool _closed;

    public async ValueTask CloseAsync(CancellationToken cancellationToken)
    {
        try
        {
            await _closing.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            return;
        }

        try
        {
            if (_closed)
            {
                return;
            }

            await Task.Yield();
            _closed = true;
        }
        finally
        {
            _closing.Release();
        }
    }
}

// Quartz's TaskSchedulingThreadPool: a gate (the wait returns the slot at once, in the return
// statement), and an admission whose slot is handed to the admitted work's continuation; the
// function releases only on the branch that gives up (CSA2004).
public sealed class Admission
{
    private readonly SemaphoreSlim _concurrency = new(4, 4);
    private readonly CancellationTokenSource _shutdown = new();
    private readonly object _gate = new();
    private int _running;

    public async ValueTask<int> WaitForAvailableAsync(CancellationToken cancellationToken)
    {
        try
        {
            await _concurrency.WaitAsync(cancellationToken).ConfigureAwait(false);
            return 1 + _concurrency.Release();
        }
        catch (OperationCanceledException)
        {
            return 0;
        }
    }

    public async ValueTask<bool> TryRunAsync(Func<Task> action, CancellationToken cancellationToken)
    {
        try
        {
            await _concurrency.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            return false;
        }

        lock (_gate)
        {
            if (_shutdown.IsCancellationRequested)
            {
                _concurrency.Release();
                return false;
            }

            _running++;
        }

        // The continuation releases the slot the admission took.
        await Task.Run(action).ContinueWith(_ => Finish(), TaskScheduler.Default).ConfigureAwait(false);
        return true;
    }

    private void Finish()
    {
        lock (_gate)
        {
            _running--;
        }

        _concurrency.Release();
    }
}

// Quartz's QuartzHostedService.StopAsync: waiting for startup or for the caller's token; the
// await yields whichever task finished first, complete by then (CSA2001).
public sealed class HostedService
{
    private Task? _startup;

    public void Start() => _startup = Task.Delay(10);

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        if (_startup is not null)
        {
            await Task.WhenAny(_startup, Task.Delay(Timeout.Infinite, cancellationToken)).ConfigureAwait(false);
        }
    }
}

// StackExchange.Redis: an extension that attaches an observer to a task the caller keeps, and
// returns that task (CSA2001).
internal static class TaskObservers
{
    public static Task ObserveErrors(this Task task)
    {
        task.ContinueWith(static t => GC.KeepAlive(t.Exception), TaskContinuationOptions.OnlyOnFaulted);
        return task;
    }
}

[Flags]
public enum CommandFlags
{
    None = 0,
    FireAndForget = 2,
}

public sealed class Transaction
{
    public Task<bool> KeyDeleteAsync(string key, CommandFlags flags = CommandFlags.None) => Task.FromResult(key.Length > 0 && flags != CommandFlags.None);

    public Task<bool> ExecuteAsync() => Task.FromResult(true);
}

public sealed class Multiplexer
{
    private Task? _reconfigure;

    public bool Connect(Task connecting, int timeoutMs)
    {
        if (!connecting.Wait(timeoutMs))
        {
            // slow connection: keep going, but observe a later failure
            connecting.ObserveErrors();
            _reconfigure = connecting;
            return false;
        }

        return true;
    }

    public Task? Pending => _reconfigure;

    // Commands queued in a transaction; the caller says they are fire-and-forget.
    public Transaction LockRelease(string key)
    {
        var transaction = new Transaction();
        transaction.KeyDeleteAsync(key, CommandFlags.FireAndForget);
        return transaction;
    }
}

// Npgsql's NpgsqlConnector (cancellation and Break): a monitor entered as the last statement of a
// lock statement's body, or of a try whose finally exits another monitor, is held from the end
// of that statement on, and the next statement's finally exits it (CSA2004).
public sealed class ConnectorLocks
{
    private readonly object _state = new();
    private readonly object _cancel = new();
    private readonly object _cleanup = new();
    private bool _connected = true;
    private int _cancellations;

    public void Cancel()
    {
        lock (_state)
        {
            if (!_connected)
            {
                return;
            }

            // Taken under _state, so that a concurrent break waits for the cancellation.
            Monitor.Enter(_cancel);
        }

        try
        {
            _cancellations++;
        }
        finally
        {
            Monitor.Exit(_cancel);
        }
    }

    public void Break()
    {
        Monitor.Enter(_state);
        try
        {
            _connected = false;

            // Taken while _state is held, so that a second break cannot clean up first.
            Monitor.Enter(_cleanup);
        }
        finally
        {
            Monitor.Exit(_state);
        }

        try
        {
            _cancellations = 0;
        }
        finally
        {
            Monitor.Exit(_cleanup);
        }
    }
}
