namespace ConcurrencySafety.Tests.Channels;

/// <summary>
/// Many producers and consumers, mixing blocking and async endpoints with random timeouts and
/// cancellations, on every flavour. Every value must arrive exactly once.
/// </summary>
public class ChannelStressTests
{
    // 0: the zero flavour; 1, 64, 1000: the array flavour (1000 also grows its ring from 64
    // slots while the test runs); null: the list flavour.
    public static TheoryData<int?> Flavours => new() { 0, 1, 64, 1000, null };

    private const int Messages = 1_000_000;
    private const int Producers = 4;
    private const int Consumers = 4;

    public static TheoryData<int?, bool> FlavoursAndContinuations => new()
    {
        { 0, false }, { 1, false }, { 64, false }, { 1000, false }, { null, false },
        { 0, true }, { 1, true }, { 64, true }, { 1000, true }, { null, true },
    };

    [Theory]
    [MemberData(nameof(FlavoursAndContinuations))]
    public async Task Four_by_four_with_random_timeouts_and_cancellations_lose_and_duplicate_nothing(int? capacity, bool synchronousContinuations)
    {
        var options = new ChanOptions { AllowSynchronousContinuations = synchronousContinuations };
        var (tx, rx) = capacity is int c ? Chan.Bounded<int>(c, options) : Chan.Unbounded<int>(options);
        var seen = new int[Messages];
        long sum = 0;

        var producers = new Task[Producers];
        for (int p = 0; p < Producers; p++)
        {
            var mine = tx.Clone();
            int first = p * (Messages / Producers);
            int seed = 17 + p;
            producers[p] = p % 2 == 0
                ? Task.Factory.StartNew(() => ProduceSync(mine, first, Messages / Producers, seed), TaskCreationOptions.LongRunning)
                : Task.Run(() => ProduceAsync(mine, first, Messages / Producers, seed));
        }

        tx.Dispose();

        var consumers = new Task[Consumers];
        for (int k = 0; k < Consumers; k++)
        {
            var mine = k == 0 ? rx : rx.Clone();
            int seed = 101 + k;
            consumers[k] = k % 2 == 0
                ? Task.Factory.StartNew(() => ConsumeSync(mine, seen, ref sum, seed), TaskCreationOptions.LongRunning)
                : Task.Run(() => ConsumeAsync(mine, seen, seed, s => Interlocked.Add(ref sum, s)));
        }

        await Task.WhenAll(producers).WaitAsync(TimeSpan.FromMinutes(3));
        await Task.WhenAll(consumers).WaitAsync(TimeSpan.FromMinutes(3));

        Assert.All(seen, count => Assert.Equal(1, count));
        Assert.Equal((long)Messages * (Messages - 1) / 2, Interlocked.Read(ref sum));
    }

    [Theory]
    [MemberData(nameof(Flavours))]
    public async Task Senders_disposed_mid_stream_let_receivers_end_cleanly(int? capacity)
    {
        var (tx, rx) = capacity is int c ? Chan.Bounded<int>(c) : Chan.Unbounded<int>();
        int[] perProducer = [10, 1_000, 20_000];
        var producers = perProducer.Select((count, p) =>
        {
            var mine = tx.Clone();
            return Task.Run(async () =>
            {
                using (mine)
                {
                    for (int i = 0; i < count; i++) await mine.SendAsync(i);
                }
            });
        }).ToArray();
        tx.Dispose();

        var rx2 = rx.Clone();
        var counts = await Task.WhenAll(
            Task.Run(() => rx.Count()),
            Task.Run(async () => { int n = 0; await foreach (var _ in rx2) n++; return n; }))
            .WaitAsync(TimeSpan.FromMinutes(2));
        await Task.WhenAll(producers);
        Assert.Equal(perProducer.Sum(), counts.Sum());
    }

