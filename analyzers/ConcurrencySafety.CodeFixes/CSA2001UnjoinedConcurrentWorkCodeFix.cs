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
using Microsoft.CodeAnalysis.Formatting;

namespace ConcurrencySafety.CodeFixes;

/// <summary>
/// CSA2001 and its explicit-discard form CSA2009. Where <c>await</c> can be inserted (an async
/// function, outside <c>lock</c> and unsafe code), a dropped (<c>Task.Run(...);</c>) or discarded
/// (<c>_ = Task.Run(...);</c>) task is awaited instead, or, for <c>Task.Run(work)</c>, the work
/// becomes the child of a task scope (the alternative action):
/// <c>await TaskScope.RunAsync(scope =&gt; { scope.Spawn(ct =&gt; work); return Task.CompletedTask; });</c>.
/// Outside async functions, joining a dropped <c>Task.Run(action)</c> means the caller waits for
/// the work, so the fix runs it in place as a person would write it: <c>Task.Run(() =&gt; File.Delete(path));</c>
/// becomes <c>File.Delete(path);</c> (a method group is called, a block body with one statement
/// becomes that statement, a longer one a block). Work that cannot be moved in place (its body
/// returns) runs in the library's thread scope, <c>Scope.Run(scope =&gt; scope.Spawn(action))</c>,
/// which also joins it and rethrows its failure. <c>await Task.Factory.StartNew(async ...);</c>
/// gets <c>.Unwrap()</c>. No fix for threads or for async work outside async functions.
/// </summary>
/// <remarks>
/// The analyzers decide where each fix is mechanical and say so in the diagnostic's properties;
/// this class only rewrites syntax. The first action for a diagnostic (await, or run in place,
/// or the thread scope) has the rule's default key, the task scope its own
/// (<see cref="FixKeys"/>). Fix All rewrites every statement of a document in one pass (nested
/// statements included), each with its own default form, and adds <c>using ConcurrencySafety;</c>
/// once when a scope needs it.
/// </remarks>
[ExportCodeFixProvider(LanguageNames.CSharp, Name = nameof(CSA2001UnjoinedConcurrentWorkCodeFix))]
[Shared]
public sealed class CSA2001UnjoinedConcurrentWorkCodeFix : CodeFixProvider
{
    private const string TaskScopeName = "TaskScope";

    private enum FixKind
    {
        Await,
        Unwrap,
        TaskScope,
        Inline,
        ThreadScope,
    }

    public override ImmutableArray<string> FixableDiagnosticIds =>
        ImmutableArray.Create(RuleIdentifiers.UnjoinedConcurrentWork, RuleIdentifiers.DiscardedConcurrentWork);

    public override FixAllProvider GetFixAllProvider() => new DefaultKeyFixAllProvider(FixAllProvider.Create(FixAllInDocumentAsync));

    public override async Task RegisterCodeFixesAsync(CodeFixContext context)
    {
        var root = await context.Document.GetSyntaxRootAsync(context.CancellationToken).ConfigureAwait(false);
        if (root is null)
        {
            return;
        }

        foreach (var diagnostic in context.Diagnostics)
        {
            if (DefaultKind(root, diagnostic) is { } kind)
            {
                var title = kind switch
                {
                    FixKind.Await => "Await the task",
                    FixKind.Unwrap => "Await the async body too (.Unwrap())",
                    FixKind.Inline => "Run the work here (the caller waits for it)",
                    _ => "Run it in a thread scope (joins it before going on)",
                };
                context.RegisterCodeFix(
                    CodeAction.Create(title, ct => FixDocumentAsync(context.Document, ImmutableArray.Create(diagnostic), (r, d) => DefaultKind(r, d), ct), equivalenceKey: FixKeys.Default(diagnostic.Id)),
                    diagnostic);
            }

            if (FindStatement(root, diagnostic, FixKind.TaskScope) is not null)
            {
                context.RegisterCodeFix(
                    CodeAction.Create("Run it in a task scope (await TaskScope.RunAsync)", ct => FixDocumentAsync(context.Document, ImmutableArray.Create(diagnostic), TaskScopeOnly, ct), equivalenceKey: FixKeys.Alternative(diagnostic.Id, TaskScopeName)),
                    diagnostic);
            }
        }
    }

