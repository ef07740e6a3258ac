using System.Collections.Generic;
using Microsoft.CodeAnalysis;

namespace ConcurrencySafety.Analyzers.Infrastructure;

/// <summary>
/// A lambda, anonymous method or local function that runs concurrently, with what the model
/// knows about it: whether it may run as several instances, and which of the code that started
/// it runs beside it (its <see cref="Region"/>, on the control-flow graph).
/// </summary>
internal sealed class ConcurrentBody
{
    public ConcurrentBody(ConcurrentCall call, SyntaxNode syntax, IOperation? function)
    {
        Call = call;
        Syntax = syntax;
        Function = function;
    }

    public ConcurrentCall Call { get; }

    /// <summary>The lambda or local function declaration, or the declaration of <see cref="TargetMethod"/>.</summary>
    public SyntaxNode Syntax { get; }

    /// <summary>The anonymous function or local function operation; null when the body is a method of its own (<see cref="TargetMethod"/>).</summary>
    public IOperation? Function { get; }

    /// <summary>
    /// The method the body runs, when it is not a lambda of this member: a method group
    /// (<c>Task.Run(Work)</c>) or an async method invoked without being awaited at once.
    /// </summary>
    public IMethodSymbol? TargetMethod { get; set; }

    /// <summary>The instance <see cref="TargetMethod"/> runs on, as a path of the starting member (null when static or unnamed).</summary>
    public AccessPath? TargetReceiver { get; set; }

    /// <summary>The paths of the arguments an async invocation passes, by parameter ordinal.</summary>
    public System.Collections.Immutable.ImmutableArray<AccessPath?> TargetArguments { get; set; }

    /// <summary>The later calls that start the same body again; whether they overlap decides <see cref="SpawnedMoreThanOnce"/>.</summary>
    public List<ConcurrentCall> OtherStarts { get; } = new();

    /// <summary>For an async lambda that starts on the caller's thread: which of its operations run after an await.</summary>
    public AwaitOrder? AwaitOrder { get; set; }

    /// <summary>The model followed the task to its join (or knows it is never joined); false when it escaped.</summary>
    public bool JoinTracked { get; set; }

    /// <summary>The same body is started again before an earlier start is joined.</summary>
    public bool SpawnedMoreThanOnce { get; set; }

    /// <summary>
    /// Lambdas around the call that run it repeatedly (a lambda passed to a per-element method,
    /// or a concurrent body that runs as several instances) and do not also contain its join.
    /// Loops are not listed: the <see cref="Region"/> sees them on the control-flow graph.
    /// </summary>
    public List<SyntaxNode> Repetitions { get; } = new();

    /// <summary>What of the starting code may run while the body runs (happens-before on the control-flow graph).</summary>
    public ConcurrentRegion Region { get; set; } = ConcurrentRegion.None;

    /// <summary>The body uses monitors, semaphores, events or channels: it orders its accesses by hand.</summary>
    public bool SynchronizesByHand { get; set; }

    /// <summary>The innermost concurrent body that contains the call starting this one, if any.</summary>
    public ConcurrentBody? Parent { get; set; }

    /// <summary>Whether the body's accesses count only once it has awaited (an async start on the caller's thread).</summary>
    public bool IsAsyncStart => Call.IsAsyncStart;

    /// <summary>Whether <paramref name="access"/>, of the starting code, may run while the body runs, for a use of <paramref name="variable"/>.</summary>
    public bool Overlaps(Access access, ISymbol? variable) =>
        Region.Contains(access.Anchor?.Syntax ?? access.Operation.Syntax, access.Position, variable);

    /// <summary>
    /// Whether several instances of the body may run at once, all seeing <paramref name="variable"/>
    /// (null: a location not tied to a local): the call runs several, the body is started again
    /// before it is joined, its start repeats while it runs (a loop or goto around it, unless the
    /// variable is a new one each round), or a lambda around it runs per element.
    /// </summary>
    public bool RunsAsSeveral(ISymbol? variable)
    {
        if (Call.MayRunAsSeveralInstances || SpawnedMoreThanOnce || Region.Repeats(variable))
        {
            return true;
        }

        foreach (var repetition in Repetitions)
        {
            if (variable is null || !Declarations.IsDeclaredIn(variable, repetition))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>The for statement whose declaration declares <paramref name="local"/> and which contains the start, if any.</summary>
    public Microsoft.CodeAnalysis.CSharp.Syntax.ForStatementSyntax? ForLoopDeclaring(ISymbol local)
    {
        for (var node = Call.Call.Syntax.Parent; node is not null; node = node.Parent)
        {
            if (node is Microsoft.CodeAnalysis.CSharp.Syntax.ForStatementSyntax { Declaration: { } declaration } forStatement
                && Declarations.IsDeclaredIn(local, declaration))
            {
                return forStatement;
            }
        }

        return null;
    }

    public bool Contains(SyntaxNode node) => Syntax.Span.Contains(node.Span) && Syntax.SyntaxTree == node.SyntaxTree;
}
