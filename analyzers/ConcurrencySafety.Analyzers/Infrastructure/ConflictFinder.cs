using System.Collections.Generic;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace ConcurrencySafety.Analyzers.Infrastructure;

/// <summary>Why an access is reported.</summary>
internal enum ConflictKind
{
    /// <summary>Written by a body that may run as several instances at once.</summary>
    SeveralInstances,

    /// <summary>Written by a body while the starting code uses it before the join.</summary>
    BodyWritesWhileStarterUses,

    /// <summary>Written by the starting code while a body that uses it may still run.</summary>
    StarterWritesWhileBodyRuns,

    /// <summary>Read by the starting code while a body may be writing it.</summary>
    StarterReadsWhileBodyWrites,

    /// <summary>Written by a body while another body that uses it may run at the same time.</summary>
    BodyWritesWhileSiblingUses,

    /// <summary>Read by a body while another instance or another body writes it.</summary>
    BodyReadsWhileOtherWrites,
}

internal readonly struct Conflict
{
    public Conflict(Access access, ConcurrentBody body, ConflictKind kind)
    {
        Access = access;
        Body = body;
        Kind = kind;
    }

    public Access Access { get; }

    /// <summary>The concurrent body the access races with (or is in).</summary>
    public ConcurrentBody Body { get; }

    public ConflictKind Kind { get; }
}

