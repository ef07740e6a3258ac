using System.Collections.Generic;
using System.Collections.Immutable;
using System.Composition;
using System.Threading;
using System.Threading.Tasks;
using ConcurrencySafety.Analyzers;
using ConcurrencySafety.Analyzers.Rules;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CodeActions;
using Microsoft.CodeAnalysis.CodeFixes;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace ConcurrencySafety.CodeFixes;

/// <summary>
/// CSA2014, "using (shared) in each of several workers": each worker gets its own clone, taken
/// in the loop that starts it, and the shared handle is disposed once, after the loop.
/// <code>
/// for (...) workers[w] = Task.Run(() => { using (jobsRx) foreach (var j in jobsRx) ...; });
/// </code>
/// becomes
/// <code>
/// for (...) { var jobsRxClone = jobsRx.Clone(); workers[w] = Task.Run(() => { using (jobsRxClone) foreach (var j in jobsRxClone) ...; }); }
/// jobsRx.Dispose();
/// </code>
/// A sender's channel then closes when the last worker is done; a receiver's senders see
/// "disconnected" when the last worker stops reading.
/// </summary>
/// <remarks>
/// Offered only where the analyzer set <see cref="CSA2014HandleDisposedWhileInUseAnalyzer.ClonePerWorkerKey"/>
/// (a <c>Sender</c>/<c>Receiver</c> disposed inside a body that runs as several instances), and
/// where the syntax is the loop shape: the body is a lambda given to <c>Task.Run</c>,
/// <c>Task.Factory.StartNew</c> or <c>new Thread</c> in a statement of a <c>for</c>, <c>foreach</c>,
/// <c>while</c> or <c>do</c> loop that sits in a block, and no other lambda of the loop and no code
/// after the loop uses the handle (it is disposed there). Other shapes (two different bodies, the
/// starting code still using the handle, <c>Parallel.For</c>) need a decision about who owns
/// which clone.
/// </remarks>
[ExportCodeFixProvider(LanguageNames.CSharp, Name = nameof(CSA2014HandleDisposedWhileInUseCodeFix))]
[Shared]
public sealed class CSA2014HandleDisposedWhileInUseCodeFix : CodeFixProvider
{
    public override ImmutableArray<string> FixableDiagnosticIds => ImmutableArray.Create(RuleIdentifiers.HandleDisposedWhileInUse);

    public override FixAllProvider GetFixAllProvider() => DefaultKeyFixAllProvider.Batch;

    public override async Task RegisterCodeFixesAsync(CodeFixContext context)
    {
        var root = await context.Document.GetSyntaxRootAsync(context.CancellationToken).ConfigureAwait(false);
        var model = await context.Document.GetSemanticModelAsync(context.CancellationToken).ConfigureAwait(false);
        if (root is null || model is null)
        {
            return;
        }

        foreach (var diagnostic in context.Diagnostics)
        {
            if (diagnostic.Properties.ContainsKey(CSA2014HandleDisposedWhileInUseAnalyzer.ClonePerWorkerKey)
                && Plan(root.FindNode(diagnostic.Location.SourceSpan, getInnermostNodeForTie: true), model, context.CancellationToken) is { } plan)
            {
                context.RegisterCodeFix(
                    CodeAction.Create(
                        $"Give each worker its own '{plan.Local.Name}.Clone()'",
                        ct => ApplyAsync(context.Document, plan, ct),
                        equivalenceKey: FixKeys.Default(RuleIdentifiers.HandleDisposedWhileInUse)),
                    diagnostic);
            }
        }
    }

    /// <summary>What the fix rewrites: the handle, the worker lambda, the statement that starts it, and the loop.</summary>
    private sealed class FixPlan(ILocalSymbol local, AnonymousFunctionExpressionSyntax lambda, StatementSyntax start, StatementSyntax loop, string cloneName, IReadOnlyList<IdentifierNameSyntax> renamed)
    {
        public ILocalSymbol Local { get; } = local;

