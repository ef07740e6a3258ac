using System.Threading.Tasks.Sources;

namespace ConcurrencySafety.Channels;

/// <summary>How a registered operation ended, as written by the party that completed it.</summary>
internal enum NodeStatus : byte
{
    /// <summary>Not completed (yet).</summary>
    None,

    /// <summary>The item moved: a send delivered it, or a receive got it in <see cref="WaitNode{T}.Item"/>.</summary>
    Done,

    /// <summary>The other side went away: all receivers (for a send) or all senders (for a receive).</summary>
    Disconnected,

    /// <summary>
    /// This side went away while the operation waited: the last sender (for a send) or the last
    /// receiver (for a receive) was disposed, so the handle the operation came through is
    /// disposed and nothing can ever complete it. Reported as an ObjectDisposedException.
    /// </summary>
    Abandoned,
}

/// <summary>
/// One registration of a waiting operation in one channel's wait queue. For a plain send or
/// receive the node is its own <see cref="Waiter"/> (<see cref="Owner"/> == this), so a single
/// pooled object serves the whole wait. For a select, each arm has a node whose owner is the
/// select's shared waiter, and <see cref="Arm"/> says which arm it is.
/// </summary>
internal sealed class WaitNode<T> : Waiter, IValueTaskSource<T>
{
    // ----- direct await (plain SendAsync/ReceiveAsync, the hot async path) -----
    // The caller awaits the node itself, as System.Threading.Channels awaits its pooled
    // AsyncOperation: no async state machine. GetResult then finishes the operation
    // (disposes the cancellation registration, unregisters after a cancellation, reads the
    // outcome, returns the node to the channel's pool) and returns or throws.

    /// <summary>The channel a directly awaited node belongs to; null when awaited through a state machine.</summary>
    internal ChannelCore<T>? DirectChannel;

    /// <summary>True when the directly awaited node is a send (else a receive).</summary>
    internal bool DirectIsSender;

    /// <summary>The token of a directly awaited operation, for the OperationCanceledException.</summary>
    internal CancellationToken DirectToken;

    /// <summary>Registration of <see cref="DirectToken"/>; set under the channel lock before the node becomes visible to completers.</summary>
    internal CancellationTokenRegistration DirectRegistration;

    /// <summary>The waiter to claim before completing this registration.</summary>
    internal Waiter Owner = null!;

    /// <summary>The owner's generation when this node was registered; claims use it.</summary>
    internal uint OwnerGeneration;

    /// <summary>The arm index reported to the owner when this node wins.</summary>
    internal int Arm;

    /// <summary>For a send: the item to deliver. For a receive: the item received.</summary>
    internal T Item = default!;

    /// <summary>Written by the completer before it signals the owner.</summary>
    internal NodeStatus Status;

    /// <summary>Queue links, touched only under the lock of the channel that holds the node.</summary>
    internal WaitNode<T>? Previous, Next;

    /// <summary>True while the node is linked into a wait queue (under that channel's lock).</summary>
    internal bool IsQueued;

    /// <summary>Prepares the node to stand for a plain (non-select) operation.</summary>
    internal void PrepareSingle(bool isAsync)
    {
        Reset(isAsync);
        Owner = this;
        OwnerGeneration = Generation;
        Arm = 0;
        Status = NodeStatus.None;
    }

    /// <summary>Prepares the node as arm <paramref name="arm"/> of a select whose waiter is <paramref name="owner"/>.</summary>
    internal void PrepareArm(Waiter owner, int arm)
    {
        Owner = owner;
        OwnerGeneration = owner.Generation;
        Arm = arm;
        Status = NodeStatus.None;
    }

    /// <summary>Finishes a directly awaited operation and recycles the node. Returns the outcome code and status.</summary>
    private (int Outcome, NodeStatus Status, T Item, CancellationToken Token) FinishDirect(short token)
    {
        ConsumeSignal(token);
        var channel = DirectChannel!;
        DirectRegistration.Dispose(); // waits for a running cancellation callback
        int outcome = Outcome;
        if (outcome < SelectedBase)
        {
            channel.Unregister(this, DirectIsSender);
        }

        var result = (outcome, Status, Item, DirectToken);
        Item = default!;
        DirectChannel = null;
        DirectToken = default;
        DirectRegistration = default;
        channel.ReturnAsyncNode(this); // nothing below may touch the node
        return result;
    }

