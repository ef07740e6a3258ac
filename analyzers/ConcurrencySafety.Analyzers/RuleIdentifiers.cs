namespace ConcurrencySafety.Analyzers;

/// <summary>
/// Every diagnostic ID of the package, in one place. Ranges carry meaning:
/// CSA1xxx data races on shared state, CSA2xxx lifecycle (joins, closes, releases),
/// CSA3xxx type-state (use after consume). The prefix CSA never collides with the compiler (CS) or the .NET analyzers (CA).
/// </summary>
internal static class RuleIdentifiers
{
    /// <summary>CSA3001: a value is used after a call consumed it (use after move).</summary>
    public const string UseAfterConsume = "CSA3001";

    /// <summary>CSA3002: the same value is consumed twice.</summary>
    public const string DoubleConsume = "CSA3002";

    /// <summary>CSA3003: a must-consume value is dropped without being consumed, disposed, returned or stored.</summary>
    public const string MustConsumeDropped = "CSA3003";

    /// <summary>CSA3004: a type-state declaration for the source generator is invalid.</summary>
    public const string InvalidTypeStateDeclaration = "CSA3004";
    /// <summary>A captured local or parameter is written while another body may use it concurrently.</summary>
    public const string CapturedVariableWrittenConcurrently = "CSA1001";

    /// <summary>A collection or builder that is not thread-safe is shared across concurrent bodies.</summary>
    public const string NonThreadSafeObjectShared = "CSA1002";

    /// <summary>A field is written from a concurrent body without synchronization.</summary>
    public const string FieldWrittenConcurrently = "CSA1003";

    /// <summary>A <c>for</c> loop variable is captured by a body that runs concurrently with the loop.</summary>
    public const string ForLoopVariableCaptured = "CSA1004";

    /// <summary>A <c>lock</c> statement locks an object that no other thread can see.</summary>
    public const string LockCannotProtect = "CSA1005";

    /// <summary>A task or thread is started and never joined (its handle is dropped).</summary>
    public const string UnjoinedConcurrentWork = "CSA2001";

    /// <summary>A channel sender created or cloned in a method is not disposed on every path, so the channel may never close.</summary>
    public const string SenderNeverDisposed = "CSA2002";

    /// <summary>A loop receives until the channel closes while the method still holds a sender of that channel.</summary>
    public const string ReceiveLoopWhileHoldingSender = "CSA2003";

    /// <summary>A semaphore, permit or lock guard is not released on every path.</summary>
    public const string PermitNotReleased = "CSA2004";

    /// <summary>A thread is created per item of a loop over a collection.</summary>
    public const string ThreadPerItem = "CSA2005";

    /// <summary>An unbounded channel is created.</summary>
    public const string UnboundedChannel = "CSA2006";

    /// <summary>A blocking channel operation is used inside an async function where an async form exists.</summary>
    public const string BlockingChannelOperationInAsync = "CSA2007";

    /// <summary>A BCL <c>ChannelWriter</c> is never completed in a method that reads its channel to the end.</summary>
    public const string ChannelWriterNeverCompleted = "CSA2008";

    /// <summary>A task is started and its handle explicitly discarded (<c>_ = Task.Run(...)</c>): the configurable warning form of CSA2001.</summary>
    public const string DiscardedConcurrentWork = "CSA2009";

    /// <summary>A mutable value is used by the sending code after a channel send moved it to the receiving side.</summary>
    public const string ValueUsedAfterSend = "CSA2010";

    /// <summary>A reference into a lock guard's data (or a lambda capturing it) escapes the guard's lifetime.</summary>
    public const string GuardDataEscapes = "CSA2011";

    /// <summary>The data of an <c>RwLocked&lt;T&gt;</c> read guard is changed.</summary>
    public const string MutationThroughReadGuard = "CSA2012";

    /// <summary>A guard acquired by a blocking call is held across <c>await</c>.</summary>
    public const string SyncGuardAcrossAwait = "CSA2013";

    /// <summary>A channel handle is disposed while concurrent work that uses it may still run.</summary>
    public const string HandleDisposedWhileInUse = "CSA2014";

    /// <summary>A channel sender or receiver is used after it was disposed.</summary>
    public const string HandleUsedAfterDispose = "CSA2015";

    /// <summary>Work started inside a scope body with Task.Run or the thread pool is not joined inside it.</summary>
    public const string WorkEscapesScope = "CSA2016";

    /// <summary>An async void method, or an async lambda converted to a void-returning delegate that is run concurrently or per item.</summary>
    public const string AsyncVoid = "CSA2017";

    /// <summary>A cancellable semaphore wait sits inside the try whose finally releases the semaphore.</summary>
    public const string WaitInsideReleasingTry = "CSA2018";

    /// <summary>A BlockingCollection consumed to the end with GetConsumingEnumerable is never completed for adding.</summary>
    public const string BlockingCollectionNeverCompleted = "CSA2019";

    /// <summary>
    /// Builds the help link of a rule: its page under docs/rules in the repository whose URL
    /// the build writes into <see cref="RepositoryInfo"/> (RepositoryUrl in Directory.Build.props).
    /// </summary>
    public static string GetHelpUri(string id) =>
        RepositoryInfo.Url + "/blob/" + RepositoryInfo.Branch + "/docs/rules/" + id + ".md";
}
