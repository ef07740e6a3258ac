using Verify = ConcurrencySafety.Analyzers.Tests.Verifiers.CSharpAnalyzerVerifier<ConcurrencySafety.Analyzers.Rules.CSA2003ReceiveLoopWhileHoldingSenderAnalyzer>;
using Fix = ConcurrencySafety.Analyzers.Tests.Verifiers.CSharpCodeFixVerifier<ConcurrencySafety.Analyzers.Rules.CSA2003ReceiveLoopWhileHoldingSenderAnalyzer, ConcurrencySafety.CodeFixes.CSA2003ReceiveLoopWhileHoldingSenderCodeFix>;

namespace ConcurrencySafety.Analyzers.Tests.Rules.Lifecycle;

public class CSA2003ReceiveLoopWhileHoldingSenderTests
{
    // The seed's worker-pool bug: the collector keeps the original result sender.
    [Fact]
    public Task Worker_pool_that_keeps_the_original_sender() => Verify.VerifyAnalyzerAsync("""
        using System.Threading.Tasks;
        using ConcurrencySafety;
        class C
        {
            async Task<int> M(int[] jobs)
            {
                var (resultTx, resultRx) = Chan.Bounded<int>(16);
                for (int w = 0; w < 4; w++)
                {
                    var tx = resultTx.Clone();
                    _ = Task.Run(() => { using (tx) foreach (var j in jobs) tx.Send(j * 2); });
                }
                int sum = 0;
                foreach (var r in {|CSA2003:resultRx|}) sum += r;
                resultTx.Dispose();
                return sum;
            }
        }
        """);

    [Fact]
    public Task Await_foreach_inside_using_of_the_sender() => Verify.VerifyAnalyzerAsync("""
        using System.Threading.Tasks;
        using ConcurrencySafety;
        class C
        {
            async Task M()
            {
                var (tx, rx) = Chan.Unbounded<int>();
                using (tx)
                {
                    await tx.SendAsync(1);
                    await foreach (var x in {|CSA2003:rx|}) { }
                }
            }
        }
        """);

    [Fact]
    public Task A_clone_held_by_a_using_declaration() => Verify.VerifyAnalyzerAsync("""
        using System.Threading.Tasks;
        using ConcurrencySafety;
        class C
        {
            void M()
            {
                var (tx, rx) = Chan.Unbounded<int>();
                _ = Task.Run(() => { using (tx) tx.Send(1); });
                using var mine = tx.Clone();
                foreach (var x in {|CSA2003:rx|}) { }
            }
        }
        """);

    [Fact]
    public Task Dispose_in_a_finally_after_the_loop() => Verify.VerifyAnalyzerAsync("""
        using ConcurrencySafety;
        class C
        {
            int M()
            {
                var (tx, rx) = Chan.Bounded<int>(4);
                int sum = 0;
                try
                {
                    tx.Send(1);
                    foreach (var x in {|CSA2003:rx|}) sum += x;
                }
                finally
                {
                    tx.Dispose();
                }
                return sum;
            }
        }
        """);

    [Fact]
    public Task Linq_that_reads_to_the_end() => Verify.VerifyAnalyzerAsync("""
        using System.Linq;
        using ConcurrencySafety;
        class C
        {
            int M()
            {
                var (tx, rx) = Chan.Unbounded<int>();
                tx.Send(1);
                var all = {|CSA2003:rx|}.ToList();
                return Enumerable.Sum({|CSA2003:rx|}) + all.Count;
            }
        }
        """);

    // ---- must stay silent ----

    [Fact]
    public Task Linq_that_may_stop_early_is_silent() => Verify.VerifyAnalyzerAsync("""
        using System.Linq;
        using ConcurrencySafety;
        class C
        {
            int M()
            {
                var (tx, rx) = Chan.Unbounded<int>();
                tx.Send(1);
                var first = rx.First();
                var some = Enumerable.Take(rx, 1).ToList();
                tx.Dispose();
                return first + some.Count + rx.Sum();
            }
        }
        """);