    private protected override void GetResultCore(short token)
    {
        if (DirectChannel is null)
        {
            base.GetResultCore(token);
            return;
        }

        Debug.Assert(DirectIsSender);
        var (outcome, status, _, cancellationToken) = FinishDirect(token);
        if (outcome == Cancelled)
        {
            throw new OperationCanceledException(cancellationToken);
        }

        if (status != NodeStatus.Done)
        {
            throw status == NodeStatus.Abandoned ? ChannelErrors.SenderAbandoned<T>() : ChannelErrors.SendDisconnected();
        }
    }

    T IValueTaskSource<T>.GetResult(short token)
    {
        Debug.Assert(DirectChannel is not null && !DirectIsSender);
        var (outcome, status, item, cancellationToken) = FinishDirect(token);
        if (outcome == Cancelled)
        {
            throw new OperationCanceledException(cancellationToken);
        }

        return status switch
        {
            NodeStatus.Done => item,
            NodeStatus.Abandoned => throw ChannelErrors.ReceiverAbandoned<T>(),
            _ => throw ChannelErrors.ReceiveDisconnected(),
        };
    }

    ValueTaskSourceStatus IValueTaskSource<T>.GetStatus(short token) => GetStatusCore(token);

    void IValueTaskSource<T>.OnCompleted(Action<object?> continuation, object? state, short token, ValueTaskSourceOnCompletedFlags flags) =>
        OnCompletedCore(continuation, state, token, flags);

    /// <summary>Tries to win the owner for this registration.</summary>
    internal bool TryClaim() => Owner.TryClaim(OwnerGeneration, Arm);

    /// <summary>Gets a value indicating whether the owner can still be claimed through this node.</summary>
    internal bool IsClaimable => Owner.IsWaiting(OwnerGeneration);

    /// <summary>
    /// Writes the outcome and wakes the owner without running an async owner's continuation on
    /// this thread (it is parked or queued, see HandOff.cs), so it may be called under a channel
    /// lock (closing a channel and waking watchers do). Call only after a successful claim.
    /// </summary>
    internal void Complete(NodeStatus status)
    {
        Status = status;
        Owner.SignalUnderLock();
    }
}

/// <summary>
/// A FIFO queue of waiting operations, linked through the nodes themselves so that enqueue,
/// dequeue and removal of a cancelled node are O(1) and allocation-free. Not thread-safe: every
/// call happens under the owning channel's lock.
/// </summary>
internal struct WaitQueue<T>
{
    private WaitNode<T>? _head;
    private WaitNode<T>? _tail;

    /// <summary>Gets a value indicating whether the queue has no node (stale or not).</summary>
    internal readonly bool IsEmpty => _head is null;

    /// <summary>Same as <see cref="IsEmpty"/>, read with acquire semantics: a hint for readers outside the lock.</summary>
    internal bool IsEmptyVolatile => Volatile.Read(ref _head) is null;

    /// <summary>Gets the first node without removing it.</summary>
    internal readonly WaitNode<T>? Head => _head;

    /// <summary>Appends a node.</summary>
    internal void Enqueue(WaitNode<T> node)
    {
        Debug.Assert(!node.IsQueued);
        node.IsQueued = true;
        node.Next = null;
        node.Previous = _tail;
        if (_tail is null)
        {
            _head = node;
        }
        else
        {
            _tail.Next = node;
        }

        _tail = node;
    }

    /// <summary>Removes and returns the first node, or null.</summary>
    internal WaitNode<T>? Dequeue()
    {
        var node = _head;
        if (node is not null)
        {
            Remove(node);
        }

        return node;
    }

    /// <summary>Unlinks <paramref name="node"/> if it is still queued here. Idempotent.</summary>
    internal void Remove(WaitNode<T> node)
    {
        if (!node.IsQueued)
        {
            return;
        }

        if (node.Previous is null)
        {
            _head = node.Next;
        }
        else
        {
            node.Previous.Next = node.Next;
        }

        if (node.Next is null)
        {
            _tail = node.Previous;
        }
        else
        {
            node.Next.Previous = node.Previous;
        }

        node.Previous = node.Next = null;
        node.IsQueued = false;
    }

    /// <summary>Returns the first node whose owner can still be claimed and is not <paramref name="except"/>, dropping stale nodes on the way.</summary>
    internal WaitNode<T>? PeekClaimable(Waiter? except)
    {
        var node = _head;
        while (node is not null)
        {
            var next = node.Next;
            if (node.IsClaimable)
            {
                if (!ReferenceEquals(node.Owner, except))
                {
                    return node;
                }
            }
            else
            {
                // The owner already finished (another select arm won, or it was cancelled):
                // the owner will unregister it too, and Remove is idempotent.
                Remove(node);
            }

            node = next;
        }

        return null;
    }
}
