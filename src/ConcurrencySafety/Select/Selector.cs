using System.Linq;
using System.Runtime.CompilerServices;
using ConcurrencySafety.Selection;

namespace ConcurrencySafety;

/// <summary>
/// Waits on several channel operations and completes exactly one of them (Go's <c>select</c>,
/// crossbeam's <c>select!</c>). Add receive and send arms with typed handlers, optionally a
/// <see cref="Cancelled(CancellationToken, Action)"/> arm, a
/// <see cref="Timeout(TimeSpan, Action)"/> or a <see cref="Default(Action)"/>, then call
/// <see cref="Select(CancellationToken)"/> or <see cref="SelectAsync(CancellationToken)"/>.
/// The chosen arm's handler runs after its operation completed; the other arms leave no trace:
/// nothing is taken from them and nothing is sent through them.
/// </summary>
/// <remarks>
/// <para>Build a selector once and call <c>Select</c> in a loop: a select then allocates nothing
/// in steady state. A selector runs one select at a time.</para>
/// <para>When several arms are ready, each is chosen with equal probability; set
/// <see cref="Biased"/> to prefer them in the order they were added.</para>
/// <para>A closed, drained channel makes its receive arm ready with a "disconnected" outcome
/// (it never blocks forever): the <c>onDisconnected</c> handler runs, or, without one, the
/// select throws <see cref="ChannelDisconnectedException"/>. A send arm whose receivers are all
/// gone is ready the same way and gives its item back. After its disconnected handler has run,
/// an arm is retired: later selects of this selector skip it (Go programs set such a channel
/// to nil by hand), so a loop over several producers ends cleanly instead of spinning. Once
/// every arm is retired, a select without a default or timeout throws
/// <see cref="InvalidOperationException"/> rather than wait forever.</para>
/// </remarks>
/// <example>
/// <code>
/// var done = false;
/// var selector = new Selector()
///     .Receive(numbers, n => Console.WriteLine($"number {n}"), () => done = true)
///     .Receive(ticker, _ => Console.WriteLine("tick"))
///     .Timeout(TimeSpan.FromSeconds(3), () => done = true);
/// while (!done) selector.Select();
/// </code>
/// </example>
public sealed class Selector
{
    private readonly SelectEngine _engine;

    /// <summary>The engine behind this selector (tests only).</summary>
    internal SelectEngine Engine => _engine;
    private readonly List<Action?> _specialHandlers = [null, null]; // [default, timeout]

    /// <summary>Creates an empty selector.</summary>
    /// <param name="timeProvider">The clock for <see cref="Timeout(TimeSpan, Action)"/>; <see cref="TimeProvider.System"/> when null.</param>
    public Selector(TimeProvider? timeProvider = null)
    {
        // SelectAsync: the engine runs the handler (Dispatch) itself when it is done.
        _engine = new SelectEngine(timeProvider, Dispatch);
    }

    /// <summary>Gets or sets a value indicating whether ready arms are preferred in the order they were added, instead of at random.</summary>
    public bool Biased
    {
        get => _engine.Biased;
        set => _engine.Biased = value;
    }

    /// <summary>Gets the number of arms still taking part (not retired by a disconnected handler).</summary>
    public int ActiveCount => _engine.Arms.Count(arm => !arm.Retired);

    /// <summary>Gets the number of receive, send and cancellation arms.</summary>
    public int Count => _engine.Arms.Count;

    /// <summary>Adds a receive arm whose channel is expected to stay open (a closed one makes the select throw <see cref="ChannelDisconnectedException"/>).</summary>
    /// <typeparam name="T">The element type.</typeparam>
    /// <param name="receiver">The channel to receive from.</param>
    /// <param name="onItem">Runs with the received item when this arm is chosen.</param>
    /// <returns>This selector.</returns>
    /// <exception cref="ArgumentNullException">An argument is null.</exception>
    /// <exception cref="ObjectDisposedException"><paramref name="receiver"/> was disposed.</exception>
    public Selector Receive<T>(Receiver<T> receiver, Action<T> onItem)
    {
        ArgumentNullException.ThrowIfNull(receiver);
        ArgumentNullException.ThrowIfNull(onItem);
        receiver.ThrowIfDisposed();
        _engine.Add(new ReceiveArm<T>(receiver, onItem, null));
        return this;
    }