    [Fact]
    public Task Sender_moved_to_a_consuming_parameter_is_silent() => Verify.VerifyAnalyzerAsync("""
        using System.Threading.Tasks;
        using ConcurrencySafety;
        class C
        {
            async Task M()
            {
                var (tx, rx) = Chan.Bounded<int>(4);
                var producer = Produce(tx);
                await foreach (var x in rx) { }
                await producer;
            }
            static async Task Produce([Consumes] Sender<int> tx)
            {
                using (tx) await tx.SendAsync(1);
            }
        }
        """);

    [Fact]
    public Task Sender_disposed_before_the_loop_or_moved_to_the_producer() => Verify.VerifyAnalyzerAsync("""
        using System.Threading.Tasks;
        using ConcurrencySafety;
        class C
        {
            async Task M(int[] jobs)
            {
                var (resultTx, resultRx) = Chan.Bounded<int>(16);
                for (int w = 0; w < 4; w++)
                {
                    var tx = resultTx.Clone();
                    _ = Task.Run(() => { using (tx) foreach (var j in jobs) tx.Send(j); });
                }
                resultTx.Dispose();
                foreach (var r in resultRx) { }

                var (tx2, rx2) = Chan.Bounded<int>(1);
                var producer = Task.Run(async () => { using (tx2) await tx2.SendAsync(1); });
                await foreach (var x in rx2) { }
                await producer;

                var (tx3, rx3) = Chan.Bounded<int>(1);
                using (tx3) { tx3.Send(1); }
                foreach (var x in rx3) { }
            }
        }
        """);

    [Fact]
    public Task Loops_that_can_stop_by_themselves_are_silent() => Verify.VerifyAnalyzerAsync("""
        using ConcurrencySafety;
        class C
        {
            int M()
            {
                var (tx, rx) = Chan.Bounded<int>(4);
                tx.Send(1);
                foreach (var x in rx) { if (x == 1) break; }
                foreach (var x in rx) { return x; }
                tx.Dispose();
                return 0;
            }
        }
        """);

    [Fact]
    public Task Sender_passed_on_or_disposed_inside_the_loop_is_silent() => Verify.VerifyAnalyzerAsync("""
        using ConcurrencySafety;
        class C
        {
            void M()
            {
                var (tx, rx) = Chan.Bounded<int>(4);
                Start(tx);
                foreach (var x in rx) { }

                var (tx2, rx2) = Chan.Bounded<int>(4);
                tx2.Send(3);
                foreach (var x in rx2) { if (x == 3) tx2.Dispose(); }
            }
            static void Start(Sender<int> tx) { }
        }
        """);

    [Fact]
    public Task Loop_in_a_consumer_lambda_is_silent() => Verify.VerifyAnalyzerAsync("""
        using System.Threading.Tasks;
        using ConcurrencySafety;
        class C
        {
            async Task M()
            {
                var (tx, rx) = Chan.Bounded<int>(4);
                var consumer = Task.Run(() => { foreach (var x in rx) { } });
                tx.Send(1);
                tx.Dispose();
                await consumer;
            }
        }
        """);

    [Fact]
    public Task Other_channels_senders_are_silent() => Verify.VerifyAnalyzerAsync("""
        using System.Threading.Tasks;
        using ConcurrencySafety;
        class C
        {
            void M()
            {
                var (outTx, outRx) = Chan.Bounded<int>(4);
                var (inTx, inRx) = Chan.Bounded<int>(4);
                _ = Task.Run(() => { using (inTx) inTx.Send(1); });
                foreach (var x in inRx) outTx.Send(x);
                outTx.Dispose();
                outRx.Dispose();
            }
        }
        """);

    // ---- receive-until-disconnected loops ----

