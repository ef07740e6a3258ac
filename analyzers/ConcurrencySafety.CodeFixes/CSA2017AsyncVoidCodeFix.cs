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
/// CSA2017: <c>async void M()</c> becomes <c>async Task M()</c> (a <c>using System.Threading.Tasks;</c>
/// is added only when <c>Task</c> does not already mean that type there); and
/// <c>Parallel.ForEach(items, async item =&gt; ...)</c> in an async function becomes
/// <c>await Parallel.ForEachAsync(items, async (item, ct) =&gt; ...)</c>, which awaits every
/// item's work. Callers of a method that now returns <c>Task</c> should await it (CSA2001 says
/// so where they do not).
/// </summary>
[ExportCodeFixProvider(LanguageNames.CSharp, Name = nameof(CSA2017AsyncVoidCodeFix))]
[Shared]
public sealed class CSA2017AsyncVoidCodeFix : CodeFixProvider
{
    private const string TasksNamespace = "System.Threading.Tasks";

    public override ImmutableArray<string> FixableDiagnosticIds => ImmutableArray.Create(RuleIdentifiers.AsyncVoid);

    public override FixAllProvider GetFixAllProvider() => WellKnownFixAllProviders.BatchFixer;

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
            diagnostic.Properties.TryGetValue(CSA2017AsyncVoidAnalyzer.FixKey, out var fix);
            var node = root.FindNode(diagnostic.Location.SourceSpan, getInnermostNodeForTie: true);
            if (fix == "ReturnTask" && ReturnType(node) is PredefinedTypeSyntax { Keyword.RawKind: (int)SyntaxKind.VoidKeyword } returnType
                && TaskNameFits(model, returnType.SpanStart, out var needsImport))
            {
                context.RegisterCodeFix(
                    CodeAction.Create("Return Task", ct => ReturnTaskAsync(context.Document, returnType, needsImport, ct), equivalenceKey: RuleIdentifiers.AsyncVoid),
                    diagnostic);
            }
            else if (fix == "ForEachAsync"
                && node.FirstAncestorOrSelf<InvocationExpressionSyntax>() is { Expression: MemberAccessExpressionSyntax { Name.Identifier.ValueText: "ForEach" } member, ArgumentList.Arguments: { Count: 2 } arguments } call
                && call.Parent is ExpressionStatementSyntax
                && arguments[1].Expression is SimpleLambdaExpressionSyntax or ParenthesizedLambdaExpressionSyntax { ParameterList.Parameters.Count: 1 })
            {
                context.RegisterCodeFix(
                    CodeAction.Create("Use await Parallel.ForEachAsync", ct => ForEachAsync(context.Document, call, member, ct), equivalenceKey: RuleIdentifiers.AsyncVoid),
                    diagnostic);
            }
        }
    }

    private static TypeSyntax? ReturnType(SyntaxNode node) => node.FirstAncestorOrSelf<SyntaxNode>(n => n is MethodDeclarationSyntax or LocalFunctionStatementSyntax) switch
    {
        MethodDeclarationSyntax method => method.ReturnType,
        LocalFunctionStatementSyntax local => local.ReturnType,
        _ => null,
    };

    // Task must mean System.Threading.Tasks.Task where it is written, or mean nothing yet (then
    // the using is added).
    private static bool TaskNameFits(SemanticModel model, int position, out bool needsImport)
    {
        var found = model.LookupNamespacesAndTypes(position, name: "Task").Where(s => s is not INamedTypeSymbol { Arity: > 0 }).ToList();
        needsImport = found.Count == 0;
        return found.All(s => s is INamedTypeSymbol t && t.ContainingNamespace?.ToDisplayString() == TasksNamespace);
    }

    private static async Task<Document> ReturnTaskAsync(Document document, TypeSyntax returnType, bool needsImport, CancellationToken cancellationToken)
    {
        var root = await document.GetSyntaxRootAsync(cancellationToken).ConfigureAwait(false);
        if (root is null)
        {
            return document;
        }

        var newRoot = root.ReplaceNode(returnType, SyntaxFactory.IdentifierName("Task").WithTriviaFrom(returnType));
        return document.WithSyntaxRoot(needsImport ? Imports.Ensure(newRoot, TasksNamespace) : newRoot);
    }

    private static async Task<Document> ForEachAsync(Document document, InvocationExpressionSyntax call, MemberAccessExpressionSyntax member, CancellationToken cancellationToken)
    {
        var root = await document.GetSyntaxRootAsync(cancellationToken).ConfigureAwait(false);
        if (root is null)
        {
            return document;
        }

        var lambda = call.ArgumentList.Arguments[1].Expression;
        var taken = new HashSet<string>(lambda.DescendantNodesAndSelf().OfType<IdentifierNameSyntax>().Select(i => i.Identifier.ValueText));
        var token = taken.Contains("ct") ? "cancellationToken" : "ct";
        ParameterSyntax item;
        LambdaExpressionSyntax withToken;
        switch (lambda)
        {
            case SimpleLambdaExpressionSyntax simple:
                item = simple.Parameter;
                withToken = SyntaxFactory.ParenthesizedLambdaExpression(
                        SyntaxFactory.ParameterList(SyntaxFactory.SeparatedList(new[] { item.WithoutTrivia(), SyntaxFactory.Parameter(SyntaxFactory.Identifier(token)) })),
                        simple.Body)
                    .WithAsyncKeyword(simple.AsyncKeyword)
                    .WithArrowToken(simple.ArrowToken)
                    .WithTriviaFrom(simple);
                break;
            case ParenthesizedLambdaExpressionSyntax parenthesized:
                withToken = parenthesized.WithParameterList(parenthesized.ParameterList.AddParameters(SyntaxFactory.Parameter(SyntaxFactory.Identifier(token))));
                break;
            default:
                return document;
        }

        var renamed = call
            .ReplaceNode(lambda, withToken)
            .WithExpression(member.WithName(SyntaxFactory.IdentifierName("ForEachAsync")));
        var awaited = SyntaxFactory.AwaitExpression(renamed.WithoutLeadingTrivia()).WithLeadingTrivia(call.GetLeadingTrivia());
        return document.WithSyntaxRoot(root.ReplaceNode(call, awaited));
    }
}
