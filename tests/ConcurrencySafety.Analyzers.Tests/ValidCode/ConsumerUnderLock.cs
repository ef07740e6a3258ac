// Valid: a fire-and-forget consumer fills a list under a lock on the list itself; the starter
// takes a snapshot under the same lock. (Reduced from a false positive found on
// StackExchange.Redis' tests: the lock expression was counted as an unlocked read.)
using System.Collections.Generic;
using System.Threading.Channels;
using System.Threading.Tasks;

namespace Corpus.ConsumerUnderLock;

public static class Subscriber
{
    public static async Task<int[]> CollectAsync(ChannelReader<int> queue)
    {
        List<int> received = [];
        _ = Task.Run(async () =>
        {
            await foreach (var item in queue.ReadAllAsync())
            {
                lock (received)
                {
                    received.Add(item);
                }
            }
        });

        await Task.Delay(50);
        int[] snapshot;
        lock (received)
        {
            snapshot = received.ToArray();
        }

        return snapshot;
    }
}
