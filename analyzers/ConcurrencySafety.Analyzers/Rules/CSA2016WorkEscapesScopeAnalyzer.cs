using System.Collections.Immutable;
using ConcurrencySafety.Analyzers.Lifecycle;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Operations;

namespace ConcurrencySafety.Analyzers.Rules;

/// <summary>
/// CSA2016: work started inside the body of a <c>TaskScope.RunAsync</c>/<c>RunSupervisedAsync</c>
/// or <c>Scope.Run</c> with <c>Task.Run</c>, <c>Task.Factory.StartNew</c> or
/// <c>ThreadPool.QueueUserWorkItem</c> instead of the scope's <c>Spawn</c>, and not joined inside
/// the body: queued to the pool (never joinable), kept in a variable or list of the code outside
/// the scope, or kept in a variable or list of the body that the body never uses again (never
/// awaited, never passed to <c>WhenAll</c>). The scope returns while that work still runs.
/// </summary>
/// <remarks>
/// A dropped task (<c>Task.Run(...);</c>) is CSA2001's finding and is not repeated here. Any
/// other use of the variable or list inside the body (an <c>await</c>, <c>WhenAll</c>, a call
/// that receives it) is taken as a join: precision first.
/// </remarks>
[DiagnosticAnalyzer(LanguageNames.CSharp)]
public sealed class CSA2016WorkEscapesScopeAnalyzer : DiagnosticAnalyzer
{
    internal static readonly DiagnosticDescriptor Rule = new(
        RuleIdentifiers.WorkEscapesScope,
        title: "Work escapes its scope",
        messageFormat: "'{0}' starts work inside the scope body that the scope does not own, and {1}: the scope returns while it may still run; start it with '{2}.Spawn' instead",
        category: "Concurrency",
        defaultSeverity: DiagnosticSeverity.Error,
        isEnabledByDefault: true,
        description: "A TaskScope or Scope returns only when every child it spawned has finished, and propagates their failures. Work started inside the body with Task.Run, Task.Factory.StartNew or the thread pool is not a child: "
            + "if the body does not join it, it outlives the scope, its failure is lost, and it may touch state the scope's caller believes is no longer shared. Start it with scope.Spawn, or await it inside the body.",
        helpLinkUri: RuleIdentifiers.GetHelpUri(RuleIdentifiers.WorkEscapesScope));

    /// <summary>
    /// Property set when the code fix may replace the whole statement with <c>scope.Spawn(...)</c>:
    /// the work is pool work queued as a statement, or a task whose holder is a local of the body
    /// that nothing reads (so nothing depends on its type). Its value is the scope parameter's name.
    /// </summary>
    internal const string SpawnFixKey = "SpawnFix";

    /// <summary>Property: "Task" for a <c>TaskScope</c> body, "Thread" for a <c>Scope</c> body.</summary>
    internal const string ScopeKindKey = "ScopeKind";

    public override ImmutableArray<DiagnosticDescriptor> SupportedDiagnostics => ImmutableArray.Create(Rule);

    public override void Initialize(AnalysisContext context)
    {
        context.EnableConcurrentExecution();
        context.ConfigureGeneratedCodeAnalysis(GeneratedCodeAnalysisFlags.None);
        context.RegisterCompilationStartAction(start =>
        {
            var types = LifecycleTypes.For(start.Compilation);
            if (types.Task is null || types.TaskScope is null && types.ThreadScope is null)
            {
                return;
            }

            start.RegisterOperationAction(c => Analyze(c, types), OperationKind.Invocation);
        });
    }

    private static void Analyze(OperationAnalysisContext context, LifecycleTypes types)
    {
        var invocation = (IInvocationOperation)context.Operation;
        if (invocation.TargetMethod is { Name: "Start", ContainingType: { Name: "Thread", ContainingNamespace.Name: "Threading" } })
        {
            AnalyzeThreadStart(context, invocation, types);
            return;
        }

        var isPool = invocation.TargetMethod is { Name: "QueueUserWorkItem" or "UnsafeQueueUserWorkItem", ContainingType: { Name: "ThreadPool", ContainingNamespace.Name: "Threading" } };
        if (!isPool && !(Spawns.IsSpawn(invocation, types) && !LifecycleTypes.Is(invocation.TargetMethod.ContainingType, types.TaskScope))
            || ScopeBody(invocation, types) is not { } body)
        {
            return;
        }

        var scopeName = body.Symbol.Parameters.FirstOrDefault()?.Name ?? "scope";
        var name = Spawns.DisplayName(invocation);
        var fix = ImmutableDictionary<string, string?>.Empty;
        if (body.Symbol.Parameters.Length == 1 && !body.Symbol.Parameters[0].IsDiscard && scopeName != "_")
        {
            fix = fix.Add(SpawnFixKey, scopeName)
                .Add(ScopeKindKey, LifecycleTypes.Is(body.Symbol.Parameters[0].Type, types.TaskScope) ? "Task" : "Thread");
        }

        if (isPool)
        {
            context.ReportDiagnostic(Diagnostic.Create(Rule, invocation.Syntax.GetLocation(), invocation.Parent is IExpressionStatementOperation ? fix : null, name, "pool work cannot be joined at all", scopeName));
            return;
        }

        if (Holder(invocation) is not { } holder)
        {
            return; // dropped (CSA2001), awaited, returned, passed on: not this rule's business
        }

        if (!IsDeclaredIn(holder, body))
        {
            context.ReportDiagnostic(Diagnostic.Create(Rule, invocation.Syntax.GetLocation(), name, $"keeps its task in '{holder.Name}', which belongs to the code outside the scope", scopeName));
            return;
        }

        foreach (var operation in body.Body.Descendants())
        {
            if (operation is ILocalReferenceOperation { IsDeclaration: false } reference
                && SymbolEqualityComparer.Default.Equals(reference.Local, holder)
                && !IsFilling(reference))
            {
                return; // awaited, passed to WhenAll, returned...: joined somehow
            }
        }

        // Nothing reads the holder: the statement that fills it can become a spawn. Not for an
        // assignment to a local declared elsewhere, whose declaration would be left unused.
        var replaceable = HolderStatement(invocation) is IExpressionStatementOperation { Operation: IInvocationOperation { TargetMethod.Name: "Add" } }
            || HolderStatement(invocation) is IVariableDeclarationGroupOperation { Declarations: { Length: 1 } declarations } && declarations[0].Declarators.Length == 1;
        context.ReportDiagnostic(Diagnostic.Create(Rule, invocation.Syntax.GetLocation(), replaceable ? fix : null, name, $"'{holder.Name}' is never awaited or joined inside the body", scopeName));
    }

