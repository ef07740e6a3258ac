namespace ConcurrencySafety;

/// <summary>
/// Marks a call that <em>consumes</em> a value, the way a Rust method taking <c>self</c> by
/// value moves it: after the call the caller must not use that value again.
/// </summary>
/// <remarks>
/// <para>
/// On a method (or on the <c>this</c> parameter of an extension method) it consumes the
/// receiver. On a parameter it consumes the argument passed to that parameter. The analyzer
/// then reports, at compile time, a later read, call or pass of the same variable
/// (<c>CSA3001</c>) and a second consuming call on it (<c>CSA3002</c>). Assigning the
/// variable a new value revives it.
/// </para>
/// <para>
/// Typical consumers are type-state transitions (<c>Start()</c> returns the running machine and
/// the initial one is gone), builders whose <c>Build()</c> takes ownership of what was
/// configured, and APIs that take ownership of a resource such as a channel sender moved into
/// a spawned task.
/// </para>
/// <para>
/// Calling <see cref="IDisposable.Dispose"/> on a consumed value is not a use: disposal is
/// idempotent by the .NET contract, so a defensive <c>finally { value.Dispose(); }</c> stays
/// quiet.
/// </para>
/// </remarks>
/// <example>
/// <code>
/// [Consumes]
/// public static StateMachine&lt;Running&gt; Start(this StateMachine&lt;Initialized&gt; machine) { ... }
///
/// public static void Spawn([Consumes] Sender&lt;int&gt; sender) { ... }
/// </code>
/// </example>
[AttributeUsage(AttributeTargets.Method | AttributeTargets.Parameter, AllowMultiple = false, Inherited = true)]
public sealed class ConsumesAttribute : Attribute
{
}
