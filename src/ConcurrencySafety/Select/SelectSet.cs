using ConcurrencySafety.Selection;

namespace ConcurrencySafety;

/// <summary>
/// The dynamic form of select, for a number of operations known only at run time (crossbeam's
/// <c>Select</c>). Add operations, call <see cref="Select(CancellationToken)"/>, then read the
/// chosen one through the returned <see cref="SelectedOperation"/>.
/// </summary>
/// <remarks>
/// Exactly one operation completes per select; the chosen operation has already been carried
/// out when <c>Select</c> returns (a receive holds its item, a send has delivered), so the
/// other operations leave no trace. Read the outcome with
/// <see cref="SelectedOperation.Receive{T}(Receiver{T})"/> or
/// <see cref="SelectedOperation.Send{T}(Sender{T})"/>, passing the handle registered at
/// <see cref="SelectedOperation.Index"/>: a mismatched handle or type throws, so a branch cannot
/// treat a <c>string</c> channel's item as an <c>int</c>. Reusable: a select in steady state
/// allocates nothing.
/// </remarks>
public sealed class SelectSet
{
    private readonly SelectEngine _engine;
    private int _round;

    /// <summary>Creates an empty set.</summary>
    /// <param name="timeProvider">The clock for timeouts; <see cref="TimeProvider.System"/> when null.</param>
    public SelectSet(TimeProvider? timeProvider = null) => _engine = new SelectEngine(timeProvider);

    /// <summary>Gets or sets a value indicating whether ready operations are preferred in the order they were added, instead of at random.</summary>
    public bool Biased
    {
        get => _engine.Biased;
        set => _engine.Biased = value;
    }

    /// <summary>Gets the number of operations.</summary>
    public int Count => _engine.Arms.Count;

    /// <summary>Adds a receive operation.</summary>
    /// <typeparam name="T">The element type.</typeparam>
    /// <param name="receiver">The channel to receive from.</param>
    /// <returns>The operation's index.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="receiver"/> is null.</exception>
    /// <exception cref="ObjectDisposedException"><paramref name="receiver"/> was disposed.</exception>
    public int AddReceive<T>(Receiver<T> receiver)
    {
        ArgumentNullException.ThrowIfNull(receiver);
        receiver.ThrowIfDisposed();
        _engine.Add(new ReceiveArm<T>(receiver, null, null));
        return _engine.Arms.Count - 1;
    }

    /// <summary>Adds a send operation that offers <paramref name="value"/>.</summary>
    /// <typeparam name="T">The element type.</typeparam>
    /// <param name="sender">The channel to send into.</param>
    /// <param name="value">The item offered on every select.</param>
    /// <returns>The operation's index.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="sender"/> is null.</exception>
    /// <exception cref="ObjectDisposedException"><paramref name="sender"/> was disposed.</exception>
    public int AddSend<T>(Sender<T> sender, T value)
    {
        ArgumentNullException.ThrowIfNull(sender);
        sender.ThrowIfDisposed();
        _engine.Add(new SendArm<T>(sender, value, null, null, null));
        return _engine.Arms.Count - 1;
    }

    /// <summary>Adds a send operation whose item is produced once at the start of each select.</summary>
    /// <typeparam name="T">The element type.</typeparam>
    /// <param name="sender">The channel to send into.</param>
    /// <param name="value">Produces the item offered in each select. If it throws, the exception propagates from the select, nothing is sent and the set can select again.</param>
    /// <returns>The operation's index.</returns>
    /// <exception cref="ArgumentNullException">An argument is null.</exception>
    /// <exception cref="ObjectDisposedException"><paramref name="sender"/> was disposed.</exception>
    public int AddSend<T>(Sender<T> sender, Func<T> value)
    {
        ArgumentNullException.ThrowIfNull(sender);
        ArgumentNullException.ThrowIfNull(value);
        sender.ThrowIfDisposed();
        _engine.Add(new SendArm<T>(sender, default!, value, null, null));
        return _engine.Arms.Count - 1;
    }

    /// <summary>
    /// Adds an operation that completes once <paramref name="cancellationToken"/> is cancelled
    /// (Go's <c>case &lt;-ctx.Done():</c>): the select returns it normally instead of throwing.
    /// Read it with <see cref="SelectedOperation.Cancelled(CancellationToken)"/>.
    /// </summary>
    /// <remarks>
    /// It competes with the other operations like any of them (exactly one completes; a ready
    /// channel and a cancelled token are chosen between at random unless <see cref="Biased"/>),
    /// and stays ready while the token stays cancelled. The token given to <c>Select</c> itself
    /// is different: it makes the select throw. Do not pass the same token to both.
    /// </remarks>
    /// <param name="cancellationToken">The token whose cancellation this operation reports.</param>
    /// <returns>The operation's index.</returns>
    public int AddCancelled(CancellationToken cancellationToken)
    {
        _engine.Add(new CancelArm(cancellationToken, null));
        return _engine.Arms.Count - 1;
    }

