using System.Collections.Immutable;
using System.Composition;
using System.Threading;
using System.Threading.Tasks;
using ConcurrencySafety.Analyzers;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CodeActions;
using Microsoft.CodeAnalysis.CodeFixes;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Formatting;

namespace ConcurrencySafety.CodeFixes;

/// <summary>
/// CSA2019: the producer's body is wrapped in <c>try { ... } finally { queue.CompleteAdding(); }</c>,
/// so the consuming loop ends once the producer is done, however it ends.
/// </summary>
/// <remarks>
/// Offered only where the analyzer found exactly one producer (its lambda is the diagnostic's
/// additional location): one lambda holds every <c>Add</c>/<c>TryAdd</c> of the collection and is
/// started once by <c>Task.Run</c>, <c>StartNew</c> or <c>new Thread</c>. With several producers,
/// or adds in the consuming method itself, which one finishes last is the code's own knowledge,
/// and completing early would make the others' <c>Add</c> throw.
/// </remarks>
[ExportCodeFixProvider(LanguageNames.CSharp, Name = nameof(CSA2019BlockingCollectionNeverCompletedCodeFix))]
[Shared]
public sealed class CSA2019BlockingCollectionNeverCompletedCodeFix : CodeFixProvider
{
    public override ImmutableArray<string> FixableDiagnosticIds => ImmutableArray.Create(RuleIdentifiers.BlockingCollectionNeverCompleted);

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
            if (diagnostic.AdditionalLocations.Count != 1
                || root.FindNode(diagnostic.Location.SourceSpan, getInnermostNodeForTie: true).FirstAncestorOrSelf<InvocationExpressionSyntax>() is not { Expression: MemberAccessExpressionSyntax { Expression: IdentifierNameSyntax collection } }
                || root.FindNode(diagnostic.AdditionalLocations[0].SourceSpan, getInnermostNodeForTie: true).FirstAncestorOrSelf<LambdaExpressionSyntax>() is not { } producer
                || producer.Span != diagnostic.AdditionalLocations[0].SourceSpan
                || model.GetSymbolInfo(producer, context.CancellationToken).Symbol is not IMethodSymbol lambda)
            {
                continue;
            }

            context.RegisterCodeFix(
                CodeAction.Create(
                    $"Call '{collection.Identifier.ValueText}.CompleteAdding()' in a finally of the producer",
                    ct => WrapAsync(context.Document, producer, collection.Identifier.ValueText, ReturnsValue(lambda, model.Compilation), ct),
                    equivalenceKey: FixKeys.Default(RuleIdentifiers.BlockingCollectionNeverCompleted)),
                diagnostic);
        }
    }

    // An expression body becomes a statement: `return e;` when the lambda gives a value back
    // (a Func<T>, or an async Func<Task<T>>), `e;` otherwise.
    private static bool ReturnsValue(IMethodSymbol lambda, Compilation compilation)
    {
        if (lambda.ReturnsVoid)
        {
            return false;
        }

        var task = compilation.GetTypeByMetadataName("System.Threading.Tasks.Task");
        return !(lambda.IsAsync && SymbolEqualityComparer.Default.Equals(lambda.ReturnType, task));
    }

    // The file's own line break (not an elastic one, which the formatting pass would fold away).
    private static SyntaxTrivia NewLine(SyntaxNode node)
    {
        var text = node.SyntaxTree.GetText();
        var line = text.Lines[0];
        var lineBreak = text.ToString(Microsoft.CodeAnalysis.Text.TextSpan.FromBounds(line.End, line.EndIncludingLineBreak));
        return SyntaxFactory.EndOfLine(lineBreak.Length == 0 ? "\n" : lineBreak);
    }

    // The whitespace that starts the line holding the lambda.
    private static SyntaxTriviaList Indentation(SyntaxNode node)
    {
        var first = node.SyntaxTree.GetText().Lines.GetLineFromPosition(node.SpanStart);
        var text = first.ToString();
        var width = text.Length - text.TrimStart().Length;
        return SyntaxFactory.TriviaList(SyntaxFactory.Whitespace(text.Substring(0, width)));
    }

    private static async Task<Document> WrapAsync(Document document, LambdaExpressionSyntax producer, string collection, bool returnsValue, CancellationToken cancellationToken)
    {
        var root = await document.GetSyntaxRootAsync(cancellationToken).ConfigureAwait(false);
        if (root is null)
        {
            return document;
        }

        var complete = SyntaxFactory.ParseStatement(collection + ".CompleteAdding();");
        SyntaxList<StatementSyntax> statements;
        if (producer.Block is { } block)
        {
            statements = block.Statements;
        }
        else if (producer.ExpressionBody is { } expression)
        {
            statements = SyntaxFactory.SingletonList<StatementSyntax>(returnsValue
                ? SyntaxFactory.ReturnStatement(expression.WithoutTrivia())
                : SyntaxFactory.ExpressionStatement(expression.WithoutTrivia()));
        }
        else
        {
            return document;
        }

        // Only the new try statement is formatted; the braces of a block body keep their place,
        // and those of a former expression body are put on lines of their own, at the
        // indentation of the line the lambda starts on.
        var attempt = SyntaxFactory.TryStatement(SyntaxFactory.Block(statements), default, SyntaxFactory.FinallyClause(SyntaxFactory.Block(complete)))
            .WithAdditionalAnnotations(Formatter.Annotation);
        LambdaExpressionSyntax replacement;
        if (producer.Block is { } existing)
        {
            replacement = producer.WithBlock(existing.WithStatements(SyntaxFactory.SingletonList<StatementSyntax>(attempt)));
        }
        else
        {
            var indentation = Indentation(producer);
            var newLine = NewLine(producer);
            var body = SyntaxFactory.Block(
                SyntaxFactory.Token(SyntaxKind.OpenBraceToken).WithLeadingTrivia(indentation).WithTrailingTrivia(newLine),
                SyntaxFactory.SingletonList<StatementSyntax>(attempt),
                SyntaxFactory.Token(SyntaxKind.CloseBraceToken).WithLeadingTrivia(indentation).WithTrailingTrivia(producer.ExpressionBody!.GetTrailingTrivia()));
            replacement = producer switch
            {
                ParenthesizedLambdaExpressionSyntax parenthesized => parenthesized.WithExpressionBody(null).WithBlock(body),
                SimpleLambdaExpressionSyntax simple => simple.WithExpressionBody(null).WithBlock(body),
                _ => producer,
            };
            replacement = replacement.WithArrowToken(producer.ArrowToken.WithTrailingTrivia(newLine));
        }

        return document.WithSyntaxRoot(root.ReplaceNode(producer, replacement));
    }
}
