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

    /// <summary>Rounds a non-negative duration up to whole milliseconds (timers count whole milliseconds and truncate).</summary>
    internal static TimeSpan RoundUpToMilliseconds(TimeSpan duration)
    {
        Debug.Assert(duration >= TimeSpan.Zero);
        long rest = duration.Ticks % TimeSpan.TicksPerMillisecond;
        return rest == 0 || duration.Ticks > TimeSpan.MaxValue.Ticks - TimeSpan.TicksPerMillisecond
            ? duration
            : TimeSpan.FromTicks(duration.Ticks - rest + TimeSpan.TicksPerMillisecond);
    }
}
