namespace ConcurrencySafety.Channels;

/// <summary>Validates and converts timeouts and deadlines to milliseconds for the wait machinery.</summary>
internal static class TimeoutHelper
{
    /// <summary>Converts a timeout: <see cref="Timeout.InfiniteTimeSpan"/> becomes -1; anything else must be 0..int.MaxValue ms.</summary>
    public static int ToMilliseconds(TimeSpan timeout, string parameterName)
    {
        if (timeout == Timeout.InfiniteTimeSpan)
        {
            return Timeout.Infinite;
        }

        if (timeout < TimeSpan.Zero || timeout.TotalMilliseconds > int.MaxValue)
        {
            throw new ArgumentOutOfRangeException(
                parameterName,
                timeout,
                "The timeout must be between TimeSpan.Zero and int.MaxValue milliseconds, or Timeout.InfiniteTimeSpan to wait without limit.");
        }

        // Round up so that a tiny positive timeout still waits rather than degrading to a poll.
        return (int)Math.Ceiling(timeout.TotalMilliseconds);
    }

    /// <summary>Converts an absolute deadline (on the system clock) to the milliseconds left; a past deadline gives 0 (try once).</summary>
    public static int FromDeadline(DateTimeOffset deadline)
    {
        double left = (deadline - DateTimeOffset.UtcNow).TotalMilliseconds;
        if (left <= 0)
        {
            return 0;
        }

        return left >= int.MaxValue ? int.MaxValue - 1 : (int)Math.Ceiling(left);
    }
}
