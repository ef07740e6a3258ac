namespace ConcurrencySafety;

/// <summary>
/// Marks a type whose values must not be silently dropped: every value created in a method
/// must be consumed (passed to a <see cref="ConsumesAttribute">consuming</see> call), disposed,
/// returned or stored before it goes out of scope. The compile-time counterpart of Rust's
/// <c>#[must_use]</c> on crossbeam's guards and builders.
/// </summary>
/// <remarks>
/// <para>
/// The analyzer reports <c>CSA3003</c> (a warning) when such a value is discarded right away
/// (<c>machine.Start();</c> whose returned state is never looked at) or when a local holding
/// one reaches the end of its scope on some path without any of the above. Assigning the
/// value to a discard (<c>_ = machine.Start();</c>) states that dropping it is intended.
/// </para>
/// <para>
/// The attribute is inherited: a type deriving from a must-consume type is must-consume too.
/// </para>
/// <para>
/// On a phantom state type (one implementing <see cref="ITypeState"/>) it makes every type-state
/// value in that state must-consume: with <c>[MustConsume] abstract class Running : ITypeState</c>,
/// a <c>StateMachine&lt;Running&gt;</c> must be stopped (consumed) before it is dropped, while a
/// <c>StateMachine&lt;Stopped&gt;</c>, whose state is final, may simply go out of scope.
/// </para>
/// </remarks>
[AttributeUsage(AttributeTargets.Class | AttributeTargets.Struct | AttributeTargets.Interface, AllowMultiple = false, Inherited = true)]
public sealed class MustConsumeAttribute : Attribute
{
}
