namespace ConcurrencySafety.Tests;

/// <summary>Polling waits shared by the tests that must let another thread reach a state first.</summary>
internal static class TestWaits
{
    /// <summary>Polls <paramref name="condition"/> every millisecond; fails the test after 10 s, naming <paramref name="what"/>.</summary>
    public static void Until(Func<bool> condition, string what)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(10);
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < deadline, "timed out waiting until " + what);
            Thread.Sleep(1);
        }
    }
}
