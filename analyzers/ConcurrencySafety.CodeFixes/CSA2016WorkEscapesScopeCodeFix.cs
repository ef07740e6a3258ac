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
/// CSA2016: the statement that starts the escaping work becomes <c>scope.Spawn(...)</c>, so the
/// work is a child the scope joins. <c>pending.Add(Task.Run(() => F()));</c> and
/// <c>var t = Task.Run(() => F());</c> (nothing reads <c>t</c> again) become
/// <c>scope.Spawn(ct => F());</c> in a <c>TaskScope</c> body and <c>s.Spawn(() => F());</c> in a
/// <c>Scope</c> body; <c>ThreadPool.QueueUserWorkItem(_ => F());</c> likewise.
/// </summary>
/// <remarks>
/// Offered only where the analyzer says nothing depends on the task's type (the holder is never
/// read; see <see cref="CSA2016WorkEscapesScopeAnalyzer.SpawnFixKey"/>), for a lambda with no
/// parameters (<c>Task.Run</c>) or one unused parameter (the pool's state), given as the only
/// argument: a <c>Task.Run</c> token or <c>StartNew</c> options have no place in <c>Spawn</c>,
/// whose children take the scope's token. In a <c>TaskScope</c> body the lambda gets a token
/// parameter; a block-bodied lambda that returns a plain value has no <c>Spawn</c> overload and
/// is left alone. In a thread <c>Scope</c> an asynchronous lambda is left alone: a thread child
/// would return at its first <c>await</c>.
/// </remarks>
[ExportCodeFixProvider(LanguageNames.CSharp, Name = nameof(CSA2016WorkEscapesScopeCodeFix))]
[Shared]
public sealed class CSA2016WorkEscapesScopeCodeFix : CodeFixProvider
{
    public override ImmutableArray<string> FixableDiagnosticIds => ImmutableArray.Create(RuleIdentifiers.WorkEscapesScope);

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
            if (!diagnostic.Properties.TryGetValue(CSA2016WorkEscapesScopeAnalyzer.SpawnFixKey, out var scope) || scope is null
                || !diagnostic.Properties.TryGetValue(CSA2016WorkEscapesScopeAnalyzer.ScopeKindKey, out var kind)
                || root.FindNode(diagnostic.Location.SourceSpan, getInnermostNodeForTie: true).FirstAncestorOrSelf<InvocationExpressionSyntax>() is not { ArgumentList.Arguments: { Count: 1 } arguments } start
                || arguments[0].Expression is not LambdaExpressionSyntax lambda
                || start.Span != diagnostic.Location.SourceSpan
                || Statement(start) is not { } statement
                || model.GetSymbolInfo(lambda, context.CancellationToken).Symbol is not IMethodSymbol symbol
                || Spawned(lambda, symbol, kind == "Task", model, context.CancellationToken) is not { } spawned)
            {
                continue;
            }

