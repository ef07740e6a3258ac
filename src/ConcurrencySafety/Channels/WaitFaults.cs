// A fault-injection point for tests: every wait path calls WaitFaults.Hit right after it has
// registered (its node is visible to completers) and again right after it has armed its
// cancellation and timeout. A test installs a hook that throws at a chosen point and then
// checks that the failed operation left nothing registered (see Waiter.CompletedDespiteFailure
// and WaitArming for the undo protocol being tested).
//
// The hook lives in an AsyncLocal, so it affects only the test that installed it (and the
// tasks that test starts), never a test running in parallel. When no hook is installed
// anywhere, Hit costs one volatile read on the waiting path only.
using System.Runtime.CompilerServices;

namespace ConcurrencySafety.Channels;

/// <summary>The wait paths that call <see cref="WaitFaults.Hit"/>.</summary>
internal enum WaitPath
{
    /// <summary>A blocking channel send or receive (<c>Send</c>, <c>Receive</c>, <c>TrySend(item, timeout)</c>, ...).</summary>
    ChannelBlocking,

    /// <summary>An asynchronous channel send or receive with a status result (<c>TrySendAsync</c>, <c>TryReceiveAsync</c>, async enumeration).</summary>
    ChannelAsync,

    /// <summary>The directly awaited <c>SendAsync</c>/<c>ReceiveAsync</c>.</summary>
    ChannelDirectAsync,

    /// <summary>The interop waits <c>WaitToReadAsync</c>/<c>WaitToWriteAsync</c>.</summary>
    ChannelReady,

    /// <summary>A blocking select (<c>Selector.Select</c>, <c>SelectSet.Select</c>).</summary>
    SelectBlocking,

    /// <summary>An asynchronous select (<c>Selector.SelectAsync</c>, <c>SelectSet.SelectAsync</c>).</summary>
    SelectAsync,

    /// <summary>A blocking permit wait (<c>PermitSemaphore.Acquire</c>, <c>Locked.Lock</c>, <c>RwLocked.Read/Write</c>, ...).</summary>
    PermitBlocking,

    /// <summary>An asynchronous permit wait (<c>AcquireAsync</c>, <c>LockAsync</c>, <c>ReadAsync</c>, <c>WriteAsync</c>, a scope's concurrency limit).</summary>
    PermitAsync,

    /// <summary>Starting the timer of <c>Chan.After</c>/<c>Chan.Tick</c>.</summary>
    TimerStart,
}

/// <summary>Where in a wait path <see cref="WaitFaults.Hit"/> is called.</summary>
internal enum WaitStage
{
    /// <summary>The operation's node is queued: a completer could complete it now.</summary>
    Registered,

    /// <summary>The cancellation callback and the timeout are armed too.</summary>
    Armed,
}

/// <summary>The test hook; see the file header.</summary>
internal static class WaitFaults
{
    /// <summary>How many hooks are installed (in any async context); 0 makes <see cref="Hit"/> free.</summary>
    private static int s_installed;

    /// <summary>The hook of the current async context.</summary>
    private static readonly AsyncLocal<Action<WaitPath, WaitStage>?> s_hook = new();

    /// <summary>Gets a value indicating whether a hook is installed in any async context (a hot path may skip its fault-handling frame when none is).</summary>
    internal static bool AnyInstalled
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get => Volatile.Read(ref s_installed) != 0;
    }

    /// <summary>Calls the installed hook of this async context, which may throw to simulate a failure at this point.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static void Hit(WaitPath path, WaitStage stage)
    {
        if (Volatile.Read(ref s_installed) != 0)
        {
            HitSlow(path, stage);
        }
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void HitSlow(WaitPath path, WaitStage stage) => s_hook.Value?.Invoke(path, stage);

    /// <summary>
    /// Installs <paramref name="hook"/> for the calling async context (and what it starts) until the
    /// returned handle is disposed. Call it from the test method itself, not from a helper
    /// async method (whose context changes do not flow back to the caller).
    /// </summary>
    internal static IDisposable Install(Action<WaitPath, WaitStage> hook)
    {
        s_hook.Value = hook;
        Interlocked.Increment(ref s_installed);
        return new Installed();
    }

    private sealed class Installed : IDisposable
    {
        private int _disposed;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _disposed, 1) == 0)
            {
                s_hook.Value = null;
                Interlocked.Decrement(ref s_installed);
            }
        }
    }
}