    /// <summary>Adds a receive arm with a handler for the channel being closed and drained.</summary>
    /// <typeparam name="T">The element type.</typeparam>
    /// <param name="receiver">The channel to receive from.</param>
    /// <param name="onItem">Runs with the received item when this arm is chosen.</param>
    /// <param name="onDisconnected">Runs when this arm is chosen because every sender is gone and the buffer is drained.</param>
    /// <returns>This selector.</returns>
    /// <exception cref="ArgumentNullException">An argument is null.</exception>
    /// <exception cref="ObjectDisposedException"><paramref name="receiver"/> was disposed.</exception>
    public Selector Receive<T>(Receiver<T> receiver, Action<T> onItem, Action onDisconnected)
    {
        ArgumentNullException.ThrowIfNull(receiver);
        ArgumentNullException.ThrowIfNull(onItem);
        ArgumentNullException.ThrowIfNull(onDisconnected);
        receiver.ThrowIfDisposed();
        _engine.Add(new ReceiveArm<T>(receiver, onItem, onDisconnected));
        return this;
    }

    /// <summary>Adds a send arm that sends the same <paramref name="value"/> every time it is chosen.</summary>
    /// <typeparam name="T">The element type.</typeparam>
    /// <param name="sender">The channel to send into.</param>
    /// <param name="value">The item to send.</param>
    /// <param name="onSent">Runs after the item was sent, when this arm is chosen.</param>
    /// <param name="onDisconnected">Runs with the unsent item when every receiver is gone; without it the select throws <see cref="ChannelDisconnectedException"/>.</param>
    /// <returns>This selector.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="sender"/> is null.</exception>
    /// <exception cref="ObjectDisposedException"><paramref name="sender"/> was disposed.</exception>
    public Selector Send<T>(Sender<T> sender, T value, Action? onSent = null, Action<T>? onDisconnected = null)
    {
        ArgumentNullException.ThrowIfNull(sender);
        sender.ThrowIfDisposed();
        _engine.Add(new SendArm<T>(sender, value, null, onSent, onDisconnected));
        return this;
    }

    /// <summary>Adds a send arm whose item is produced by <paramref name="value"/> once at the start of each select (Go evaluates <c>ch &lt;- v</c> the same way).</summary>
    /// <typeparam name="T">The element type.</typeparam>
    /// <param name="sender">The channel to send into.</param>
    /// <param name="value">Produces the item to offer in this select. It runs only for a select that goes ahead; if it throws, the exception propagates from the select, nothing is sent and the selector can run again.</param>
    /// <param name="onSent">Runs after the item was sent, when this arm is chosen.</param>
    /// <param name="onDisconnected">Runs with the unsent item when every receiver is gone; without it the select throws <see cref="ChannelDisconnectedException"/>.</param>
    /// <returns>This selector.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="sender"/> or <paramref name="value"/> is null.</exception>
    /// <exception cref="ObjectDisposedException"><paramref name="sender"/> was disposed.</exception>
    public Selector Send<T>(Sender<T> sender, Func<T> value, Action? onSent = null, Action<T>? onDisconnected = null)
    {
        ArgumentNullException.ThrowIfNull(sender);
        ArgumentNullException.ThrowIfNull(value);
        sender.ThrowIfDisposed();
        _engine.Add(new SendArm<T>(sender, default!, value, onSent, onDisconnected));
        return this;
    }

    /// <summary>
    /// Adds an arm that is chosen once <paramref name="cancellationToken"/> is cancelled (Go's
    /// <c>case &lt;-ctx.Done():</c>): the select then completes normally and runs
    /// <paramref name="onCancelled"/>, without throwing.
    /// </summary>
    /// <remarks>
    /// <para>The arm is an operation like the others: exactly one arm completes, and when a
    /// channel arm and a cancelled token are both ready, one of them is chosen at random (in
    /// order when <see cref="Biased"/>), as in Go. A token that stays cancelled keeps the arm
    /// ready, so a loop that should stop on it must stop in <paramref name="onCancelled"/>.
    /// While the select waits, a callback on the token claims the select for this arm; it is
    /// removed when the select ends, whichever arm won.</para>
    /// <para>The token passed to <see cref="Select(CancellationToken)"/> or
    /// <see cref="SelectAsync(CancellationToken)"/> is different: it makes the select throw
    /// <see cref="OperationCanceledException"/>. Do not pass the same token to both; which one
    /// wins is then not specified.</para>
    /// </remarks>
    /// <param name="cancellationToken">The token whose cancellation this arm reports.</param>
    /// <param name="onCancelled">Runs when this arm is chosen.</param>
    /// <returns>This selector.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="onCancelled"/> is null.</exception>
    public Selector Cancelled(CancellationToken cancellationToken, Action onCancelled)
    {
        ArgumentNullException.ThrowIfNull(onCancelled);
        _engine.Add(new CancelArm(cancellationToken, onCancelled));
        return this;
    }

