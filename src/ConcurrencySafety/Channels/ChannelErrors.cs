namespace ConcurrencySafety.Channels;

/// <summary>The exceptions the throwing channel operations raise, with messages that say what to do.</summary>
internal static class ChannelErrors
{
    public static ChannelDisconnectedException SendDisconnected() =>
        new("Cannot send: every receiver of this channel was disposed, so the item could never be received. Use TrySend to get the item back instead of an exception.");

    public static ChannelDisconnectedException ReceiveDisconnected() =>
        new("Cannot receive: every sender of this channel was disposed and the buffer is drained, so no item will ever arrive. Use TryReceive or foreach to end cleanly instead of an exception.");
}
