// Valid: the seed's pipeline (generate -> square -> sum) with owned channel handles.
// Every stage owns its sender and disposes it when done, so every downstream loop ends.
using System.Collections.Generic;
using System.Threading;
using System.Threading.Tasks;
using ConcurrencySafety;

namespace Corpus.LifecyclePipeline;

public static class Pipeline
{
    // Each stage returns the receiver of its output and hands the sender to its own task.
    public static Receiver<int> Generate(int count)
    {
        var (tx, rx) = Chan.Bounded<int>(8);
        _ = Stage(async () =>
        {
            using (tx)
            {
                for (int i = 1; i <= count; i++) await tx.SendAsync(i);
            }
        });
        return rx;
    }

    public static Receiver<int> Square(Receiver<int> input)
    {
        var (tx, rx) = Chan.Bounded<int>(8);
        Forward(input, tx);
        return rx;
    }

    // Takes ownership of both handles: the caller no longer holds the sender.
    private static void Forward([Consumes] Receiver<int> input, [Consumes] Sender<int> output)
    {
        Stage(async () =>
        {
            using (input)
            using (output)
            {
                await foreach (int n in input) await output.SendAsync(n * n);
            }
        }).Wait();
    }

    public static async Task<int> SumAsync(int count)
    {
        using var squares = Square(Generate(count));
        int sum = 0;
        await foreach (int s in squares) sum += s;
        return sum;
    }

    // Async pipeline inside one scope: all stages are joined when RunAsync returns.
    public static Task<int> ScopedAsync(int count) => TaskScope.RunAsync(async scope =>
    {
        var (numbersTx, numbers) = Chan.Bounded<int>(4);
        var (squaresTx, squares) = Chan.Bounded<int>(4);
        scope.Spawn(async ct =>
        {
            using (numbersTx)
                for (int i = 1; i <= count; i++) await numbersTx.SendAsync(i, ct);
        });
        scope.Spawn(async ct =>
        {
            using (numbers)
            using (squaresTx)
                await foreach (int n in numbers.WithCancellation(ct)) await squaresTx.SendAsync(n * n, ct);
        });
        int sum = 0;
        using (squares)
            await foreach (int s in squares) sum += s;
        return sum;
    });

    // Blocking pipeline on scoped threads.
    public static long Blocking(IReadOnlyList<int> items) => Scope.Run(s =>
    {
        var (tx, rx) = Chan.Rendezvous<int>();
        s.Spawn(() =>
        {
            using (tx)
                foreach (var item in items) tx.Send(item);
        });
        long total = 0;
        using (rx)
            foreach (var x in rx) total += x;
        return total;
    });

    private static Task Stage(System.Func<Task> body) => Task.Run(body);
}