    /// <summary>The default fix of a diagnostic: await in async functions, else run in place, else a thread scope.</summary>
    private static FixKind? DefaultKind(SyntaxNode root, Diagnostic diagnostic) =>
        FindStatement(root, diagnostic, FixKind.Unwrap) is not null ? FixKind.Unwrap
        : FindStatement(root, diagnostic, FixKind.Await) is not null ? FixKind.Await
        : FindStatement(root, diagnostic, FixKind.Inline) is not null ? FixKind.Inline
        : FindStatement(root, diagnostic, FixKind.ThreadScope) is not null ? FixKind.ThreadScope
        : null;

    private static FixKind? TaskScopeOnly(SyntaxNode root, Diagnostic diagnostic) =>
        FindStatement(root, diagnostic, FixKind.TaskScope) is not null ? FixKind.TaskScope : null;

    private static async Task<Document?> FixAllInDocumentAsync(FixAllContext context, Document document, ImmutableArray<Diagnostic> diagnostics)
    {
        var key = context.CodeActionEquivalenceKey ?? string.Empty;
        System.Func<SyntaxNode, Diagnostic, FixKind?>? choose =
            key.EndsWith("." + TaskScopeName, System.StringComparison.Ordinal) ? TaskScopeOnly
            : key == FixKeys.Default(RuleIdentifiers.UnjoinedConcurrentWork) || key == FixKeys.Default(RuleIdentifiers.DiscardedConcurrentWork) ? DefaultKind
            : null;
        return choose is null ? document : await FixDocumentAsync(document, diagnostics, choose, context.CancellationToken).ConfigureAwait(false);
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
            FixKind.Unwrap => CSA2001UnjoinedConcurrentWorkAnalyzer.UnwrapFixKey,
            // Running in place and the thread scope both join synchronous work in a synchronous function.
            _ => CSA2001UnjoinedConcurrentWorkAnalyzer.ScopeFixKey,
        };
        if (!diagnostic.Properties.ContainsKey(key)
            || root.FindNode(diagnostic.Location.SourceSpan, getInnermostNodeForTie: true)?.FirstAncestorOrSelf<ExpressionStatementSyntax>() is not { } statement)
        {
            return null;
        }

        // await Task.Factory.StartNew(async ...); — the awaited call gets .Unwrap().
        if (kind == FixKind.Unwrap)
        {
            return statement.Expression is AwaitExpressionSyntax { Expression: InvocationExpressionSyntax } ? statement : null;
        }

        if (Spawned(statement) is not { } invocation)
        {
            return null;
        }