    /// <summary>Sets a timeout for each select: if no arm completes within it, <paramref name="onTimeout"/> runs.</summary>
    /// <param name="timeout">Zero or positive, measured from the start of each select on the selector's clock; <see cref="System.Threading.Timeout.InfiniteTimeSpan"/> never times out (the handler never runs).</param>
    /// <param name="onTimeout">Runs when the timeout wins.</param>
    /// <returns>This selector.</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="timeout"/> is negative (other than infinite).</exception>
    /// <exception cref="ArgumentNullException"><paramref name="onTimeout"/> is null.</exception>
    /// <exception cref="InvalidOperationException">A timeout was already set.</exception>
    public Selector Timeout(TimeSpan timeout, Action onTimeout)
    {
        ArgumentNullException.ThrowIfNull(onTimeout);
        Timeouts.Validate(timeout, nameof(timeout));

        if (_specialHandlers[1] is not null)
        {
            throw new InvalidOperationException("This selector already has a timeout. A select has at most one.");
        }

        _engine.Timeout = timeout;
        _specialHandlers[1] = onTimeout;
        return this;
    }

    /// <summary>Adds a default arm: when no operation can complete at once, <paramref name="onDefault"/> runs instead of waiting.</summary>
    /// <param name="onDefault">Runs when nothing is ready.</param>
    /// <remarks>The default runs only if there was an instant at which no arm could complete, as
    /// in Go: before taking it, the select registers on every arm's channel and checks that none
    /// became ready meanwhile. That costs one channel lock per arm, only when the default is taken.</remarks>
    /// <returns>This selector.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="onDefault"/> is null.</exception>
    /// <exception cref="InvalidOperationException">A default arm was already added.</exception>
    public Selector Default(Action onDefault)
    {
        ArgumentNullException.ThrowIfNull(onDefault);
        if (_engine.HasDefault)
        {
            throw new InvalidOperationException("This selector already has a default arm. A select has at most one.");
        }

        _engine.HasDefault = true;
        _specialHandlers[0] = onDefault;
        return this;
    }

    /// <summary>Blocks until one arm completes (or the default or timeout runs), then runs its handler.</summary>
    /// <param name="cancellationToken">Cancels the wait; no arm completes then.</param>
    /// <returns>The index of the chosen arm in the order arms were added; -1 for the default arm, -2 for the timeout.</returns>
    /// <exception cref="ArgumentException">The selector has no arm, no default and no timeout: it would wait forever.</exception>
    /// <exception cref="ObjectDisposedException">An arm's handle was disposed.</exception>
    /// <exception cref="OperationCanceledException">Cancelled before any arm completed, or the token was already cancelled when the call started (then no arm completes, even a ready one).</exception>
    /// <exception cref="ChannelDisconnectedException">The chosen arm's channel is disconnected and the arm has no disconnected handler.</exception>
    public int Select(CancellationToken cancellationToken = default)
    {
        int chosen = _engine.Run(cancellationToken);
        Dispatch(chosen);
        return chosen;
    }

    /// <summary>Waits asynchronously until one arm completes (or the default or timeout runs), then runs its handler.</summary>
    /// <param name="cancellationToken">Cancels the wait; no arm completes then.</param>
    /// <remarks>A misuse found as the call starts (<see cref="ArgumentException"/>, an arm's handle
    /// already disposed: <see cref="ObjectDisposedException"/>, a select already running:
    /// <see cref="InvalidOperationException"/>) is thrown by the call itself, as a send on a disposed
    /// handle throws. Everything else is reported by the returned task, whether or not the select had
    /// to wait: cancellation (a cancelled task), a handler's exception, a disconnected arm without a
    /// handler, a failing clock or value factory, and an arm whose handle another thread disposed
    /// during the select when no handle of that side of its channel is left
    /// (<see cref="ObjectDisposedException"/>).</remarks>
    /// <returns>The index of the chosen arm in the order arms were added; -1 for the default arm, -2 for the timeout.</returns>
    /// <exception cref="ArgumentException">The selector has no arm, no default and no timeout: it would wait forever.</exception>
    /// <exception cref="ObjectDisposedException">An arm's handle was disposed.</exception>
    /// <exception cref="OperationCanceledException">Cancelled before any arm completed, or the token was already cancelled when the call started (then no arm completes, even a ready one).</exception>
    /// <exception cref="ChannelDisconnectedException">The chosen arm's channel is disconnected and the arm has no disconnected handler.</exception>
    public ValueTask<int> SelectAsync(CancellationToken cancellationToken = default) =>
        _engine.RunAsync(cancellationToken); // the engine runs the handler before completing

    private void Dispatch(int chosen)
    {
        switch (chosen)
        {
            case SelectEngine.DefaultChosen:
                _specialHandlers[0]!();
                break;
            case SelectEngine.TimeoutChosen:
                _specialHandlers[1]!();
                break;
            default:
                _engine.Arms[chosen].Invoke();
                break;
        }
    }
}
