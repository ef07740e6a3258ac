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
using Microsoft.CodeAnalysis.Formatting;

namespace ConcurrencySafety.CodeFixes;

/// <summary>
/// CSA2004, three mechanical fixes chosen by the analyzer:
/// <list type="bullet">
/// <item>SemaphoreSlim, Monitor, ReaderWriterLockSlim, Mutex, Semaphore, Lock: the statements
/// between the acquire and the later release statement of the same block (<c>Release();</c>,
/// <c>Monitor.Exit(o);</c>, <c>ExitWriteLock();</c>, ...; the analyzer passes its position) move
/// into <c>try { ... } finally { release; }</c>.</item>
/// <item>A guard local: <c>var g = l.Lock();</c> becomes <c>using var g = l.Lock();</c> and its
/// <c>g.Dispose();</c> statements go.</item>
/// <item>A dropped guard: <c>sem.Acquire();</c> becomes <c>using var permit = sem.Acquire();</c>
/// (held to the end of the block, which is what the statement order suggests).</item>
/// </list>
/// Not offered for guards from <c>out</c> arguments, explicit discards, or a wait whose release
/// is not a later statement of the same block.
/// </summary>
[ExportCodeFixProvider(LanguageNames.CSharp, Name = nameof(CSA2004PermitNotReleasedCodeFix))]
[Shared]
public sealed class CSA2004PermitNotReleasedCodeFix : CodeFixProvider
{
    public override ImmutableArray<string> FixableDiagnosticIds => ImmutableArray.Create(RuleIdentifiers.PermitNotReleased);

    public override FixAllProvider GetFixAllProvider() => DefaultKeyFixAllProvider.Batch;

    public override async Task RegisterCodeFixesAsync(CodeFixContext context)
    {
        var root = await context.Document.GetSyntaxRootAsync(context.CancellationToken).ConfigureAwait(false);
        if (root is null)
        {
            return;
        }

        foreach (var diagnostic in context.Diagnostics)
        {
            if (!diagnostic.Properties.TryGetValue(CSA2004PermitNotReleasedAnalyzer.FixKey, out var fix))
            {
                continue;
            }

            var node = root.FindNode(diagnostic.Location.SourceSpan, getInnermostNodeForTie: true);
            switch (fix)
            {
                // The anchor is the wait's statement (await s.WaitAsync();) or the if that leaves
                // when the wait fails (if (!await s.WaitAsync(t)) return;); the slot is held after it.
                // The analyzer says how many statements later the release is (ReleaseOffset).
                case "TryFinally" when node?.FirstAncestorOrSelf<InvocationExpressionSyntax>() is not null
                    && node.FirstAncestorOrSelf<StatementSyntax>() is { Parent: BlockSyntax } wait
                    && diagnostic.Properties.TryGetValue(CSA2004PermitNotReleasedAnalyzer.ReleaseOffsetKey, out var offsetText)
                    && int.TryParse(offsetText, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var offset)
                    && offset > 0:
                    context.RegisterCodeFix(
                        CodeAction.Create("Release in a finally", ct => TryFinallyAsync(context.Document, wait, offset, ct), equivalenceKey: FixKeys.Default(RuleIdentifiers.PermitNotReleased)),
                        diagnostic);
                    break;
                case "UsingLocal" when node?.FirstAncestorOrSelf<LocalDeclarationStatementSyntax>() is { Parent: BlockSyntax } declaration:
                    context.RegisterCodeFix(
                        CodeAction.Create("Declare the guard with using", ct => UsingLocalAsync(context.Document, declaration, ct), equivalenceKey: FixKeys.Default(RuleIdentifiers.PermitNotReleased)),
                        diagnostic);
                    break;
                case "UsingDiscarded" when node?.FirstAncestorOrSelf<ExpressionStatementSyntax>() is { Parent: BlockSyntax } statement:
                    context.RegisterCodeFix(
                        CodeAction.Create("Hold it with using", ct => UsingDiscardedAsync(context.Document, statement, ct), equivalenceKey: FixKeys.Default(RuleIdentifiers.PermitNotReleased)),
                        diagnostic);
                    break;
            }
        }
    }

