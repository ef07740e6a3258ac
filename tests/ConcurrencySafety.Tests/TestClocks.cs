using Microsoft.Extensions.Time.Testing;

namespace ConcurrencySafety.Tests;

/// <summary>Test clocks shared by the duration and timeout tests.</summary>
internal static class TestClocks
{
    /// <summary>The system timer's limit for one due time or period: 2^32 - 2 ms.</summary>
    public static readonly TimeSpan SystemTimerLimit = TimeSpan.FromMilliseconds(uint.MaxValue - 1);

    /// <summary>
    /// A fake clock (over <see cref="FakeTimeProvider"/>) that counts its live timers, so that a
    /// test can wait until a wait has armed its timer before it advances the clock. With
    /// <c>systemLimit</c>, its timers refuse the durations the system timer refuses.
    /// </summary>
    internal class CountingFakeTime(bool systemLimit = false, DateTimeOffset? start = null) : TimeProvider
    {
        private int _live;

        public FakeTimeProvider Fake { get; } = start is { } at ? new FakeTimeProvider(at) : new FakeTimeProvider();

        /// <summary>Gets the number of timers created and not yet disposed.</summary>
        public int LiveTimers => Volatile.Read(ref _live);

        public override DateTimeOffset GetUtcNow() => Fake.GetUtcNow();

        public override long GetTimestamp() => Fake.GetTimestamp();

        public override long TimestampFrequency => Fake.TimestampFrequency;

        public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period)
        {
            Check(dueTime, period);
            var timer = new Counted(this, Fake.CreateTimer(callback, state, dueTime, period));
            Interlocked.Increment(ref _live);
            return timer;
        }

        private void Check(TimeSpan dueTime, TimeSpan period)
        {
            if (!systemLimit)
            {
                return;
            }

            if (dueTime > SystemTimerLimit)
            {
                throw new ArgumentOutOfRangeException(nameof(dueTime));
            }

            if (period > SystemTimerLimit)
            {
                throw new ArgumentOutOfRangeException(nameof(period));
            }
        }

        private sealed class Counted(CountingFakeTime owner, ITimer inner) : ITimer
        {
            private int _disposed;

            public bool Change(TimeSpan dueTime, TimeSpan period)
            {
                owner.Check(dueTime, period);
                return inner.Change(dueTime, period);
            }

            public void Dispose()
            {
                if (Interlocked.Exchange(ref _disposed, 1) == 0)
                {
                    Interlocked.Decrement(ref owner._live);
                }

                inner.Dispose();
            }

            public ValueTask DisposeAsync()
            {
                Dispose();
                return default;
            }
        }
    }

    /// <summary>A counting fake clock whose timers refuse durations the system timer refuses, as the system clock does.</summary>
    internal sealed class SystemLimitedFakeTime() : CountingFakeTime(systemLimit: true);
}
