// Select arms: one typed operation (a receive or a send on one channel) that a select may
// complete. Each arm owns one WaitNode for its whole life, reused on every select, so a
// select in steady state allocates nothing. The arm's node is registered in the channel's wait
// queue with the select's shared Waiter as owner; the channel completes it exactly as it
// completes a plain blocked operation (claim, write, signal).
using ConcurrencySafety.Channels;

namespace ConcurrencySafety.Selection;

/// <summary>One operation a select may complete.</summary>
internal abstract class SelectArm
{
    /// <summary>
    /// Gets or sets a value indicating whether the arm takes no further part in selects: its
    /// channel reported "disconnected" to its handler (it can never complete otherwise again),
    /// or the caller disabled it. This is Go's "set the channel to nil" idiom, done for you.
    /// </summary>
    internal bool Retired { get; set; }

    /// <summary>Gets the channel handle of the arm (to check what the caller completes in the dynamic form).</summary>
    internal abstract object Handle { get; }

    /// <summary>Gets a value indicating whether this is a send arm.</summary>
    internal abstract bool IsSend { get; }

    /// <summary>Gets a value indicating whether this arm's channel re-tries before a blocking wait registers (ChannelCore.SpinsBeforeRegistering).</summary>
    internal virtual bool SpinsBeforeRegistering => false;

    /// <summary>Throws <see cref="ObjectDisposedException"/> if the arm's handle was disposed.</summary>
    internal abstract void ThrowIfDisposed();

    /// <summary>Gets a value indicating whether the arm's handle was disposed (<see cref="ThrowIfDisposed"/> reports it).</summary>
    internal abstract bool HandleDisposed { get; }

    /// <summary>Gets a value indicating whether <see cref="Begin"/> must run at the start of every select (a send arm whose value comes from a factory).</summary>
    internal virtual bool NeedsBegin => false;

    /// <summary>Called once at the start of every select when <see cref="NeedsBegin"/> is true: evaluates a send arm's value.</summary>
    internal virtual void Begin()
    {
    }

    /// <summary>Try phase: completes the operation if it can proceed now (including "disconnected").</summary>
    internal abstract bool TryComplete();

    /// <summary>Registers the arm's node for <paramref name="owner"/>; false (not registered) when the operation is ready now.</summary>
    internal abstract bool Register(Waiter owner, int index);

    /// <summary>Removes the node from its channel's queue if it is still there (idempotent).</summary>
    internal abstract void Unregister();

    /// <summary>Gets a value indicating whether the arm's node is linked into its channel's queue (debug checks; read it between selects).</summary>
    internal abstract bool IsRegistered { get; }

    /// <summary>After the arm's node won: reads the outcome the completer wrote.</summary>
    internal abstract void TakeResult();

    /// <summary>Runs the handler for the stored outcome (typed API only).</summary>
    internal abstract void Invoke();
}

/// <summary>A receive arm over a <see cref="Receiver{T}"/>.</summary>
internal sealed class ReceiveArm<T> : SelectArm
{
    private readonly Receiver<T> _receiver;
    private readonly Action<T>? _onItem;
    private readonly Action? _onDisconnected;
    private readonly WaitNode<T> _node = new();

    public ReceiveArm(Receiver<T> receiver, Action<T>? onItem, Action? onDisconnected)
    {
        _receiver = receiver;
        _onItem = onItem;
        _onDisconnected = onDisconnected;
    }

    /// <summary>Gets the outcome of the last select that chose this arm.</summary>
    internal ReceiveResult<T> Result { get; private set; }

    internal override object Handle => _receiver;

    internal override bool IsSend => false;

    /// <inheritdoc/>
    internal override bool SpinsBeforeRegistering => _receiver.Core.SpinsBeforeRegistering;

    internal override void ThrowIfDisposed() => _receiver.ThrowIfDisposed();

    internal override bool HandleDisposed => _receiver.IsDisposed;

    internal override bool TryComplete()
    {
        // Empty also when the fast path said "use the lock" and the channel looked empty: the
        // lock is skipped then, and the registration that follows re-checks under it.
        var status = _receiver.Core.TryReceiveIfReady(out T item);
        if (status == ReceiveStatus.Empty)
        {
            return false;
        }

        Result = new ReceiveResult<T>(status, item);
        return true;
    }

    internal override bool Register(Waiter owner, int index)
    {
        _node.PrepareArm(owner, index);
        return _receiver.Core.RegisterReceiver(_node);
    }

    internal override void Unregister() => _receiver.Core.Unregister(_node, sender: false);

    internal override bool IsRegistered => _node.IsQueued;

    internal override void TakeResult()
    {
        var status = _node.Status;
        Result = status == NodeStatus.Done
            ? new ReceiveResult<T>(ReceiveStatus.Received, _node.Item)
            : ReceiveResult<T>.Of(ReceiveStatus.Disconnected);
        _node.Item = default!;
        if (status == NodeStatus.Abandoned)
        {
            // The channel's last receiver (this arm's among them) was disposed during the select.
            Result = default;
            throw ChannelErrors.ReceiverAbandoned<T>();
        }
    }

    internal override void Invoke()
    {
        var result = Result;
        Result = default;
        if (result.IsReceived)
        {
            _onItem?.Invoke(result.Value);
        }
        else if (_onDisconnected is not null)
        {
            Retired = true;
            _onDisconnected();
        }
        else
        {
            throw new ChannelDisconnectedException(
                "A select receive arm's channel is closed and drained, and the arm has no disconnected handler. Pass an onDisconnected handler to Receive(...) to decide what a closed channel means (for example, stop the loop).");
        }
    }
}

