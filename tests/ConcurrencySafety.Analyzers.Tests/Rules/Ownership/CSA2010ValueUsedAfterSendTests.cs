using Verify = ConcurrencySafety.Analyzers.Tests.Verifiers.CSharpAnalyzerVerifier<ConcurrencySafety.Analyzers.Rules.CSA2010ValueUsedAfterSendAnalyzer>;
using Fix = ConcurrencySafety.Analyzers.Tests.Verifiers.CSharpCodeFixVerifier<ConcurrencySafety.Analyzers.Rules.CSA2010ValueUsedAfterSendAnalyzer, ConcurrencySafety.CodeFixes.CSA2010ValueUsedAfterSendCodeFix>;

namespace ConcurrencySafety.Analyzers.Tests.Rules.Ownership;

public class CSA2010ValueUsedAfterSendTests
{
    // The example: a list sent, then cleared and refilled while the consumer reads it.
    [Fact]
    public Task List_cleared_and_reused_after_send() => Verify.VerifyAnalyzerAsync("""
        using System.Collections.Generic;
        using System.Threading.Tasks;
        using ConcurrencySafety;
        class C
        {
            async Task Produce(Sender<List<int>> tx, int[] items)
            {
                var batch = new List<int>();
                foreach (var item in items)
                {
                    batch.Add(item);
                    if (batch.Count == 10)
                    {
                        await tx.SendAsync(batch);
                        {|CSA2010:batch|}.Clear();
                    }
                }
            }
        }
        """);

    [Fact]
    public Task Buffer_array_reused_and_alias_used_after_send() => Verify.VerifyAnalyzerAsync("""
        using System.Text;
        using ConcurrencySafety;
        class C
        {
            void Buffers(Sender<byte[]> tx)
            {
                var buffer = new byte[16];
                var alias = buffer;
                tx.Send(buffer);
                {|CSA2010:alias|}[0] = 1;
            }
            void Builder(Sender<StringBuilder> tx)
            {
                var sb = new StringBuilder();
                tx.TrySend(sb);
                {|CSA2010:sb|}.Append('x');
            }
            void Twice(Sender<int[]> tx)
            {
                var data = new[] { 1, 2 };
                tx.Send(data);
                tx.Send({|CSA2010:data|});
            }
        }
        """);

    [Fact]
    public Task Bcl_writer_and_user_class_with_settable_state() => Verify.VerifyAnalyzerAsync("""
        using System.Threading.Channels;
        using System.Threading.Tasks;
        class Job { public int Id { get; set; } }
        class C
        {
            async Task M(ChannelWriter<Job> writer)
            {
                var job = new Job { Id = 1 };
                await writer.WriteAsync(job);
                {|CSA2010:job|}.Id = 2;
            }
            void Field(ChannelWriter<Job> writer, Job job)
            {
                writer.TryWrite(job);
                System.Console.WriteLine({|CSA2010:job|}.Id);
            }
        }
        """);

    // ---- must stay silent ----

    // The valid twin: a value that is sent and then reassigned with a fresh one.
    [Fact]
    public Task Sent_then_reassigned_or_declared_per_iteration_is_silent() => Verify.VerifyAnalyzerAsync("""
        using System.Collections.Generic;
        using System.Linq;
        using System.Threading.Tasks;
        using ConcurrencySafety;
        class C
        {
            async Task Produce(Sender<List<int>> tx, int[] items)
            {
                var batch = new List<int>();
                foreach (var item in items)
                {
                    batch.Add(item);
                    if (batch.Count == 10)
                    {
                        await tx.SendAsync(batch);
                        batch = new List<int>();
                    }
                }
                await tx.SendAsync(batch);
            }
            void PerIteration(Sender<int[]> tx)
            {
                for (int i = 0; i < 3; i++)
                {
                    var chunk = new int[4];
                    chunk[0] = i;
                    tx.Send(chunk);
                }
            }
            void Copy(Sender<List<int>> tx, List<int> batch)
            {
                tx.Send(batch.ToList());
                batch.Clear();
            }
        }
        """);

    [Fact]
    public Task Shareable_types_are_silent() => Verify.VerifyAnalyzerAsync("""
        using System.Collections.Concurrent;
        using System.Collections.Generic;
        using System.Collections.Immutable;
        using ConcurrencySafety;
        record Point(int X, int Y);
        class Guarded
        {
            private readonly object _gate = new();
            private int _count;
            public void Add() { lock (_gate) _count++; }
        }
        class C
        {
            void M(Sender<string> s, Sender<int> i, Sender<Point> p, Sender<ImmutableArray<int>> a, Sender<IReadOnlyList<int>> r,
                   Sender<ConcurrentQueue<int>> q, Sender<Guarded> g, Sender<object> o)
            {
                var text = "x"; s.Send(text); System.Console.WriteLine(text);
                var n = 1; i.Send(n); n++;
                var point = new Point(1, 2); p.Send(point); System.Console.WriteLine(point.X);
                var array = ImmutableArray.Create(1); a.Send(array); System.Console.WriteLine(array.Length);
                IReadOnlyList<int> view = new List<int>(); r.Send(view); System.Console.WriteLine(view.Count);
                var queue = new ConcurrentQueue<int>(); q.Send(queue); queue.Enqueue(1);
                var guarded = new Guarded(); g.Send(guarded); guarded.Add();
                object box = new List<int>(); o.Send(box); System.Console.WriteLine(box);
            }
        }
        """);

