namespace ConcurrencySafety.Channels;

/// <summary>The exceptions the throwing channel operations raise, with messages that say what to do.</summary>
internal static class ChannelErrors
{
    public static ChannelDisconnectedException SendDisconnected() =>
        new("Cannot send: every receiver of this channel was disposed, so the item could never be received. Use TrySend to get the item back instead of an exception.");

    public static ChannelDisconnectedException ReceiveDisconnected() =>
        new("Cannot receive: every sender of this channel was disposed and the buffer is drained, so no item will ever arrive. Use TryReceive or foreach to end cleanly instead of an exception.");

    /// <summary>A send came through a sender that was disposed while the send ran, and no sender of the channel is left.</summary>
    public static ObjectDisposedException SenderAbandoned<T>() =>
        new(typeof(Sender<T>).FullName, "The sender this send came through was disposed while the send was running, and no sender of the channel is left, so the send can never complete: the item was not sent. Dispose a sender only after its sends have returned (clone it for each producer).");

    /// <summary>A receive came through a receiver that was disposed while the receive ran, and no receiver of the channel is left.</summary>
    public static ObjectDisposedException ReceiverAbandoned<T>() =>
        new(typeof(Receiver<T>).FullName, "The receiver this receive came through was disposed while the receive was running, and no receiver of the channel is left, so the receive can never complete. Dispose a receiver only after its receives have returned (clone it for each consumer).");

    /// <summary>A clone of a handle that another thread disposed meanwhile, and it was the last of its side.</summary>
    public static ObjectDisposedException CloneOfClosedSide<T>(bool sender) => sender
        ? new(typeof(Sender<T>).FullName, "This sender was disposed while it was being cloned, and no sender of the channel is left: the channel is closed and a clone cannot reopen it. Clone a sender before disposing it.")
        : new(typeof(Receiver<T>).FullName, "This receiver was disposed while it was being cloned, and no receiver of the channel is left: the channel is disconnected and a clone cannot undo that. Clone a receiver before disposing it.");
}
