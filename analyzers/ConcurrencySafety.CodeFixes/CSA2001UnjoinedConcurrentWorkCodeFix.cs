using System.Collections.Generic;
using System.Collections.Immutable;
using System.Composition;
using System.Linq;
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
/// CSA2001 and its explicit-discard form CSA2009. Where <c>await</c> can be inserted (an async
/// function, outside <c>lock</c> and unsafe code), a dropped (<c>Task.Run(...);</c>) or discarded
/// (<c>_ = Task.Run(...);</c>) task is awaited instead, or, for <c>Task.Run(work)</c>, the work
/// becomes the child of a task scope:
/// <c>await TaskScope.RunAsync(scope =&gt; { scope.Spawn(ct =&gt; work); return Task.CompletedTask; });</c>.
/// Outside async functions, a dropped <c>Task.Run(action)</c> can instead run in the library's
/// thread scope, <c>Scope.Run(scope =&gt; scope.Spawn(action))</c>, which joins it (and rethrows its
/// failure) before going on. No fix for threads or for async work outside async functions.
/// </summary>
/// <remarks>
/// The analyzers decide where each fix is mechanical and say so in the diagnostic's properties;
/// this class only rewrites syntax. Fix All rewrites every statement of a document in one pass
/// (nested statements included) and adds <c>using ConcurrencySafety;</c> once.
/// </remarks>
[ExportCodeFixProvider(LanguageNames.CSharp, Name = nameof(CSA2001UnjoinedConcurrentWorkCodeFix))]
[Shared]
public sealed class CSA2001UnjoinedConcurrentWorkCodeFix : CodeFixProvider
{
    private const string AwaitSuffix = ".Await";
    private const string TaskScopeSuffix = ".TaskScope";
    private const string ThreadScopeSuffix = ".Scope";

    private enum FixKind
    {
        Await,
        TaskScope,
        ThreadScope,
    }

    public override ImmutableArray<string> FixableDiagnosticIds =>
        ImmutableArray.Create(RuleIdentifiers.UnjoinedConcurrentWork, RuleIdentifiers.DiscardedConcurrentWork);

    public override FixAllProvider GetFixAllProvider() => FixAllProvider.Create(FixAllInDocumentAsync);

    public override async Task RegisterCodeFixesAsync(CodeFixContext context)
    {
        var root = await context.Document.GetSyntaxRootAsync(context.CancellationToken).ConfigureAwait(false);
        if (root is null)
        {
            return;
        }

        foreach (var diagnostic in context.Diagnostics)
        {
            foreach (var kind in new[] { FixKind.Await, FixKind.TaskScope, FixKind.ThreadScope })
            {
                if (FindStatement(root, diagnostic, kind) is null)
                {
                    continue;
                }

                var title = kind switch
                {
                    FixKind.Await => "Await the task",
                    FixKind.TaskScope => "Run it in a task scope (await TaskScope.RunAsync)",
                    _ => "Run it in a thread scope (joins it before going on)",
                };
                context.RegisterCodeFix(
                    CodeAction.Create(title, ct => FixDocumentAsync(context.Document, ImmutableArray.Create(diagnostic), kind, ct), equivalenceKey: diagnostic.Id + Suffix(kind)),
                    diagnostic);
            }
        }
    }

    private static string Suffix(FixKind kind) => kind switch
    {
        FixKind.Await => AwaitSuffix,
        FixKind.TaskScope => TaskScopeSuffix,
        _ => ThreadScopeSuffix,
    };

