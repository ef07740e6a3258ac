using Verify = ConcurrencySafety.Analyzers.Tests.Verifiers.CSharpAnalyzerVerifier<ConcurrencySafety.Analyzers.Rules.CSA2008ChannelWriterNeverCompletedAnalyzer>;

namespace ConcurrencySafety.Analyzers.Tests.Rules.Lifecycle;

public class CSA2008ChannelWriterNeverCompletedTests
{
    [Fact]
    public Task Read_to_the_end_without_complete() => Verify.VerifyAnalyzerAsync("""
        using System.Threading.Channels;
        using System.Threading.Tasks;
        class C
        {
            async Task<int> M()
            {
                var ch = Channel.CreateBounded<int>(8);
                var producer = Task.Run(async () => { for (int i = 0; i < 10; i++) await ch.Writer.WriteAsync(i); });
                int sum = 0;
                await foreach (var x in {|CSA2008:ch.Reader.ReadAllAsync()|}) sum += x;
                while (await {|CSA2008:ch.Reader.WaitToReadAsync()|})
                    while (ch.Reader.TryRead(out var y)) sum += y;
                await producer;
                return sum;
            }
        }
        """);

    [Fact]
    public Task Through_writer_and_reader_locals() => Verify.VerifyAnalyzerAsync("""
        using System.Threading.Channels;
        using System.Threading.Tasks;
        class C
        {
            async Task M()
            {
                var ch = Channel.CreateUnbounded<int>();
                var writer = ch.Writer;
                var reader = ch.Reader;
                var producer = Task.Run(async () => await writer.WriteAsync(1));
                await foreach (var x in {|CSA2008:reader.ReadAllAsync()|}) { }
                await producer;
            }
        }
        """);

    // ---- must stay silent ----

    [Fact]
    public Task Writer_local_completed_is_silent() => Verify.VerifyAnalyzerAsync("""
        using System.Threading.Channels;
        using System.Threading.Tasks;
        class C
        {
            async Task M()
            {
                var ch = Channel.CreateUnbounded<int>();
                var writer = ch.Writer;
                var producer = Task.Run(async () => { await writer.WriteAsync(1); writer.Complete(); });
                await foreach (var x in ch.Reader.ReadAllAsync()) { }
                await producer;
            }
        }
        """);

    [Fact]
    public Task Completed_writer_is_silent() => Verify.VerifyAnalyzerAsync("""
        using System.Threading.Channels;
        using System.Threading.Tasks;
        class C
        {
            async Task<int> M()
            {
                var ch = Channel.CreateBounded<int>(8);
                var producer = Task.Run(async () =>
                {
                    try { for (int i = 0; i < 10; i++) await ch.Writer.WriteAsync(i); }
                    finally { ch.Writer.Complete(); }
                });
                int sum = 0;
                await foreach (var x in ch.Reader.ReadAllAsync()) sum += x;
                await producer;
                return sum;
            }
        }
        """);

    [Fact]
    public Task Writer_handed_elsewhere_or_loop_that_stops_is_silent() => Verify.VerifyAnalyzerAsync("""
        using System.Threading.Channels;
        using System.Threading.Tasks;
        class C
        {
            async Task M()
            {
                var ch = Channel.CreateUnbounded<int>();
                Produce(ch.Writer);
                await foreach (var x in ch.Reader.ReadAllAsync()) { }

                var ch2 = Channel.CreateUnbounded<int>();
                var writer = ch2.Writer;
                Produce(writer);
                await foreach (var x in ch2.Reader.ReadAllAsync()) { }

                var ch3 = Channel.CreateUnbounded<int>();
                await foreach (var x in ch3.Reader.ReadAllAsync()) { if (x == 0) break; }

                var ch4 = Channel.CreateUnbounded<int>();
                Start(ch4);
                await foreach (var x in ch4.Reader.ReadAllAsync()) { }

                var ch5 = Channel.CreateUnbounded<int>();
                await ch5.Writer.WriteAsync(1);
                ch5.Writer.TryComplete();
                while (await ch5.Reader.WaitToReadAsync()) { ch5.Reader.TryRead(out _); }
            }
            static void Produce(ChannelWriter<int> w) => w.Complete();
            static void Start(Channel<int> c) => c.Writer.Complete();
        }
        """);
}
