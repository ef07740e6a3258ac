// Valid: start several tasks, join them, combine results afterwards.
using System;
using System.Collections.Generic;
using System.Linq;
using System.Net.Http;
using System.Threading;
using System.Threading.Tasks;

namespace Corpus.TaskFanOut;

public sealed class Downloader
{
    private readonly HttpClient _client;
    private int _completed;

    public Downloader(HttpClient client) => _client = client;

    public int Completed => Volatile.Read(ref _completed);

    public async Task<IReadOnlyList<int>> LengthsAsync(IEnumerable<Uri> uris, CancellationToken cancellationToken)
    {
        var tasks = uris.Select(uri => Task.Run(async () =>
        {
            var body = await _client.GetStringAsync(uri, cancellationToken);
            Interlocked.Increment(ref _completed);
            return body.Length;
        }, cancellationToken)).ToList();

        var lengths = await Task.WhenAll(tasks);
        return lengths;
    }

    public async Task<long> TotalAsync(IReadOnlyList<Uri> uris)
    {
        var tasks = new List<Task<int>>();
        foreach (var uri in uris)
        {
            tasks.Add(Task.Run(() => uri.AbsoluteUri.Length));
        }

        for (int i = 0; i < uris.Count; i++)
        {
            var index = i;
            tasks.Add(Task.Run(() => uris[index].Host.Length));
        }

        long total = 0;
        foreach (var length in await Task.WhenAll(tasks))
        {
            total += length;
        }

        return total;
    }
}

public static class Pipelines
{
    public static async Task<string> BuildReportAsync(string name)
    {
        string header = "report: " + name;
        int lines = 0;

        var countTask = Task.Run(() => { lines = name.Length * 3; });
        await countTask;

        // Joined above: this thread owns 'lines' again.
        lines++;
        var footer = await Task.Run(() => header.ToUpperInvariant() + " / " + lines);
        return footer;
    }

    public static Task<int> ComputeLaterAsync(int seed)
    {
        // Returned to the caller, who joins it.
        return Task.Run(() =>
        {
            var value = seed;
            for (var i = 0; i < 10; i++)
            {
                value = value * 31 + i;
            }

            return value;
        });
    }

    public static int RunTwoAndJoin()
    {
        int left = 0;
        int right = 0;
        var a = Task.Run(() => left = 1);
        var b = Task.Run(() => right = 2);
        Task.WaitAll(a, b);
        return left + right;
    }

    public static int InvokeSeparately()
    {
        int first = 0;
        int second = 0;
        Parallel.Invoke(() => first = 10, () => second = 20);
        return first + second;
    }

    public static async Task SequentialAwaitsAsync(IReadOnlyList<int> ids)
    {
        int processed = 0;
        for (int i = 0; i < ids.Count; i++)
        {
            await Task.Run(() => Console.WriteLine(ids[i]));
            processed++;
        }

        Console.WriteLine(processed);
    }
}