    /// <summary>
    /// Removes an operation from later selects without renumbering the others (Go's "set the
    /// channel to nil"). Use it once a receive reported disconnected, or a send arm's job is done.
    /// </summary>
    /// <param name="index">The index returned when the operation was added.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="index"/> is not an operation of this set.</exception>
    public void Disable(int index)
    {
        if ((uint)index >= (uint)_engine.Arms.Count)
        {
            throw new ArgumentOutOfRangeException(nameof(index), index, $"The index must be one returned by AddReceive/AddSend: 0 to {_engine.Arms.Count - 1}.");
        }

        _engine.Arms[index].Retired = true;
    }

    /// <summary>Blocks until one operation completes.</summary>
    /// <param name="cancellationToken">Cancels the wait; no operation completes then.</param>
    /// <returns>The completed operation.</returns>
    /// <exception cref="ArgumentException">The set is empty: a select would wait forever.</exception>
    /// <exception cref="ObjectDisposedException">An operation's handle was disposed.</exception>
    /// <exception cref="OperationCanceledException">Cancelled before any operation completed, or the token was already cancelled when the call started (then no operation completes, even a ready one).</exception>
    public SelectedOperation Select(CancellationToken cancellationToken = default)
    {
        _engine.ClaimForCall(hasDefault: false, System.Threading.Timeout.InfiniteTimeSpan);
        return Selected(_engine.Run(cancellationToken, claimed: true));
    }

    /// <summary>Blocks for at most <paramref name="timeout"/> until one operation completes.</summary>
    /// <param name="timeout">Zero or positive, or <see cref="Timeout.InfiniteTimeSpan"/> to wait without limit (as every channel <c>Try*</c> method accepts).</param>
    /// <param name="cancellationToken">Cancels the wait; no operation completes then.</param>
    /// <returns>The completed operation, or null if the timeout passed first.</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="timeout"/> is negative (other than infinite).</exception>
    /// <exception cref="ObjectDisposedException">An operation's handle was disposed.</exception>
    /// <exception cref="OperationCanceledException">Cancelled before any operation completed, or the token was already cancelled when the call started (then no operation completes, even a ready one).</exception>
    public SelectedOperation? Select(TimeSpan timeout, CancellationToken cancellationToken = default)
    {
        var checkedTimeout = Timeouts.Validate(timeout, nameof(timeout));
        _engine.ClaimForCall(hasDefault: false, checkedTimeout);
        int chosen = _engine.Run(cancellationToken, claimed: true);
        return chosen == SelectEngine.TimeoutChosen ? null : Selected(chosen);
    }

    /// <summary>Completes an operation that can proceed at once, without waiting.</summary>
    /// <returns>The completed operation, or null if none was ready.</returns>
    /// <exception cref="ObjectDisposedException">An operation's handle was disposed.</exception>
    public SelectedOperation? TrySelect()
    {
        _engine.ClaimForCall(hasDefault: true, System.Threading.Timeout.InfiniteTimeSpan);
        int chosen = _engine.Run(default, claimed: true);
        return chosen == SelectEngine.DefaultChosen ? null : Selected(chosen);
    }

    /// <summary>Waits asynchronously until one operation completes.</summary>
    /// <param name="cancellationToken">Cancels the wait; no operation completes then.</param>
    /// <returns>The completed operation.</returns>
    /// <exception cref="ArgumentException">The set is empty: a select would wait forever.</exception>
    /// <exception cref="ObjectDisposedException">An operation's handle was disposed.</exception>
    /// <exception cref="OperationCanceledException">Cancelled before any operation completed, or the token was already cancelled when the call started (then no operation completes, even a ready one).</exception>
    public async ValueTask<SelectedOperation> SelectAsync(CancellationToken cancellationToken = default)
    {
        _engine.ClaimForCall(hasDefault: false, System.Threading.Timeout.InfiniteTimeSpan);
        return Selected(await _engine.RunAsync(cancellationToken, claimed: true).ConfigureAwait(false));
    }

    private SelectedOperation Selected(int index) => new(this, index, ++_round);

    /// <summary>Gets the arm at <paramref name="index"/> of select <paramref name="round"/>, which must be the latest.</summary>
    internal SelectArm ArmAt(int index, int round)
    {
        if (round != _round)
        {
            throw new InvalidOperationException("This selected operation belongs to an earlier select of the same set. Read each selected operation before selecting again.");
        }

        return _engine.Arms[index];
    }

    internal SelectArm ArmFor(int index, int round, object handle)
    {
        if (round != _round)
        {
            throw new InvalidOperationException("This selected operation belongs to an earlier select of the same set. Read each selected operation before selecting again.");
        }

        var arm = _engine.Arms[index];
        if (!ReferenceEquals(arm.Handle, handle))
        {
            throw new InvalidOperationException($"Operation {index} was registered with a different channel handle. Pass the handle that was added at index {index}.");
        }

        return arm;
    }
}

