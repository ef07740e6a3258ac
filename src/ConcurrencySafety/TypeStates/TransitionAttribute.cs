namespace ConcurrencySafety;

/// <summary>
/// Declares one transition of a type-state machine declared with
/// <see cref="TypeStatesAttribute"/>: a consuming method named <see cref="Name"/> on state
/// <see cref="From"/> that returns the machine in state <see cref="To"/>.
/// </summary>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = true, Inherited = false)]
public sealed class TransitionAttribute : Attribute
{
    /// <summary>Initializes a new instance of the <see cref="TransitionAttribute"/> class.</summary>
    /// <param name="name">The name of the generated transition method, a valid C# identifier.</param>
    public TransitionAttribute(string name) => Name = name;

    /// <summary>Gets the name of the generated transition method.</summary>
    public string Name { get; }

    /// <summary>Gets or sets the state the transition starts from.</summary>
    public string From { get; set; } = "";

    /// <summary>Gets or sets the state the transition ends in.</summary>
    public string To { get; set; } = "";
}
