using System.Threading.Channels;

namespace ConcurrencySafety.Channels;

/// <summary>A <see cref="ChannelReader{T}"/> that reads through a <see cref="Receiver{T}"/>.</summary>
internal sealed class ReceiverChannelReader<T> : ChannelReader<T>
{
    private readonly Receiver<T> _receiver;

    public ReceiverChannelReader(Receiver<T> receiver) => _receiver = receiver;

    public override bool CanCount => true;

    public override int Count => _receiver.Count;

    public override bool TryRead(out T item) => _receiver.TryReceive(out item);

    // Completes when every sender is disposed and the buffer is drained, as a BCL channel's
    // reader completes after Complete() once its items are read.
    public override Task Completion => _receiver.Core.Drained;

    public override ValueTask<bool> WaitToReadAsync(CancellationToken cancellationToken = default)
    {
        _receiver.ThrowIfDisposed();
        return _receiver.Core.WaitToReceiveAsync(cancellationToken);
    }

    public override async ValueTask<T> ReadAsync(CancellationToken cancellationToken = default)
    {
        var result = await _receiver.TryReceiveAsync(Timeout.InfiniteTimeSpan, cancellationToken).ConfigureAwait(false);
        return result.IsReceived ? result.Value : throw new ChannelClosedException();
    }
}

/// <summary>A <see cref="ChannelWriter{T}"/> that writes through its own clone of a <see cref="Sender{T}"/>; completing it disposes that clone.</summary>
internal sealed class SenderChannelWriter<T> : ChannelWriter<T>
{
    private readonly Sender<T> _sender;
    private int _completed;

    public SenderChannelWriter(Sender<T> sender) => _sender = sender;

    public override bool TryWrite(T item)
    {
        if (Volatile.Read(ref _completed) != 0)
        {
            return false;
        }

        try
        {
            return _sender.TrySend(item).IsSent;
        }
        catch (ObjectDisposedException) when (Volatile.Read(ref _completed) != 0)
        {
            return false; // completed just now, by another thread: a completed writer refuses writes
        }
    }

    public override ValueTask<bool> WaitToWriteAsync(CancellationToken cancellationToken = default)
    {
        if (cancellationToken.IsCancellationRequested)
        {
            return ValueTask.FromCanceled<bool>(cancellationToken); // the library's rule: a cancelled token wins
        }

        if (Volatile.Read(ref _completed) != 0)
        {
            return new ValueTask<bool>(false);
        }

        return _sender.Core.WaitToSendAsync(cancellationToken);
    }

    public override async ValueTask WriteAsync(T item, CancellationToken cancellationToken = default)
    {
        if (Volatile.Read(ref _completed) != 0)
        {
            throw new ChannelClosedException();
        }

        SendResult<T> result;
        try
        {
            result = await _sender.TrySendAsync(item, Timeout.InfiniteTimeSpan, cancellationToken).ConfigureAwait(false);
        }
        catch (ObjectDisposedException disposed) when (Volatile.Read(ref _completed) != 0)
        {
            // Completed meanwhile (TryComplete disposed this writer's sender while the write
            // waited, or just before it started): the BCL's contract reports that as closed.
            throw new ChannelClosedException("The writer was completed while this write waited; the item was not written.", disposed);
        }

        if (!result.IsSent)
        {
            throw new ChannelClosedException("Every receiver of the channel is gone.");
        }
    }

    public override bool TryComplete(Exception? error = null)
    {
        if (Interlocked.Exchange(ref _completed, 1) != 0)
        {
            return false;
        }

        _sender.Dispose();
        return true;
    }
}
