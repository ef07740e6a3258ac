namespace ConcurrencySafety;

/// <summary>What happened to a send that did not throw.</summary>
public enum SendStatus
{
    /// <summary>
    /// Not an outcome: the status of <c>default(SendResult&lt;T&gt;)</c>, which no send returns.
    /// It is the zero value on purpose, so that a result that was never assigned cannot read as
    /// <see cref="Sent"/>.
    /// </summary>
    None,

    /// <summary>The item was handed to a receiver or stored in the channel's buffer.</summary>
    Sent,

    /// <summary>The channel had no room and no waiting receiver (only from <c>TrySend(item)</c>, which never waits).</summary>
    Full,

    /// <summary>Every receiver has been disposed; the item can never be received and was not sent.</summary>
    Disconnected,

    /// <summary>The timeout or deadline passed before the item could be sent.</summary>
    Timeout,
}

/// <summary>What happened to a receive that did not throw.</summary>
public enum ReceiveStatus
{
    /// <summary>
    /// Not an outcome: the status of <c>default(ReceiveResult&lt;T&gt;)</c>, which no receive
    /// returns. It is the zero value on purpose, so that a result that was never assigned cannot
    /// read as <see cref="Received"/> with a default item.
    /// </summary>
    None,

    /// <summary>An item was received.</summary>
    Received,

    /// <summary>The channel had no item and no waiting sender (only from <c>TryReceive()</c>, which never waits).</summary>
    Empty,

    /// <summary>Every sender has been disposed and the buffer is drained: no item will ever arrive.</summary>
    Disconnected,

    /// <summary>The timeout or deadline passed before an item arrived.</summary>
    Timeout,
}

/// <summary>
/// The outcome of a send that reports instead of throwing. When the item was not sent it is
/// handed back, so nothing is lost: the caller can retry, reroute or dispose it.
/// </summary>
/// <remarks>
/// <c>default(SendResult&lt;T&gt;)</c> is not an outcome: its <see cref="Status"/> is
/// <see cref="SendStatus.None"/>, <see cref="IsSent"/> is false, and reading the item from it
/// throws <see cref="InvalidOperationException"/>.
/// </remarks>
/// <typeparam name="T">The element type.</typeparam>
public readonly struct SendResult<T> : IEquatable<SendResult<T>>
{
    private readonly T _unsent;

    internal SendResult(SendStatus status, T unsent)
    {
        Status = status;
        _unsent = status == SendStatus.Sent ? default! : unsent;
    }

    /// <summary>Gets what happened.</summary>
    public SendStatus Status { get; }

    /// <summary>Gets a value indicating whether the item was sent.</summary>
    public bool IsSent => Status == SendStatus.Sent;

    /// <summary>Gets the item that was not sent.</summary>
    /// <exception cref="InvalidOperationException">The item was sent (check <see cref="IsSent"/> first), or this is <c>default(SendResult&lt;T&gt;)</c>, which holds no outcome.</exception>
    public T UnsentItem => Status switch
    {
        SendStatus.Sent => throw new InvalidOperationException("The item was sent, so there is no unsent item. Check IsSent or Status before reading UnsentItem."),
        SendStatus.None => throw NotAnOutcome(),
        _ => _unsent,
    };

    /// <summary>Gets the item back when it was not sent.</summary>
    /// <param name="item">The unsent item, or default when the send succeeded.</param>
    /// <returns>true if the item was not sent.</returns>
    /// <exception cref="InvalidOperationException">This is <c>default(SendResult&lt;T&gt;)</c>, which holds no outcome.</exception>
    public bool TryGetUnsentItem(out T item)
    {
        if (Status == SendStatus.None)
        {
            throw NotAnOutcome();
        }

        item = _unsent;
        return Status != SendStatus.Sent;
    }

    private static InvalidOperationException NotAnOutcome() =>
        new("This SendResult is default: no send returned it, so it says nothing about any item. Use the result that TrySend or TrySendAsync returned.");

    /// <inheritdoc/>
    public bool Equals(SendResult<T> other) => Status == other.Status && EqualityComparer<T>.Default.Equals(_unsent, other._unsent);

    /// <inheritdoc/>
    public override bool Equals(object? obj) => obj is SendResult<T> other && Equals(other);

    /// <inheritdoc/>
    public override int GetHashCode() => HashCode.Combine(Status, _unsent);

    /// <inheritdoc/>
    public override string ToString() => Status switch
    {
        SendStatus.Sent => "Sent",
        SendStatus.None => "None (default, not the result of a send)",
        _ => $"{Status} (unsent: {_unsent})",
    };

    /// <summary>Compares two results.</summary>
    public static bool operator ==(SendResult<T> left, SendResult<T> right) => left.Equals(right);

    /// <summary>Compares two results.</summary>
    public static bool operator !=(SendResult<T> left, SendResult<T> right) => !left.Equals(right);
}