    [Fact]
    public Task Await_foreach_over_the_receiver_views() => Verify.VerifyAnalyzerAsync("""
        using System.Threading;
        using System.Threading.Tasks;
        using ConcurrencySafety;
        class C
        {
            async Task M(CancellationToken ct)
            {
                var (tx, rx) = Chan.Unbounded<int>();
                await tx.SendAsync(1);
                await foreach (var x in {|CSA2003:rx|}.WithCancellation(default)) { }
                await foreach (var x in {|CSA2003:rx|}.AsAsyncEnumerable()) { }
                await foreach (var x in {|CSA2003:rx|}.AsAsyncEnumerable().ConfigureAwait(false)) { }
                await foreach (var x in {|CSA2003:rx|}.WithCancellation(CancellationToken.None).ConfigureAwait(false)) { }
                await foreach (var x in {|CSA2003:rx|}.AsAsyncEnumerable().WithCancellation(default)) { }
                tx.Dispose();
            }
        }
        """);

    [Fact]
    public Task While_the_receive_without_timeout_succeeds() => Verify.VerifyAnalyzerAsync("""
        using System.Threading;
        using System.Threading.Tasks;
        using ConcurrencySafety;
        class C
        {
            async Task<int> M(CancellationToken ct)
            {
                var (tx, rx) = Chan.Unbounded<int>();
                tx.Send(1);
                int sum = 0;
                while ({|CSA2003:rx|}.TryReceive(Timeout.InfiniteTimeSpan).TryGetValue(out var a)) sum += a;
                ReceiveResult<int> r;
                while ((r = await {|CSA2003:rx|}.TryReceiveAsync(Timeout.InfiniteTimeSpan, CancellationToken.None)).IsReceived) sum += r.Value;
                while (!(r = {|CSA2003:rx|}.TryReceive(Timeout.InfiniteTimeSpan)).IsDisconnected) sum += r.Value;
                while ({|CSA2003:rx|}.TryReceive(Timeout.InfiniteTimeSpan) is { IsReceived: true } b) sum += b.Value;
                while ((await {|CSA2003:rx|}.TryReceiveAsync(Timeout.InfiniteTimeSpan).ConfigureAwait(false)).Status == ReceiveStatus.Received) { }
                do { sum++; } while ({|CSA2003:rx|}.TryReceive(Timeout.InfiniteTimeSpan).Status != ReceiveStatus.Disconnected);
                tx.Dispose();
                return sum;
            }
        }
        """);

    [Fact]
    public Task While_true_that_breaks_only_on_disconnection() => Verify.VerifyAnalyzerAsync("""
        using System.Threading;
        using System.Threading.Tasks;
        using ConcurrencySafety;
        class C
        {
            async Task<int> M()
            {
                var (tx, rx) = Chan.Unbounded<int>();
                tx.Send(1);
                int sum = 0;
                while (true)
                {
                    var r = {|CSA2003:rx|}.TryReceive(Timeout.InfiniteTimeSpan);
                    if (r.IsDisconnected) break;
                    sum += r.Value;
                }
                for (;;)
                {
                    var r = await {|CSA2003:rx|}.TryReceiveAsync(Timeout.InfiniteTimeSpan);
                    if (!r.TryGetValue(out var v))
                    {
                        break;
                    }
                    if (v < 0) continue;
                    sum += v;
                }
                do
                {
                    if (!{|CSA2003:rx|}.TryReceive(Timeout.InfiniteTimeSpan).IsReceived) return sum;
                    sum++;
                }
                while (true);
            }
        }
        """);

