using Verify = ConcurrencySafety.Analyzers.Tests.Verifiers.CSharpAnalyzerVerifier<ConcurrencySafety.Analyzers.Rules.CSA2006UnboundedChannelAnalyzer>;
using Fix = ConcurrencySafety.Analyzers.Tests.Verifiers.CSharpCodeFixVerifier<ConcurrencySafety.Analyzers.Rules.CSA2006UnboundedChannelAnalyzer, ConcurrencySafety.CodeFixes.CSA2006UnboundedChannelCodeFix>;

namespace ConcurrencySafety.Analyzers.Tests.Rules.Lifecycle;

public class CSA2006UnboundedChannelTests
{
    [Fact]
    public Task Ours_and_the_BCL_unbounded_channels() => Verify.VerifyAnalyzerAsync("""
        using System.Threading.Channels;
        using ConcurrencySafety;
        class C
        {
            void M()
            {
                var (tx, rx) = {|CSA2006:Chan.Unbounded<int>()|};
                var ch = {|CSA2006:Channel.CreateUnbounded<string>()|};
                var ch2 = {|CSA2006:Channel.CreateUnbounded<string>(new UnboundedChannelOptions { SingleReader = true })|};
                tx.Dispose(); rx.Dispose();
            }
        }
        """);

    // ---- must stay silent ----

    [Fact]
    public Task Bounded_and_rendezvous_channels_are_silent() => Verify.VerifyAnalyzerAsync("""
        using System.Threading.Channels;
        using ConcurrencySafety;
        class C
        {
            void M()
            {
                var (tx, rx) = Chan.Bounded<int>(16);
                var (tx2, rx2) = Chan.Rendezvous<int>();
                var ch = Channel.CreateBounded<string>(16);
                var ch2 = Channel.CreateBounded<string>(new BoundedChannelOptions(8) { FullMode = BoundedChannelFullMode.Wait });
            }
        }
        """);

    // ---- code fix ----

    [Fact]
    public Task Fix_switches_to_a_bounded_channel() => Fix.VerifyCodeFixAsync("""
        using System.Threading.Channels;
        using ConcurrencySafety;
        class C
        {
            void M()
            {
                var (tx, rx) = {|CSA2006:Chan.Unbounded<int>()|};
                var ch = {|CSA2006:Channel.CreateUnbounded<string>()|};
            }
        }
        """, """
        using System.Threading.Channels;
        using ConcurrencySafety;
        class C
        {
            void M()
            {
                var (tx, rx) = Chan.Bounded<int>(capacity: 64);
                var ch = Channel.CreateBounded<string>(capacity: 64);
            }
        }
        """);

    [Fact]
    public Task Fix_keeps_our_channel_options() => Fix.VerifyCodeFixAsync("""
        using ConcurrencySafety;
        class C
        {
            void M(ChanOptions options)
            {
                var (tx, rx) = {|CSA2006:Chan.Unbounded<int>(options)|};
                var (tx2, rx2) = {|CSA2006:Chan.Unbounded<int>(new ChanOptions { AllowSynchronousContinuations = true })|};
            }
        }
        """, """
        using ConcurrencySafety;
        class C
        {
            void M(ChanOptions options)
            {
                var (tx, rx) = Chan.Bounded<int>(capacity: 64, options);
                var (tx2, rx2) = Chan.Bounded<int>(capacity: 64, new ChanOptions { AllowSynchronousContinuations = true });
            }
        }
        """);

    [Fact]
    public Task Fix_not_offered_when_options_are_passed() => Fix.VerifyCodeFixAsync("""
        using System.Threading.Channels;
        class C
        {
            void M()
            {
                var ch = {|CSA2006:Channel.CreateUnbounded<string>(new UnboundedChannelOptions { SingleReader = true })|};
            }
        }
        """, """
        using System.Threading.Channels;
        class C
        {
            void M()
            {
                var ch = {|CSA2006:Channel.CreateUnbounded<string>(new UnboundedChannelOptions { SingleReader = true })|};
            }
        }
        """);
}
