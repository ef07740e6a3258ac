namespace ConcurrencySafety.Channels;

/// <summary>The exceptions the throwing channel operations raise, with messages that say what to do.</summary>
internal static class ChannelErrors
{
    public static ChannelDisconnectedException SendDisconnected() =>
        new("Cannot send: every receiver of this channel was disposed, so the item could never be received. Use TrySend to get the item back instead of an exception.");

    public static ChannelDisconnectedException ReceiveDisconnected() =>
        new("Cannot receive: every sender of this channel was disposed and the buffer is drained, so no item will ever arrive. Use TryReceive or foreach to end cleanly instead of an exception.");

    /// <summary>A send waited through the channel's last sender, and that sender was disposed meanwhile (or just before the send registered).</summary>
    public static ObjectDisposedException SenderAbandoned<T>() =>
        new(typeof(Sender<T>).FullName, "This sender was disposed while a send through it was waiting, and it was the channel's last sender, so the send can never complete: the item was not sent. Dispose a sender only after its sends have returned (clone it for each producer).");

    /// <summary>A receive waited through the channel's last receiver, and that receiver was disposed meanwhile (or just before the receive registered).</summary>
    public static ObjectDisposedException ReceiverAbandoned<T>() =>
        new(typeof(Receiver<T>).FullName, "This receiver was disposed while a receive through it was waiting, and it was the channel's last receiver, so the receive can never complete. Dispose a receiver only after its receives have returned (clone it for each consumer).");
}
