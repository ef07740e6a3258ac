using System;
using System.Collections.Generic;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using System.IO;

namespace ConcurrencySafety.Tests.Scopes;

/// <summary>
/// The "Scopes, permits and locks" snippet of README.md, kept compiling and running here.
/// Keep the body of <see cref="Tour"/> identical to the README block (apart from the stubs).
/// </summary>
public sealed class ReadmeTourTests
{
    [Fact]
    public async Task The_README_tour_compiles_and_runs()
    {
        var (total, partial, count) = await Tour(CancellationToken.None);
        Assert.Equal(2, total);
        Assert.Equal([0L, 1L, 2L, 3L], partial);
        Assert.Equal(2, count);
    }

    [Fact]
    public void The_README_block_and_this_test_stay_identical()
    {
        string root = AppContext.BaseDirectory;
        while (!File.Exists(Path.Combine(root, "ConcurrencySafety.sln"))) root = Path.GetDirectoryName(root)!;
        string readme = File.ReadAllText(Path.Combine(root, "README.md"));
        string section = readme[readme.IndexOf("## Scopes, permits and locks", StringComparison.Ordinal)..];
        // The block's body starts after its fence line ("```csharp", or "```csharp compile").
        int start = section.IndexOf('\n', section.IndexOf("```csharp", StringComparison.Ordinal)) + 1;
        int end = section.IndexOf("```", start, StringComparison.Ordinal);
        string[] readmeLines = Normalize(section[start..end]).Where(l => l != "using ConcurrencySafety;").ToArray();

        string test = File.ReadAllText(Path.Combine(root, "tests", "ConcurrencySafety.Tests", "Scopes", "ReadmeTourTests.cs"));
        const string Begin = "// --- README block starts here ---", Stop = "// --- README block ends here ---";
        int b = test.LastIndexOf(Begin, StringComparison.Ordinal) + Begin.Length;
        int e = test.LastIndexOf(Stop, StringComparison.Ordinal);
        Assert.Equal(readmeLines, Normalize(test[b..e]));
    }

    private static string[] Normalize(string code)
        => code.Split('\n').Select(l => l.Trim()).Where(l => l.Length > 0).ToArray();

    private static async Task<(int Total, long[] Partial, long Count)> Tour(CancellationToken cancellationToken)
    {
        string[] urls = ["u1", "u2", "u3", "u4"];
        static Task<int> CountAsync(string name, CancellationToken ct) => Task.FromResult(name.Length);
        static Task FetchAsync(string url, CancellationToken ct) => Task.Delay(1, ct);
        static long Work(int i) => i;
        static Task QueryAsync() => Task.CompletedTask;

        // --- README block starts here ---
        // Async scope (replaces WaitGroup / Task.WhenAll): children get the scope's token.
        int total = await TaskScope.RunAsync(async scope =>
        {
            ChildTask<int> a = scope.Spawn(ct => CountAsync("a", ct));
            ChildTask<int> b = scope.Spawn(ct => CountAsync("b", ct));
            return await a.JoinAsync() + await b.JoinAsync();
        }, cancellationToken);

        // At most 3 at once; SpawnAsync waits for a free slot (backpressure).
        await TaskScope.RunAsync(new TaskScopeOptions { MaxConcurrency = 3 }, async scope =>
        {
            foreach (var url in urls) await scope.SpawnAsync(ct => FetchAsync(url, ct));
        });

        // Thread scope (std::thread::scope): children may borrow locals; Run blocks until all are done.
        long[] partial = new long[4];
        Scope.Run(s =>
        {
            for (int w = 0; w < 4; w++) { int i = w; s.Spawn(() => partial[i] = Work(i)); }
        });

        // Permits: released by disposing, exactly once; FIFO, optionally weighted.
        var connections = new PermitSemaphore(4);
        using (await connections.AcquireAsync(cancellationToken)) await QueryAsync();

        // Locks that own their data: the value is reachable only through the guard.
        var counter = new Locked<long>(0);
        using (var g = counter.Lock()) g.Value++;
        using (var g = await counter.LockAsync(cancellationToken)) g.Value++;
        var cache = new RwLocked<Dictionary<string, int>>(new());
        using (var r = cache.Read()) Console.WriteLine(r.Value.Count);
        // --- README block ends here ---

        using var check = counter.Lock();
        return (total, partial, check.Value);
    }
}
