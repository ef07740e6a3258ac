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
