using System.Globalization;
using System.Text;

namespace ConcurrencySafety.Analyzers.Tests.Robustness;

/// <summary>
/// Generated inputs whose size is one number: one long method, many sender clones, deep
/// nesting, many members. Each shape mixes the constructs the rules look at (captured
/// writes and reads, locks, guards, permits, threads, channels and their senders, loops,
/// branches, try/finally), including code the rules report, so that both the silent and the
/// reporting paths of every analyzer are exercised. Every input compiles without errors.
/// </summary>
internal static class ScalingInputs
{
    /// <summary>A generated input shape: a name and a generator from size to source.</summary>
    public sealed record Shape(string Name, Func<int, string> Generate, int BaseSize);

    /// <summary>
    /// The shapes and their base sizes (the test compares the cost at base size and at 4x).
    /// The base sizes make each shape take tens of milliseconds of analysis at 1x, so that a
    /// quadratic analyzer costs seconds at 4x while noise stays at milliseconds.
    /// </summary>
    public static readonly Shape[] Shapes =
    {
        new("statements", Statements, 300),
        new("clones", Clones, 400),
        new("nesting", Nesting, 24),
        new("members", Members, 200),
        new("concurrent-body", ConcurrentBody, 300),
        new("locks", Locks, 600),
    };

    private const string Header = """
        #pragma warning disable CS0162, CS0168, CS0219, CS1998, CS8321
        using System;
        using System.Collections.Generic;
        using System.Threading;
        using System.Threading.Tasks;
        using ConcurrencySafety;

        """;

    private static string I(int k) => k.ToString(CultureInfo.InvariantCulture);

    /// <summary>One async method with <paramref name="n"/> statement groups of ten kinds.</summary>
    public static string Statements(int n)
    {
        var sb = new StringBuilder(Header);
        sb.Append("""
            public sealed class Generated
            {
                private readonly object _gate = new object();
                private readonly List<int> _shared = new List<int>();

                public async Task RunAsync(Sender<int> outside, PermitSemaphore sem, Locked<int> locked, int x)
                {
                    int total = 0, racy = 0;
                    var tasks = new List<Task>();
                    var (tx, rx) = Chan.Bounded<int>(4);

            """);
        for (var k = 0; k < n; k++)
        {
            var s = I(k);
            sb.Append((k % 12) switch
            {
                0 => $"        int v{s} = {s}; v{s}++; total += v{s};\n",
                1 => $"        tasks.Add(Task.Run(() => Console.WriteLine(total + {s})));\n",
                2 => $"        lock (_gate) {{ _shared.Add({s}); }}\n",
                3 => $"        if (total > {s}) {{ total -= {s}; }} else {{ total += x; }}\n",
                4 => $"        using (var p{s} = await sem.AcquireAsync()) {{ total++; }}\n",
                5 => $"        using (var g{s} = locked.Lock()) {{ g{s}.Value += {s}; }}\n",
                6 => $"        for (int i{s} = 0; i{s} < 3; i{s}++) {{ var j{s} = i{s}; tasks.Add(Task.Run(() => Console.WriteLine(j{s}))); }}\n",
                7 => $"        await tx.SendAsync({s});\n",
                8 => $"        tasks.Add(Task.Run(() => {{ racy++; }}));\n",
                9 => $"        var t{s} = new Thread(() => Console.WriteLine({s})); t{s}.Start(); t{s}.Join();\n",
                10 => $"        var o{s} = outside.Clone(); try {{ o{s}.Send({s}); }} finally {{ o{s}.Dispose(); }}\n",
                _ => $"        while (total > {s}) {{ total /= 2; if (total == 7) break; }}\n",
            });
        }

        sb.Append("""
                    await Task.WhenAll(tasks);
                    tx.Dispose();
                    await foreach (var item in rx) { total += item; }
                    Console.WriteLine(total + racy);
                }
            }

            """);
        return sb.ToString();
    }

