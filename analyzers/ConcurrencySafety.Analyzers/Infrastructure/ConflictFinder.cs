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

        foreach (var pair in groups)
        {
            var key = pair.Key;
            var group = pair.Value;
            if (!group.Exists(static a => a.Kind == AccessKind.Write) || !group.Exists(static a => a.Body is not null))
            {
                continue;
            }

            foreach (var body in model.Bodies)
            {
                var inBody = group.FindAll(a => a.Body == body);
                if (inBody.Count == 0 || body.SynchronizesByHand || IsDeclaredInside(key, body.Syntax))
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
                }

                if (!model.SynchronizesByHand && body.Window.Count > 0)
                {
                    var starter = group.FindAll(a => a.Body == body.Parent && body.WindowContains(a.Position, key.DeclaredVariable));
                    foreach (var write in inBody)
                    {
                        if (write.Kind == AccessKind.Write && starter.Exists(s => !s.SharesLockWith(write)))
                        {
                            Add(conflicts, reported, write, body, ConflictKind.BodyWritesWhileStarterUses);
                        }
                    }

                    foreach (var access in starter)
                    {
                        if (access.Kind == AccessKind.Write && inBody.Exists(b => !b.SharesLockWith(access)))
                        {
                            Add(conflicts, reported, access, body, ConflictKind.StarterWritesWhileBodyRuns);
                        }
                        else if (reportReads && access.Kind == AccessKind.Read && inBody.Exists(b => b.Kind == AccessKind.Write && !b.SharesLockWith(access)))
                        {
                            Add(conflicts, reported, access, body, ConflictKind.StarterReadsWhileBodyWrites);
                        }
                    }
                }

                // 3. Other bodies started by the same code that may run at the same time.
                foreach (var other in model.Bodies)
                {
                    if (other == body || other.Parent != body.Parent || other.SynchronizesByHand || !Overlap(body, other))
                    {
                        continue;
                    }

                    var inOther = group.FindAll(a => a.Body == other && (!other.IsAsyncStart || a.AfterAwait));
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
                            if (read.Kind == AccessKind.Read && inBody.Exists(w => w.Kind == AccessKind.Write && !w.SharesLockWith(read)))
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

    /// <summary>Whether the body may run as several instances that all see the same location.</summary>
    public static bool IsSeveral(ConcurrentBody body, VariableKey key)
    {
        if (body.Call.MayRunAsSeveralInstances || body.SpawnedMoreThanOnce)
        {
            return true;
        }

        var variable = key.DeclaredVariable;
        foreach (var repetition in body.Repetitions)
        {
            if (variable is null || RepetitionShares(repetition, variable))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>Whether each round of <paramref name="repetition"/> sees the same <paramref name="variable"/>.</summary>
    private static bool RepetitionShares(SyntaxNode repetition, ISymbol variable)
    {
        foreach (var reference in variable.DeclaringSyntaxReferences)
        {
            if (reference.SyntaxTree != repetition.SyntaxTree)
            {
                return true;
            }

            var span = reference.Span;
            if (repetition is ForStatementSyntax { Declaration: { } declaration } && declaration.Span.Contains(span))
            {
                // One for loop variable for all iterations.
                return true;
            }

            if (repetition.Span.Contains(span))
            {
                // Declared inside the loop body or the lambda: a fresh variable each time.
                return false;
            }
        }

        return true;
    }

    public static bool IsDeclaredInside(VariableKey key, SyntaxNode node)
    {
        var variable = key.DeclaredVariable;
        if (variable is null)
        {
            return false;
        }

        foreach (var reference in variable.DeclaringSyntaxReferences)
        {
            if (reference.SyntaxTree == node.SyntaxTree && node.Span.Contains(reference.Span))
            {
                return true;
            }
        }

        return false;
    }

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
        if (body.Repetitions.Count > 0)
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

    private static bool OverlapByWindow(ConcurrentBody a, ConcurrentBody b) =>
        a.Call.Call == b.Call.Call || a.WindowContains(b.CallPosition) || b.WindowContains(a.CallPosition);

    private static void Add(List<Conflict> conflicts, HashSet<IOperation> reported, Access access, ConcurrentBody body, ConflictKind kind)
    {
        if (reported.Add(access.Operation))
        {
            conflicts.Add(new Conflict(access, body, kind));
        }
    }
}