/// <summary>A send arm over a <see cref="Sender{T}"/>.</summary>
internal sealed class SendArm<T> : SelectArm
{
    private readonly Sender<T> _sender;
    private readonly T _fixedValue;
    private readonly Func<T>? _valueFactory;
    private readonly Action? _onSent;
    private readonly Action<T>? _onDisconnected;
    private readonly WaitNode<T> _node = new();
    /// <summary>The value of the current select when it comes from <see cref="_valueFactory"/>; unused (default) with a fixed value.</summary>
    private T _value = default!;

    public SendArm(Sender<T> sender, T fixedValue, Func<T>? valueFactory, Action? onSent, Action<T>? onDisconnected)
    {
        _sender = sender;
        _fixedValue = fixedValue;
        _valueFactory = valueFactory;
        _onSent = onSent;
        _onDisconnected = onDisconnected;
    }

    /// <summary>Gets the outcome of the last select that chose this arm.</summary>
    internal SendResult<T> Result { get; private set; }

    internal override object Handle => _sender;

    internal override bool IsSend => true;

    /// <inheritdoc/>
    internal override bool SpinsBeforeRegistering => _sender.Core.SpinsBeforeRegistering;

    internal override void ThrowIfDisposed() => _sender.ThrowIfDisposed();

    internal override bool HandleDisposed => _sender.IsDisposed;

    /// <inheritdoc/>
    internal override bool NeedsBegin => _valueFactory is not null;

    // A fixed value needs no per-select step: Value reads it directly, so a select over fixed
    // send arms makes no call per arm before its try phase.
    internal override void Begin() => _value = _valueFactory!();

    /// <summary>Gets the value this select sends: the fixed one, or the factory's from <see cref="Begin"/>.</summary>
    private T Value => _valueFactory is null ? _fixedValue : _value;

    internal override bool TryComplete()
    {
        // Full also when the fast path said "use the lock" and the channel looked full (see
        // ReceiveArm.TryComplete).
        var status = _sender.Core.TrySendIfReady(Value);
        if (status == SendStatus.Full)
        {
            return false;
        }

        Result = new SendResult<T>(status, Value);
        return true;
    }

    internal override bool Register(Waiter owner, int index)
    {
        _node.PrepareArm(owner, index);
        _node.Item = Value;
        return _sender.Core.RegisterSender(_node);
    }

    internal override void Unregister()
    {
        _sender.Core.Unregister(_node, sender: true);
        _node.Item = default!;
    }

    internal override bool IsRegistered => _node.IsQueued;

    internal override void TakeResult()
    {
        var status = _node.Status;
        _node.Item = default!;
        if (status == NodeStatus.Abandoned)
        {
            // The channel's last sender (this arm's among them) was disposed during the select: nothing was sent.
            Result = default;
            throw ChannelErrors.SenderAbandoned<T>();
        }

        Result = new SendResult<T>(status == NodeStatus.Done ? SendStatus.Sent : SendStatus.Disconnected, Value);
    }

    internal override void Invoke()
    {
        var result = Result;
        Result = default;
        _value = default!;
        if (result.IsSent)
        {
            _onSent?.Invoke();
        }
        else if (_onDisconnected is not null)
        {
            Retired = true;
            _onDisconnected(result.UnsentItem);
        }
        else
        {
            throw new ChannelDisconnectedException(
                "A select send arm's channel has no receiver left, and the arm has no disconnected handler. Pass an onDisconnected handler to Send(...) to get the unsent item back.");
        }
    }
}

/// <summary>
/// An arm that completes when a <see cref="CancellationToken"/> is cancelled (Go's
/// <c>case &lt;-ctx.Done():</c>). It takes part in a select like a channel arm: in the try phase
/// it is ready once the token is cancelled, and while the select waits a token callback claims
/// the select's waiter for this arm with the same compare-and-swap a channel partner uses, so
/// exactly one arm completes. Unregistering disposes the callback (waiting for one that is
/// running), so a token cancelled after the select has ended touches nothing.
/// </summary>
internal sealed class CancelArm : SelectArm
{
    private readonly Action? _onCancelled;
    private CancellationTokenRegistration _registration;

    /// <summary>The waiter, generation and index of the current registration; read by the callback.</summary>
    private Waiter? _owner;
    private uint _generation;
    private int _index;

    public CancelArm(CancellationToken token, Action? onCancelled)
    {
        Token = token;
        _onCancelled = onCancelled;
    }

    /// <summary>Gets the token this arm waits for.</summary>
    internal CancellationToken Token { get; }

    internal override object Handle => this;

    internal override bool IsSend => false;

    internal override bool IsRegistered => _registration != default;

    internal override void ThrowIfDisposed()
    {
    }

    internal override bool HandleDisposed => false;

    internal override bool TryComplete() => Token.IsCancellationRequested;

    internal override bool Register(Waiter owner, int index)
    {
        if (Token.IsCancellationRequested)
        {
            return false; // ready now: the select retries its try phase
        }

        if (!Token.CanBeCanceled)
        {
            return true; // never ready, nothing to register
        }

        // The fields are written before the callback can run (it may run inline right here if
        // the token is cancelled meanwhile, and then claims the waiter like a partner would).
        _owner = owner;
        _generation = owner.Generation;
        _index = index;
        _registration = Token.UnsafeRegister(static s => ((CancelArm)s!).OnCancelled(), this);
        return true;
    }

    private void OnCancelled()
    {
        var owner = _owner!;
        if (owner.TryClaim(_generation, _index))
        {
            owner.Signal();
        }
    }

    internal override void Unregister()
    {
        _registration.Dispose(); // waits for a running callback
        _registration = default;
        _owner = null;
    }

    internal override void TakeResult()
    {
    }

    internal override void Invoke() => _onCancelled?.Invoke();
}
