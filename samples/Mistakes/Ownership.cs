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
}