        public AnonymousFunctionExpressionSyntax Lambda { get; } = lambda;

        public StatementSyntax Start { get; } = start;

        public StatementSyntax Loop { get; } = loop;

        public string CloneName { get; } = cloneName;

        /// <summary>The references to the handle inside the lambda, which now name the clone.</summary>
        public IReadOnlyList<IdentifierNameSyntax> Renamed { get; } = renamed;
    }

    private static FixPlan? Plan(SyntaxNode disposal, SemanticModel model, CancellationToken cancellationToken)
    {
        // The handle: the using's resource (using (jobsRx)), or the receiver of jobsRx.Dispose().
        var name = disposal as IdentifierNameSyntax
            ?? (disposal.FirstAncestorOrSelf<InvocationExpressionSyntax>()?.Expression as MemberAccessExpressionSyntax)?.Expression as IdentifierNameSyntax;
        if (name is null || model.GetSymbolInfo(name, cancellationToken).Symbol is not ILocalSymbol local
            || name.FirstAncestorOrSelf<AnonymousFunctionExpressionSyntax>() is not { } lambda
            || !StartsOnce(lambda, model, cancellationToken, out var start)
            || LoopOf(start) is not { Parent: BlockSyntax } loop
            || local.DeclaringSyntaxReferences.Length != 1
            || loop.Span.Contains(local.DeclaringSyntaxReferences[0].Span))
        {
            return null;
        }

        var function = loop.Parent!.FirstAncestorOrSelf<SyntaxNode>(n => n is AnonymousFunctionExpressionSyntax or LocalFunctionStatementSyntax or BaseMethodDeclarationSyntax or AccessorDeclarationSyntax)
            ?? loop.SyntaxTree.GetRoot(cancellationToken);
        var renamed = new List<IdentifierNameSyntax>();
        foreach (var reference in function.DescendantNodes().OfType<IdentifierNameSyntax>())
        {
            if (reference.Identifier.ValueText != local.Name
                || !SymbolEqualityComparer.Default.Equals(model.GetSymbolInfo(reference, cancellationToken).Symbol, local))
            {
                continue;
            }

            if (lambda.Span.Contains(reference.Span))
            {
                renamed.Add(reference);
            }
            else if (reference.SpanStart >= loop.Span.End
                || loop.Span.Contains(reference.Span) && reference.FirstAncestorOrSelf<AnonymousFunctionExpressionSyntax>() is { } other && loop.Span.Contains(other.Span))
            {
                // Used after the loop (it is disposed there now), or by another worker of the loop
                // (which would still share it): not this fix's shape.
                return null;
            }
        }

        var cloneName = local.Name + "Clone";
        for (var i = 2; model.LookupSymbols(start.SpanStart, name: cloneName).Length > 0 || function.DescendantTokens().Any(t => t.ValueText == cloneName); i++)
        {
            cloneName = local.Name + "Clone" + i;
        }

        return new FixPlan(local, lambda, start, loop, cloneName, renamed);
    }

    // The lambda is the work of Task.Run, Task.Factory.StartNew or new Thread, inside a statement.
    private static bool StartsOnce(AnonymousFunctionExpressionSyntax lambda, SemanticModel model, CancellationToken cancellationToken, out StatementSyntax statement)
    {
        statement = null!;
        if (lambda.Parent is not ArgumentSyntax { Parent: ArgumentListSyntax { Parent: { } call } })
        {
            return false;
        }

        var starts = model.GetSymbolInfo(call, cancellationToken).Symbol switch
        {
            IMethodSymbol { Name: "Run", ContainingType: { Name: "Task", ContainingNamespace.Name: "Tasks" } } => true,
            IMethodSymbol { Name: "StartNew", ContainingType: { Name: "TaskFactory", ContainingNamespace.Name: "Tasks" } } => true,
            IMethodSymbol { MethodKind: MethodKind.Constructor, ContainingType: { Name: "Thread", ContainingNamespace.Name: "Threading" } } => true,
            _ => false,
        };
        if (!starts || call.FirstAncestorOrSelf<StatementSyntax>() is not { } found)
        {
            return false;
        }

        statement = found;
        return true;
    }

