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

    // ---- not disposed on every path ----

    [Fact]
    public Task Disposed_in_one_branch_only() => Verify.VerifyAnalyzerAsync("""
        using ConcurrencySafety;
        class C
        {
            void M(bool done)
            {
                var ({|CSA2002:tx|}, rx) = Chan.Bounded<int>(4);
                tx.Send(1);
                if (done)
                {
                    tx.Dispose();
                }
                rx.Dispose();
            }
        }
        """);

    [Fact]
    public Task Early_return_skips_the_dispose() => Verify.VerifyAnalyzerAsync("""
        using ConcurrencySafety;
        class C
        {
            int M(Sender<int> shared, int n)
            {
                var {|CSA2002:mine|} = shared.Clone();
                if (n < 0) return 0;
                mine.Send(n);
                mine.Dispose();
                return n;
            }
        }
        """);

    [Fact]
    public Task Disposed_only_in_a_loop_body_that_may_not_run() => Verify.VerifyAnalyzerAsync("""
        using ConcurrencySafety;
        class C
        {
            void M(int[] items)
            {
                var ({|CSA2002:tx|}, rx) = Chan.Unbounded<int>();
                foreach (var item in items)
                {
                    tx.Send(item);
                    if (item == 0)
                    {
                        tx.Dispose();
                        break;
                    }
                }
                rx.Dispose();
            }
        }
        """);

    [Fact]
    public Task Clone_in_a_loop_disposed_on_some_iterations_only() => Verify.VerifyAnalyzerAsync("""
        using ConcurrencySafety;
        class C
        {
            void M(Sender<int> shared, int n)
            {
                for (int i = 0; i < n; i++)
                {
                    var {|CSA2002:c|} = shared.Clone();
                    c.Send(i);
                    if (i % 2 == 0) c.Dispose();
                }
            }
        }
        """);

    [Fact]
    public Task Moved_in_one_branch_and_dropped_in_the_other() => Verify.VerifyAnalyzerAsync("""
        using ConcurrencySafety;
        class C
        {
            void M(bool hand)
            {
                var ({|CSA2002:tx|}, rx) = Chan.Bounded<int>(4);
                if (hand) Produce(tx);
                else tx.Send(1);
                rx.Dispose();
            }
            static void Produce([Consumes] Sender<int> tx) { using (tx) tx.Send(1); }
        }
        """);

    [Fact]
    public Task Early_return_of_a_constant_skips_the_dispose() => Verify.VerifyAnalyzerAsync("""
        using ConcurrencySafety;
        class C
        {
            bool M(Sender<int> shared, int n)
            {
                var {|CSA2002:mine|} = shared.Clone();
                if (n < 0) return false;
                mine.Send(n);
                mine.Dispose();
                return true;
            }
        }
        """);

    [Fact]
    public Task Paths_in_constructors_initializers_switches_and_locks() => Verify.VerifyAnalyzerAsync("""
        using System;
        using ConcurrencySafety;
        class C
        {
            private readonly object _gate = new();
            private readonly Action<Sender<int>, bool> _send = (shared, b) =>
            {
                var {|CSA2002:c|} = shared.Clone();
                if (b) c.Dispose();
            };
            C(Sender<int> shared, int mode)
            {
                var {|CSA2002:c|} = shared.Clone();
                switch (mode)
                {
                    case 0: c.Dispose(); break;
                    case 1: c.Send(1); c.Dispose(); break;
                    default: break;
                }
                var d = shared.Clone();
                switch (mode)
                {
                    case 0: d.Dispose(); break;
                    default: throw new ArgumentOutOfRangeException(nameof(mode));
                }
                var e = shared.Clone();
                lock (_gate)
                {
                    e.Send(mode);
                    e.Dispose();
                }
            }
        }
        """);

    // A documented limit: exceptional paths are not followed, even into a catch that swallows.
    [Fact]
    public Task Dispose_skipped_by_a_swallowed_exception_is_not_reported() => Verify.VerifyAnalyzerAsync("""
        using System;
        using ConcurrencySafety;
        class C
        {
            void M(Sender<int> shared, Action work)
            {
                var c = shared.Clone();
                try
                {
                    work();
                    c.Dispose();
                }
                catch (InvalidOperationException)
                {
                }
            }
        }
        """);

    // Conditions are not evaluated, but a branch on a flag set where the sender is disposed is
    // correlated with that dispose: precision first, the rule stays silent.
    [Fact]
    public Task Flag_guarded_dispose_is_silent() => Verify.VerifyAnalyzerAsync("""
        using ConcurrencySafety;
        class C
        {
            void M(Sender<int> shared, bool x)
            {
                var c = shared.Clone();
                var done = false;
                if (x) { c.Dispose(); done = true; }
                if (!done) c.Dispose();
            }

            void N(Sender<int> shared, int n)
            {
                var c = shared.Clone();
                bool closed = false;
                for (int i = 0; i < n; i++)
                {
                    c.Send(i);
                    if (i == 3) { c.Dispose(); closed = true; break; }
                }
                if (!closed) c.Dispose();
            }
        }
        """);

    // A flag that is not set where the sender is disposed says nothing about the dispose.
    [Fact]
    public Task Branch_on_an_unrelated_flag_still_leaks() => Verify.VerifyAnalyzerAsync("""
        using ConcurrencySafety;
        class C
        {
            void M(Sender<int> shared, int n)
            {
                var {|CSA2002:c|} = shared.Clone();
                bool sent = false;
                if (n > 0) { c.Send(n); sent = true; }
                if (sent) c.Dispose();
            }
        }
        """);

    [Fact]
    public Task Every_normal_path_disposes() => Verify.VerifyAnalyzerAsync("""
        using System;
        using System.Threading.Tasks;
        using ConcurrencySafety;
        class C
        {
            void BothBranches(bool b)
            {
                var (tx, rx) = Chan.Bounded<int>(4);
                if (b) { tx.Send(1); tx.Dispose(); }
                else tx.Dispose();
                rx.Dispose();
            }
            void Finally(int n)
            {
                var (tx, rx) = Chan.Bounded<int>(4);
                try
                {
                    if (n < 0) return;
                    tx.Send(n);
                }
                finally
                {
                    tx.Dispose();
                }
                rx.Dispose();
            }
            void ThrowBeforeDispose(int n)
            {
                var (tx, rx) = Chan.Bounded<int>(4);
                if (n < 0) throw new ArgumentOutOfRangeException(nameof(n));
                tx.Send(n);
                tx.Dispose();
                rx.Dispose();
            }
            void DisposeAfterALoop(int[] items)
            {
                var (tx, rx) = Chan.Unbounded<int>();
                foreach (var item in items)
                {
                    if (item < 0) continue;
                    tx.Send(item);
                }
                tx.Dispose();
                rx.Dispose();
            }
            void UsingStatementAfterAnEarlyCheck(int n)
            {
                var (tx, rx) = Chan.Bounded<int>(4);
                using (tx)
                {
                    if (n < 0) return;
                    tx.Send(n);
                }
                rx.Dispose();
            }
            void ConditionalDispose(bool b)
            {
                var (tx, rx) = Chan.Bounded<int>(4);
                if (b) tx.Send(1);
                tx?.Dispose();
                rx.Dispose();
            }
            void MovedOrDisposed(bool hand)
            {
                var (tx, rx) = Chan.Bounded<int>(4);
                if (hand) Produce(tx);
                else tx.Dispose();
                rx.Dispose();
            }
            void RunsForever(Sender<int> shared)
            {
                var c = shared.Clone();
                if (c.IsDisconnected) { c.Dispose(); return; }
                while (true) c.Send(1);
            }
            Sender<int> ReturnedOnOnePath(bool keep)
            {
                var (tx, rx) = Chan.Bounded<int>(4);
                rx.Dispose();
                if (keep) return tx;
                tx.Dispose();
                return null!;
            }
            async Task DisposedInTheProducer()
            {
                var (tx, rx) = Chan.Bounded<int>(4);
                var producer = Task.Run(() => { using (tx) tx.Send(1); });
                await producer;
                rx.Dispose();
            }
            void ThrowHelperBeforeDispose(int n)
            {
                var (tx, rx) = Chan.Bounded<int>(4);
                if (n < 0)
                {
                    Fail(n);
                    return;
                }
                tx.Send(n);
                tx.Dispose();
                rx.Dispose();
            }
            [System.Diagnostics.CodeAnalysis.DoesNotReturn]
            static void Fail(int n) => throw new ArgumentOutOfRangeException(nameof(n));
            static void Produce([Consumes] Sender<int> tx) { using (tx) tx.Send(1); }
        }
        """);

    [Fact]
    public Task Lambda_and_local_function_bodies_are_checked_on_their_own() => Verify.VerifyAnalyzerAsync("""
        using System.Threading.Tasks;
        using ConcurrencySafety;
        class C
        {
            Task M(Sender<int> shared, bool b)
            {
                void Local()
                {
                    var {|CSA2002:c|} = shared.Clone();
                    if (b) c.Dispose();
                }
                Local();
                return Task.Run(() =>
                {
                    var d = shared.Clone();
                    if (b) { d.Dispose(); return; }
                    d.Send(1);
                    d.Dispose();
                });
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
    public Task Fix_declares_a_clone_disposed_on_some_paths_with_using() => Fix.VerifyCodeFixAsync("""
        using ConcurrencySafety;
        class C
        {
            void M(Sender<int> shared, int n)
            {
                var {|CSA2002:mine|} = shared.Clone();
                if (n < 0) return;
                mine.Send(n);
                mine.Dispose();
            }
        }
        """, """
        using ConcurrencySafety;
        class C
        {
            void M(Sender<int> shared, int n)
            {
                using var mine = shared.Clone();
                if (n < 0) return;
                mine.Send(n);
                mine.Dispose();
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

    // ---- other handles that own a resource: tickers, writers from AsChannelWriter, receivers ----

    [Fact]
    public Task Ticker_never_disposed_or_dropped() => Verify.VerifyAnalyzerAsync("""
        using System;
        using System.Threading.Tasks;
        using ConcurrencySafety;
        class C
        {
            async Task M(Receiver<int> jobs)
            {
                var {|CSA2002:ticker|} = Chan.Tick(TimeSpan.FromSeconds(1));
                var selector = new Selector()
                    .Receive(jobs, (int j) => Console.WriteLine(j), () => { })
                    .Receive(ticker, _ => Console.WriteLine("tick"));
                for (int i = 0; i < 10; i++) await selector.SelectAsync();
                {|CSA2002:Chan.Tick(TimeSpan.FromSeconds(5))|};
            }
        }
        """);

    [Fact]
    public Task Ticker_disposed_on_one_path_only() => Verify.VerifyAnalyzerAsync("""
        using System;
        using ConcurrencySafety;
        class C
        {
            int M(bool quick)
            {
                var {|CSA2002:ticker|} = Chan.Tick(TimeSpan.FromMilliseconds(10));
                if (quick) return 0;
                ticker.Receive();
                ticker.Dispose();
                return 1;
            }
        }
        """);

    [Fact]
    public Task Tickers_released_handed_on_or_read_forever_are_not_reported_but_a_loop_with_a_break_is() => Verify.VerifyAnalyzerAsync("""
        using System;
        using System.Threading.Tasks;
        using ConcurrencySafety;
        class C
        {
            Receiver<DateTimeOffset>? _heartbeat;

            async Task M(Receiver<int> jobs)
            {
                using var ticker = Chan.Tick(TimeSpan.FromSeconds(1));
                var selector = new Selector().Receive(jobs, (int j) => { }, () => { }).Receive(ticker, _ => { });
                for (int i = 0; i < 10; i++) await selector.SelectAsync();

                var second = Chan.Tick(TimeSpan.FromSeconds(1));
                try { second.Receive(); } finally { second.Dispose(); }

                var owned = Chan.Tick(TimeSpan.FromSeconds(1));
                var reader = Task.Run(() => { using (owned) foreach (var t in owned) Console.WriteLine(t); });

                _heartbeat = Chan.Tick(TimeSpan.FromSeconds(30));   // stored: the owner disposes it
                var kept = Chan.Tick(TimeSpan.FromSeconds(30));
                Keep(kept);                                        // passed on: the rule cannot follow
                await reader;
            }

            Receiver<DateTimeOffset> Make() { var t = Chan.Tick(TimeSpan.FromSeconds(1)); return t; }

            void Forever()
            {
                var t = Chan.Tick(TimeSpan.FromSeconds(1));         // the loop never ends: nothing to dispose after it
                while (true) t.Receive();
            }

            void ForeachForever(Action beat)
            {
                var t = Chan.Tick(TimeSpan.FromSeconds(1));         // a ticker never closes: the loop never ends normally
                foreach (var _ in t) beat();
            }

            async Task AwaitForeachUntilCancelled(System.Threading.CancellationToken ct)
            {
                var t = Chan.Tick(TimeSpan.FromSeconds(1));         // ends only by OperationCanceledException
                await foreach (var _ in t.WithCancellation(ct)) { }
            }

            void ForeachWithABreak(Action beat)
            {
                var {|CSA2002:t|} = Chan.Tick(TimeSpan.FromSeconds(1)); // the break leaves the loop: the timer keeps firing
                foreach (var _ in t) { beat(); break; }
            }

            void OneShot()
            {
                var timeout = Chan.After(TimeSpan.FromSeconds(1));  // a one-shot timer ends by itself
                timeout.Receive();
            }

            static void Keep(Receiver<DateTimeOffset> r) => r.Dispose();
        }
        """);

    [Fact]
    public Task Fix_declares_the_ticker_with_using() => Fix.VerifyCodeFixAsync("""
        using System;
        using ConcurrencySafety;
        class C
        {
            void M()
            {
                var {|CSA2002:ticker|} = Chan.Tick(TimeSpan.FromMilliseconds(10));
                for (int i = 0; i < 3; i++) ticker.Receive();
            }
        }
        """, """
        using System;
        using ConcurrencySafety;
        class C
        {
            void M()
            {
                using var ticker = Chan.Tick(TimeSpan.FromMilliseconds(10));
                for (int i = 0; i < 3; i++) ticker.Receive();
            }
        }
        """);

    [Fact]
    public Task Fix_not_offered_for_a_ticker_a_lambda_reads() => Fix.VerifyCodeFixAsync("""
        using System;
        using System.Threading.Tasks;
        using ConcurrencySafety;
        class C
        {
            Task M()
            {
                var {|CSA2002:ticker|} = Chan.Tick(TimeSpan.FromMilliseconds(10));
                return Task.Run(() => { for (int i = 0; i < 3; i++) ticker.Receive(); });
            }
        }
        """, """
        using System;
        using System.Threading.Tasks;
        using ConcurrencySafety;
        class C
        {
            Task M()
            {
                var {|CSA2002:ticker|} = Chan.Tick(TimeSpan.FromMilliseconds(10));
                return Task.Run(() => { for (int i = 0; i < 3; i++) ticker.Receive(); });
            }
        }
        """);

    [Fact]
    public Task Channel_writer_never_completed_or_completed_on_one_path() => Verify.VerifyAnalyzerAsync("""
        using System.Threading.Tasks;
        using ConcurrencySafety;
        class C
        {
            async Task M(Sender<int> tx, bool stop)
            {
                var {|CSA2002:writer|} = tx.AsChannelWriter();
                await writer.WriteAsync(1);

                var {|CSA2002:partly|} = tx.AsChannelWriter();
                await partly.WriteAsync(2);
                if (stop) return;
                partly.Complete();

                {|CSA2002:tx.AsChannelWriter()|};
            }
        }
        """);

    [Fact]
    public Task Channel_writers_completed_or_handed_on_are_not_reported() => Verify.VerifyAnalyzerAsync("""
        using System.Threading.Channels;
        using System.Threading.Tasks;
        using ConcurrencySafety;
        class C
        {
            async Task M(Sender<int> tx)
            {
                var writer = tx.AsChannelWriter();
                try { await writer.WriteAsync(1); }
                finally { writer.Complete(); }

                var second = tx.AsChannelWriter();
                await second.WriteAsync(2);
                second.TryComplete();

                var given = tx.AsChannelWriter();
                await ProduceAsync(given);                       // the callee completes it
            }

            ChannelWriter<int> Make(Sender<int> tx) => tx.AsChannelWriter();

            static async Task ProduceAsync(ChannelWriter<int> w) { await w.WriteAsync(3); w.Complete(); }
        }
        """);

    [Fact]
    public Task Receiver_that_stops_early_while_a_producer_sends() => Verify.VerifyAnalyzerAsync("""
        using System.Threading.Tasks;
        using ConcurrencySafety;
        class C
        {
            async Task<int> FirstNegativeAsync(int[] values)
            {
                var (tx, {|CSA2002:rx|}) = Chan.Bounded<int>(4);
                var producer = Task.Run(async () =>
                {
                    using (tx)
                        foreach (var v in values) await tx.SendAsync(v);
                });
                await foreach (var x in rx)
                {
                    if (x < 0) return x;          // the producer blocks in SendAsync forever
                }
                await producer;
                return 0;
            }

            void Clone(int[] values)
            {
                var (tx, rx) = Chan.Rendezvous<int>();
                var {|CSA2002:mine|} = rx.Clone();
                rx.Dispose();
                var producer = Task.Run(() => { using (tx) for (int i = 0; i < values.Length; i++) tx.Send(values[i]); });
                foreach (var x in mine)
                {
                    if (x == 0) break;
                }
            }
        }
        """);

    [Fact]
    public Task Receivers_that_cannot_strand_a_producer_are_not_reported() => Verify.VerifyAnalyzerAsync("""
        using System.Threading;
        using System.Threading.Tasks;
        using ConcurrencySafety;
        class C
        {
            // Read to the end: the channel is closed, nothing is left to release.
            async Task Drained()
            {
                var (tx, rx) = Chan.Bounded<int>(4);
                var producer = Task.Run(() => { using (tx) for (int i = 0; i < 10; i++) tx.Send(i); });
                foreach (var x in rx) { }
                await producer;
            }

            // Disposed when reading stops: the producer's next send fails.
            async Task Disposed()
            {
                var (tx, rx) = Chan.Bounded<int>(4);
                var producer = Task.Run(() => { using (tx) for (int i = 0; i < 10; i++) tx.TrySend(i, Timeout.InfiniteTimeSpan); });
                using (rx)
                    foreach (var x in rx) if (x == 3) break;
                await producer;
            }

            // Unbounded: a send never waits, so the producer finishes anyway.
            void Unbounded()
            {
                var (tx, rx) = Chan.Unbounded<int>();
                Task.Run(() => { using (tx) for (int i = 0; i < 10; i++) tx.Send(i); }).Wait();
                foreach (var x in rx) if (x == 3) break;
            }

            // The producer's sends take a token: cancelling it is the producer's way out.
            void Cancellable(CancellationTokenSource cts)
            {
                var (tx, rx) = Chan.Bounded<int>(4);
                var producer = Task.Run(async () => { using (tx) for (int i = 0; i < 10; i++) await tx.SendAsync(i, cts.Token); });
                foreach (var x in rx) if (x == 3) { cts.Cancel(); break; }
            }

            // One send, no loop: it completed before the reader could stop.
            void Single()
            {
                var (tx, rx) = Chan.Rendezvous<int>();
                var producer = Task.Run(() => { using (tx) tx.Send(42); });
                foreach (var x in rx) if (x == 42) break;
            }

            // The break leaves an inner loop only; the receiver escapes to a method.
            void Inner(int[] values)
            {
                var (tx, rx) = Chan.Bounded<int>(4);
                var producer = Task.Run(() => { using (tx) foreach (var v in values) tx.Send(v); });
                foreach (var x in rx)
                    for (int i = 0; i < x; i++) if (i == 2) break;

                var (tx2, rx2) = Chan.Bounded<int>(4);
                var producer2 = Task.Run(() => { using (tx2) foreach (var v in values) tx2.Send(v); });
                foreach (var x in rx2) if (x == 2) break;
                Hand(rx2);
            }

            static void Hand(Receiver<int> rx) => rx.Dispose();
        }
        """);

    // The select API borrows: a handle given to an arm is still the caller's to dispose.
    [Fact]
    public Task Handles_given_to_select_arms_are_still_owned() => Verify.VerifyAnalyzerAsync("""
        using System;
        using ConcurrencySafety;
        class C
        {
            void Dynamic(Sender<int> shared, Receiver<int> input)
            {
                var {|CSA2002:mine|} = shared.Clone();
                var set = new SelectSet();
                set.AddSend(mine, 1);
                set.AddReceive(input);
                var op = set.Select();
                if (op.Index == 1) op.Receive(input);
            }

            void Fixed(Sender<int> shared, Receiver<int> input)
            {
                using var mine = shared.Clone();
                var set = new SelectSet();
                set.AddSend(mine, 1);
                set.AddReceive(input);
                var op = set.Select();
                if (op.Index == 0) op.Send(mine);
                else op.Receive(input);
            }

            void ViaSelector(Sender<int> shared)
            {
                var {|CSA2002:mine|} = shared.Clone();
                new Selector().Send(mine, 2).Select();
            }
        }
        """);
}