    private static void ProduceSync(Sender<int> tx, int first, int count, int seed)
    {
        var random = new Random(seed);
        using (tx)
        {
            for (int i = first; i < first + count; i++)
            {
                while (true)
                {
                    int mode = random.Next(64);
                    if (mode == 0)
                    {
                        // A short timeout: on Timeout the item comes back and is sent again.
                        var r = tx.TrySend(i, TimeSpan.FromMilliseconds(random.Next(2)));
                        if (r.IsSent) break;
                        Assert.Equal(SendStatus.Timeout, r.Status);
                        Assert.Equal(i, r.UnsentItem);
                    }
                    else if (mode == 1)
                    {
                        using var cts = new CancellationTokenSource();
                        cts.CancelAfter(random.Next(2));
                        try
                        {
                            tx.Send(i, cts.Token);
                            break;
                        }
                        catch (OperationCanceledException)
                        {
                            // not sent: try again
                        }
                    }
                    else
                    {
                        tx.Send(i);
                        break;
                    }
                }
            }
        }
    }

    private static async Task ProduceAsync(Sender<int> tx, int first, int count, int seed)
    {
        var random = new Random(seed);
        using (tx)
        {
            for (int i = first; i < first + count; i++)
            {
                while (true)
                {
                    int mode = random.Next(64);
                    if (mode == 0)
                    {
                        var r = await tx.TrySendAsync(i, TimeSpan.FromMilliseconds(random.Next(2)));
                        if (r.IsSent) break;
                        Assert.Equal(i, r.UnsentItem);
                    }
                    else if (mode == 1)
                    {
                        using var cts = new CancellationTokenSource();
                        cts.CancelAfter(random.Next(2));
                        try
                        {
                            await tx.SendAsync(i, cts.Token);
                            break;
                        }
                        catch (OperationCanceledException)
                        {
                        }
                    }
                    else
                    {
                        await tx.SendAsync(i);
                        break;
                    }
                }
            }
        }
    }

    private static void ConsumeSync(Receiver<int> rx, int[] seen, ref long sum, int seed)
    {
        var random = new Random(seed);
        using (rx)
        {
            while (true)
            {
                int mode = random.Next(64);
                ReceiveResult<int> r;
                if (mode == 0)
                {
                    r = rx.TryReceive(TimeSpan.FromMilliseconds(random.Next(2)));
                    if (r.Status == ReceiveStatus.Timeout) continue;
                }
                else if (mode == 1)
                {
                    using var cts = new CancellationTokenSource();
                    cts.CancelAfter(random.Next(2));
                    try
                    {
                        r = new ReceiveResult<int>(ReceiveStatus.Received, rx.Receive(cts.Token));
                    }
                    catch (OperationCanceledException)
                    {
                        continue;
                    }
                    catch (ChannelDisconnectedException)
                    {
                        return;
                    }
                }
                else
                {
                    r = rx.TryReceive(Timeout.InfiniteTimeSpan);
                }

                if (r.IsDisconnected) return;
                Interlocked.Increment(ref seen[r.Value]);
                Interlocked.Add(ref sum, r.Value);
            }
        }
    }

    private static async Task ConsumeAsync(Receiver<int> rx, int[] seen, int seed, Action<long> add)
    {
        var random = new Random(seed);
        using (rx)
        {
            while (true)
            {
                int mode = random.Next(64);
                ReceiveResult<int> r;
                if (mode == 0)
                {
                    r = await rx.TryReceiveAsync(TimeSpan.FromMilliseconds(random.Next(2)));
                    if (r.Status == ReceiveStatus.Timeout) continue;
                }
                else if (mode == 1)
                {
                    using var cts = new CancellationTokenSource();
                    cts.CancelAfter(random.Next(2));
                    try
                    {
                        r = await rx.TryReceiveAsync(Timeout.InfiniteTimeSpan, cts.Token);
                    }
                    catch (OperationCanceledException)
                    {
                        continue;
                    }
                }
                else
                {
                    try
                    {
                        r = new ReceiveResult<int>(ReceiveStatus.Received, await rx.ReceiveAsync());
                    }
                    catch (ChannelDisconnectedException)
                    {
                        return;
                    }
                }

                if (r.IsDisconnected) return;
                Interlocked.Increment(ref seen[r.Value]);
                add(r.Value);
            }
        }
    }
}