/// <summary>The outcome of a receive that reports instead of throwing.</summary>
/// <remarks>
/// <c>default(ReceiveResult&lt;T&gt;)</c> is not an outcome: its <see cref="Status"/> is
/// <see cref="ReceiveStatus.None"/>, <see cref="IsReceived"/> and <see cref="IsDisconnected"/>
/// are false, and reading a value from it throws <see cref="InvalidOperationException"/>.
/// </remarks>
/// <typeparam name="T">The element type.</typeparam>
public readonly struct ReceiveResult<T> : IEquatable<ReceiveResult<T>>
{
    private readonly T _value;

    internal ReceiveResult(ReceiveStatus status, T value)
    {
        Status = status;
        _value = value;
    }

    internal static ReceiveResult<T> Of(ReceiveStatus status) => new(status, default!);

    /// <summary>Gets what happened.</summary>
    public ReceiveStatus Status { get; }

    /// <summary>Gets a value indicating whether an item was received.</summary>
    public bool IsReceived => Status == ReceiveStatus.Received;

    /// <summary>Gets a value indicating whether the channel is closed and drained (no item will ever arrive).</summary>
    public bool IsDisconnected => Status == ReceiveStatus.Disconnected;

    /// <summary>Gets the received item.</summary>
    /// <exception cref="InvalidOperationException">Nothing was received (check <see cref="IsReceived"/> first), or this is <c>default(ReceiveResult&lt;T&gt;)</c>, which holds no outcome.</exception>
    public T Value => Status switch
    {
        ReceiveStatus.Received => _value,
        ReceiveStatus.None => throw NotAnOutcome(),
        _ => throw new InvalidOperationException($"No item was received (status: {Status}). Check IsReceived or use TryGetValue before reading Value."),
    };

    /// <summary>Gets the received item, if any.</summary>
    /// <param name="value">The item, or default.</param>
    /// <returns>true if an item was received.</returns>
    /// <exception cref="InvalidOperationException">This is <c>default(ReceiveResult&lt;T&gt;)</c>, which holds no outcome.</exception>
    public bool TryGetValue(out T value)
    {
        if (Status == ReceiveStatus.None)
        {
            throw NotAnOutcome();
        }

        value = _value;
        return Status == ReceiveStatus.Received;
    }

    private static InvalidOperationException NotAnOutcome() =>
        new("This ReceiveResult is default: no receive returned it, so it holds no item and no status. Use the result that TryReceive, TryReceiveAsync or a select returned.");

    /// <inheritdoc/>
    public bool Equals(ReceiveResult<T> other) => Status == other.Status && EqualityComparer<T>.Default.Equals(_value, other._value);

    /// <inheritdoc/>
    public override bool Equals(object? obj) => obj is ReceiveResult<T> other && Equals(other);

    /// <inheritdoc/>
    public override int GetHashCode() => HashCode.Combine(Status, _value);

    /// <inheritdoc/>
    public override string ToString() => Status switch
    {
        ReceiveStatus.Received => $"Received {_value}",
        ReceiveStatus.None => "None (default, not the result of a receive)",
        _ => Status.ToString(),
    };

    /// <summary>Compares two results.</summary>
    public static bool operator ==(ReceiveResult<T> left, ReceiveResult<T> right) => left.Equals(right);

    /// <summary>Compares two results.</summary>
    public static bool operator !=(ReceiveResult<T> left, ReceiveResult<T> right) => !left.Equals(right);
}

/// <summary>
/// Thrown by the throwing forms (<c>Send</c>, <c>SendAsync</c>, <c>Receive</c>,
/// <c>ReceiveAsync</c>) when the other side of the channel is gone: every receiver was disposed
/// (a send can never be received) or every sender was disposed and the buffer is drained (no
/// item will ever arrive). Use the <c>Try</c> forms to get a status instead of an exception.
/// </summary>
public sealed class ChannelDisconnectedException : InvalidOperationException
{
    /// <summary>Creates the exception with a default message.</summary>
    public ChannelDisconnectedException()
        : base("The channel is disconnected.")
    {
    }

    /// <summary>Creates the exception with a message.</summary>
    /// <param name="message">The message.</param>
    public ChannelDisconnectedException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with a message and an inner exception.</summary>
    /// <param name="message">The message.</param>
    /// <param name="innerException">The cause.</param>
    public ChannelDisconnectedException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