/// <summary>
/// Finds the accesses that can happen at the same time as a conflicting write. Shared by the
/// captured-variable, collection and field rules, which differ only in what they call a write.
/// </summary>
internal static class ConflictFinder
{
    /// <summary>Returns the accesses to report, at most once each, in source order.</summary>
    /// <param name="model">The member's concurrency model.</param>
    /// <param name="accesses">The accesses the rule cares about, with their kind.</param>
    /// <param name="reportReads">Also report reads that can overlap a write (collections: a read during a resize can throw or see garbage).</param>
    /// <param name="skip">Lets a rule leave a location alone for one body (for loop variables belong to CSA1004).</param>
    public static List<Conflict> Find(ConcurrencyModel model, List<Access> accesses, bool reportReads, System.Func<VariableKey, ConcurrentBody, List<Access>, bool>? skip = null)
    {
        // Cost: linear in the accesses plus the pairs of bodies that touch one variable and
        // of which one writes it. Every list below is built once per variable; nothing scans
        // all accesses of a variable once per body (a long method has hundreds of each).
        var conflicts = new List<Conflict>();
        var reported = new HashSet<IOperation>();
        var groups = new Dictionary<VariableKey, List<Access>>();
        foreach (var access in accesses)
        {
            if (!groups.TryGetValue(access.Key, out var group))
            {
                group = new List<Access>();
                groups.Add(access.Key, group);
            }

            group.Add(access);
        }

        var order = new Dictionary<ConcurrentBody, int>();
        for (var i = 0; i < model.Bodies.Count; i++)
        {
            order[model.Bodies[i]] = i;
        }

        foreach (var pair in groups)
        {
            var key = pair.Key;
            var group = pair.Value;
            if (!group.Exists(static a => a.Kind == AccessKind.Write) || !group.Exists(static a => a.Body is not null))
            {
                continue;
            }

            // The group's accesses by the body they are in (null: the member's own code), each
            // list in source order, and the bodies in the model's order.
            var byBody = new Dictionary<ConcurrentBody, List<Access>>();
            var topLevel = new AccessesOfOneBody();
            var starterLists = new Dictionary<ConcurrentBody, AccessesOfOneBody>();
            foreach (var access in group)
            {
                if (access.Body is null)
                {
                    topLevel.Add(access);
                    continue;
                }

                if (!byBody.TryGetValue(access.Body, out var list))
                {
                    list = new List<Access>();
                    byBody.Add(access.Body, list);
                }

                list.Add(access);
            }

            var bodies = byBody.Keys.OrderBy(b => order[b]).ToList();
            foreach (var body in bodies)
            {
                var inBody = byBody[body];
                if (body.SynchronizesByHand || IsDeclaredInside(key, body.Syntax))
                {
                    continue;
                }

                if (body.IsAsyncStart)
                {
                    // Before its first await an async start runs on the caller's thread, one
                    // instance after the other; only a location some instance touches after an
                    // await can be touched by two threads at once.
                    if (!inBody.Exists(static a => a.AfterAwait))
                    {
                        continue;
                    }
                }

                if (skip is not null && skip(key, body, inBody))
                {
                    continue;
                }

                var bodyWrites = inBody.Exists(static a => a.Kind == AccessKind.Write);

                // 1. Several instances of the same body.
                if (IsSeveral(body, key))
                {
                    var unprotectedWrite = false;
                    foreach (var access in inBody)
                    {
                        if (access.Kind == AccessKind.Write && !ProtectedAgainstOtherInstances(access, body))
                        {
                            unprotectedWrite = true;
                            Add(conflicts, reported, access, body, ConflictKind.SeveralInstances);
                        }
                    }

                    if (reportReads && unprotectedWrite)
                    {
                        foreach (var access in inBody)
                        {
                            if (access.Kind == AccessKind.Read && !ProtectedAgainstOtherInstances(access, body))
                            {
                                Add(conflicts, reported, access, body, ConflictKind.BodyReadsWhileOtherWrites);
                            }
                        }
                    }
                }

                // 2. The starting code, between the start and the join.
                // (An async start runs beside its starter and its siblings only after an await.)
                if (body.IsAsyncStart)
                {
                    inBody = inBody.FindAll(static a => a.AfterAwait);
                    bodyWrites = inBody.Exists(static a => a.Kind == AccessKind.Write);
                }

                if (!model.SynchronizesByHand && body.Region.OverlapsStarter)
                {
                    AccessesOfOneBody? starter;
                    if (body.Parent is null)
                    {
                        starter = topLevel;
                    }
                    else if (!starterLists.TryGetValue(body.Parent, out starter))
                    {
                        starter = new AccessesOfOneBody();
                        if (byBody.TryGetValue(body.Parent, out var ofParent))
                        {
                            foreach (var access in ofParent)
                            {
                                starter.Add(access);
                            }
                        }

                        starterLists.Add(body.Parent, starter);
                    }

                    if (bodyWrites)
                    {
                        foreach (var write in inBody)
                        {
                            if (write.Kind == AccessKind.Write && starter.AnyInWindow(body, key.DeclaredVariable, s => !s.SharesLockWith(write)))
                            {
                                Add(conflicts, reported, write, body, ConflictKind.BodyWritesWhileStarterUses);
                            }
                        }
                    }

                    // Starter writes while the body uses the variable; starter reads while the
                    // body writes it (collections). Accesses already reported are skipped.
                    starter.ForEachUnreportedInWindow(body, key.DeclaredVariable, writes: true, reported, access =>
                    {
                        if (inBody.Exists(b => !b.SharesLockWith(access)))
                        {
                            Add(conflicts, reported, access, body, ConflictKind.StarterWritesWhileBodyRuns);
                        }
                    });
                    if (reportReads && bodyWrites)
                    {
                        starter.ForEachUnreportedInWindow(body, key.DeclaredVariable, writes: false, reported, access =>
                        {
                            if (inBody.Exists(b => b.Kind == AccessKind.Write && !b.SharesLockWith(access)))
                            {
                                Add(conflicts, reported, access, body, ConflictKind.StarterReadsWhileBodyWrites);
                            }
                        });
                    }
                }

                // 3. Other bodies started by the same code that may run at the same time. Both
                // checks need a write in this body, so a body that only reads skips the pairs.
                if (!bodyWrites)
                {
                    continue;
                }

                foreach (var other in bodies)
                {
                    if (other == body || other.Parent != body.Parent || other.SynchronizesByHand)
                    {
                        continue;
                    }

                    // Nothing left to report for this pair (the usual case once this body's writes
                    // are reported): skip the overlap question, which a hundred sibling bodies would
                    // otherwise ask ten thousand times.
                    var ofOther = byBody[other];
                    if (inBody.TrueForAll(a => a.Kind != AccessKind.Write || reported.Contains(a.Operation))
                        && (!reportReads || ofOther.TrueForAll(a => a.Kind != AccessKind.Read || reported.Contains(a.Operation))))
                    {
                        continue;
                    }

                    if (!Overlap(body, other))
                    {
                        continue;
                    }

                    // An async sibling runs beside this body only after its first await.
                    var inOther = other.IsAsyncStart ? ofOther.FindAll(static a => a.AfterAwait) : ofOther;
                    if (inOther.Count == 0)
                    {
                        continue;
                    }

                    foreach (var write in inBody)
                    {
                        if (write.Kind == AccessKind.Write && inOther.Exists(o => !o.SharesLockWith(write)))
                        {
                            Add(conflicts, reported, write, other, ConflictKind.BodyWritesWhileSiblingUses);
                        }
                    }

                    if (reportReads)
                    {
                        foreach (var read in inOther)
                        {
                            if (read.Kind == AccessKind.Read && !reported.Contains(read.Operation) && inBody.Exists(w => w.Kind == AccessKind.Write && !w.SharesLockWith(read)))
                            {
                                Add(conflicts, reported, read, body, ConflictKind.BodyReadsWhileOtherWrites);
                            }
                        }
                    }
                }
            }
        }

        conflicts.Sort(static (a, b) => a.Access.Position.CompareTo(b.Access.Position));
        return conflicts;
    }

