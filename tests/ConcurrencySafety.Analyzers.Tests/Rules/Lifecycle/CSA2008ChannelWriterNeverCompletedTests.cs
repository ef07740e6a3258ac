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

    [Fact]
    public Task Common_read_to_end_shapes_without_complete() => Verify.VerifyAnalyzerAsync("""
        using System;
        using System.Collections.Generic;
        using System.Threading;
        using System.Threading.Channels;
        using System.Threading.Tasks;
        class C
        {
            async Task<int> M(CancellationToken ct)
            {
                var ch = Channel.CreateBounded<int>(new BoundedChannelOptions(8) { SingleReader = true });
                var writer = ch.Writer;
                var reader = ch.Reader;
                var producer = Task.Run(async () =>
                {
                    for (var i = 0; i < 10; i++) await writer.WriteAsync(i, ct).ConfigureAwait(false);
                });
                var sum = 0;
                while (await {|CSA2008:reader.WaitToReadAsync(ct)|}.ConfigureAwait(false))
                {
                    while (reader.TryRead(out var x)) sum += x;
                    Console.WriteLine(reader.Count);
                }
                await producer;
                return sum;
            }
            async Task N()
            {
                Channel<string> ch = Channel.CreateUnbounded<string>();
                var consumer = Task.Run(async () =>
                {
                    await foreach (var line in {|CSA2008:ch.Reader.ReadAllAsync()|}.ConfigureAwait(false)) Console.WriteLine(line);
                });
                await ch.Writer.WriteAsync("a");
                ch.Writer.TryWrite("b");
                await consumer;
                await foreach (var line in {|CSA2008:ch.Reader.ReadAllAsync()|}.WithCancellation(CancellationToken.None)) Console.WriteLine(line);
            }
            async Task O()
            {
                var ch = Channel.CreateUnbounded<int>();
                ch.Writer.TryWrite(1);
                await {|CSA2008:ch.Reader.Completion|};
            }
            void P()
            {
                var ch = Channel.CreateBounded<int>(4);
                var producer = Task.Run(() => ch.Writer.TryWrite(1));
                foreach (var x in {|CSA2008:ch.Reader.ReadAllAsync()|}.ToBlockingEnumerable()) Console.WriteLine(x);
                producer.Wait();
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

    [Fact]
    public Task Common_shapes_with_complete_or_escape_are_silent() => Verify.VerifyAnalyzerAsync("""
        using System;
        using System.Collections.Generic;
        using System.Linq;
        using System.Threading;
        using System.Threading.Channels;
        using System.Threading.Tasks;
        class C
        {
            private ChannelWriter<int>? _writer;
            async Task<int> FanIn(CancellationToken ct)
            {
                var ch = Channel.CreateBounded<int>(8);
                var writer = ch.Writer;
                var producers = Enumerable.Range(0, 3).Select(i => Task.Run(async () => await writer.WriteAsync(i, ct))).ToArray();
                var completer = Task.WhenAll(producers).ContinueWith(t => writer.TryComplete(t.Exception), TaskScheduler.Default);
                var sum = 0;
                await foreach (var x in ch.Reader.ReadAllAsync(ct)) sum += x;
                await completer;
                return sum;
            }
            async Task Completion()
            {
                var ch = Channel.CreateUnbounded<int>();
                ch.Writer.TryWrite(1);
                ch.Writer.Complete();
                await ch.Reader.Completion.ConfigureAwait(false);
                var ch2 = Channel.CreateUnbounded<int>();
                var all = Task.WhenAll(ch2.Reader.Completion, Task.Delay(1));
                await Task.WhenAny(all, Task.Delay(10));
            }
            async Task Escapes()
            {
                var stored = Channel.CreateUnbounded<int>();
                _writer = stored.Writer;
                await foreach (var x in stored.Reader.ReadAllAsync()) { }

                var passed = Channel.CreateUnbounded<int>();
                var reader = passed.Reader;
                var producer = ProduceAsync(passed.Writer);
                while (await reader.WaitToReadAsync().ConfigureAwait(false))
                    while (reader.TryRead(out _)) { }
                await producer;

                var aliased = Channel.CreateUnbounded<int>();
                var w = aliased.Writer;
                var w2 = w;
                w2.Complete();
                await foreach (var x in aliased.Reader.ReadAllAsync()) { }
            }
            Channel<int> Returned()
            {
                var ch = Channel.CreateUnbounded<int>();
                _ = Task.Run(async () => { await foreach (var x in ch.Reader.ReadAllAsync()) { } });
                return ch;
            }
            async Task Bounded(CancellationToken ct)
            {
                var ch = Channel.CreateBounded<int>(1);
                while (!ct.IsCancellationRequested && await ch.Reader.WaitToReadAsync(ct)) { ch.Reader.TryRead(out _); }
            }
            static async Task ProduceAsync(ChannelWriter<int> w)
            {
                try { await w.WriteAsync(1); }
                finally { w.Complete(); }
            }
        }
        """);
}
