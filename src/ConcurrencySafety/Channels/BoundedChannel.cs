// Bounded flavour: a ring buffer of at most `capacity` items. Senders wait when it is full;
// a receiver that frees a slot moves the oldest waiting sender's item into it (ChannelCore),
// which keeps blocked senders in FIFO order.
namespace ConcurrencySafety.Channels;

/// <summary>A channel that buffers up to a fixed number of items.</summary>
internal sealed class BoundedChannel<T> : ChannelCore<T>
{
    /// <summary>The items, oldest first. Under the channel lock.</summary>
    private readonly Deque<T> _buffer;

    /// <summary>The most items the buffer may hold (at least 1).</summary>
    private readonly int _capacity;

    /// <summary>Creates a bounded channel of <paramref name="capacity"/> (at least 1).</summary>
    public BoundedChannel(int capacity)
    {
        Debug.Assert(capacity >= 1);
        _capacity = capacity;

        // Start small and grow on demand: a huge capacity should not cost memory up front.
        _buffer = new Deque<T>(Math.Min(capacity, 64));
    }

    /// <inheritdoc/>
    public override int? Capacity => _capacity;

    private protected override int BufferCount => _buffer.Count;

    private protected override bool TryBuffer(T item)
    {
        if (_buffer.Count >= _capacity)
        {
            return false;
        }

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
