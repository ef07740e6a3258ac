// Valid: structured concurrency through APIs that mark their delegates [RunsConcurrently].
using System;
using System.Collections.Concurrent;
using System.Threading;
using System.Threading.Tasks;
using ConcurrencySafety;

namespace Corpus.Scopes;

public sealed class Scope
{
    public static async Task RunAsync(Func<Scope, Task> body) => await body(new Scope());

    public Task Spawn([RunsConcurrently] Func<CancellationToken, Task> work) => work(CancellationToken.None);

    public void SpawnMany(int count, [RunsConcurrently(MayRunAsSeveralInstances = true)] Action<int> work)
    {
        for (var i = 0; i < count; i++)
        {
            work(i);
        }
    }
}

public static class Usage
{
    public static async Task<int> FanOutAsync(int[] inputs)
    {
        var results = new int[inputs.Length];
        var total = 0;
        await Scope.RunAsync(async scope =>
        {
            scope.SpawnMany(inputs.Length, i => results[i] = inputs[i] * 2);
            foreach (var input in inputs)
            {
                await scope.Spawn(async ct =>
                {
                    var local = input;
                    await Task.Delay(1, ct);
                    local++;
                });
            }
        });

        // The scope has joined every spawn.
        foreach (var r in results)
        {
            total += r;
        }

        return total;
    }

    public static async Task<int> CountAsync(int n)
    {
        var counter = 0;
        var seen = new ConcurrentDictionary<int, bool>();
        await Scope.RunAsync(scope =>
        {
            scope.SpawnMany(n, i =>
            {
                Interlocked.Increment(ref counter);
                seen.TryAdd(i, true);
            });
            return Task.CompletedTask;
        });
        return counter + seen.Count;
    }
}