    /// <summary>
    /// The accesses of one variable by one body (or the member's own code), split into writes
    /// and reads, each in source order, with skip links past accesses already reported, so that
    /// a hundred bodies each looking at the starter's accesses in their region do not revisit
    /// the ones an earlier body reported.
    /// </summary>
    private sealed class AccessesOfOneBody
    {
        private readonly List<Access> _all = new();
        private readonly List<Access> _writes = new();
        private readonly List<Access> _reads = new();
        private int[]? _nextWrite;
        private int[]? _nextRead;

        public void Add(Access access)
        {
            _all.Add(access);
            (access.Kind == AccessKind.Write ? _writes : _reads).Add(access);
        }

        /// <summary>
        /// Whether an access that may run beside the body (its region on the control-flow graph,
        /// <see cref="ConcurrentBody.Overlaps"/>) matches <paramref name="predicate"/> (stops at the first).
        /// A loop-body local's use in another iteration is not taken as concurrent.
        /// </summary>
        public bool AnyInWindow(ConcurrentBody body, ISymbol? variable, System.Func<Access, bool> predicate)
        {
            foreach (var access in _all)
            {
                if (body.Overlaps(access, variable) && predicate(access))
                {
                    return true;
                }
            }

            return false;
        }

        /// <summary>Calls <paramref name="action"/> on each write (or read) in the body's region not reported yet.</summary>
        public void ForEachUnreportedInWindow(ConcurrentBody body, ISymbol? variable, bool writes, HashSet<IOperation> reported, System.Action<Access> action)
        {
            var list = writes ? _writes : _reads;
            if (list.Count == 0)
            {
                return;
            }

            var next = writes ? (_nextWrite ??= Identity(list.Count + 1)) : (_nextRead ??= Identity(list.Count + 1));
            for (var i = Find(next, list, reported, 0); i < list.Count; i = Find(next, list, reported, i + 1))
            {
                if (body.Overlaps(list[i], variable))
                {
                    action(list[i]);
                }
            }
        }

        private static int[] Identity(int length)
        {
            var array = new int[length];
            for (var i = 0; i < length; i++)
            {
                array[i] = i;
            }

            return array;
        }