    // The file's own line break.
    private static SyntaxTrivia NewLine(SyntaxNode node)
    {
        var text = node.SyntaxTree.GetText();
        var line = text.Lines[0];
        var lineBreak = text.ToString(Microsoft.CodeAnalysis.Text.TextSpan.FromBounds(line.End, line.EndIncludingLineBreak));
        return SyntaxFactory.EndOfLine(lineBreak.Length == 0 ? "\n" : lineBreak);
    }

    // The whitespace that starts the line holding the node.
    private static SyntaxTriviaList Indentation(SyntaxNode node)
    {
        var text = node.SyntaxTree.GetText().Lines.GetLineFromPosition(node.SpanStart).ToString();
        return SyntaxFactory.TriviaList(SyntaxFactory.Whitespace(text.Substring(0, text.Length - text.TrimStart().Length)));
    }

    // The loop whose body is the starting statement, or a block holding it.
    private static StatementSyntax? LoopOf(StatementSyntax start) =>
        (start.Parent is BlockSyntax block ? block.Parent : start.Parent) switch
        {
            ForStatementSyntax loop => loop,
            CommonForEachStatementSyntax loop => loop,
            WhileStatementSyntax loop => loop,
            DoStatementSyntax loop => loop,
            _ => null,
        };

    private static async Task<Document> ApplyAsync(Document document, FixPlan plan, CancellationToken cancellationToken)
    {
        var root = await document.GetSyntaxRootAsync(cancellationToken).ConfigureAwait(false);
        if (root is null)
        {
            return document;
        }

        // Trivia is written out, not left to the formatter: the statements go on lines of their
        // own at the indentation of their neighbours.
        var newLine = NewLine(plan.Loop);
        var loopIndent = Indentation(plan.Loop);
        var startIndent = Indentation(plan.Start);
        var handle = plan.Local.Name;
        var clone = SyntaxFactory.ParseStatement($"var {plan.CloneName} = {handle}.Clone();").WithLeadingTrivia(startIndent).WithTrailingTrivia(newLine);
        var dispose = SyntaxFactory.ParseStatement($"{handle}.Dispose();").WithLeadingTrivia(loopIndent).WithTrailingTrivia(newLine);

        // The worker's references name the clone; the clone is taken just before the worker starts.
        var start = plan.Start.ReplaceNodes(plan.Renamed, (original, _) => original.WithIdentifier(SyntaxFactory.Identifier(original.Identifier.LeadingTrivia, plan.CloneName, original.Identifier.TrailingTrivia)));
        StatementSyntax loop;
        if (plan.Start.Parent is BlockSyntax block)
        {
            var at = block.Statements.IndexOf(plan.Start);
            loop = plan.Loop.ReplaceNode(block, block.WithStatements(block.Statements.RemoveAt(at).InsertRange(at, new[] { clone, start })));
        }
        else
        {
            var body = SyntaxFactory.Block(
                SyntaxFactory.Token(SyntaxKind.OpenBraceToken).WithLeadingTrivia(loopIndent).WithTrailingTrivia(newLine),
                SyntaxFactory.List(new[] { clone, start }),
                SyntaxFactory.Token(SyntaxKind.CloseBraceToken).WithLeadingTrivia(loopIndent).WithTrailingTrivia(newLine));
            loop = plan.Loop.ReplaceNode(plan.Start, body);
        }

        var outer = (BlockSyntax)plan.Loop.Parent!;
        var index = outer.Statements.IndexOf(plan.Loop);
        var statements = outer.Statements.RemoveAt(index).InsertRange(index, new[] { loop, dispose });
        return document.WithSyntaxRoot(root.ReplaceNode(outer, outer.WithStatements(statements)));
    }
}