    private static async Task<Document> TryFinallyAsync(Document document, StatementSyntax wait, int offset, CancellationToken cancellationToken)
    {
        var root = await document.GetSyntaxRootAsync(cancellationToken).ConfigureAwait(false);
        if (root is null || wait.Parent is not BlockSyntax block)
        {
            return document;
        }

        var start = block.Statements.IndexOf(wait) + 1;
        var end = start - 1 + offset;
        if (end >= block.Statements.Count)
        {
            return document;
        }

        var body = block.Statements.Skip(start).Take(end - start).Select(s => s.WithoutLeadingTrivia().WithAdditionalAnnotations(Formatter.Annotation));
        var releaseStatement = block.Statements[end].WithoutTrivia().WithAdditionalAnnotations(Formatter.Annotation);
        var tryStatement = SyntaxFactory.TryStatement(
                SyntaxFactory.Block(body),
                default,
                SyntaxFactory.FinallyClause(SyntaxFactory.Block(releaseStatement)))
            .WithAdditionalAnnotations(Formatter.Annotation);
        var statements = SyntaxFactory.List(block.Statements.Take(start).Append(tryStatement).Concat(block.Statements.Skip(end + 1)));
        var newRoot = root.ReplaceNode(block, block.WithStatements(statements));
        return await Formatter.FormatAsync(document.WithSyntaxRoot(newRoot), Formatter.Annotation, cancellationToken: cancellationToken).ConfigureAwait(false);
    }

    private static async Task<Document> UsingLocalAsync(Document document, LocalDeclarationStatementSyntax declaration, CancellationToken cancellationToken)
    {
        var root = await document.GetSyntaxRootAsync(cancellationToken).ConfigureAwait(false);
        if (root is null || declaration.Parent is not BlockSyntax block || declaration.Declaration.Variables.Count != 1)
        {
            return document;
        }

        var name = declaration.Declaration.Variables[0].Identifier.ValueText;
        var disposes = block.DescendantNodes()
            .OfType<ExpressionStatementSyntax>()
            .Where(s => s.Expression is InvocationExpressionSyntax { ArgumentList.Arguments.Count: 0, Expression: MemberAccessExpressionSyntax { Name.Identifier.ValueText: "Dispose", Expression: IdentifierNameSyntax { Identifier.ValueText: var target } } } && target == name)
            .ToList();
        var newBlock = block.TrackNodes(disposes.Cast<SyntaxNode>().Append(declaration));
        newBlock = newBlock.ReplaceNode(newBlock.GetCurrentNode(declaration)!, UsingDeclarations.AddUsing(declaration));
        foreach (var dispose in disposes)
        {
            newBlock = newBlock.RemoveNode(newBlock.GetCurrentNode(dispose)!, SyntaxRemoveOptions.KeepNoTrivia)!;
        }

        return document.WithSyntaxRoot(root.ReplaceNode(block, newBlock));
    }

    private static async Task<Document> UsingDiscardedAsync(Document document, ExpressionStatementSyntax statement, CancellationToken cancellationToken)
    {
        var root = await document.GetSyntaxRootAsync(cancellationToken).ConfigureAwait(false);
        var model = await document.GetSemanticModelAsync(cancellationToken).ConfigureAwait(false);
        if (root is null || model is null)
        {
            return document;
        }

        var type = model.GetTypeInfo(statement.Expression, cancellationToken).Type;
        var baseName = type?.Name switch { "Permit" => "permit", "Scope" => "scope", _ => "guard" };
        var name = baseName;
        for (var i = 2; !model.LookupSymbols(statement.SpanStart, name: name).IsEmpty; i++)
        {
            name = baseName + i;
        }

        var declaration = SyntaxFactory.LocalDeclarationStatement(
                SyntaxFactory.VariableDeclaration(
                    SyntaxFactory.IdentifierName("var"),
                    SyntaxFactory.SingletonSeparatedList(
                        SyntaxFactory.VariableDeclarator(name).WithInitializer(SyntaxFactory.EqualsValueClause(statement.Expression.WithoutTrivia())))))
            .WithUsingKeyword(SyntaxFactory.Token(SyntaxKind.UsingKeyword))
            .WithTriviaFrom(statement)
            .WithAdditionalAnnotations(Formatter.Annotation);
        return document.WithSyntaxRoot(root.ReplaceNode(statement, declaration));
    }
}
