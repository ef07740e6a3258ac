using System.Collections.Generic;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Text;

namespace ConcurrencySafety.Analyzers.Infrastructure;

/// <summary>
/// A lambda, anonymous method or local function that runs concurrently, with what the model
/// knows about it: whether it may run as several instances, and the text during which the
/// code that started it runs beside it (its <see cref="Window"/>).
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

    /// <summary>Loops and repeatedly invoked lambdas around the call that do not also contain its join.</summary>
    public List<SyntaxNode> Repetitions { get; } = new();

    /// <summary>Where the starting code runs while the body may be running (spans of the same tree).</summary>
    public List<TextSpan> Window { get; } = new();

    /// <summary>The body uses monitors, semaphores, events or channels: it orders its accesses by hand.</summary>
    public bool SynchronizesByHand { get; set; }

    /// <summary>The innermost concurrent body that contains the call starting this one, if any.</summary>
    public ConcurrentBody? Parent { get; set; }

    public int CallPosition => Call.Call.Syntax.SpanStart;

    /// <summary>The span from the start to the join (or the end of the function), without the loops around the start.</summary>
    public TextSpan? PrimaryWindow { get; set; }

    /// <summary>Whether the body's accesses count only once it has awaited (an async start on the caller's thread).</summary>
    public bool IsAsyncStart => Call.IsAsyncStart;

    /// <summary>
    /// Whether an access to <paramref name="variable"/> at <paramref name="position"/> can run
    /// beside the body. A loop around the start repeats only for variables declared outside the
    /// loop: a local declared in the loop body is a new variable in each iteration, so a use of
    /// it before the start (textually) belongs to another iteration's variable.
    /// </summary>
    public bool WindowContains(int position, ISymbol? variable)
    {
        if (PrimaryWindow is { } primary && primary.Contains(position))
        {
            return true;
        }

        foreach (var repetition in Repetitions)
        {
            if (repetition.Span.Contains(position) && (variable is null || !DeclaredInside(variable, repetition)))
            {
                return true;
            }
        }

        return false;
    }

    private static bool DeclaredInside(ISymbol variable, SyntaxNode repetition)
    {
        foreach (var reference in variable.DeclaringSyntaxReferences)
        {
            if (reference.SyntaxTree == repetition.SyntaxTree && repetition.Span.Contains(reference.Span)
                && !(repetition is Microsoft.CodeAnalysis.CSharp.Syntax.ForStatementSyntax { Declaration: { } declaration } && declaration.Span.Contains(reference.Span)))
            {
                return true;
            }
        }

        return false;
    }

    public bool WindowContains(int position)
    {
        foreach (var span in Window)
        {
            if (span.Contains(position))
            {
                return true;
            }
        }

        return false;
    }

    public bool Contains(SyntaxNode node) => Syntax.Span.Contains(node.Span) && Syntax.SyntaxTree == node.SyntaxTree;
}
