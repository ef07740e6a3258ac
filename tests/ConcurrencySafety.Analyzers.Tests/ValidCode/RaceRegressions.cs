// Valid: the false errors of issue 14, each in the shape it was found in.
using System;
using System.Threading;
using System.Threading.Tasks;
using ConcurrencySafety;

namespace Corpus.RaceRegressions;

public static class SingleScopedChild
{
    // Scope.Run runs its body once: the one child is a single instance, read after Run returns.
    public static int Sum(int a, int b)
    {
        var sum = a;
        Scope.Run(s => s.Spawn(() => sum += b));
        return sum;
    }
}

public static class JoinedChild
{
    // The body reads the local only after awaiting the child's JoinAsync.
    public static async Task<int> ComputeAsync()
    {
        var result = 0;
        await TaskScope.RunAsync(async scope =>
        {
            var child = scope.Spawn(ct => { result = 42; });
            await child.JoinAsync();
            Console.WriteLine(result);
        });
        return result;
    }
}

public abstract class Benchmark<TClient>
{
    protected abstract TClient GetClient(int index);

    protected abstract TClient CreateBatch(TClient client);

    protected bool Batch { get; set; }

    // StackExchange.Redis (RESPite.Benchmark/BenchmarkBase.cs): 'client' is a new variable in
    // every iteration, and it is written before the task that captures it starts.
    public async Task RunAsync(int clients, Func<TClient, Task> pipeline, CancellationToken cancellationToken)
    {
        var pending = new Task[clients];
        int index = 0;
        for (int i = 0; i < clients; i++)
        {
            var client = GetClient(i);
            if (Batch)
            {
                client = CreateBatch(client);
            }

            pending[index++] = Task.Run(() => pipeline(client), cancellationToken);
        }

        await Task.WhenAll(pending).ConfigureAwait(false);
    }
}
