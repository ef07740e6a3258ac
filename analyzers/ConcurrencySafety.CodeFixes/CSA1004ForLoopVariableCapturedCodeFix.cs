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
/// CSA1004: copies the for loop variable into a local declared at the top of the loop body and
/// makes every lambda and local function in the body capture the copy. Not offered when the
/// loop body itself assigns the variable (the copy would then differ from it).
/// </summary>
[ExportCodeFixProvider(LanguageNames.CSharp, Name = nameof(CSA1004ForLoopVariableCapturedCodeFix))]
[Shared]
public sealed class CSA1004ForLoopVariableCapturedCodeFix : CodeFixProvider
{
    public override ImmutableArray<string> FixableDiagnosticIds => ImmutableArray.Create(RuleIdentifiers.ForLoopVariableCaptured);

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
            if (root.FindNode(diagnostic.Location.SourceSpan, getInnermostNodeForTie: true) is not IdentifierNameSyntax identifier
                || model.GetSymbolInfo(identifier, context.CancellationToken).Symbol is not ILocalSymbol local)
            {
                continue;
            }

            var loop = identifier.Ancestors().OfType<ForStatementSyntax>().FirstOrDefault(f => f.Declaration?.Variables.Any(v => SymbolEqualityComparer.Default.Equals(model.GetDeclaredSymbol(v, context.CancellationToken), local)) == true);
            if (loop is null)
            {
                continue;
            }

            var flow = model.AnalyzeDataFlow(loop.Statement);
            if (flow is null || !flow.Succeeded || flow.WrittenInside.Contains(local, SymbolEqualityComparer.Default))
            {
                continue;
            }

            var copyName = UniqueName(model, loop.Statement.SpanStart, local.Name + "Copy");
            context.RegisterCodeFix(
                CodeAction.Create(
                    $"Copy '{local.Name}' into a per-iteration local",
                    ct => CopyAsync(context.Document, loop, local, copyName, ct),
                    equivalenceKey: FixKeys.Default(RuleIdentifiers.ForLoopVariableCaptured)),
                diagnostic);
        }
    }

    private static string UniqueName(SemanticModel model, int position, string baseName)
    {
        var taken = new HashSet<string>(model.LookupSymbols(position).Select(s => s.Name));
        var name = baseName;
        for (var i = 2; taken.Contains(name); i++)
        {
            name = baseName + i;
        }

        return name;
    }

    private static async Task<Document> CopyAsync(Document document, ForStatementSyntax loop, ILocalSymbol local, string copyName, CancellationToken cancellationToken)
    {
        var root = await document.GetSyntaxRootAsync(cancellationToken).ConfigureAwait(false);
        var model = await document.GetSemanticModelAsync(cancellationToken).ConfigureAwait(false);
        if (root is null || model is null)
        {
            return document;
        }

        // Every capture of the loop variable inside the body: references within a lambda,
        // anonymous method or local function.
        var captures = loop.Statement.DescendantNodes()
            .OfType<IdentifierNameSyntax>()
            .Where(n => n.Identifier.ValueText == local.Name
                && n.Ancestors().TakeWhile(a => a != loop.Statement).Any(a => a is AnonymousFunctionExpressionSyntax or LocalFunctionStatementSyntax)
                && SymbolEqualityComparer.Default.Equals(model.GetSymbolInfo(n, cancellationToken).Symbol, local))
            .ToList();

        var statement = loop.Statement.ReplaceNodes(captures, (original, _) => SyntaxFactory.IdentifierName(copyName).WithTriviaFrom(original));
        var copy = SyntaxFactory.LocalDeclarationStatement(
                SyntaxFactory.VariableDeclaration(
                    SyntaxFactory.IdentifierName("var"),
                    SyntaxFactory.SingletonSeparatedList(
                        SyntaxFactory.VariableDeclarator(SyntaxFactory.Identifier(copyName))
                            .WithInitializer(SyntaxFactory.EqualsValueClause(SyntaxFactory.IdentifierName(local.Name))))))
            .WithAdditionalAnnotations(Formatter.Annotation);

        BlockSyntax block = statement is BlockSyntax existing
            ? existing.WithStatements(existing.Statements.Insert(0, copy))
            : SyntaxFactory.Block(copy, statement.WithoutTrivia()).WithTrailingTrivia(statement.GetTrailingTrivia()).WithAdditionalAnnotations(Formatter.Annotation);
        return document.WithSyntaxRoot(root.ReplaceNode(loop.Statement, block));
    }
}