    private static async Task<Document?> FixAllInDocumentAsync(FixAllContext context, Document document, ImmutableArray<Diagnostic> diagnostics)
    {
        var key = context.CodeActionEquivalenceKey ?? string.Empty;
        var kind = key.EndsWith(TaskScopeSuffix, System.StringComparison.Ordinal) ? FixKind.TaskScope
            : key.EndsWith(AwaitSuffix, System.StringComparison.Ordinal) ? FixKind.Await
            : key.EndsWith(ThreadScopeSuffix, System.StringComparison.Ordinal) ? FixKind.ThreadScope
            : (FixKind?)null;
        return kind is null ? document : await FixDocumentAsync(document, diagnostics, kind.Value, context.CancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// The statement to rewrite for <paramref name="diagnostic"/> with <paramref name="kind"/>, or
    /// null when the analyzer did not offer that fix or the syntax is not the expected shape.
    /// </summary>
    private static ExpressionStatementSyntax? FindStatement(SyntaxNode root, Diagnostic diagnostic, FixKind kind)
    {
        var key = kind switch
        {
            FixKind.Await => CSA2001UnjoinedConcurrentWorkAnalyzer.AwaitFixKey,
            FixKind.TaskScope => CSA2001UnjoinedConcurrentWorkAnalyzer.TaskScopeFixKey,
            _ => CSA2001UnjoinedConcurrentWorkAnalyzer.ScopeFixKey,
        };
        if (!diagnostic.Properties.ContainsKey(key)
            || root.FindNode(diagnostic.Location.SourceSpan, getInnermostNodeForTie: true)?.FirstAncestorOrSelf<ExpressionStatementSyntax>() is not { } statement
            || Spawned(statement) is not { } invocation)
        {
            return null;
        }

        return kind switch
        {
            // The thread scope blocks; it replaces only a plain dropped task (an explicit discard
            // in a synchronous function asked for fire-and-forget, and gets no fix).
            FixKind.ThreadScope => statement.Expression == invocation && invocation.ArgumentList.Arguments.Count == 1 ? statement : null,
            FixKind.TaskScope => invocation.ArgumentList.Arguments.Count is 1 or 2 && WorkToSpawn(invocation.ArgumentList.Arguments[0].Expression, "ct") is not null ? statement : null,
            _ => statement,
        };
    }

    /// <summary>The spawn call of <c>Task.Run(...);</c> or <c>_ = Task.Run(...);</c>.</summary>
    private static InvocationExpressionSyntax? Spawned(ExpressionStatementSyntax statement) => statement.Expression switch
    {
        InvocationExpressionSyntax invocation => invocation,
        AssignmentExpressionSyntax { Left: IdentifierNameSyntax { Identifier.ValueText: "_" }, Right: InvocationExpressionSyntax invocation } => invocation,
        _ => null,
    };

    private static async Task<Document> FixDocumentAsync(Document document, ImmutableArray<Diagnostic> diagnostics, FixKind kind, CancellationToken cancellationToken)
    {
        var root = await document.GetSyntaxRootAsync(cancellationToken).ConfigureAwait(false);
        if (root is null)
        {
            return document;
        }

        // Names are chosen on the original tree (so that they avoid every name of the member);
        // the rewrite runs on the nodes ReplaceNodes hands over, which already contain the
        // rewrites of statements nested inside them.
        var model = kind == FixKind.Await ? null : await document.GetSemanticModelAsync(cancellationToken).ConfigureAwait(false);
        var names = new Dictionary<ExpressionStatementSyntax, (string Scope, string Token)>();
        var statements = diagnostics
            .Select(d => FindStatement(root, d, kind))
            .OfType<ExpressionStatementSyntax>()
            .Distinct()
            .OrderBy(s => s.SpanStart)
            .ToList();
        foreach (var statement in statements)
        {
            // A statement inside the work of another one being rewritten ends up inside that
            // one's scope lambda: it must not reuse its names (as when fixed one at a time).
            var taken = NamesIn(statement, model);
            foreach (var outer in names)
            {
                if (outer.Key.Span.Contains(statement.Span))
                {
                    taken.Add(outer.Value.Scope);
                    taken.Add(outer.Value.Token);
                }
            }

            names.Add(statement, (Fresh(taken, "scope", "taskScope"), Fresh(taken, "ct", "cancellationToken")));
        }

        if (names.Count == 0)
        {
            return document;
        }

        var newRoot = root.ReplaceNodes(names.Keys, (original, current) => Rewrite(current, kind, names[original], IndentOf(original)));
        if (kind != FixKind.Await)
        {
            newRoot = Imports.Ensure(newRoot, "ConcurrencySafety");
        }

        return document.WithSyntaxRoot(newRoot);
    }

    private static SyntaxNode Rewrite(ExpressionStatementSyntax statement, FixKind kind, (string Scope, string Token) names, string indent)
    {
        if (Spawned(statement) is not { } invocation)
        {
            return statement;
        }

        switch (kind)
        {
            case FixKind.Await:
                return statement.WithExpression(Await(invocation.WithoutTrivia()).WithTriviaFrom(statement.Expression));

            case FixKind.ThreadScope:
            {
                // Task.Run(work); becomes Scope.Run(scope => scope.Spawn(work)); the thread scope
                // joins the child (and rethrows its failure) before the statement completes.
                var spawn = Invoke(Member(SyntaxFactory.IdentifierName(names.Scope), "Spawn"), invocation.ArgumentList.Arguments[0].Expression.WithoutTrivia());
                var run = Invoke(Member(SyntaxFactory.IdentifierName("Scope"), "Run"), SyntaxFactory.SimpleLambdaExpression(SyntaxFactory.Parameter(SyntaxFactory.Identifier(names.Scope)), spawn));
                return statement.WithExpression(run.WithTriviaFrom(statement.Expression));
            }

            default:
            {
                // Task.Run(work[, token]); becomes
                //   await TaskScope.RunAsync(scope =>
                //   {
                //       scope.Spawn(ct => work);
                //       return Task.CompletedTask;
                //   }[, token]);
                // The body does not await, so it is not async (no CS1998); the scope joins the
                // child, and the await rethrows its failure, before the statement completes.
                // Written as text so that the work keeps its own layout, moved one level in.
                var arguments = invocation.ArgumentList.Arguments;
                if (WorkToSpawn(arguments[0].Expression, names.Token) is not { } work)
                {
                    return statement;
                }

                var workText = work.ToFullString().Replace("\n", "\n    ");
                var token = arguments.Count == 2 ? ", " + arguments[1].Expression.WithoutTrivia().ToFullString() : string.Empty;
                var text = "await TaskScope.RunAsync(" + names.Scope + " =>\n"
                    + indent + "{\n"
                    + indent + "    " + names.Scope + ".Spawn(" + workText + ");\n"
                    + indent + "    return Task.CompletedTask;\n"
                    + indent + "}" + token + ")";
                return statement.WithExpression(SyntaxFactory.ParseExpression(text).WithTriviaFrom(statement.Expression));
            }
        }
    }

    // The whitespace at the start of the statement's line (of the original tree), which the
    // lines of the work are laid out against.
    private static string IndentOf(SyntaxNode statement)
    {
        var text = statement.SyntaxTree.GetText();
        var line = text.Lines.GetLineFromPosition(statement.SpanStart);
        var end = line.Start;
        while (end < line.End && text[end] is ' ' or '\t')
        {
            end++;
        }

        return text.ToString(Microsoft.CodeAnalysis.Text.TextSpan.FromBounds(line.Start, end));
    }

    /// <summary>
    /// The child for <c>scope.Spawn</c>: the lambda or anonymous method with a token parameter
    /// (<c>() =&gt; body</c> becomes <c>ct =&gt; body</c>, modifiers kept), or <c>ct =&gt; M()</c> for
    /// a method group. Null for any other shape (the analyzer offered no fix for it).
    /// </summary>
    private static ExpressionSyntax? WorkToSpawn(ExpressionSyntax work, string token)
    {
        var parameter = SyntaxFactory.Parameter(SyntaxFactory.Identifier(token));
        switch (work)
        {
            case ParenthesizedLambdaExpressionSyntax { ParameterList.Parameters.Count: 0 } lambda:
                return SyntaxFactory.SimpleLambdaExpression(parameter.WithTrailingTrivia(lambda.ParameterList.GetTrailingTrivia()))
                    .WithModifiers(lambda.Modifiers)
                    .WithArrowToken(lambda.ArrowToken)
                    .WithBlock(lambda.Block)
                    .WithExpressionBody(lambda.ExpressionBody)
                    .WithoutTrivia();
            case AnonymousMethodExpressionSyntax { ParameterList: null or { Parameters.Count: 0 } } anonymous:
                return SyntaxFactory.SimpleLambdaExpression(parameter.WithTrailingTrivia(SyntaxFactory.Space))
                    .WithModifiers(anonymous.Modifiers)
                    .WithArrowToken(SyntaxFactory.Token(SyntaxKind.EqualsGreaterThanToken).WithTrailingTrivia(SyntaxFactory.Space))
                    .WithBlock(anonymous.Block)
                    .WithoutTrivia();
            case IdentifierNameSyntax or MemberAccessExpressionSyntax:
                return SyntaxFactory.SimpleLambdaExpression(parameter.WithTrailingTrivia(SyntaxFactory.Space))
                    .WithArrowToken(SyntaxFactory.Token(SyntaxKind.EqualsGreaterThanToken).WithTrailingTrivia(SyntaxFactory.Space))
                    .WithExpressionBody(SyntaxFactory.InvocationExpression(work.WithoutTrivia()));
            default:
                return null;
        }
    }

    private static AwaitExpressionSyntax Await(ExpressionSyntax expression) =>
        SyntaxFactory.AwaitExpression(SyntaxFactory.Token(SyntaxKind.AwaitKeyword).WithTrailingTrivia(SyntaxFactory.Space), expression);

    private static MemberAccessExpressionSyntax Member(ExpressionSyntax instance, string name) =>
        SyntaxFactory.MemberAccessExpression(SyntaxKind.SimpleMemberAccessExpression, instance, SyntaxFactory.IdentifierName(name));

    private static InvocationExpressionSyntax Invoke(ExpressionSyntax target, ExpressionSyntax argument) =>
        SyntaxFactory.InvocationExpression(target, SyntaxFactory.ArgumentList(SyntaxFactory.SingletonSeparatedList(SyntaxFactory.Argument(argument))));

    // The identifiers of the statement and the locals and parameters in scope there: a new
    // lambda parameter with one of these names could capture or shadow a name the work uses.
    private static HashSet<string> NamesIn(SyntaxNode statement, SemanticModel? model)
    {
        var taken = new HashSet<string>(statement.DescendantTokens().Where(t => t.IsKind(SyntaxKind.IdentifierToken)).Select(t => t.ValueText), System.StringComparer.Ordinal);
        if (model is not null)
        {
            foreach (var symbol in model.LookupSymbols(statement.SpanStart))
            {
                if (symbol is ILocalSymbol or IParameterSymbol or IRangeVariableSymbol)
                {
                    taken.Add(symbol.Name);
                }
            }
        }

        return taken;
    }

    private static string Fresh(HashSet<string> taken, string first, string second)
    {
        if (!taken.Contains(first))
        {
            return first;
        }

        if (!taken.Contains(second))
        {
            return second;
        }

        for (var i = 2; ; i++)
        {
            if (!taken.Contains(first + i))
            {
                return first + i;
            }
        }
    }
}