        return kind switch
        {
            // The thread scope blocks; it replaces only a plain dropped task (an explicit discard
            // in a synchronous function asked for fire-and-forget, and gets no fix).
            FixKind.ThreadScope => statement.Expression == invocation && invocation.ArgumentList.Arguments.Count == 1 ? statement : null,
            FixKind.Inline => statement.Expression == invocation && invocation.ArgumentList.Arguments.Count == 1 && InPlace(invocation.ArgumentList.Arguments[0].Expression) is not null ? statement : null,
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

    private static async Task<Document> FixDocumentAsync(Document document, ImmutableArray<Diagnostic> diagnostics, System.Func<SyntaxNode, Diagnostic, FixKind?> choose, CancellationToken cancellationToken)
    {
        var root = await document.GetSyntaxRootAsync(cancellationToken).ConfigureAwait(false);
        if (root is null)
        {
            return document;
        }

        // Names are chosen on the original tree (so that they avoid every name of the member);
        // the rewrite runs on the nodes ReplaceNodes hands over, which already contain the
        // rewrites of statements nested inside them.
        var kinds = new Dictionary<ExpressionStatementSyntax, FixKind>();
        foreach (var diagnostic in diagnostics)
        {
            if (choose(root, diagnostic) is { } kind && FindStatement(root, diagnostic, kind) is { } found && !kinds.ContainsKey(found))
            {
                kinds.Add(found, kind);
            }
        }

        var needsScope = kinds.Values.Any(k => k is FixKind.TaskScope or FixKind.ThreadScope);
        var model = needsScope ? await document.GetSemanticModelAsync(cancellationToken).ConfigureAwait(false) : null;
        var names = new Dictionary<ExpressionStatementSyntax, (string Scope, string Token)>();
        foreach (var statement in kinds.Keys.OrderBy(s => s.SpanStart))
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

        var newRoot = root.ReplaceNodes(names.Keys, (original, current) => Rewrite(current, kinds[original], names[original], IndentOf(original)));
        if (needsScope)
        {
            newRoot = await Imports.EnsureAsync(document, newRoot, "ConcurrencySafety", "Scope", kinds.Keys.Min(k => k.SpanStart), cancellationToken).ConfigureAwait(false);
        }

        // Unwrap is an extension method of System.Threading.Tasks.TaskExtensions.
        if (kinds.Values.Contains(FixKind.Unwrap))
        {
            newRoot = await Imports.EnsureAsync(document, newRoot, "System.Threading.Tasks", "TaskExtensions", kinds.Where(k => k.Value == FixKind.Unwrap).Min(k => k.Key.SpanStart), cancellationToken).ConfigureAwait(false);
        }

        return document.WithSyntaxRoot(newRoot);
    }

    private static SyntaxNode Rewrite(ExpressionStatementSyntax statement, FixKind kind, (string Scope, string Token) names, string indent)
    {
        if (kind == FixKind.Unwrap)
        {
            // Unwrap turns the Task<Task> of StartNew into the async body's own task, which the
            // await then waits for (and whose failure it rethrows).
            return statement.Expression is AwaitExpressionSyntax { Expression: InvocationExpressionSyntax startNew } awaited
                ? statement.WithExpression(awaited.WithExpression(SyntaxFactory.InvocationExpression(Member(startNew.WithoutTrivia(), "Unwrap")).WithTriviaFrom(startNew)))
                : statement;
        }

        if (Spawned(statement) is not { } invocation)
        {
            return statement;
        }

        switch (kind)
        {
            case FixKind.Await:
                return statement.WithExpression(Await(invocation.WithoutTrivia()).WithTriviaFrom(statement.Expression));

            case FixKind.Inline:
                // The work runs here, on the caller's thread: what joining it would wait for.
                return InPlace(invocation.ArgumentList.Arguments[0].Expression) is { } inPlace
                    ? inPlace.WithTriviaFrom(statement).WithAdditionalAnnotations(Formatter.Annotation)
                    : statement;

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

    /// <summary>
    /// The statement that runs <paramref name="work"/> in place, or null when it cannot move
    /// there unchanged: <c>() =&gt; Call()</c> becomes <c>Call();</c>, a method group <c>M</c>
    /// becomes <c>M();</c>, a block body with one statement becomes that statement and a longer
    /// one a block. Not for async work, parameters, or a body that returns (a <c>return</c> would
    /// leave the caller) or declares a local function or label the caller could clash with.
    /// </summary>
    private static StatementSyntax? InPlace(ExpressionSyntax work)
    {
        switch (work)
        {
            case ParenthesizedLambdaExpressionSyntax { ParameterList.Parameters.Count: 0, AsyncKeyword.RawKind: 0 } lambda when lambda.Modifiers.Count == 0:
                return lambda.ExpressionBody is { } expression
                    ? (IsStatementExpression(expression) ? SyntaxFactory.ExpressionStatement(expression.WithoutTrivia()) : null)
                    : FromBlock(lambda.Block);
            case AnonymousMethodExpressionSyntax { ParameterList: null or { Parameters.Count: 0 }, AsyncKeyword.RawKind: 0 } anonymous:
                return FromBlock(anonymous.Block);
            case IdentifierNameSyntax or MemberAccessExpressionSyntax:
                return SyntaxFactory.ExpressionStatement(SyntaxFactory.InvocationExpression(work.WithoutTrivia()));
            default:
                return null;
        }

        static bool IsStatementExpression(ExpressionSyntax expression) => expression is InvocationExpressionSyntax
            or AssignmentExpressionSyntax
            or ObjectCreationExpressionSyntax
            or PostfixUnaryExpressionSyntax { RawKind: (int)SyntaxKind.PostIncrementExpression or (int)SyntaxKind.PostDecrementExpression }
            or PrefixUnaryExpressionSyntax { RawKind: (int)SyntaxKind.PreIncrementExpression or (int)SyntaxKind.PreDecrementExpression };

        static StatementSyntax? FromBlock(BlockSyntax? block)
        {
            if (block is null || block.DescendantNodes(n => n is not AnonymousFunctionExpressionSyntax and not LocalFunctionStatementSyntax)
                    .Any(n => n is ReturnStatementSyntax or YieldStatementSyntax or LocalFunctionStatementSyntax or LabeledStatementSyntax))
            {
                return null;
            }

            return block.Statements.Count == 1 && block.Statements[0] is not LocalDeclarationStatementSyntax
                ? block.Statements[0].WithoutTrivia()
                : block.WithoutTrivia();
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