    [Fact]
    public Task Loops_that_can_end_another_way_are_silent() => Verify.VerifyAnalyzerAsync("""
        using System;
        using System.Threading;
        using System.Threading.Tasks;
        using ConcurrencySafety;
        class C
        {
            async Task<int> M(CancellationToken ct, int limit)
            {
                var (tx, rx) = Chan.Unbounded<int>();
                tx.Send(1);
                int sum = 0;
                // Empty ends these: the no-wait form.
                while (rx.TryReceive(out var a)) sum += a;
                while (rx.TryReceive().IsReceived) sum++;
                // A timeout or a deadline ends these.
                while (rx.TryReceive(TimeSpan.FromSeconds(1)).TryGetValue(out var b)) sum += b;
                while ((await rx.TryReceiveAsync(TimeSpan.FromMilliseconds(50))).IsReceived) sum++;
                while (rx.TryReceiveUntil(DateTimeOffset.UtcNow.AddSeconds(1)).IsReceived) sum++;
                while (true)
                {
                    var r = rx.TryReceive(TimeSpan.FromSeconds(1));
                    if (!r.IsReceived) break;
                }
                // Another exit: a counter, a token check, a second break, a throw.
                while (sum < limit && rx.TryReceive(Timeout.InfiniteTimeSpan).TryGetValue(out var c)) sum += c;
                while (!ct.IsCancellationRequested)
                {
                    var r = rx.TryReceive(Timeout.InfiniteTimeSpan);
                    if (r.IsDisconnected) break;
                }
                while (true)
                {
                    var r = rx.TryReceive(Timeout.InfiniteTimeSpan);
                    if (r.IsDisconnected) break;
                    if (r.Value == 0) break;
                }
                while (rx.TryReceive(Timeout.InfiniteTimeSpan).TryGetValue(out var d))
                {
                    if (d < 0) throw new InvalidOperationException();
                }
                // The test is not on this iteration's receive.
                var first = rx.TryReceive(Timeout.InfiniteTimeSpan);
                while (true)
                {
                    if (first.IsDisconnected) break;
                    rx.TryReceive(Timeout.InfiniteTimeSpan);
                }
                while (true)
                {
                    var r = rx.TryReceive(Timeout.InfiniteTimeSpan);
                    r = default;
                    if (r.IsDisconnected) break;
                }
                // The break is not the whole branch, or the test is the other way round.
                while (true)
                {
                    var r = rx.TryReceive(Timeout.InfiniteTimeSpan);
                    if (r.IsReceived) break;
                }
                while (true)
                {
                    var r = rx.TryReceive(Timeout.InfiniteTimeSpan);
                    if (r.IsDisconnected) { sum++; } else break;
                }
                // A receive loop over an async view that stops early.
                await foreach (var x in rx.WithCancellation(default)) { if (x == 1) break; }
                // A real cancellation token is a second way out (a loop may run until shutdown).
                await foreach (var x in rx.WithCancellation(ct)) { }
                await foreach (var x in rx.AsAsyncEnumerable().WithCancellation(ct).ConfigureAwait(false)) { }
                while ((await rx.TryReceiveAsync(Timeout.InfiniteTimeSpan, ct)).IsReceived) sum++;
                while (true)
                {
                    var r = rx.TryReceive(Timeout.InfiniteTimeSpan, ct);
                    if (r.IsDisconnected) break;
                }
                try { while (true) sum += await rx.ReceiveAsync(ct); }
                catch (ChannelDisconnectedException) { }
                tx.Dispose();
                return sum;
            }
        }
        """);

    [Fact]
    public Task Receive_until_disconnected_after_the_sender_is_disposed_is_silent() => Verify.VerifyAnalyzerAsync("""
        using System.Threading;
        using System.Threading.Tasks;
        using ConcurrencySafety;
        class C
        {
            async Task<int> M(int[] jobs)
            {
                var (resultTx, resultRx) = Chan.Bounded<int>(16);
                var tx = resultTx.Clone();
                var worker = Task.Run(() => { using (tx) foreach (var j in jobs) tx.Send(j); });
                resultTx.Dispose();
                int sum = 0;
                while (true)
                {
                    var r = await resultRx.TryReceiveAsync(Timeout.InfiniteTimeSpan);
                    if (!r.IsReceived) break;
                    sum += r.Value;
                }
                await worker;
                return sum;
            }
        }
        """);

    [Fact]
    public Task Receive_forever_until_the_disconnection_exception() => Verify.VerifyAnalyzerAsync("""
        using System.Threading;
        using System.Threading.Tasks;
        using ConcurrencySafety;
        class C
        {
            async Task<int> M(CancellationToken ct)
            {
                var (tx, rx) = Chan.Unbounded<int>();
                tx.Send(1);
                int sum = 0;
                try
                {
                    while (true) sum += {|CSA2003:rx|}.Receive();
                }
                catch (ChannelDisconnectedException)
                {
                }
                try
                {
                    for (;;)
                    {
                        var x = await {|CSA2003:rx|}.ReceiveAsync();
                        if (x < 0) continue;
                        sum += x;
                    }
                }
                catch (ChannelDisconnectedException) when (sum > 0)
                {
                }
                tx.Dispose();
                return sum;
            }
        }
        """);

