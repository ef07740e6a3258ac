using Microsoft.Extensions.Time.Testing;

namespace ConcurrencySafety.Tests;

/// <summary>Test clocks shared by the duration tests.</summary>
internal static class TestClocks
{
    /// <summary>The system timer's limit for one due time or period: 2^32 - 2 ms.</summary>
    public static readonly TimeSpan SystemTimerLimit = TimeSpan.FromMilliseconds(uint.MaxValue - 1);

    /// <summary>A fake clock whose timers refuse durations the system timer refuses, as the system clock does.</summary>
    internal sealed class SystemLimitedFakeTime : TimeProvider
    {
        public FakeTimeProvider Fake { get; } = new();

        public override DateTimeOffset GetUtcNow() => Fake.GetUtcNow();

        public override long GetTimestamp() => Fake.GetTimestamp();

        public override long TimestampFrequency => Fake.TimestampFrequency;

        public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period)
        {
            Check(dueTime, period);
            return new Limited(Fake.CreateTimer(callback, state, dueTime, period));
        }

        private static void Check(TimeSpan dueTime, TimeSpan period)
        {
            if (dueTime > SystemTimerLimit)
            {
                throw new ArgumentOutOfRangeException(nameof(dueTime));
            }

            if (period > SystemTimerLimit)
            {
                throw new ArgumentOutOfRangeException(nameof(period));
            }
        }

        private sealed class Limited(ITimer inner) : ITimer
        {
            public bool Change(TimeSpan dueTime, TimeSpan period)
            {
                Check(dueTime, period);
                return inner.Change(dueTime, period);
            }

            public void Dispose() => inner.Dispose();

            public ValueTask DisposeAsync() => inner.DisposeAsync();
        }
    }
}
