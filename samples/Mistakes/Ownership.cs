using ConcurrencySafety;

namespace ConcurrencySafety.Mistakes;

/// <summary>Ownership mistakes (issue 15): values used after they were handed to another side.</summary>
internal static class Ownership
{
    /// <summary>A batch sent on a channel, then cleared and refilled while the consumer reads it.</summary>
    public static async Task ReusedBatch(Sender<List<int>> tx, IEnumerable<int> items)
    {
        var batch = new List<int>();
        foreach (var item in items)
        {
            batch.Add(item);
            if (batch.Count == 100)
            {
                await tx.SendAsync(batch);
                batch.Clear(); // CSA2010: the consumer may be reading this list now
            }
        }
    }

    private static readonly Locked<List<string>> Names = new(new List<string>());
    private static readonly RwLocked<Dictionary<string, int>> Hits = new(new Dictionary<string, int>());
    private static readonly Locked<int> Entries = new(0);

    /// <summary>The guarded list handed out: the caller reads and changes it without the lock.</summary>
    public static List<string> GuardDataEscapes()
    {
        using (var g = Names.Lock())
        {
            return g.Value; // CSA2011
        }
    }

    /// <summary>A change made under a read guard: every other reader races with it.</summary>
    public static void MutationThroughReadGuard(string key)
    {
        using var r = Hits.Read();
        r.Value[key] = 1; // CSA2012
    }

    /// <summary>A lock taken by blocking, then held while the method is suspended.</summary>
    public static async Task BlockingLockAcrossAwait()
    {
        using (var g = Entries.Lock()) // CSA2013
        {
            await Task.Delay(10);
            g.Value++;
        }
    }
}