    [Fact]
    public Task Receive_forever_without_a_disconnection_catch_or_with_an_exit_is_silent() => Verify.VerifyAnalyzerAsync("""
        using System;
        using ConcurrencySafety;
        class C
        {
            int M()
            {
                var (tx, rx) = Chan.Unbounded<int>();
                var (tx2, rx2) = Chan.Unbounded<int>();
                tx.Send(1);
                int sum = 0;
                try { while (true) sum += rx.Receive(); }
                catch (Exception) { }
                try { while (true) sum += rx.Receive(); }
                finally { sum++; }
                try
                {
                    while (true)
                    {
                        sum += rx.Receive();
                        if (sum > 10) break;
                    }
                }
                catch (ChannelDisconnectedException) { }
                try { while (true) sum += rx.Receive() + rx2.Receive(); }
                catch (ChannelDisconnectedException) { }
                try { while (sum < 100) sum += rx.Receive(); }
                catch (ChannelDisconnectedException) { }
                try { }
                catch (ChannelDisconnectedException) { while (true) sum += rx.Receive(); }
                tx.Dispose();
                tx2.Dispose();
                return sum;
            }
        }
        """);

    // ---- code fix ----

    [Fact]
    public Task Fix_disposes_the_sender_before_the_loop() => Fix.VerifyCodeFixAsync("""
        using System.Threading.Tasks;
        using ConcurrencySafety;
        class C
        {
            int M()
            {
                var (resultTx, resultRx) = Chan.Bounded<int>(16);
                var tx = resultTx.Clone();
                _ = Task.Run(() => { using (tx) tx.Send(1); });
                int sum = 0;
                foreach (var r in {|CSA2003:resultRx|}) sum += r;
                return sum;
            }
        }
        """, """
        using System.Threading.Tasks;
        using ConcurrencySafety;
        class C
        {
            int M()
            {
                var (resultTx, resultRx) = Chan.Bounded<int>(16);
                var tx = resultTx.Clone();
                _ = Task.Run(() => { using (tx) tx.Send(1); });
                int sum = 0;
                resultTx.Dispose();
                foreach (var r in resultRx) sum += r;
                return sum;
            }
        }
        """);

    [Fact]
    public Task Fix_all_disposes_every_held_sender() => Fix.VerifyCodeFixAsync("""
        using ConcurrencySafety;
        class C
        {
            void M()
            {
                var (a, rx) = Chan.Unbounded<int>();
                var b = a.Clone();
                a.Send(1);
                b.Send(2);
                foreach (var x in {|CSA2003:{|CSA2003:rx|}|}) { }
            }
        }
        """, """
        using ConcurrencySafety;
        class C
        {
            void M()
            {
                var (a, rx) = Chan.Unbounded<int>();
                var b = a.Clone();
                a.Send(1);
                b.Send(2);
                a.Dispose();
                b.Dispose();
                foreach (var x in rx) { }
            }
        }
        """, fixAllIterationsAtMost: 2);

    [Fact]
    public Task Fix_disposes_before_a_draining_linq_statement() => Fix.VerifyCodeFixAsync("""
        using System.Linq;
        using ConcurrencySafety;
        class C
        {
            int[] M()
            {
                var (tx, rx) = Chan.Unbounded<int>();
                tx.Send(1);
                return {|CSA2003:rx|}.ToArray();
            }
        }
        """, """
        using System.Linq;
        using ConcurrencySafety;
        class C
        {
            int[] M()
            {
                var (tx, rx) = Chan.Unbounded<int>();
                tx.Send(1);
                tx.Dispose();
                return rx.ToArray();
            }
        }
        """);

