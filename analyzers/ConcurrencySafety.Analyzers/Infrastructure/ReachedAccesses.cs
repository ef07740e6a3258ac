using System.Threading;
using Microsoft.CodeAnalysis;

namespace ConcurrencySafety.Analyzers.Infrastructure;

/// <summary>
/// What the concurrent bodies of a member, and the member itself while they run, touch through
/// the source methods they call: the bodies' method groups and async methods, the calls made
/// inside bodies, and the calls the starting code makes while some body may be running.
/// Computed once per model, from the engine's cached summaries.
/// </summary>
internal static class ReachedAccesses
{
    public static List<(ReachedAccess Access, ConcurrentBody? Body)> Collect(ConcurrencyModel model, CancellationToken cancellationToken)
    {
        if (model.Reached is { } known)
        {
            return known;
        }

        var engine = model.Engine;
        var result = new List<(ReachedAccess, ConcurrentBody?)>();
        var buffer = new List<ReachedAccess>();
        var starts = new HashSet<IOperation>();
        foreach (var body in model.Bodies)
        {
            // A start is the body's own code, not a call the starter makes into it (a local async
            // function started twice is a body of this member, and its starts call it).
            starts.Add(body.Call.Call);
            foreach (var other in body.OtherStarts)
            {
                starts.Add(other.Call);
            }

            if (body.TargetMethod is { } method)
            {
                buffer.Clear();
                engine.Reach(method, body.TargetReceiver, body.TargetArguments, body.Call.Call, locks: null, afterAwait: false, buffer, cancellationToken);
                foreach (var access in buffer)
                {
                    result.Add((access, body));
                }
            }
        }

        foreach (var call in model.FollowableCalls)
        {
            if (starts.Contains(call))
            {
                continue;
            }

            var body = model.InnermostBody(call.Syntax);
            if (body is null && !InSomeRegion(model, call))
            {
                // Starting code that runs while no body can: nothing of it can race.
                continue;
            }

            cancellationToken.ThrowIfCancellationRequested();
            buffer.Clear();
            engine.ReachCall(call, Access.CollectLocks(call), body?.AwaitOrder?.IsAfterAwait(call.Syntax) ?? false, buffer, cancellationToken);
            foreach (var access in buffer)
            {
                result.Add((access, body));
            }
        }

        model.Reached = result;
        return result;
    }

    private static bool InSomeRegion(ConcurrencyModel model, IOperation call)
    {
        // Where the callee's accesses happen: at the end of the call (see Access.Position).
        var position = System.Math.Max(call.Syntax.SpanStart, call.Syntax.Span.End - 1);
        foreach (var body in model.Bodies)
        {
            if (body.Region.Contains(call.Syntax, position, variable: null))
            {
                return true;
            }
        }

        return false;
    }
}
