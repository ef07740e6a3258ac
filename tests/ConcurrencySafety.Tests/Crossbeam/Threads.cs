// Part of the crossbeam-channel behaviour suite (see README.md in this folder).
namespace ConcurrencySafety.Tests.Crossbeam;

/// <summary>
/// crossbeam's <c>scope(|s| { s.spawn(...); ... })</c>: runs bodies on threads of their own,
/// joins them all, and rethrows the first failure. The join limit is generous (a minute): it
/// only turns a hang into a failure with a message, it times nothing.
/// </summary>
internal static class Threads
{
    private static readonly TimeSpan HangLimit = TimeSpan.FromMinutes(1);

    public static void Run(params Action[] bodies)
    {
        var failures = new System.Collections.Concurrent.ConcurrentQueue<Exception>();
        var threads = bodies.Select(body => new Thread(() =>
        {
            try
            {
                body();
            }
            catch (Exception e)
            {
                failures.Enqueue(e);
            }
        })
        { IsBackground = true }).ToList();
        threads.ForEach(t => t.Start());
        foreach (var thread in threads)
        {
            Assert.True(thread.Join(HangLimit), "a thread of the test did not finish within a minute (a lost wake-up?)");
        }

        if (failures.TryDequeue(out var first))
        {
            throw new AggregateException(first);
        }
    }

    /// <summary>Runs <paramref name="body"/> on <paramref name="count"/> threads, passing each its index.</summary>
    public static void Run(int count, Action<int> body) => Run(Enumerable.Range(0, count).Select(i => (Action)(() => body(i))).ToArray());

    /// <summary>A pause that orders nothing for correctness: it only makes the interesting interleaving (the other thread already blocked) likely.</summary>
    public static void Pause() => Thread.Sleep(20);
}