    // The docs' exemption for types marked [ThreadSafe] (the library's attribute): a value
    // meant to be shared is not moved by a send. Its unmarked twin is reported.
    [Fact]
    public Task ThreadSafe_types_are_silent_and_their_unmarked_twin_is_not() => Verify.VerifyAnalyzerAsync("""
        using System.Collections.Generic;
        using ConcurrencySafety;
        [ThreadSafe]
        class SharedStats
        {
            public int Hits { get; set; }
        }
        class Stats
        {
            public int Hits { get; set; }
        }
        class C
        {
            void M(Sender<SharedStats> shared, Sender<Stats> plain)
            {
                var s = new SharedStats(); shared.Send(s); s.Hits++;
                var t = new Stats(); plain.Send(t); {|CSA2010:t|}.Hits++;
            }
        }
        """);

    // A Try form whose result is tested moves nothing when it fails: the caller keeps the item.
    [Fact]
    public Task Tested_try_send_is_silent() => Verify.VerifyAnalyzerAsync("""
        using System.Collections.Generic;
        using System.Threading.Channels;
        using ConcurrencySafety;
        class C
        {
            void M(Sender<List<int>> tx, ChannelWriter<List<int>> writer, List<int> batch)
            {
                var result = tx.TrySend(batch);
                if (!result.IsSent) batch.Clear();
                if (!writer.TryWrite(batch)) batch.Add(1);
            }
        }
        """);

    // ---- code fix ----

    [Fact]
    public Task Fix_sends_a_copy() => Fix.VerifyCodeFixAsync("""
        using System.Collections.Generic;
        using System.Text;
        using System.Threading.Tasks;
        using ConcurrencySafety;
        class C
        {
            async Task M(Sender<List<int>> lists, Sender<byte[]> buffers, Sender<StringBuilder> builders, Sender<Dictionary<string, int>> maps)
            {
                var batch = new List<int> { 1 };
                await lists.SendAsync(batch);
                {|CSA2010:batch|}.Clear();
                var buffer = new byte[8];
                buffers.Send(buffer);
                {|CSA2010:buffer|}[0] = 1;
                var sb = new StringBuilder();
                builders.Send(sb);
                {|CSA2010:sb|}.Append('x');
                var map = new Dictionary<string, int>();
                maps.Send(map);
                {|CSA2010:map|}["a"] = 1;
            }
        }
        """, """
        using System.Collections.Generic;
        using System.Text;
        using System.Threading.Tasks;
        using ConcurrencySafety;
        class C
        {
            async Task M(Sender<List<int>> lists, Sender<byte[]> buffers, Sender<StringBuilder> builders, Sender<Dictionary<string, int>> maps)
            {
                var batch = new List<int> { 1 };
                await lists.SendAsync(new List<int>(batch));
                batch.Clear();
                var buffer = new byte[8];
                buffers.Send((byte[])buffer.Clone());
                buffer[0] = 1;
                var sb = new StringBuilder();
                builders.Send(new StringBuilder(sb.ToString()));
                sb.Append('x');
                var map = new Dictionary<string, int>();
                maps.Send(new Dictionary<string, int>(map));
                map["a"] = 1;
            }
        }
        """);

    // A user class: how to copy it (and how deep) is its author's decision.
    [Fact]
    public Task Fix_not_offered_for_a_user_class() => Fix.VerifyCodeFixAsync("""
        using ConcurrencySafety;
        class Job { public int Id { get; set; } }
        class C
        {
            void M(Sender<Job> tx)
            {
                var job = new Job();
                tx.Send(job);
                {|CSA2010:job|}.Id = 2;
            }
        }
        """, """
        using ConcurrencySafety;
        class Job { public int Id { get; set; } }
        class C
        {
            void M(Sender<Job> tx)
            {
                var job = new Job();
                tx.Send(job);
                {|CSA2010:job|}.Id = 2;
            }
        }
        """);

    // The flow analysis drops what it knows about a variable where no later block can refer to
    // it (Lifecycle/LiveSymbols, what keeps it linear). These uses are far from the send, or
    // reach it only through a loop's next iteration, a ?: capture, a lambda made later, a
    // finally, or the next iteration of an outer loop: each must still be seen.
    [Fact]
    public Task Uses_far_from_the_send_are_still_seen() => Verify.VerifyAnalyzerAsync("""
        using System;
        using System.Collections.Generic;
        using ConcurrencySafety;
        class C
        {
            void NextIteration(Sender<List<int>> tx, int n)
            {
                var batch = new List<int>();
                for (var i = 0; i < n; i++)
                {
                    {|CSA2010:batch|}.Add(i);
                    if (i % 10 == 9)
                    {
                        tx.Send(batch);
                    }
                }
            }
            void ThroughConditional(Sender<List<int>> tx, List<int> other, bool flag)
            {
                var batch = new List<int>();
                tx.Send(batch);
                var x = 0;
                if (flag) { x = 1; } else { x = 2; }
                var pick = flag ? {|CSA2010:batch|} : other;
                pick.Add(x);
            }
            void InLambdaMadeLater(Sender<List<int>> tx)
            {
                var batch = new List<int>();
                tx.Send(batch);
                var x = 0;
                for (var i = 0; i < 3; i++) { x += i; }
                Action later = () => {|CSA2010:batch|}.Clear();
                later();
            }
            void InFinally(Sender<List<int>> tx)
            {
                var batch = new List<int>();
                try
                {
                    tx.Send(batch);
                }
                finally
                {
                    Console.WriteLine({|CSA2010:batch|}.Count);
                }
            }
            void OuterLoop(Sender<List<int>> tx, int n)
            {
                for (var j = 0; j < n; j++)
                {
                    var batch = new List<int>();
                    for (var i = 0; i < n; i++)
                    {
                        {|CSA2010:batch|}.Add(i);
                        if (i == 3)
                        {
                            tx.Send(batch);
                        }
                    }
                }
            }
        }
        """);
}
