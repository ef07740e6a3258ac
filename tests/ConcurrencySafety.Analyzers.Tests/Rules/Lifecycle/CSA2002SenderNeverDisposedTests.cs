using Verify = ConcurrencySafety.Analyzers.Tests.Verifiers.CSharpAnalyzerVerifier<ConcurrencySafety.Analyzers.Rules.CSA2002SenderNeverDisposedAnalyzer>;
using Fix = ConcurrencySafety.Analyzers.Tests.Verifiers.CSharpCodeFixVerifier<ConcurrencySafety.Analyzers.Rules.CSA2002SenderNeverDisposedAnalyzer, ConcurrencySafety.CodeFixes.CSA2002SenderNeverDisposedCodeFix>;

namespace ConcurrencySafety.Analyzers.Tests.Rules.Lifecycle;

public class CSA2002SenderNeverDisposedTests
{
    [Fact]
    public Task Sender_used_by_a_producer_that_never_disposes_it() => Verify.VerifyAnalyzerAsync("""
        using System.Threading.Tasks;
        using ConcurrencySafety;
        class C
        {
            async Task M()
            {
                var ({|CSA2002:tx|}, rx) = Chan.Bounded<int>(4);
                var producer = Task.Run(() => { for (int i = 0; i < 10; i++) tx.Send(i); });
                await producer;
                rx.Dispose();
            }
        }
        """);

    [Fact]
    public Task Clones_never_disposed() => Verify.VerifyAnalyzerAsync("""
        using System.Threading.Tasks;
        using ConcurrencySafety;
        class C
        {
            void M()
            {
                var (tx, rx) = Chan.Unbounded<int>();
                using (tx)
                {
                    var {|CSA2002:worker|} = tx.Clone();
                    worker.Send(1);
                    {|CSA2002:tx.Clone()|};
                }
            }
        }
        """);

    // ---- must stay silent ----

    [Fact]
    public Task Disposed_moved_into_a_disposing_lambda_or_using() => Verify.VerifyAnalyzerAsync("""
        using System.Threading.Tasks;
        using ConcurrencySafety;
        class C
        {
            async Task M()
            {
                var (a, ra) = Chan.Bounded<int>(1);
                a.Dispose();

                var (b, rb) = Chan.Bounded<int>(1);
                using (b) { b.Send(1); }

                var (c, rc) = Chan.Bounded<int>(1);
                var producer = Task.Run(async () => { using (c) { await c.SendAsync(1); } });

                var (d, rd) = Chan.Bounded<int>(1);
                var clone = d.Clone();
                var t2 = Task.Run(() => { try { clone.Send(1); } finally { clone.Dispose(); } });
                d?.Dispose();

                using var e = d.Clone();
                await producer; await t2;
            }
        }
        """);

    [Fact]
    public Task Returned_stored_passed_or_consumed_senders_are_silent() => Verify.VerifyAnalyzerAsync("""
        using System.Collections.Generic;
        using ConcurrencySafety;
        class Pipeline : System.IDisposable
        {
            private Sender<int>? _input;
            private readonly List<Sender<int>> _senders = new();
            public Receiver<int> Start()
            {
                var (tx, rx) = Chan.Bounded<int>(4);
                _input = tx;
                return rx;
            }
            public Sender<int> Make()
            {
                var (tx, rx) = Chan.Bounded<int>(4);
                Drain(rx);
                return tx;
            }
            public void Keep()
            {
                var (tx, rx) = Chan.Bounded<int>(4);
                _senders.Add(tx);
                Drain(rx);
            }
            public void Handoff()
            {
                var (tx, rx) = Chan.Bounded<int>(4);
                Produce(tx);
                Drain(rx);
            }
            public (Sender<int>, Receiver<int>) Pair()
            {
                var (tx, rx) = Chan.Bounded<int>(4);
                return (tx, rx);
            }
            static void Produce([Consumes] Sender<int> tx) { using (tx) tx.Send(1); }
            static void Drain(Receiver<int> rx) { }
            public void Dispose() => _input?.Dispose();
        }
        """);

    [Fact]
    public Task Senders_not_created_in_the_method_are_silent() => Verify.VerifyAnalyzerAsync("""
        using ConcurrencySafety;
        class C
        {
            void M(Sender<int> tx)
            {
                tx.Send(1);
                var pair = Chan.Bounded<int>(1);
                pair.Sender.Send(1);
            }
        }
        """);

    // ---- code fix ----

    [Fact]
    public Task Fix_declares_the_clone_with_using() => Fix.VerifyCodeFixAsync("""
        using ConcurrencySafety;
        class C
        {
            void M(Sender<int> shared)
            {
                var (tx, rx) = Chan.Bounded<int>(1);
                using (tx)
                {
                    // a clone for this block
                    var {|CSA2002:mine|} = tx.Clone();
                    mine.TrySend(1);
                }
                rx.Dispose();
            }
        }
        """, """
        using ConcurrencySafety;
        class C
        {
            void M(Sender<int> shared)
            {
                var (tx, rx) = Chan.Bounded<int>(1);
                using (tx)
                {
                    // a clone for this block
                    using var mine = tx.Clone();
                    mine.TrySend(1);
                }
                rx.Dispose();
            }
        }
        """);

    [Fact]
    public Task Fix_not_offered_for_deconstruction_or_before_a_receive_loop() => Fix.VerifyCodeFixAsync("""
        using ConcurrencySafety;
        class C
        {
            void M()
            {
                var ({|CSA2002:tx|}, rx) = Chan.Bounded<int>(1);
                var {|CSA2002:mine|} = tx.Clone();
                mine.TrySend(1);
                foreach (var x in rx) { }
            }
        }
        """, """
        using ConcurrencySafety;
        class C
        {
            void M()
            {
                var ({|CSA2002:tx|}, rx) = Chan.Bounded<int>(1);
                var {|CSA2002:mine|} = tx.Clone();
                mine.TrySend(1);
                foreach (var x in rx) { }
            }
        }
        """);
}
