// Valid: ownership moves the lifecycle rules must understand: returned senders, senders
// stored in an IDisposable owner that disposes them, and [Consumes] parameters.
using System;
using System.Threading;
using System.Threading.Tasks;
using ConcurrencySafety;

namespace Corpus.LifecycleOwnership;

public sealed class EventBus : IDisposable
{
    private readonly Sender<string> _events;
    private readonly Receiver<string> _inbox;

    public EventBus()
    {
        var (tx, rx) = Chan.Bounded<string>(32);
        _events = tx;
        _inbox = rx;
    }

    public void Publish(string message) => _events.Send(message);

    public Sender<string> Subscribe() => _events.Clone();

    public void Dispose()
    {
        _events.Dispose();
        _inbox.Dispose();
    }
}

public static class Factories
{
    public static (Sender<int> Sender, Receiver<int> Receiver) Make(int capacity)
    {
        var (tx, rx) = Chan.Bounded<int>(capacity);
        return (tx, rx);
    }

    public static Sender<int> Start(out Task consumer)
    {
        var (tx, rx) = Chan.Bounded<int>(4);
        consumer = Task.Run(async () =>
        {
            using (rx)
                await foreach (var x in rx) { }
        });
        return tx;
    }

    public static async Task HandOffAsync()
    {
        var (tx, rx) = Chan.Bounded<int>(4);
        var producer = Produce(tx);
        using (rx)
            await foreach (var x in rx) { }
        await producer;
    }

    private static async Task Produce([Consumes] Sender<int> tx)
    {
        using (tx)
            for (int i = 0; i < 3; i++) await tx.SendAsync(i);
    }

    // A joined thread and a background daemon.
    public static void Threads()
    {
        var worker = new Thread(() => { });
        worker.Start();
        worker.Join();

        var daemon = new Thread(() => Thread.Sleep(Timeout.Infinite)) { IsBackground = true };
        daemon.Start();
    }
}
