using Verify = ConcurrencySafety.Analyzers.Tests.Verifiers.CSharpAnalyzerVerifier<ConcurrencySafety.Analyzers.Rules.CSA2008ChannelWriterNeverCompletedAnalyzer>;

namespace ConcurrencySafety.Analyzers.Tests.Rules.Lifecycle;

/// <summary>Issue 15: a BCL writer completed on the happy path only (an exception in the producer skips the completion).</summary>
public class CSA2008CompletedOnHappyPathTests
{
    [Fact]
    public Task Producer_completes_after_work_that_can_throw() => Verify.VerifyAnalyzerAsync("""
        using System.Threading.Channels;
        using System.Threading.Tasks;
        class C
        {
            static Task<int> FetchAsync(int i) => Task.FromResult(i);
            async Task<int> M()
            {
                var ch = Channel.CreateBounded<int>(8);
                var producer = Task.Run(async () =>
                {
                    for (int i = 0; i < 10; i++) await ch.Writer.WriteAsync(await FetchAsync(i));
                    ch.Writer.Complete();
                });
                int sum = 0;
                await foreach (var x in {|CSA2008:ch.Reader.ReadAllAsync()|}) sum += x;
                await producer;
                return sum;
            }
        }
        """);

    // ---- must stay silent ----

    // The valid twin: writers completed in finally.
    [Fact]
    public Task Completed_in_finally_or_catch_or_nothing_can_throw_is_silent() => Verify.VerifyAnalyzerAsync("""
        using System;
        using System.Threading.Channels;
        using System.Threading.Tasks;
        class C
        {
            static Task<int> FetchAsync(int i) => Task.FromResult(i);
            async Task<int> M()
            {
                var ch = Channel.CreateBounded<int>(8);
                var producer = Task.Run(async () =>
                {
                    try
                    {
                        for (int i = 0; i < 10; i++) await ch.Writer.WriteAsync(await FetchAsync(i));
                    }
                    finally
                    {
                        ch.Writer.Complete();
                    }
                });
                var ch2 = Channel.CreateBounded<int>(8);
                var second = Task.Run(async () =>
                {
                    try
                    {
                        for (int i = 0; i < 10; i++) await ch2.Writer.WriteAsync(await FetchAsync(i));
                    }
                    catch (Exception ex)
                    {
                        ch2.Writer.Complete(ex);
                        return;
                    }
                    ch2.Writer.Complete();
                });
                var ch3 = Channel.CreateBounded<int>(8);
                var plain = Task.Run(async () =>
                {
                    for (int i = 0; i < 10; i++) await ch3.Writer.WriteAsync(i);
                    ch3.Writer.Complete();
                });
                int sum = 0;
                await foreach (var x in ch.Reader.ReadAllAsync()) sum += x;
                await foreach (var x in ch2.Reader.ReadAllAsync()) sum += x;
                await foreach (var x in ch3.Reader.ReadAllAsync()) sum += x;
                await Task.WhenAll(producer, second, plain);
                return sum;
            }
        }
        """);
}
