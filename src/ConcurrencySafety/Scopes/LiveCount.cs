// LiveCount: the "join unless ended" step both scopes use. A scope counts its live
// participants (the body plus unfinished children); zero means ended, and ended is final,
// so joining must be a compare-exchange that refuses zero rather than a plain increment
// (an increment could revive an ended scope between the last leave and the end).
using System.Runtime.CompilerServices;

namespace ConcurrencySafety;

internal static class LiveCount
{
    /// <summary>Adds one participant to <paramref name="live"/> unless it is already zero (ended).</summary>
    /// <returns>false if the scope has ended; nothing was changed then.</returns>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static bool TryJoin(ref int live)
    {
        int seen = Volatile.Read(ref live);
        while (seen > 0)
        {
            int previous = Interlocked.CompareExchange(ref live, seen + 1, seen);
            if (previous == seen) return true;
            seen = previous;
        }
        return false;
    }
}
