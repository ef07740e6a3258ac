namespace ConcurrencySafety;

/// <summary>
/// Base class for values that are moved by consuming calls (type-state values, one-shot
/// builders, owned handles). It adds the run-time half of the guarantee: once a derived class
/// calls <see cref="Consume"/>, every member that calls <see cref="ThrowIfConsumed"/> throws.
/// </summary>
/// <remarks>
/// <para>
/// The analyzer rejects use after consume at compile time; this check catches what the
/// analyzer cannot see (reflection, <c>dynamic</c>, code compiled without the analyzer, a value
/// shared with another thread). <see cref="Consume"/> is atomic, so when two threads race to
/// consume the same value exactly one wins and the other gets an
/// <see cref="InvalidOperationException"/>.
/// </para>
/// <para>
/// Mark the consuming members with <see cref="ConsumesAttribute"/> so the analyzer knows about
/// them, and call <see cref="Consume"/> first in each of them.
/// </para>
/// </remarks>
public abstract class Consumable
{
    // 0 = live, 1 = consumed. A plain int so that Interlocked can flip it exactly once.
    private int _consumed;

    /// <summary>Gets a value indicating whether a consuming member has already run on this value.</summary>
    protected bool IsConsumed => Volatile.Read(ref _consumed) != 0;

    /// <summary>
    /// Marks this value as consumed. Call it at the start of every consuming member.
    /// </summary>
    /// <exception cref="InvalidOperationException">The value was already consumed.</exception>
    protected void Consume()
    {
        // CompareExchange rather than a plain write: of two racing consumers exactly one
        // observes 0, so a value can never be moved into two places.
        if (Interlocked.CompareExchange(ref _consumed, 1, 0) != 0)
        {
            throw AlreadyConsumed();
        }
    }

    /// <summary>Throws when this value was consumed. Call it at the start of every non-consuming member.</summary>
    /// <exception cref="InvalidOperationException">The value was already consumed.</exception>
    protected void ThrowIfConsumed()
    {
        if (Volatile.Read(ref _consumed) != 0)
        {
            throw AlreadyConsumed();
        }
    }

    private static string DisplayName(Type type)
    {
        if (!type.IsGenericType)
        {
            return type.Name;
        }

        var name = type.Name;
        var tick = name.IndexOf('`', StringComparison.Ordinal);
        var arguments = string.Join(", ", Array.ConvertAll(type.GetGenericArguments(), DisplayName));
        return $"{(tick < 0 ? name : name[..tick])}<{arguments}>";
    }

    private InvalidOperationException AlreadyConsumed() => new(
        $"This {DisplayName(GetType())} was already consumed by an earlier call (a state transition or a move). " +
        "Use the value that call returned instead, or create a new one.");
}
