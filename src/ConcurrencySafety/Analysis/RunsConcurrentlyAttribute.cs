namespace ConcurrencySafety;

/// <summary>
/// Marks a delegate parameter whose argument runs concurrently with the caller (on another
/// thread or as an independent task). The ConcurrencySafety analyzers treat a lambda, local
/// function or method group passed to such a parameter like one passed to <c>Task.Run</c>.
/// </summary>
/// <remarks>
/// Put it on the parameters of your own scheduling APIs so that data-race rules see through
/// them. Set <see cref="MayRunAsSeveralInstances"/> when the same delegate may be running
/// several times at once (for example a parallel loop body).
/// </remarks>
[AttributeUsage(AttributeTargets.Parameter, AllowMultiple = false, Inherited = true)]
public sealed class RunsConcurrentlyAttribute : Attribute
{
    /// <summary>
    /// Gets or sets a value indicating whether the delegate may run as several instances at
    /// once (a parallel loop body), rather than as one task beside its caller.
    /// </summary>
    public bool MayRunAsSeveralInstances { get; set; }
}
