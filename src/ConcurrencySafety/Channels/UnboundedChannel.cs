// Unbounded flavour: a growable ring buffer. Sends never wait (they can only fail when every
// receiver is gone); receivers wait when it is empty. Memory grows with the backlog, which is
// why the analyzers suggest a bounded channel.
namespace ConcurrencySafety.Channels;

/// <summary>A channel whose buffer grows without limit.</summary>
internal sealed class UnboundedChannel<T> : ChannelCore<T>
{
    /// <summary>The items, oldest first. Under the channel lock.</summary>
    private readonly Deque<T> _buffer = new(32);

    /// <inheritdoc/>
    public override int? Capacity => null;

    private protected override int BufferCount => _buffer.Count;

    private protected override bool TryBuffer(T item)
    {
        _buffer.Enqueue(item);
        return true;
    }

    private protected override bool TryUnbuffer(out T item)
    {
        if (_buffer.Count == 0)
        {
            item = default!;
            return false;
        }

        item = _buffer.Dequeue();
        return true;
    }

    private protected override void ClearBuffer() => _buffer.Clear();
}
