// The one timeout converter of the library. Every public method that takes a timeout or a
// deadline converts it here, so they all accept and reject the same values:
// - Timeout.InfiniteTimeSpan (exactly -1 ms) waits without limit and becomes -1;
// - any other negative value throws ArgumentOutOfRangeException naming the caller's parameter;
// - zero tries once without waiting;
// - a positive value is rounded *up* to whole milliseconds, so that a tiny positive timeout
//   still waits instead of degrading to a poll (and a timer never truncates it to 0);
// - values past int.MaxValue milliseconds (24.8 days) are supported: the wait machinery takes
//   long milliseconds and arms its timers in steps where one arming cannot take that much.
// A deadline is converted on the clock it belongs to (the channel's TimeProvider), so a fake
// clock controls it in tests; a deadline already passed gives 0 (try once).
namespace ConcurrencySafety;

/// <summary>Validates and converts timeouts and deadlines for the wait machinery; see the file header.</summary>
internal static class Timeouts
{
    /// <summary>The largest result: <see cref="TimeSpan.MaxValue"/> in whole milliseconds, so converting back never overflows.</summary>
    internal const long MaxMilliseconds = long.MaxValue / TimeSpan.TicksPerMillisecond;

    /// <summary>
    /// Converts a timeout to whole milliseconds, rounding up: <see cref="Timeout.InfiniteTimeSpan"/>
    /// gives -1, zero gives 0, anything positive at least 1.
    /// </summary>
    /// <param name="timeout">The caller's timeout.</param>
    /// <param name="paramName">The caller's parameter name, for the exception.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="timeout"/> is negative and not <see cref="Timeout.InfiniteTimeSpan"/>.</exception>
    internal static long ToMilliseconds(TimeSpan timeout, string paramName)
    {
        if (timeout == Timeout.InfiniteTimeSpan)
        {
            return Timeout.Infinite;
        }

        if (timeout < TimeSpan.Zero)
        {
            throw new ArgumentOutOfRangeException(
                paramName,
                timeout,
                "The timeout must be zero (try once) or positive, or Timeout.InfiniteTimeSpan to wait without limit.");
        }

        return RoundUp(timeout.Ticks);
    }

    /// <summary>
    /// Validates a timeout that stays a <see cref="TimeSpan"/> (select timeouts run on a
    /// <see cref="TimeProvider"/>): the same rule as <see cref="ToMilliseconds"/>.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="timeout"/> is negative and not <see cref="Timeout.InfiniteTimeSpan"/>.</exception>
    internal static TimeSpan Validate(TimeSpan timeout, string paramName)
    {
        _ = ToMilliseconds(timeout, paramName);
        return timeout;
    }

    /// <summary>Converts an absolute deadline, read on <paramref name="timeProvider"/>'s clock, to the milliseconds left (rounded up); a deadline already passed gives 0 (try once).</summary>
    internal static long FromDeadline(DateTimeOffset deadline, TimeProvider timeProvider)
    {
        var left = deadline - timeProvider.GetUtcNow();
        return left <= TimeSpan.Zero ? 0 : RoundUp(left.Ticks);
    }

    /// <summary>Rounds a non-negative duration up to whole milliseconds (timers count whole milliseconds and truncate).</summary>
    internal static TimeSpan RoundUpToMilliseconds(TimeSpan duration)
    {
        Debug.Assert(duration >= TimeSpan.Zero);
        return TimeSpan.FromMilliseconds(RoundUp(duration.Ticks));
    }

    /// <summary>Whole milliseconds of a non-negative tick count, rounded up and capped at <see cref="MaxMilliseconds"/>.</summary>
    private static long RoundUp(long ticks)
    {
        Debug.Assert(ticks >= 0);
        long ms = ticks / TimeSpan.TicksPerMillisecond;
        if (ticks % TimeSpan.TicksPerMillisecond != 0 && ms < MaxMilliseconds)
        {
            ms++;
        }

        return ms;
    }
}
