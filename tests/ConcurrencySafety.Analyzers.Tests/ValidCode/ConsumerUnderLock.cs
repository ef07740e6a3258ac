// Valid: a fire-and-forget consumer fills a list under a lock on the list itself; the starter
// takes a snapshot under the same lock. (Reduced from a false positive found on
// StackExchange.Redis' tests: the lock expression was counted as an unlocked read.)
#pragma warning disable CSA2009 // the consumer is fire-and-forget by design; CSA2009 is the configurable warning for explicit discards
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
