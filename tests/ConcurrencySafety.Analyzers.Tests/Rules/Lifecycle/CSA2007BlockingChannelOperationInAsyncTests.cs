using Verify = ConcurrencySafety.Analyzers.Tests.Verifiers.CSharpAnalyzerVerifier<ConcurrencySafety.Analyzers.Rules.CSA2007BlockingChannelOperationInAsyncAnalyzer>;
using Fix = ConcurrencySafety.Analyzers.Tests.Verifiers.CSharpCodeFixVerifier<ConcurrencySafety.Analyzers.Rules.CSA2007BlockingChannelOperationInAsyncAnalyzer, ConcurrencySafety.CodeFixes.CSA2007BlockingChannelOperationInAsyncCodeFix>;

namespace ConcurrencySafety.Analyzers.Tests.Rules.Lifecycle;

public class CSA2007BlockingChannelOperationInAsyncTests
{
    [Fact]
    public Task Blocking_operations_in_async_functions() => Verify.VerifyAnalyzerAsync("""
        using System;
        using System.Threading.Tasks;
        using ConcurrencySafety;
        class C
        {
            async Task M(Sender<int> tx, Receiver<int> rx, Selector selector)
            {
                {|CSA2007:tx.Send(1)|};
                var v = {|CSA2007:rx.Receive()|};
                var r = {|CSA2007:rx.TryReceive(TimeSpan.FromSeconds(1))|};
                {|CSA2007:selector.Select()|};
                {|CSA2007:foreach|} (var x in rx) { }
                await Task.Run(async () => { {|CSA2007:tx.Send(2)|}; await Task.Yield(); });
            }
        }
        """);

    // ---- must stay silent ----

    [Fact]
    public Task Sync_functions_try_forms_and_async_forms_are_silent() => Verify.VerifyAnalyzerAsync("""
        using System.Threading.Tasks;
        using ConcurrencySafety;
        class C
        {
            private readonly object _gate = new();
            void Sync(Sender<int> tx, Receiver<int> rx)
            {
                tx.Send(1);
                foreach (var x in rx) { }
            }
            async Task M(Sender<int> tx, Receiver<int> rx)
            {
                await tx.SendAsync(1);
                var v = await rx.ReceiveAsync();
                tx.TrySend(2);
                rx.TryReceive(out var y);
                var r = rx.TryReceive();
                await foreach (var x in rx) { }
                await Task.Run(() => tx.Send(3));
                lock (_gate) { tx.TrySend(4); }
                var t = new System.Threading.Thread(() => tx.Send(5));
            }
        }
        """);

    // Issue 15: a send to an unbounded channel never waits, so it is not blocking, also
    // through a clone and inside an async lambda. Receives on it still block.
    [Fact]
    public Task Send_to_an_unbounded_channel_is_silent() => Verify.VerifyAnalyzerAsync("""
        using System;
        using System.Threading.Tasks;
        using ConcurrencySafety;
        class C
        {
            async Task M()
            {
                var (tx, rx) = Chan.Unbounded<int>();
                tx.Send(1);
                tx.TrySend(2, TimeSpan.FromSeconds(1));
                using var clone = tx.Clone();
                clone.Send(3);
                await Task.Run(async () => { clone.Send(4); await Task.Yield(); });
                tx.Dispose();
                var first = {|CSA2007:rx.Receive()|};
            }
        }
        """);

    // The channel is known only when the method created it; a sender parameter, a bounded
    // channel or a sender local reassigned from elsewhere may wait.
    [Fact]
    public Task Send_to_a_channel_not_known_to_be_unbounded_is_reported() => Verify.VerifyAnalyzerAsync("""
        using System.Threading.Tasks;
        using ConcurrencySafety;
        class C
        {
            async Task M(Sender<int> other)
            {
                var (tx, rx) = Chan.Bounded<int>(1);
                {|CSA2007:tx.Send(1)|};
                var (utx, urx) = Chan.Unbounded<int>();
                utx = other;
                {|CSA2007:utx.Send(2)|};
                await Task.Yield();
            }
        }
        """);

    // ---- code fix ----

    [Fact]
    public Task Fix_awaits_the_async_form() => Fix.VerifyCodeFixAsync("""
        using System.Threading.Tasks;
        using ConcurrencySafety;
        class C
        {
            async Task<string> M(Sender<int> tx, Receiver<int> rx)
            {
                {|CSA2007:tx.Send(1)|};
                var s = {|CSA2007:rx.Receive()|}.ToString();
                {|CSA2007:foreach|} (var x in rx) { }
                return s;
            }
        }
        """, """
        using System.Threading.Tasks;
        using ConcurrencySafety;
        class C
        {
            async Task<string> M(Sender<int> tx, Receiver<int> rx)
            {
                await tx.SendAsync(1);
                var s = (await rx.ReceiveAsync()).ToString();
                await foreach (var x in rx) { }
                return s;
            }
        }
        """);

    // await tx?.SendAsync(1) would await null when tx is null: no mechanical fix.
    [Fact]
    public Task Fix_not_offered_for_conditional_access() => Fix.VerifyCodeFixAsync("""
        using System.Threading.Tasks;
        using ConcurrencySafety;
        class C
        {
            async Task M(Sender<int>? tx)
            {
                tx?{|CSA2007:.Send(1)|};
                await Task.Yield();
            }
        }
        """, """
        using System.Threading.Tasks;
        using ConcurrencySafety;
        class C
        {
            async Task M(Sender<int>? tx)
            {
                tx?{|CSA2007:.Send(1)|};
                await Task.Yield();
            }
        }
        """);
}
