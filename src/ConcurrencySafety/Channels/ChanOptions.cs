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
    /// <summary>Gets the default options (every continuation is dispatched to the thread pool).</summary>
    public static ChanOptions Default { get; } = new();

    /// <summary>
    /// Gets a value indicating whether an operation that completes a waiting asynchronous
    /// party may run that party's continuation on its own thread, before it returns.
    /// </summary>
    /// <remarks>
    /// <para>
    /// By default (false) a send or receive that hands an item to a waiting
    /// <c>await</c> — a <c>SendAsync</c>, a <c>ReceiveAsync</c> or a <c>SelectAsync</c> that
    /// has an arm on this channel — queues the waiting code to the thread pool and returns at
    /// once. With true, the waiting code runs right there, on the completing thread, until its
    /// next <c>await</c> that does not complete at once: no thread-pool hop, no second core
    /// touching the same data. On a rendezvous or small-buffer channel this is several times
    /// faster (see bench/README.md), and it is how Go's scheduler hands a goroutine over.
    /// </para>
    /// <para>
    /// The price is that the completing call does not return until that code yields. Turn it
    /// on only when the code after every <c>await</c> on this channel never blocks a thread
    /// (no <c>Thread.Sleep</c>, no blocking <c>Send</c>/<c>Receive</c>/<c>Select</c>, no
    /// <c>.Result</c> or <c>.Wait()</c>) and does not run for long: a continuation that
    /// blocks waiting for the thread it was inlined into deadlocks. Blocking operations on
    /// threads are unaffected (they are woken, never run inline), a continuation that captured
    /// a synchronization context is still posted to it, closing a channel always dispatches,
    /// and nested inline continuations stop at a small depth so that a chain of stages cannot
    /// overflow the stack. The same option of System.Threading.Channels has the same meaning.
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
