// ChildRunQueue: how both scopes hand their children to the thread pool.
//
// Queuing one pool work item per child costs, per spawn, a push on the pool's global queue and
// a thread request, and per child a pass through the pool's dispatch loop. Children of one
// scope are usually spawned in bursts (a loop in the body), so instead each scope keeps its own
// FIFO of ready children and lets a few pool work items ("runners") drain it.
//
// The one invariant that matters is progress: a child may block (a synchronous channel
// receive, say) waiting for a sibling that has not started yet, so a ready child must never
// wait behind a runner that is stuck in another child. Hence:
//
//   whenever the queue may be non-empty, a runner is queued on the pool and not yet started
//   ("pending"), or a running runner will look at the queue again before it runs user code.
//
// A runner that takes a child and sees more children left makes sure a pending runner exists
// *before* it runs the child. So every child that is not running has a runner on its way, and
// the pool's starvation handling (which adds threads while work items wait) applies to our
// children exactly as it would to one work item per child. At most one runner is pending at a
// time; in a burst, the running runners each drain many children for one pool round trip.
using System.Collections.Concurrent;
using System.Runtime.CompilerServices;

namespace ConcurrencySafety;

internal sealed class ChildRunQueue : IThreadPoolWorkItem
{
    /// <summary>Children a runner drains before it gives its pool thread back (other pool work gets a turn; a pending runner continues).</summary>
    private const int RunnerQuantum = 256;

    private readonly ConcurrentQueue<IThreadPoolWorkItem> _ready = new();

    /// <summary>1 while a runner is queued on the pool and has not started; 0 otherwise.</summary>
    private int _runnerPending;

    /// <summary>Makes <paramref name="child"/> ready to run on the thread pool.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal void Enqueue(IThreadPoolWorkItem child)
    {
        // Publish first, then look for a pending runner. The runner clears its flag (full
        // fence) before its first dequeue, so either that dequeue sees this child, or the
        // flag is seen clear here and a new runner is queued: the child is never stranded.
        _ready.Enqueue(child);
        EnsureRunner();
    }

    /// <summary>
    /// Runs one ready child on the calling thread, if there is one (the thread scope's owner
    /// helps this way when its body has returned). Taking a child leaves the invariant intact:
    /// whatever is still queued already has its runner on the way.
    /// </summary>
    /// <returns>false if the queue was empty.</returns>
    internal bool TryRunOne()
    {
        if (!_ready.TryDequeue(out IThreadPoolWorkItem? child)) return false;
        child.Execute();
        return true;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void EnsureRunner()
    {
        if (Volatile.Read(ref _runnerPending) == 0 && Interlocked.Exchange(ref _runnerPending, 1) == 0)
            ThreadPool.UnsafeQueueUserWorkItem(this, preferLocal: false);
    }

    /// <summary>One runner: drains children until the queue is empty or its quantum is used.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    void IThreadPoolWorkItem.Execute()
    {
        // No longer pending: from here on a spawner that finds the flag clear queues another
        // runner. Exchange (not a plain write) so the clear is ordered before the dequeue.
        Interlocked.Exchange(ref _runnerPending, 0);
        for (int i = 0; i < RunnerQuantum; i++)
        {
            if (!_ready.TryDequeue(out IThreadPoolWorkItem? child)) return;
            // Siblings still waiting must not depend on this child finishing: make sure a
            // runner is on its way for them before running user code that may block. (The
            // flag is read first: while a runner is pending, which is the usual case in a
            // burst, the emptiness test, a read of the queue's shared head, is not needed.)
            if (Volatile.Read(ref _runnerPending) == 0 && !_ready.IsEmpty) EnsureRunner();
            child.Execute();
        }
        // Quantum used: if children remain, the check above already left a pending runner.
    }
}
