namespace ConcurrencySafety;

/// <summary>
/// Options for a channel made by <see cref="Chan"/>. The defaults suit almost every program;
/// pass options only to trade a guarantee for speed knowingly.
/// </summary>
/// <example>
/// <code>
/// // A hot pipeline stage whose consumer only awaits and never blocks a thread:
/// var (tx, rx) = Chan.Rendezvous&lt;Frame&gt;(new ChanOptions { AllowSynchronousContinuations = true });
/// </code>
/// </example>
public sealed class ChanOptions
{
    /// <summary>Gets the default options (no woken continuation ever runs inside the code that woke it).</summary>
    public static ChanOptions Default { get; } = new();

    /// <summary>
    /// Gets a value indicating whether an operation that completes a waiting asynchronous
    /// party may run that party's continuation on its own thread, before it returns.
    /// </summary>
    /// <remarks>
    /// <para>
    /// By default (false) a send or receive that hands an item to a waiting
    /// <c>await</c> (a <c>SendAsync</c>, a <c>ReceiveAsync</c>, or a <c>SelectAsync</c> that
    /// has an arm on this channel) never runs the waiting code itself, before it returns. Where
    /// that code runs instead: when the completing code is itself running on a pool thread as
    /// the continuation of an earlier hand-over, the woken code runs next on that same thread,
    /// right after the completing code has reached an <c>await</c> that does not complete at
    /// once (or has finished), so that two parties handing items back and forth take turns on
    /// one thread with no thread-pool hop, as Go's scheduler runs a woken goroutine on the
    /// waker's processor. If the completing code blocks in one of this library's waits, the
    /// woken code goes to the pool first. If it blocks elsewhere or keeps its thread busy, a
    /// watchdog moves the woken code to another pool thread after one to two of its periods
    /// (a millisecond each on Linux; longer under Windows' default timer resolution and while
    /// every core is busy; if the thread pool is starved, the moved code then also waits for a
    /// free pool thread), so it is delayed, never stuck: even a completer that blocks until the party it woke has run
    /// does not deadlock. In every other case (a completion from a dedicated thread, a timer or
    /// a cancellation, a wake while eight woken parties are already waiting to run there, an
    /// <c>OnCompleted</c> that flows an <see cref="ExecutionContext"/>) the woken code is
    /// queued to the thread pool. A continuation that captured a synchronization context or a
    /// task scheduler is always posted to it.
    /// </para>
    /// <para>
    /// With true, the waiting code runs right inside the completing call, on the completing
    /// thread, until its next <c>await</c> that does not complete at once. That saves the turn
    /// taking above and is a little faster still where the completing code is not itself a
    /// pool continuation (see bench/README.md). The price is that the completing call does not
    /// return until that code yields. Turn it on only when the code after every <c>await</c>
    /// on this channel never blocks a thread (no <c>Thread.Sleep</c>, no blocking
    /// <c>Send</c>/<c>Receive</c>/<c>Select</c>, no <c>.Result</c> or <c>.Wait()</c>) and does
    /// not run for long: a continuation that blocks waiting for the thread it was inlined into
    /// deadlocks. Blocking operations on threads are unaffected (they are woken, never run
    /// inline), a continuation that captured a synchronization context is still posted to it,
    /// closing a channel always dispatches, and nested inline continuations stop at a small
    /// depth so that a chain of stages cannot overflow the stack. The same option of
    /// System.Threading.Channels has the same meaning.
    /// </para>
    /// </remarks>
    public bool AllowSynchronousContinuations { get; init; }

    /// <summary>
    /// Gets the clock that this channel's timeouts and deadlines are measured on
    /// (<c>TrySend(item, timeout)</c>, <c>TryReceiveUntil(deadline)</c> and their async forms);
    /// null means <see cref="System.TimeProvider.System"/>.
    /// </summary>
    /// <remarks>
    /// A deadline is compared with this clock's <see cref="System.TimeProvider.GetUtcNow"/>, and a
    /// timeout runs on this clock's timers, so a test can pass a fake clock (for example
    /// <c>Microsoft.Extensions.Time.Testing.FakeTimeProvider</c>) and advance it instead of
    /// waiting.
    /// </remarks>
    public TimeProvider? TimeProvider { get; init; }
}