    /// <summary>
    /// One method with <paramref name="n"/> acquire/release pairs of the BCL's locks on the same
    /// few objects (so that each object has hundreds of releases to look through), in eight
    /// kinds: released in a finally, released outside one (CSA2004), the ref-flag form, a timed
    /// try tested by an if (CSA2004), a timed try whose answer is ignored inside the releasing
    /// try (CSA2018). The CSA2004/CSA2018 worst case: every acquire asks about its object's releases.
    /// </summary>
    public static string Locks(int n)
    {
        var sb = new StringBuilder(Header);
        sb.Append("""
            public sealed class Generated
            {
                private readonly object _sync = new object();
                private readonly ReaderWriterLockSlim _rw = new ReaderWriterLockSlim();
                private readonly SemaphoreSlim _gate = new SemaphoreSlim(1, 1);

                public async Task RunAsync(int x)
                {
                    int total = 0;

            """);
        for (var k = 0; k < n; k++)
        {
            var s = I(k);
            sb.Append((k % 8) switch
            {
                0 => $"        Monitor.Enter(_sync); try {{ total += {s}; }} finally {{ Monitor.Exit(_sync); }}\n",
                1 => $"        Monitor.Enter(_sync); total += {s}; Monitor.Exit(_sync);\n",
                2 => $"        _rw.EnterWriteLock(); try {{ total++; }} finally {{ _rw.ExitWriteLock(); }}\n",
                3 => $"        if (_rw.TryEnterReadLock({s})) {{ total--; _rw.ExitReadLock(); }}\n",
                4 => $"        await _gate.WaitAsync(); try {{ total++; }} finally {{ _gate.Release(); }}\n",
                5 => $"        _gate.Wait(); total += x; _gate.Release();\n",
                6 => $"        var taken{s} = false; try {{ Monitor.Enter(_sync, ref taken{s}); total++; }} finally {{ if (taken{s}) Monitor.Exit(_sync); }}\n",
                _ => $"        try {{ Monitor.TryEnter(_sync, {s}); total++; }} finally {{ Monitor.Exit(_sync); }}\n",
            });
        }

        sb.Append("""
                    Console.WriteLine(total);
                }
            }

            """);
        return sb.ToString();
    }

    /// <summary>
    /// <paramref name="n"/> sender clones in one method, in five shapes: disposed in line,
    /// disposed on both branches, leaked on one branch (reported), never disposed (reported),
    /// and issue 13's repro (a block of clone, send, dispose: 13.4 s at 4,000 before the fix).
    /// </summary>
    public static string Clones(int n)
    {
        var sb = new StringBuilder(Header);
        sb.Append("""
            public static class Generated
            {
                public static void Run(int x)
                {
                    var (tx, rx) = Chan.Unbounded<int>();

            """);
        for (var k = 0; k < n; k++)
        {
            var s = I(k);
            sb.Append((k % 5) switch
            {
                0 => $"        var c{s} = tx.Clone(); c{s}.Send({s}); c{s}.Dispose();\n",
                4 => $"        {{ var c = tx.Clone(); c.Send({s}); c.Dispose(); }}\n",
                1 => $"        var c{s} = tx.Clone(); if (x > {s}) {{ c{s}.Send({s}); c{s}.Dispose(); }} else {{ c{s}.Dispose(); }}\n",
                2 => $"        var c{s} = tx.Clone(); if (x == {s}) {{ c{s}.Dispose(); }}\n",
                _ => $"        var c{s} = tx.Clone(); c{s}.Send({s});\n",
            });
        }

        sb.Append("""
                    tx.Dispose();
                    foreach (var item in rx) { Console.WriteLine(item); }
                }
            }

            """);
        return sb.ToString();
    }

