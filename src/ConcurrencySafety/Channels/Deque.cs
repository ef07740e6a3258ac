namespace ConcurrencySafety.Channels;

/// <summary>
/// A growable ring buffer used as the message buffer of bounded channels. Not
/// thread-safe: used only under the channel's lock. It grows by doubling and never shrinks, so
/// steady-state traffic allocates nothing.
/// </summary>
internal sealed class Deque<T>
{
    private T[] _items;
    private int _head;
    private int _count;

    /// <summary>Creates a buffer with room for <paramref name="initialCapacity"/> items before it grows.</summary>
    internal Deque(int initialCapacity) => _items = new T[Math.Max(initialCapacity, 4)];

    /// <summary>Gets the number of buffered items.</summary>
    internal int Count => _count;

    /// <summary>Gets the number of buffered items, read with acquire semantics (a hint for readers outside the lock).</summary>
    internal int VolatileCount => Volatile.Read(ref _count);

    /// <summary>Appends an item at the tail.</summary>
    internal void Enqueue(T item)
    {
        if (_count == _items.Length)
        {
            Grow();
        }

        int tail = _head + _count;
        if (tail >= _items.Length)
        {
            tail -= _items.Length;
        }

        _items[tail] = item;
        _count++;
    }

    /// <summary>Removes the head item. The buffer must not be empty.</summary>
    internal T Dequeue()
    {
        Debug.Assert(_count > 0);
        T item = _items[_head];
        _items[_head] = default!; // drop the reference so the GC can reclaim it
        if (++_head == _items.Length)
        {
            _head = 0;
        }

        _count--;
        return item;
    }

    /// <summary>Drops every buffered item.</summary>
    internal void Clear()
    {
        Array.Clear(_items);
        _head = 0;
        _count = 0;
    }

    private void Grow()
    {
        // Doubling, but never past the largest array (a channel of capacity int.MaxValue).
        var bigger = new T[(int)Math.Min(Math.Max(_items.Length * 2L, 4), Array.MaxLength)];
        for (int i = 0; i < _count; i++)
        {
            int index = _head + i;
            if (index >= _items.Length)
            {
                index -= _items.Length;
            }

            bigger[i] = _items[index];
        }

        _items = bigger;
        _head = 0;
    }
}
