namespace ConcurrencySafety;

/// <summary>
/// Permits held from a <see cref="PermitSemaphore"/> (or the lock behind a guard). Dispose it
/// to give the permits back: <c>using var permit = await semaphore.AcquireAsync(ct);</c>.
/// </summary>
/// <remarks>
/// <para>Releasing happens exactly once per acquisition. Disposing a second time, or disposing
/// a copy of an already released permit, does nothing. A <c>default</c> permit holds nothing,
/// and disposing it does nothing: there is no way to release permits that were not acquired.</para>
/// <para>A permit is a small struct over a pooled node, so acquiring allocates nothing in the
/// steady state. The node's identity stamp changes on release, which is what makes stale
/// copies harmless.</para>
/// </remarks>
public readonly struct Permit : IDisposable, IEquatable<Permit>
{
    private readonly PermitWaiter? _node;
    private readonly long _stamp;

    internal Permit(PermitWaiter node, long stamp)
    {
        _node = node;
        _stamp = stamp;
    }

    /// <summary>Gets a value indicating whether these permits are still held (not yet disposed).</summary>
    public bool IsHeld => _node is not null && Volatile.Read(ref _node.Stamp) == _stamp;

    /// <summary>Gets the number of permits held, or 0 once released (or for a default permit).</summary>
    public int Weight => IsHeld ? _node!.Weight : 0;

    /// <summary>Releases the permits if they are still held; otherwise does nothing.</summary>
    public void Dispose() => _node?.Release(_stamp);

    /// <summary>Throws <see cref="ObjectDisposedException"/> if the permits were released.</summary>
    internal void ThrowIfReleased(string what)
    {
        if (!IsHeld)
            throw new ObjectDisposedException(what,
                $"This {what} was disposed (the lock was released). Acquire the lock again to reach the data.");
    }

    /// <inheritdoc/>
    public bool Equals(Permit other) => ReferenceEquals(_node, other._node) && _stamp == other._stamp;

    /// <inheritdoc/>
    public override bool Equals(object? obj) => obj is Permit p && Equals(p);

    /// <inheritdoc/>
    public override int GetHashCode() => HashCode.Combine(_node, _stamp);

    /// <summary>Compares two permits for identity (the same acquisition).</summary>
    public static bool operator ==(Permit left, Permit right) => left.Equals(right);

    /// <summary>Compares two permits for identity (the same acquisition).</summary>
    public static bool operator !=(Permit left, Permit right) => !left.Equals(right);
}