    /// <summary>
    /// <c>t.Start()</c> in a scope body, for a thread local of the code outside the scope that the
    /// body does not join: the outside joins it, if at all, after the scope returned. A thread
    /// local of the body that is never joined is CSA2001's finding.
    /// </summary>
    private static void AnalyzeThreadStart(OperationAnalysisContext context, IInvocationOperation start, LifecycleTypes types)
    {
        if (start.Instance is not { } instance
            || ChannelLocals.Strip(instance) is not ILocalReferenceOperation thread
            || ScopeBody(start, types) is not { } body
            || IsDeclaredIn(thread.Local, body))
        {
            return;
        }

        foreach (var operation in body.Body.Descendants())
        {
            if (operation is IInvocationOperation { TargetMethod.Name: "Join", Instance: { } joined }
                && ChannelLocals.Strip(joined) is ILocalReferenceOperation reference
                && SymbolEqualityComparer.Default.Equals(reference.Local, thread.Local))
            {
                return; // joined inside the body
            }
        }

        var scopeName = body.Symbol.Parameters.FirstOrDefault()?.Name ?? "scope";
        context.ReportDiagnostic(Diagnostic.Create(Rule, start.Syntax.GetLocation(), "Thread.Start", $"keeps its thread in '{thread.Local.Name}', which belongs to the code outside the scope", scopeName));
    }

    /// <summary>The scope lambda whose own code (not a nested function) contains <paramref name="operation"/>.</summary>
    private static IAnonymousFunctionOperation? ScopeBody(IOperation operation, LifecycleTypes types)
    {
        if (OwnedLocal.EnclosingFunction(operation) is not IAnonymousFunctionOperation lambda)
        {
            return null;
        }

        IOperation current = lambda;
        while (current.Parent is IDelegateCreationOperation or IConversionOperation)
        {
            current = current.Parent;
        }

        return current.Parent is IArgumentOperation { Parent: IInvocationOperation { TargetMethod: { } opener } }
            && (LifecycleTypes.Is(opener.ContainingType, types.TaskScope) && opener.Name is "RunAsync" or "RunSupervisedAsync"
                || LifecycleTypes.Is(opener.ContainingType, types.ThreadScope) && opener.Name == "Run")
            ? lambda
            : null;
    }

    // var t = Task.Run(...); t = Task.Run(...); list.Add(Task.Run(...)): the local that holds the task.
    private static ILocalSymbol? Holder(IInvocationOperation spawn)
    {
        IOperation current = spawn;
        while (current.Parent is IConversionOperation { IsImplicit: true })
        {
            current = current.Parent;
        }

        return current.Parent switch
        {
            IVariableInitializerOperation { Parent: IVariableDeclaratorOperation declarator } => declarator.Symbol,
            ISimpleAssignmentOperation { Target: ILocalReferenceOperation target } assignment when assignment.Value == current => target.Local,
            IArgumentOperation { Parent: IInvocationOperation { TargetMethod.Name: "Add", Instance: var instance } } when instance is not null && ChannelLocals.Strip(instance) is ILocalReferenceOperation list => list.Local,
            _ => null,
        };
    }

    // The statement holding the spawn: list.Add(Task.Run(...)); or var t = Task.Run(...);.
    private static IOperation? HolderStatement(IInvocationOperation spawn)
    {
        for (var current = spawn.Parent; current is not null; current = current.Parent)
        {
            if (current is IExpressionStatementOperation or IVariableDeclarationGroupOperation)
            {
                return current;
            }

            if (current is not (IConversionOperation or IArgumentOperation or IInvocationOperation or IVariableInitializerOperation or IVariableDeclaratorOperation or IVariableDeclarationOperation))
            {
                return null;
            }
        }

        return null;
    }

    private static bool IsDeclaredIn(ILocalSymbol local, IAnonymousFunctionOperation body)
    {
        var declaration = local.DeclaringSyntaxReferences.FirstOrDefault()?.GetSyntax();
        return declaration is not null && body.Syntax.SyntaxTree == declaration.SyntaxTree && body.Syntax.Span.Contains(declaration.Span)
            && !body.Descendants().OfType<IAnonymousFunctionOperation>().Any(nested => nested.Syntax.Span.Contains(declaration.Span));
    }

    // Putting a task into the holder is not a join: the assignment target, or list.Add(...).
    private static bool IsFilling(ILocalReferenceOperation reference)
    {
        IOperation current = reference;
        while (current.Parent is IConversionOperation { IsImplicit: true })
        {
            current = current.Parent;
        }

        return current.Parent is ISimpleAssignmentOperation assignment && assignment.Target == current
            || current.Parent is IInvocationOperation { TargetMethod.Name: "Add" } add && add.Instance == current;
    }
}
