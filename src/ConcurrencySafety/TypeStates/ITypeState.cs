namespace ConcurrencySafety;

/// <summary>
/// Marker for <em>phantom state types</em>: types that are never instantiated and exist only to
/// be the type argument that says which state a type-state value is in, as in
/// <c>StateMachine&lt;Running&gt;</c>.
/// </summary>
/// <remarks>
/// <para>
/// The type-state pattern puts a protocol in the type system. A value's type names its state;
/// an operation that is only legal in one state is declared only on that state's type, so
/// calling it in another state is a plain compile error; a transition consumes the value (see
/// <see cref="ConsumesAttribute"/>) and returns the value in its next state.
/// </para>
/// <para>
/// Declare each state as an uninstantiable type: <c>public abstract class Running : ITypeState
/// { private Running() { } }</c>, and constrain the state parameter with
/// <c>where TState : ITypeState</c>. Put state-specific operations in extension methods on the
/// closed type (<c>this StateMachine&lt;Running&gt; machine</c>), or let the type-state source
/// generator (<see cref="TypeStatesAttribute"/>) write a class per state for you.
/// </para>
/// </remarks>
[System.Diagnostics.CodeAnalysis.SuppressMessage("Design", "CA1040:Avoid empty interfaces", Justification = "A marker for phantom types is the point.")]
public interface ITypeState
{
}
