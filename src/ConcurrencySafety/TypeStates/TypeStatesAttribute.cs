namespace ConcurrencySafety;

/// <summary>
/// Declares a type-state machine on a <c>partial</c> class: the states it can be in. The
/// ConcurrencySafety source generator then writes, nested in the class, one class per state,
/// and for every <see cref="TransitionAttribute"/> a consuming method on the source state's
/// class that returns the target state.
/// </summary>
/// <remarks>
/// <para>The annotated class holds the data shared by all states. For a class <c>Job</c> with
/// states <c>Created</c>, <c>Running</c>, <c>Done</c> the generator writes:</para>
/// <list type="bullet">
/// <item><description><c>Job.Created</c>, <c>Job.Running</c>, <c>Job.Done</c>: sealed partial
/// classes deriving from <see cref="Consumable"/>, each with a <c>Data</c> property (the
/// <c>Job</c>, which throws once the state was left) and one
/// <see cref="ConsumesAttribute">consuming</see> method per outgoing transition. Add
/// state-specific operations by declaring more members in these partial classes.</description></item>
/// <item><description><c>job.Begin()</c>: consumes the <c>Job</c> and returns it in the first
/// listed state.</description></item>
/// <item><description>A <c>partial void On&lt;Transition&gt;()</c> hook on <c>Job</c> per
/// transition name, called before the transition completes. Implement it to run code on
/// that transition.</description></item>
/// </list>
/// <para>Errors in the description (unknown or duplicate states, a class that is not partial)
/// are reported as <c>CSA3004</c>.</para>
/// </remarks>
/// <example>
/// <code>
/// [TypeStates("Created", "Running", "Done")]
/// [Transition("Start", From = "Created", To = "Running")]
/// [Transition("Finish", From = "Running", To = "Done")]
/// public sealed partial class Job { public int Steps; }
///
/// Job.Running running = new Job().Begin().Start();
/// Job.Done done = running.Finish();
/// </code>
/// </example>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = false, Inherited = false)]
public sealed class TypeStatesAttribute : Attribute
{
    /// <summary>Initializes a new instance of the <see cref="TypeStatesAttribute"/> class.</summary>
    /// <param name="states">The state names, each a valid C# identifier; the first is the initial state.</param>
    public TypeStatesAttribute(params string[] states) => States = states;

    /// <summary>Gets the state names; the first is the initial state.</summary>
    public IReadOnlyList<string> States { get; }

    /// <summary>
    /// Gets or sets a value indicating whether the generated classes of states that have an
    /// outgoing transition are <see cref="MustConsumeAttribute">must-consume</see>, so that
    /// dropping a machine before it reaches a final state is reported.
    /// </summary>
    public bool MustReachFinalState { get; set; }
}
