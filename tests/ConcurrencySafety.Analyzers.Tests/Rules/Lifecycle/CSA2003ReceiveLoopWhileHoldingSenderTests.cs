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
