// Valid: the seed's fan-in. Several producers send into one channel through their own clones;
// the original is moved into the last producer, so the channel closes when all are done.
using System.Collections.Generic;
using System.Threading;
using System.Threading.Channels;
using System.Threading.Tasks;
using ConcurrencySafety;

namespace Corpus.LifecycleFanIn;

public static class FanIn
{
    public static async Task<List<string>> MergeAsync(IReadOnlyList<string> names)
    {
        var (tx, rx) = Chan.Bounded<string>(8);
        var producers = new List<Task>();
        foreach (var name in names)
        {
            var mine = tx.Clone();
            producers.Add(Task.Run(async () =>
            {
                using (mine)
                    for (int i = 0; i < 3; i++) await mine.SendAsync($"{name} {i}");
            }));
        }

        tx.Dispose();
        var merged = new List<string>();
        using (rx)
            await foreach (var message in rx) merged.Add(message);
        await Task.WhenAll(producers);
        return merged;
    }

    // Fan-in with select over two channels; each arm retires when its channel closes.
    public static async Task<int> SelectAsync()
    {
        var (fastTx, fast) = Chan.Bounded<int>(1);
        var (slowTx, slow) = Chan.Bounded<int>(1);
        var a = Task.Run(async () => { using (fastTx) for (int i = 0; i < 5; i++) await fastTx.SendAsync(i); });
        var b = Task.Run(async () => { using (slowTx) for (int i = 0; i < 2; i++) await slowTx.SendAsync(i); });
        int open = 2, received = 0;
        var selector = new Selector()
            .Receive(fast, _ => received++, () => open--)
            .Receive(slow, _ => received++, () => open--);
        while (open > 0) await selector.SelectAsync();
        fast.Dispose();
        slow.Dispose();
        await Task.WhenAll(a, b);
        return received;
    }

    // The BCL's channels: the writer is completed once every producer has finished.
    public static async Task<int> BclAsync(int producers)
    {
        var channel = Channel.CreateBounded<int>(16);
        var tasks = new Task[producers];
        for (int p = 0; p < producers; p++)
        {
            int id = p;
            tasks[p] = Task.Run(async () => { for (int i = 0; i < 10; i++) await channel.Writer.WriteAsync(id); });
        }

        var completer = Task.Run(async () =>
        {
            try { await Task.WhenAll(tasks); }
            finally { channel.Writer.Complete(); }
        });
        int count = 0;
        await foreach (var _ in channel.Reader.ReadAllAsync()) count++;
        await completer;
        return count;
    }
}
