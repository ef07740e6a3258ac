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
    public ConcurrentBody(ConcurrentCall call, SyntaxNode syntax, IOperation function)
    {
        Call = call;
        Syntax = syntax;
        Function = function;
    }

    public ConcurrentCall Call { get; }

    /// <summary>The lambda or local function declaration.</summary>
    public SyntaxNode Syntax { get; }

    /// <summary>The anonymous function or local function operation.</summary>
    public IOperation Function { get; }

    /// <summary>The same body is started by more than one concurrent call.</summary>
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
