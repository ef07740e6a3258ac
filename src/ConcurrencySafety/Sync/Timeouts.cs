namespace ConcurrencySafety;

internal static class Timeouts
{
    /// <summary>Converts a timeout to milliseconds, accepting <see cref="Timeout.InfiniteTimeSpan"/>.</summary>
    internal static int ToMilliseconds(TimeSpan timeout, string paramName)
    {
        long ms = (long)timeout.TotalMilliseconds;
        if (ms < -1 || ms > int.MaxValue || (ms == -1 && timeout != Timeout.InfiniteTimeSpan))
            throw new ArgumentOutOfRangeException(paramName, timeout,
                "The timeout must be between 0 and Int32.MaxValue milliseconds, or Timeout.InfiniteTimeSpan.");
        return (int)ms;
    }
}
