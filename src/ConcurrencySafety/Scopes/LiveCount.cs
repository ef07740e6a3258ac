// LiveCount: how both scopes count their live participants (the body plus unfinished
// children) and decide, exactly once, that they have ended.
//
// The obvious form is one counter: +1 per spawn, -1 per finished child, the body holding 1.
// But then the spawning thread and the threads finishing children write the same cache line
// once per child each, and on a burst of tiny children (the `spawn` benchmark) that line moves
// between cores on every spawn. So the count is split:
//
//   _entered  children that joined (written by spawners only; bit 62 is the "ended" mark)
//   _left     children that finished (written by finishing children only)
//   _bodyDone set once, when the body has finished
//
// on separate cache lines. A finishing child looks at _entered only once the body is done, so
// while the body spawns, spawners and finishers never touch each other's lines.
//
// Ending: the scope has ended when the body is done and _left == _entered. Whoever sees that
// (the body's thread when it finishes, or a finishing child after the body is done) closes the
// scope with one compare-exchange of _entered from that count to count | Ended. The CAS
// succeeds only if no child joined in between, and at that instant _left == _entered (left
// only grows, and never exceeds entered, because a child finishes after it joined), so nobody
// is live. A join is a CAS that refuses a marked _entered, so ended is final: nothing can join
// an ended scope (the "no child outlives its scope" guarantee), and the close happens once.
//
// No end is missed: the body's thread sets _bodyDone (full fence) and then reads _left; a
// finishing child increments _left (full fence) and then reads _bodyDone. Of the body and the
// last child to finish, at least one sees the other's write (Dekker), so at least one of them
// tries to close with the final count. A child that joins later (spawned by a live child, or by
// a thread outside the scope while it is still live) makes any concurrent close fail its CAS,
// and then finishes itself, after _bodyDone, so it tries to close again.
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace ConcurrencySafety;

// Layout: _entered at 64 and _left/_bodyDone at 128-143 of a 256-byte struct. Fields are
// 8-aligned, so two fields 64 bytes apart never share a 64-byte line, and every field of the
// enclosing object lies before 0 or from 256 on, at least 64 bytes from all three.
[StructLayout(LayoutKind.Explicit, Size = 4 * CacheLine)]
internal struct LiveCount
{
    /// <summary>The cache-line size of current x64 parts (and of most arm64 ones).</summary>
    private const int CacheLine = 64;

    /// <summary>Bit 62 of <see cref="_entered"/> (far above any real count): the scope has ended.</summary>
    private const long Ended = 1L << 62;

    /// <summary>Children that joined, plus <see cref="Ended"/> once the scope has ended. Spawners' line.</summary>
    [FieldOffset(CacheLine)]
    private long _entered;

    /// <summary>Children that finished. Finishers' line.</summary>
    [FieldOffset(2 * CacheLine)]
    private long _left;

    /// <summary>1 once the body has finished (written once; read by finishers, so on their line).</summary>
    [FieldOffset(2 * CacheLine + sizeof(long))]
    private int _bodyDone;

    /// <summary>Gets a value indicating whether the scope has ended (final).</summary>
    internal bool HasEnded => (Volatile.Read(ref _entered) & Ended) != 0;

    /// <summary>Adds one live child unless the scope has ended.</summary>
    /// <returns>false if the scope has ended; nothing was changed then.</returns>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal bool TryJoin()
    {
        long seen = Volatile.Read(ref _entered);
        while ((seen & Ended) == 0)
        {
            long previous = Interlocked.CompareExchange(ref _entered, seen + 1, seen);
            if (previous == seen) return true;
            seen = previous;
        }
        return false;
    }

    /// <summary>A child finished. Returns true for exactly one caller overall (of this and <see cref="BodyFinished"/>): the one that ended the scope.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal bool ChildLeft()
    {
        long left = Interlocked.Increment(ref _left);
        Debug.Assert(left <= (Volatile.Read(ref _entered) & ~Ended), "more children left than joined");
        // Full fence above, then the read: see the Dekker argument in the file comment.
        return Volatile.Read(ref _bodyDone) != 0 && TryEnd(left);
    }

    /// <summary>The body finished (call once). Returns true if this call ended the scope.</summary>
    internal bool BodyFinished()
    {
        int was = Interlocked.Exchange(ref _bodyDone, 1);
        Debug.Assert(was == 0, "the body finished twice");
        return TryEnd(Volatile.Read(ref _left));
    }

    private bool TryEnd(long left)
    {
        // Not all joined children have left (or the count read is stale, and a later finisher
        // will see the newer one): not the end yet.
        if (Volatile.Read(ref _entered) != left) return false;
        return Interlocked.CompareExchange(ref _entered, left | Ended, left) == left;
    }
}
