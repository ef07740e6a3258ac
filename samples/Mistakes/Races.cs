namespace ConcurrencySafety.Mistakes;

/// <summary>Data races: shared state written by code that runs concurrently.</summary>
internal static class Races
{
    /// <summary>
    /// The classic counter race (Go: 1000 goroutines doing counter++ with a WaitGroup). The
    /// increment is a read-modify-write; concurrent ones lose updates, so this prints less than
    /// 1000 on a multi-core machine.
    /// </summary>
    public static int CounterRace()
    {
        int counter = 0;
        var tasks = new Task[1000];
        for (int i = 0; i < tasks.Length; i++)
        {
            tasks[i] = Task.Run(() => { counter++; }); // CSA1001
        }

        Task.WaitAll(tasks);
        return counter;
    }

    /// <summary>
    /// A List shared by parallel bodies. List.Add is not thread-safe: items are lost, or the
    /// list's internal array is corrupted while it grows.
    /// </summary>
    public static List<int> SharedList()
    {
        var squares = new List<int>();
        Parallel.For(0, 1000, i => squares.Add(i * i)); // CSA1002
        return squares;
    }

    /// <summary>A field written from concurrent bodies without synchronization.</summary>
    internal sealed class PageCounter
    {
        private int _pages;

        public int CountPages(string[] documents)
        {
            Parallel.ForEach(documents, d => _pages += d.Length / 3000 + 1); // CSA1003
            return _pages;
        }
    }

    /// <summary>
    /// The for-loop capture bug (Go before 1.22 had it for every loop; C# still has it for
    /// <c>for</c>): all tasks share one <c>i</c>, which the loop keeps changing, so they print
    /// wrong lines or index past the end.
    /// </summary>
    public static void ForLoopCapture(string[] lines)
    {
        var tasks = new Task[lines.Length];
        for (int i = 0; i < lines.Length; i++)
        {
            tasks[i] = Task.Run(() => Console.WriteLine(lines[i])); // CSA1004
        }

        Task.WaitAll(tasks);
    }

    /// <summary>A lock on a fresh object: every caller locks its own, so nothing is excluded.</summary>
    internal sealed class Account
    {
        private decimal _balance;

        public decimal Balance => _balance;

        public void Deposit(decimal amount)
        {
            lock (new object()) // CSA1005
            {
                _balance += amount;
            }
        }
    }
}
