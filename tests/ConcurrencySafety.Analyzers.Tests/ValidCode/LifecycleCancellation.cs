// Valid: the seed's cancellation examples: a token through a scope, and a quit channel whose
// closing stops every listener (Go's close(done)).
using System;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using ConcurrencySafety;

namespace Corpus.LifecycleCancellation;

public static class Cancellation
{
    public static Task<int> WithTokenAsync(CancellationToken ct) => TaskScope.RunAsync(async scope =>
    {
        var (tx, rx) = Chan.Bounded<int>(1);
        scope.Spawn(async token =>
        {
            using (tx)
            {
                int i = 0;
                while (!token.IsCancellationRequested) await tx.SendAsync(i++, token);
            }
        });
        int last = 0;
        using (rx)
        {
            for (int k = 0; k < 10; k++) last = await rx.ReceiveAsync(ct);
        }

        scope.Cancel();
        return last;
    }, ct);

    public static async Task<int[]> QuitChannelAsync()
    {
        var (quitTx, quit) = Chan.Rendezvous<ValueTuple>();
        var listeners = Enumerable.Range(1, 3).Select(id =>
        {
            var myQuit = quit.Clone();
            return Task.Run(async () =>
            {
                using (myQuit)
                using (var tick = Chan.Tick(TimeSpan.FromMilliseconds(10)))
                {
                    int ticks = 0;
                    bool running = true;
                    var selector = new Selector()
                        .Receive(myQuit, _ => { }, () => running = false)
                        .Receive(tick, _ => ticks++);
                    while (running) await selector.SelectAsync();
                    return ticks;
                }
            });
        }).ToArray();
        quit.Dispose();

        await Task.Delay(50);
        quitTx.Dispose();
        return await Task.WhenAll(listeners);
    }

    // A SemaphoreSlim used as a lock, released in finally, and one used as a signal.
    private static readonly SemaphoreSlim s_gate = new(1, 1);
    private static readonly SemaphoreSlim s_ready = new(0);

    public static async Task<int> GuardedAsync(Func<Task<int>> work, CancellationToken ct)
    {
        await s_gate.WaitAsync(ct);
        try
        {
            return await work();
        }
        finally
        {
            s_gate.Release();
        }
    }

    public static void Signal() => s_ready.Release();

    public static void AwaitSignal() => s_ready.Wait();
}
