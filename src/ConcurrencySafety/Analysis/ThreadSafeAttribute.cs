namespace ConcurrencySafety;

/// <summary>
/// Declares that instances of the type may be used from several threads at once: every member
/// synchronizes internally (Rust's <c>Sync</c>). The ConcurrencySafety analyzers then never report
/// a shared instance of the type, even when it derives from a type they know is not thread-safe.
/// </summary>
/// <remarks>
/// The analyzers take the mark on trust; they do not check the type's own implementation
/// against it. Types outside your code can be declared thread-safe in <c>.editorconfig</c> with
/// <c>concurrencysafety.thread_safe_types = Namespace.Type, ...</c>.
/// </remarks>
[AttributeUsage(AttributeTargets.Class | AttributeTargets.Struct | AttributeTargets.Interface, AllowMultiple = false, Inherited = true)]
public sealed class ThreadSafeAttribute : Attribute
{
}