            context.RegisterCodeFix(
                CodeAction.Create(
                    $"Start it with '{scope}.Spawn'",
                    ct => ReplaceAsync(context.Document, statement, scope, spawned, ct),
                    equivalenceKey: FixKeys.Default(RuleIdentifiers.WorkEscapesScope)),
                diagnostic);
        }
    }

    // The statement the spawn replaces whole: pool.Queue(...);, list.Add(Task.Run(...));, var t = Task.Run(...);.
    private static StatementSyntax? Statement(InvocationExpressionSyntax start) => start.Parent switch
    {
        ExpressionStatementSyntax statement => statement,
        ArgumentSyntax { Parent: ArgumentListSyntax { Arguments.Count: 1, Parent: InvocationExpressionSyntax { Parent: ExpressionStatementSyntax statement } } } => statement,
        EqualsValueClauseSyntax { Parent: VariableDeclaratorSyntax { Parent: VariableDeclarationSyntax { Variables.Count: 1, Parent: LocalDeclarationStatementSyntax { UsingKeyword.RawKind: 0 } statement } } } => statement,
        _ => null,
    };

    /// <summary>The lambda as the scope's Spawn takes it, or null when no overload would take it with the same meaning.</summary>
    private static LambdaExpressionSyntax? Spawned(LambdaExpressionSyntax lambda, IMethodSymbol symbol, bool taskScope, SemanticModel model, CancellationToken cancellationToken)
    {
        // The pool's state parameter must be unused: the spawned work has no state to receive.
        if (symbol.Parameters.Length > 1
            || symbol.Parameters.Length == 1 && lambda.Body.DescendantNodesAndSelf().OfType<IdentifierNameSyntax>().Any(n => n.Identifier.ValueText == symbol.Parameters[0].Name
                && SymbolEqualityComparer.Default.Equals(model.GetSymbolInfo(n, cancellationToken).Symbol, symbol.Parameters[0])))
        {
            return null;
        }

        var returnsTask = symbol.ReturnType is INamedTypeSymbol { Name: "Task" or "ValueTask", ContainingNamespace: { Name: "Tasks" } };
        var block = lambda.Block is not null;
        if (!taskScope)
        {
            // Scope.Spawn(Action) / Spawn<T>(Func<T>): the lambda as it is, without its parameter.
            if (symbol.IsAsync || returnsTask)
            {
                return null;
            }

            return WithParameter(lambda, null);
        }

        // TaskScope.Spawn(Action<CancellationToken>) / (Func<CancellationToken, Task>) / <T>(Func<CancellationToken, Task<T>>).
        if (block && !symbol.ReturnsVoid && !returnsTask)
        {
            return null;
        }

        var name = "ct";
        for (var i = 2; model.LookupSymbols(lambda.SpanStart, name: name).Length > 0 || lambda.Body.DescendantTokens().Any(t => t.ValueText == name); i++)
        {
            name = "ct" + i;
        }

        return WithParameter(lambda, name);
    }

    // ct => body (TaskScope) or () => body (Scope), keeping the async keyword, arrow and body.
    private static LambdaExpressionSyntax WithParameter(LambdaExpressionSyntax lambda, string? name)
    {
        if (name is null)
        {
            return lambda is ParenthesizedLambdaExpressionSyntax { ParameterList.Parameters.Count: 0 }
                ? lambda
                : SyntaxFactory.ParenthesizedLambdaExpression(lambda.AsyncKeyword, SyntaxFactory.ParameterList().WithTrailingTrivia(SyntaxFactory.Space), lambda.ArrowToken, lambda.Block, lambda.ExpressionBody);
        }

        var parameter = SyntaxFactory.Parameter(SyntaxFactory.Identifier(name)).WithTrailingTrivia(SyntaxFactory.Space);
        return SyntaxFactory.SimpleLambdaExpression(lambda.AsyncKeyword, parameter, lambda.ArrowToken, lambda.Block, lambda.ExpressionBody);
    }

    private static async Task<Document> ReplaceAsync(Document document, StatementSyntax statement, string scope, LambdaExpressionSyntax spawned, CancellationToken cancellationToken)
    {
        var root = await document.GetSyntaxRootAsync(cancellationToken).ConfigureAwait(false);
        if (root is null)
        {
            return document;
        }

        var call = SyntaxFactory.InvocationExpression(
            SyntaxFactory.MemberAccessExpression(SyntaxKind.SimpleMemberAccessExpression, SyntaxFactory.IdentifierName(scope), SyntaxFactory.IdentifierName("Spawn")),
            SyntaxFactory.ArgumentList(SyntaxFactory.SingletonSeparatedList(SyntaxFactory.Argument(spawned))));
        var replacement = SyntaxFactory.ExpressionStatement(call).WithTriviaFrom(statement);
        return document.WithSyntaxRoot(root.ReplaceNode(statement, replacement));
    }
}
