namespace ConcurrencySafety;

/// <summary>
/// Declares that instances of the type must not be used from several threads at once without
/// a lock, like <c>List&lt;T&gt;</c> (a type that is not Rust's <c>Sync</c>). Rule CSA1002 then reports a
/// shared instance whose methods are called by a concurrent body while another thread may use it.
/// </summary>
/// <remarks>
/// Every method call and property store on the instance counts as a change; property reads
/// count as uses. A <see cref="ThreadSafeAttribute"/> on a derived type wins. Types outside your
/// code can be listed in <c>.editorconfig</c> with
/// <c>concurrencysafety.not_thread_safe_types = Namespace.Type, ...</c>.
/// </remarks>
[AttributeUsage(AttributeTargets.Class | AttributeTargets.Struct | AttributeTargets.Interface, AllowMultiple = false, Inherited = false)]
public sealed class NotThreadSafeAttribute : Attribute
{
}
