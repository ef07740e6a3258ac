// Single-operation costs of the channel and select primitives, with allocations per operation
// (MemoryDiagnoser), next to System.Threading.Channels doing the same thing.
// Run: dotnet run -c Release --project bench/ChannelMicroBench -- --filter '*'
using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Running;
using ConcurrencySafety;
using Bcl = System.Threading.Channels;

BenchmarkSwitcher.FromAssembly(typeof(SingleOperationBenchmarks).Assembly).Run(args);

/// <summary>Operations that complete without waiting: the steady-state fast path.</summary>
[MemoryDiagnoser]
[ShortRunJob]
public class SingleOperationBenchmarks
{
    private Sender<long> _tx = null!;
    private Receiver<long> _rx = null!;
    private Sender<long> _utx = null!;
    private Receiver<long> _urx = null!;
    private Bcl.Channel<long> _bcl = null!;
    private Bcl.Channel<long> _bclUnbounded = null!;
    private Selector _selector = null!;
    private Sender<long> _stx = null!;

    [GlobalSetup]
    public void Setup()
    {
        (_tx, _rx) = Chan.Bounded<long>(1024);
        (_utx, _urx) = Chan.Unbounded<long>();
        _bcl = Bcl.Channel.CreateBounded<long>(1024);
        _bclUnbounded = Bcl.Channel.CreateUnbounded<long>();
        var (stx, srx) = Chan.Bounded<long>(1024);
        _stx = stx;
        var (otherTx, other) = Chan.Bounded<long>(1024);
        GC.KeepAlive(otherTx);
        _selector = new Selector().Receive(srx, static _ => { }).Receive(other, static _ => { });
    }

    [Benchmark(Description = "ours bounded TrySend+TryReceive")]
    public bool OursBoundedTry()
    {
        _tx.TrySend(1);
        return _rx.TryReceive(out _);
    }

    [Benchmark(Baseline = true, Description = "bcl bounded TryWrite+TryRead")]
    public bool BclBoundedTry()
    {
        _bcl.Writer.TryWrite(1);
        return _bcl.Reader.TryRead(out _);
    }

    [Benchmark(Description = "ours unbounded TrySend+TryReceive")]
    public bool OursUnboundedTry()
    {
        _utx.TrySend(1);
        return _urx.TryReceive(out _);
    }

    [Benchmark(Description = "bcl unbounded TryWrite+TryRead")]
    public bool BclUnboundedTry()
    {
        _bclUnbounded.Writer.TryWrite(1);
        return _bclUnbounded.Reader.TryRead(out _);
    }

    [Benchmark(Description = "ours bounded SendAsync+ReceiveAsync (no wait)")]
    public async Task<long> OursAsyncNoWait()
    {
        await _tx.SendAsync(1);
        return await _rx.ReceiveAsync();
    }

    [Benchmark(Description = "bcl bounded WriteAsync+ReadAsync (no wait)")]
    public async Task<long> BclAsyncNoWait()
    {
        await _bcl.Writer.WriteAsync(1);
        return await _bcl.Reader.ReadAsync();
    }

    [Benchmark(Description = "ours Send + Selector.Select over 2 arms (ready)")]
    public int OursSelectReady()
    {
        _stx.TrySend(1);
        return _selector.Select();
    }
}

/// <summary>Operations that must wait: a ping-pong between two tasks, so every receive parks.</summary>
[MemoryDiagnoser]
[ShortRunJob]
public class WaitingPathBenchmarks
{
    private const int RoundTrips = 1000;

    [Benchmark(Description = "ours rendezvous async ping-pong x1000")]
    public async Task OursPingPong()
    {
        var (pingTx, ping) = Chan.Rendezvous<long>();
        var (pongTx, pong) = Chan.Rendezvous<long>();
        var echo = Task.Run(async () =>
        {
            for (int i = 0; i < RoundTrips; i++) await pongTx.SendAsync(await ping.ReceiveAsync());
        });
        for (int i = 0; i < RoundTrips; i++)
        {
            await pingTx.SendAsync(i);
            await pong.ReceiveAsync();
        }

        await echo;
    }

    [Benchmark(Baseline = true, Description = "bcl bounded(1) async ping-pong x1000")]
    public async Task BclPingPong()
    {
        var ping = Bcl.Channel.CreateBounded<long>(1);
        var pong = Bcl.Channel.CreateBounded<long>(1);
        var echo = Task.Run(async () =>
        {
            for (int i = 0; i < RoundTrips; i++) await pong.Writer.WriteAsync(await ping.Reader.ReadAsync());
        });
        for (int i = 0; i < RoundTrips; i++)
        {
            await ping.Writer.WriteAsync(i);
            await pong.Reader.ReadAsync();
        }

        await echo;
    }
}