/// <summary>
/// The operation a <see cref="SelectSet"/> completed. Read its outcome once with the handle
/// registered at <see cref="Index"/>. It is must-consume: dropping it unread loses a received
/// item, which the analyzers report (CSA3003), and reading it twice is reported too (CSA3002).
/// </summary>
[MustConsume]
public readonly struct SelectedOperation : IEquatable<SelectedOperation>
{
    private readonly SelectSet _set;
    private readonly int _round;

    internal SelectedOperation(SelectSet set, int index, int round)
    {
        _set = set;
        Index = index;
        _round = round;
    }

    /// <summary>Gets the index of the completed operation (the value returned when it was added).</summary>
    public int Index { get; }

    /// <summary>Gets the item received by the selected receive operation.</summary>
    /// <typeparam name="T">The element type.</typeparam>
    /// <param name="receiver">The receiver added at <see cref="Index"/>.</param>
    /// <returns>The item.</returns>
    /// <exception cref="InvalidOperationException">The operation at <see cref="Index"/> is not a receive on <paramref name="receiver"/>.</exception>
    /// <exception cref="ChannelDisconnectedException">The channel was closed and drained: the select chose this operation because it is disconnected.</exception>
    [Consumes]
    public T Receive<T>(Receiver<T> receiver)
    {
        var result = ReceiveResult(receiver);
        return result.IsReceived
            ? result.Value
            : throw new ChannelDisconnectedException("The selected receive operation's channel is closed and drained. Use ReceiveResult to handle this without an exception.");
    }

    /// <summary>Gets the outcome of the selected receive operation: Received (with the item) or Disconnected.</summary>
    /// <typeparam name="T">The element type.</typeparam>
    /// <param name="receiver">The receiver added at <see cref="Index"/>.</param>
    /// <returns>The outcome.</returns>
    /// <exception cref="InvalidOperationException">The operation at <see cref="Index"/> is not a receive on <paramref name="receiver"/>.</exception>
    [Consumes]
    public ReceiveResult<T> ReceiveResult<T>(Receiver<T> receiver)
    {
        ArgumentNullException.ThrowIfNull(receiver);
        return Get(receiver) is ReceiveArm<T> arm
            ? arm.Result
            : throw new InvalidOperationException($"Operation {Index} is not a receive operation of this element type.");
    }

    /// <summary>Gets the outcome of the selected send operation: Sent, or Disconnected with the item back.</summary>
    /// <typeparam name="T">The element type.</typeparam>
    /// <param name="sender">The sender added at <see cref="Index"/>.</param>
    /// <returns>The outcome.</returns>
    /// <exception cref="InvalidOperationException">The operation at <see cref="Index"/> is not a send on <paramref name="sender"/>.</exception>
    [Consumes]
    public SendResult<T> Send<T>(Sender<T> sender)
    {
        ArgumentNullException.ThrowIfNull(sender);
        return Get(sender) is SendArm<T> arm
            ? arm.Result
            : throw new InvalidOperationException($"Operation {Index} is not a send operation of this element type.");
    }

    /// <summary>
    /// Confirms that the selected operation is the cancellation operation added with
    /// <see cref="SelectSet.AddCancelled(CancellationToken)"/> for <paramref name="cancellationToken"/>:
    /// the select completed because that token was cancelled.
    /// </summary>
    /// <param name="cancellationToken">The token added at <see cref="Index"/>.</param>
    /// <exception cref="InvalidOperationException">The operation at <see cref="Index"/> is not the cancellation operation of <paramref name="cancellationToken"/>.</exception>
    [Consumes]
    public void Cancelled(CancellationToken cancellationToken)
    {
        var arm = _set is null
            ? throw new InvalidOperationException("This SelectedOperation is default: it did not come from a select.")
            : _set.ArmAt(Index, _round);
        if (arm is not CancelArm cancel || cancel.Token != cancellationToken)
        {
            throw new InvalidOperationException($"Operation {Index} is not the cancellation operation of this token. Pass the token that was added with AddCancelled at index {Index}.");
        }
    }

    private SelectArm Get(object handle) =>
        _set is null
            ? throw new InvalidOperationException("This SelectedOperation is default: it did not come from a select.")
            : _set.ArmFor(Index, _round, handle);

    /// <inheritdoc/>
    public bool Equals(SelectedOperation other) => ReferenceEquals(_set, other._set) && Index == other.Index && _round == other._round;

    /// <inheritdoc/>
    public override bool Equals(object? obj) => obj is SelectedOperation other && Equals(other);

    /// <inheritdoc/>
    public override int GetHashCode() => HashCode.Combine(_set, Index, _round);

    /// <summary>Compares two selected operations.</summary>
    public static bool operator ==(SelectedOperation left, SelectedOperation right) => left.Equals(right);

    /// <summary>Compares two selected operations.</summary>
    public static bool operator !=(SelectedOperation left, SelectedOperation right) => !left.Equals(right);
}
