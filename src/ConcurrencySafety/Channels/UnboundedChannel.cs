// Unbounded flavour: a ConcurrentQueue buffer (ChannelCore's _queue) that receivers may take
// from without the channel lock. Sends never wait (they can only fail when every receiver is
// gone); receivers wait when it is empty. Memory grows with the backlog, which is
// why the analyzers suggest a bounded channel (CSA2006).
namespace ConcurrencySafety.Channels;

/// <summary>A channel whose buffer grows without limit.</summary>
internal sealed class UnboundedChannel<T> : ChannelCore<T>
{
    /// <summary>Creates an unbounded channel; see <see cref="ChanOptions"/> for the flag.</summary>
    public UnboundedChannel(bool allowSynchronousContinuations = false)
        : base(capacity: int.MaxValue, initialBufferSize: 0, allowSynchronousContinuations, unbounded: true)
    {
    }
}