        /// <summary>The first index at or after <paramref name="i"/> whose access is not reported (path-compressing the skip links).</summary>
        private static int Find(int[] next, List<Access> list, HashSet<IOperation> reported, int i)
        {
            var root = i;
            while (root < list.Count && (next[root] != root || reported.Contains(list[root].Operation)))
            {
                if (next[root] == root)
                {
                    next[root] = root + 1;
                }

                root = next[root];
            }

            while (i < root)
            {
                var following = next[i];
                next[i] = root;
                i = following;
            }

            return root;
        }
    }

    /// <summary>Whether the body may run as several instances that all see the same location.</summary>
    public static bool IsSeveral(ConcurrentBody body, VariableKey key) => body.RunsAsSeveral(key.DeclaredVariable);

    public static bool IsDeclaredInside(VariableKey key, SyntaxNode node) =>
        key.DeclaredVariable is { } variable && Declarations.IsDeclaredIn(variable, node);

    private static bool ProtectedAgainstOtherInstances(Access access, ConcurrentBody body)
    {
        if (access.Locks is null)
        {
            return false;
        }

        foreach (var key in access.Locks)
        {
            if (key.IsUnknown || key.IsThis)
            {
                return true;
            }

            if (key.Symbol is ILocalSymbol or IParameterSymbol)
            {
                // A lock on a variable of the body itself is a different object in each instance.
                if (!IsDeclaredInside(new VariableKey(key.Symbol, null), body.Syntax))
                {
                    return true;
                }
            }
            else if (key.Symbol is not null)
            {
                return true;
            }
        }

        return false;
    }

    private static bool Overlap(ConcurrentBody a, ConcurrentBody b) =>
        !Exclusive(a, b.Call.Call.Syntax) && OverlapByWindow(a, b);

    /// <summary>
    /// Whether the start of <paramref name="body"/> and <paramref name="other"/> are in different
    /// branches of one if/else, conditional or switch, with no loop around them that could run
    /// both: then at most one of them runs.
    /// </summary>
    public static bool Exclusive(ConcurrentBody body, SyntaxNode other)
    {
        if (body.Repetitions.Count > 0 || body.Region.Repeats(null))
        {
            return false;
        }

        var first = body.Call.Call.Syntax;
        if (first.SyntaxTree != other.SyntaxTree)
        {
            return false;
        }

        SyntaxNode? childA = null;
        for (var node = first; node is not null; childA = node, node = node.Parent)
        {
            if (!node.Span.Contains(other.Span))
            {
                continue;
            }

            // node is the lowest common ancestor; childA is the branch that holds the first start.
            SyntaxNode? childB = other;
            while (childB is not null && childB.Parent != node)
            {
                childB = childB.Parent;
            }

            if (childA is null || childB is null || childA == childB)
            {
                return false;
            }

            return node switch
            {
                IfStatementSyntax ifStatement => IsBranch(ifStatement, childA) && IsBranch(ifStatement, childB),
                ConditionalExpressionSyntax conditional => childA != conditional.Condition && childB != conditional.Condition,
                SwitchStatementSyntax => childA is SwitchSectionSyntax && childB is SwitchSectionSyntax,
                SwitchExpressionSyntax => childA is SwitchExpressionArmSyntax && childB is SwitchExpressionArmSyntax,
                _ => false,
            };
        }

        return false;
    }

    private static bool IsBranch(IfStatementSyntax ifStatement, SyntaxNode child) => child == ifStatement.Statement || child == ifStatement.Else;

    /// <summary>Whether one body may still run when the other is started (on the control-flow graph), or one call starts both.</summary>
    public static bool OverlapByWindow(ConcurrentBody a, ConcurrentBody b) =>
        a.Call.Call == b.Call.Call
        || a.Region.Contains(b.Call.Call.Syntax, b.Call.Call.Syntax.SpanStart, variable: null)
        || b.Region.Contains(a.Call.Call.Syntax, a.Call.Call.Syntax.SpanStart, variable: null);

    private static void Add(List<Conflict> conflicts, HashSet<IOperation> reported, Access access, ConcurrentBody body, ConflictKind kind)
    {
        if (reported.Add(access.Operation))
        {
            conflicts.Add(new Conflict(access, body, kind));
        }
    }
}
