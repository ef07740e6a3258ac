// Valid: common thread and task hand-offs where the join orders every access.
using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Threading;
using System.Threading.Tasks;

namespace Corpus.ThreadHandoff;

public static class Runner
{
    public static void RunOnBigStack(Action work)
    {
        Exception? error = null;
        var thread = new Thread(() =>
        {
            try
            {
                work();
            }
            catch (Exception e)
            {
                error = e;
            }
        }, maxStackSize: 16 * 1024 * 1024);
        thread.IsBackground = true;
        thread.Start();
        thread.Join();
        if (error is not null)
        {
            throw new InvalidOperationException("the work failed", error);
        }
    }

    public static string ReadBoth(Process process)
    {
        string stdout = "";
        string stderr = "";
        var readers = new[]
        {
            new Thread(() => stdout = process.StandardOutput.ReadToEnd()),
            new Thread(() => stderr = process.StandardError.ReadToEnd()),
        };
        foreach (var reader in readers)
        {
            reader.Start();
        }

        foreach (var reader in readers)
        {
            reader.Join();
        }

        return stdout + stderr;
    }

    public static async Task<(int, string)> TwoResultsAsync()
    {
        int count = 0;
        string name = "";
        var first = Task.Factory.StartNew(() => count = 3, CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);
        var second = Task.Run(() => name = "x");
        await Task.WhenAll(first, second).ConfigureAwait(false);
        return (count, name);
    }

    public static int WaitWithResult()
    {
        var pending = new Queue<int>();
        var t = new Task(() => pending.Enqueue(1));
        t.Start();
        t.Wait();
        pending.Enqueue(2);
        return pending.Count;
    }

    public static async Task ParallelForEachAsync(IEnumerable<int> ids, Func<int, CancellationToken, ValueTask> handle)
    {
        long handled = 0;
        await Parallel.ForEachAsync(ids, async (id, ct) =>
        {
            await handle(id, ct);
            Interlocked.Increment(ref handled);
        });
        handled++;
        Console.WriteLine(handled);
    }
}