    /// <summary>Blocks nested <paramref name="depth"/> deep (if, for, lock, try/finally, using, while), each level with a clone and a write, every sixth with a lambda capturing a loop variable.</summary>
    public static string Nesting(int depth)
    {
        var sb = new StringBuilder(Header);
        sb.Append("""
            public sealed class Generated
            {
                private readonly object _gate = new object();

                public void Run(Sender<int> outside, Locked<int> locked, int x)
                {
                    int counter = 0;
                    var tasks = new List<Task>();

            """);
        for (var k = 0; k < depth; k++)
        {
            var s = I(k);
            sb.Append($"var c{s} = outside.Clone(); c{s}.Send({s}); c{s}.Dispose(); counter += {s};\n");

            // A lambda on every sixth level only, in the innermost loop so far: Roslyn's own
            // cost for lambdas under nested loops grows with (lambdas x depth), and a lambda
            // per level made the compiler, not the analyzers, take most of a minute.
            if (k % 6 == 2)
            {
                sb.Append(k > 1 ? $"tasks.Add(Task.Run(() => Console.WriteLine(counter + i{I(k - 1)})));\n" : "tasks.Add(Task.Run(() => Console.WriteLine(counter)));\n");
            }

            sb.Append((k % 6) switch
            {
                0 => $"if (x > {s}) {{\n",
                1 => $"for (int i{s} = 0; i{s} < x; i{s}++) {{\n",
                2 => "lock (_gate) {\n",
                3 => "try {\n",
                4 => $"using (var g{s} = locked.Lock()) {{ g{s}.Value++;\n",
                _ => $"while (counter < {s}) {{ counter++;\n",
            });
        }

        for (var k = depth - 1; k >= 0; k--)
        {
            sb.Append(k % 6 == 3 ? "} finally { counter--; }\n" : "}\n");
        }

        sb.Append("""
                    Task.WaitAll(tasks.ToArray());
                }
            }

            """);
        return sb.ToString();
    }

    /// <summary>A class with <paramref name="n"/> fields and <paramref name="n"/> methods that start work touching them.</summary>
    public static string Members(int n)
    {
        var sb = new StringBuilder(Header);
        sb.Append("public sealed class Generated\n{\n    private readonly object _gate = new object();\n");
        for (var k = 0; k < n; k++)
        {
            sb.Append($"    private int _f{I(k)};\n");
        }

        for (var k = 0; k < n; k++)
        {
            var s = I(k);
            sb.Append((k % 4) switch
            {
                0 => $"    public Task M{s}() => Task.Run(() => {{ lock (_gate) {{ _f{s}++; }} }});\n",
                1 => $"    public Task M{s}() => Task.Run(() => {{ _f{s}++; }});\n",
                2 => $"    public int M{s}() {{ lock (_gate) {{ return _f{s} + _f{I(k - 1)}; }} }}\n",
                _ => $"    public async Task M{s}(Sender<int> tx) {{ using var mine = tx.Clone(); await mine.SendAsync(_f{s}); }}\n",
            });
        }

        sb.Append("}\n");
        return sb.ToString();
    }

    /// <summary>One concurrent body (a <c>Parallel.For</c> lambda) with <paramref name="n"/> statements over captured state.</summary>
    public static string ConcurrentBody(int n)
    {
        var sb = new StringBuilder(Header);
        sb.Append("""
            public static class Generated
            {
                public static void Run(int[] data, Locked<long> sum)
                {
                    var gate = new object();
                    int shared = 0;
                    var list = new List<int>();
                    Parallel.For(0, data.Length, i =>
                    {
                        int local = data[i];

            """);
        for (var k = 0; k < n; k++)
        {
            var s = I(k);
            sb.Append((k % 6) switch
            {
                0 => $"            local += {s};\n",
                1 => $"            lock (gate) {{ shared += local; }}\n",
                2 => $"            if (local > {s}) {{ Interlocked.Add(ref shared, {s}); }}\n",
                3 => $"            using (var g{s} = sum.Lock()) {{ g{s}.Value += local; }}\n",
                4 => $"            Console.WriteLine(shared + {s});\n",
                _ => $"            if (local == {s}) {{ list.Add(local); }}\n",
            });
        }

        sb.Append("""
                    });
                    Console.WriteLine(shared);
                }
            }

            """);
        return sb.ToString();
    }
}