    [Fact]
    public Task Fix_disposes_before_a_while_receive_loop_with_fix_all() => Fix.VerifyCodeFixAsync("""
        using System.Threading;
        using ConcurrencySafety;
        class C
        {
            int M()
            {
                var (a, rx) = Chan.Unbounded<int>();
                var b = a.Clone();
                a.Send(1);
                b.Send(2);
                int sum = 0;
                while (true)
                {
                    var r = {|CSA2003:{|CSA2003:rx|}|}.TryReceive(Timeout.InfiniteTimeSpan);
                    if (r.IsDisconnected) break;
                    sum += r.Value;
                }
                return sum;
            }
        }
        """, """
        using System.Threading;
        using ConcurrencySafety;
        class C
        {
            int M()
            {
                var (a, rx) = Chan.Unbounded<int>();
                var b = a.Clone();
                a.Send(1);
                b.Send(2);
                int sum = 0;
                a.Dispose();
                b.Dispose();
                while (true)
                {
                    var r = rx.TryReceive(Timeout.InfiniteTimeSpan);
                    if (r.IsDisconnected) break;
                    sum += r.Value;
                }
                return sum;
            }
        }
        """, fixAllIterationsAtMost: 2);

    [Fact]
    public Task Fix_disposes_before_a_while_condition_loop_and_an_await_foreach_view() => Fix.VerifyCodeFixAsync("""
        using System.Threading;
        using System.Threading.Tasks;
        using ConcurrencySafety;
        class C
        {
            async Task<int> M(CancellationToken ct)
            {
                var (tx, rx) = Chan.Unbounded<int>();
                await tx.SendAsync(1);
                int sum = 0;
                while ({|CSA2003:rx|}.TryReceive(Timeout.InfiniteTimeSpan).TryGetValue(out var v)) sum += v;
                var (tx2, rx2) = Chan.Unbounded<int>();
                await tx2.SendAsync(1);
                await foreach (var x in {|CSA2003:rx2|}.WithCancellation(default)) sum += x;
                return sum;
            }
        }
        """, """
        using System.Threading;
        using System.Threading.Tasks;
        using ConcurrencySafety;
        class C
        {
            async Task<int> M(CancellationToken ct)
            {
                var (tx, rx) = Chan.Unbounded<int>();
                await tx.SendAsync(1);
                int sum = 0;
                tx.Dispose();
                while (rx.TryReceive(Timeout.InfiniteTimeSpan).TryGetValue(out var v)) sum += v;
                var (tx2, rx2) = Chan.Unbounded<int>();
                await tx2.SendAsync(1);
                tx2.Dispose();
                await foreach (var x in rx2.WithCancellation(default)) sum += x;
                return sum;
            }
        }
        """);

    [Fact]
    public Task Fix_disposes_before_a_loop_that_ends_by_the_disconnection_exception() => Fix.VerifyCodeFixAsync("""
        using ConcurrencySafety;
        class C
        {
            int M()
            {
                var (tx, rx) = Chan.Bounded<int>(4);
                tx.Send(1);
                int sum = 0;
                try
                {
                    while (true) sum += {|CSA2003:rx|}.Receive();
                }
                catch (ChannelDisconnectedException)
                {
                }
                return sum;
            }
        }
        """, """
        using ConcurrencySafety;
        class C
        {
            int M()
            {
                var (tx, rx) = Chan.Bounded<int>(4);
                tx.Send(1);
                int sum = 0;
                try
                {
                    tx.Dispose();
                    while (true) sum += rx.Receive();
                }
                catch (ChannelDisconnectedException)
                {
                }
                return sum;
            }
        }
        """);

    [Fact]
    public Task Fix_not_offered_when_the_loop_is_not_in_a_block() => Fix.VerifyCodeFixAsync("""
        using ConcurrencySafety;
        class C
        {
            void M(bool go)
            {
                var (tx, rx) = Chan.Unbounded<int>();
                tx.Send(1);
                if (go)
                    foreach (var x in {|CSA2003:rx|}) { }
            }
        }
        """, """
        using ConcurrencySafety;
        class C
        {
            void M(bool go)
            {
                var (tx, rx) = Chan.Unbounded<int>();
                tx.Send(1);
                if (go)
                    foreach (var x in {|CSA2003:rx|}) { }
            }
        }
        """);
}
