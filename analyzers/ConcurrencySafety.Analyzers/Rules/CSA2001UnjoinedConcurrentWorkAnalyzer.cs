using System.Collections.Immutable;
using ConcurrencySafety.Analyzers.Lifecycle;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Operations;

namespace ConcurrencySafety.Analyzers.Rules;

/// <summary>
/// CSA2001: concurrent work started and never joined. The task returned by <c>Task.Run</c>,
/// <c>Task.Factory.StartNew</c> or <c>TaskScope.RunAsync</c> (or by any other call returning a
/// <c>Task</c> or <c>ValueTask</c>) is dropped by an expression statement, or kept in a local
/// that is never used again; <c>await Task.Factory.StartNew(async ...)</c> drops the async
/// body's task (no <c>Unwrap</c>); or a thread is started and its local is never joined and
/// never leaves the method. An explicit discard (<c>_ = Task.Run(...)</c>) is CSA2009, a warning.
/// </summary>
/// <remarks>
/// A task that is awaited, returned, stored or passed on is not reported, nor is a thread
/// marked <c>IsBackground = true</c> (a deliberate daemon) or a thread local used in any way
/// other than setting its properties and calling <c>Start</c>.
/// </remarks>
[DiagnosticAnalyzer(LanguageNames.CSharp)]
public sealed class CSA2001UnjoinedConcurrentWorkAnalyzer : DiagnosticAnalyzer
{
    /// <summary>Property set when the diagnostic is on a dropped task in an async function (the fix adds <c>await</c>).</summary>
    internal const string AwaitFixKey = "AwaitFix";

    /// <summary>Property: <c>await Task.Factory.StartNew(async ...);</c> becomes <c>await Task.Factory.StartNew(async ...).Unwrap();</c>.</summary>
    internal const string UnwrapFixKey = "UnwrapFix";

    /// <summary>
    /// Property set on a dropped <c>Task.Run(Action)</c> outside async functions when the library's
    /// thread <c>Scope</c> is available: the fix runs the work in <c>Scope.Run</c>, which joins it.
    /// </summary>
    internal const string ScopeFixKey = "ScopeFix";

    /// <summary>
    /// Property set on a dropped <c>Task.Run(work)</c> / <c>Task.Run(work, token)</c> where <c>await</c> can be
    /// inserted and the work is a parameterless lambda, anonymous method or method group: the fix runs it as
    /// the only child of <c>await TaskScope.RunAsync(scope =&gt; { scope.Spawn(ct =&gt; ...); ... })</c>.
    /// </summary>
    internal const string TaskScopeFixKey = "TaskScopeFix";

    internal static readonly DiagnosticDescriptor Rule = new(
        RuleIdentifiers.UnjoinedConcurrentWork,
        title: "Concurrent work never joined",
        messageFormat: "{0} is started and never joined: its failure is lost and it may outlive the code that started it; await it, or start it in a scope (TaskScope.RunAsync, Scope.Run)",
        category: "Concurrency",
        defaultSeverity: DiagnosticSeverity.Error,
        isEnabledByDefault: true,
        description: "Work started with Task.Run, Task.Factory.StartNew or new Thread and then dropped is not joined by anyone: its exceptions go unobserved and it keeps running after the method returns, "
            + "touching state its caller believes is no longer in use. Await or join it, or start it inside a TaskScope or Scope, which joins every child before it returns.",
        helpLinkUri: RuleIdentifiers.GetHelpUri(RuleIdentifiers.UnjoinedConcurrentWork));

    public override ImmutableArray<DiagnosticDescriptor> SupportedDiagnostics => ImmutableArray.Create(Rule);

    public override void Initialize(AnalysisContext context)
    {
        context.EnableConcurrentExecution();
        context.ConfigureGeneratedCodeAnalysis(GeneratedCodeAnalysisFlags.None);
        context.RegisterCompilationStartAction(start =>
        {
            var types = LifecycleTypes.For(start.Compilation);
            if (types.Task is null)
            {
                return;
            }

            start.RegisterOperationAction(c => AnalyzeStatement(c, types), OperationKind.ExpressionStatement);
            if (types.Thread is not null)
            {
                start.RegisterOperationAction(c => AnalyzeThread(c, types), OperationKind.VariableDeclarator);
            }

            start.RegisterOperationAction(c => AnalyzeUnusedTaskLocal(c, types), OperationKind.VariableDeclarator);
        });
    }

    private static void AnalyzeStatement(OperationAnalysisContext context, LifecycleTypes types)
    {
        var statement = (IExpressionStatementOperation)context.Operation;
        if (statement.Operation is IAwaitOperation { Operation: var awaitedTask } awaited && IsTaskLike(awaited.Type, types)
            && !IsWhenAny(awaitedTask, types))
        {
            // await Task.Factory.StartNew(async () => ...): the await yields the async body's
            // own task (StartNew returned a Task<Task>), and the statement drops it.
            var unwrap = ChannelLocals.Strip(awaitedTask) is IInvocationOperation { TargetMethod.Name: "StartNew" } startNew && Spawns.IsSpawn(startNew, types);
            var what = unwrap
                ? "The task of the async lambda passed to 'StartNew' (the await waits only for it to start; add .Unwrap())"
                : "The task produced by this await";
            var fix = unwrap ? ImmutableDictionary<string, string?>.Empty.Add(UnwrapFixKey, "true") : ImmutableDictionary<string, string?>.Empty;
            context.ReportDiagnostic(Diagnostic.Create(Rule, awaited.Syntax.GetLocation(), fix, what));
            return;
        }

        if (statement.Operation is not IInvocationOperation invocation)
        {
            return;
        }

        if (Spawns.IsSpawn(invocation, types))
        {
            var properties = FixProperties(statement, invocation, context.ContainingSymbol, types);
            context.ReportDiagnostic(Diagnostic.Create(Rule, invocation.Syntax.GetLocation(), properties, "The task of '" + Spawns.DisplayName(invocation) + "'"));
            return;
        }

        // Any other call whose Task or ValueTask is dropped: the work it stands for is not
        // joined either (an async method called from a synchronous one, WriteAsync, Delay).
        if (IsTaskLike(invocation.Type, types) && !IsTaskCombinatorWithoutWork(invocation.TargetMethod, types)
            && !IsCallOnKeptTask(invocation, types)
            && !SaysFireAndForget(invocation))
        {
            var properties = CanInsertAwait(statement, context.ContainingSymbol)
                ? ImmutableDictionary<string, string?>.Empty.Add(AwaitFixKey, "true")
                : ImmutableDictionary<string, string?>.Empty;
            context.ReportDiagnostic(Diagnostic.Create(Rule, invocation.Syntax.GetLocation(), properties, "The task returned by '" + invocation.TargetMethod.Name + "'"));
            return;
        }

        // new Thread(...).Start(); the thread object is unreachable afterwards.
        if (invocation is { TargetMethod.Name: "Start", Instance: IObjectCreationOperation creation }
            && LifecycleTypes.Is(creation.Type, types.Thread)
            && !SetsBackground(creation.Initializer))
        {
            context.ReportDiagnostic(Diagnostic.Create(Rule, invocation.Syntax.GetLocation(), "The thread"));
        }
    }

    private static void AnalyzeThread(OperationAnalysisContext context, LifecycleTypes types)
    {
        var declarator = (IVariableDeclaratorOperation)context.Operation;
        if (!LifecycleTypes.Is(declarator.Symbol.Type, types.Thread)
            || declarator.Initializer?.Value is not { } value
            || ChannelLocals.Strip(value) is not IObjectCreationOperation creation
            || SetsBackground(creation.Initializer))
        {
            return;
        }

        var owned = OwnedLocal.Collect(declarator.Symbol, declarator, OwnedLocal.Root(declarator), m => m.Name == "Join");
        if (owned.IsReleasedSomewhere || owned.HasUnknownUse)
        {
            return;
        }

        IOperation? start = null;
        foreach (var use in owned.Uses)
        {
            if (use.Reference.Parent is IPropertyReferenceOperation { Property.Name: "IsBackground" })
            {
                return;
            }

            if (use.Reference.Parent is IInvocationOperation { TargetMethod.Name: "Start" } call)
            {
                start ??= call;
            }
        }

        if (start is not null)
        {
            context.ReportDiagnostic(Diagnostic.Create(Rule, start.Syntax.GetLocation(), $"Thread '{declarator.Symbol.Name}'"));
        }
    }

    // var w = TaskScope.RunAsync(...); (or any call returning a task) and w is never used
    // again: nobody awaits the work, the same as dropping it.
    private static void AnalyzeUnusedTaskLocal(OperationAnalysisContext context, LifecycleTypes types)
    {
        var declarator = (IVariableDeclaratorOperation)context.Operation;
        if (declarator.Initializer?.Value is not { } value
            || ChannelLocals.Strip(value) is not IInvocationOperation invocation
            || !IsTaskLike(declarator.Symbol.Type, types)
            || IsTaskCombinatorWithoutWork(invocation.TargetMethod, types)
            || declarator.Symbol.IsRef
            || declarator.Syntax.Parent?.Parent is Microsoft.CodeAnalysis.CSharp.Syntax.UsingStatementSyntax or Microsoft.CodeAnalysis.CSharp.Syntax.LocalDeclarationStatementSyntax { UsingKeyword.RawKind: not 0 })
        {
            return;
        }

        foreach (var operation in OwnedLocal.Root(declarator).Descendants())
        {
            if (operation is ILocalReferenceOperation { IsDeclaration: false } reference
                && SymbolEqualityComparer.Default.Equals(reference.Local, declarator.Symbol))
            {
                return; // used somehow: awaited, passed on, stored (precision first)
            }
        }

        var name = Spawns.IsSpawn(invocation, types) ? Spawns.DisplayName(invocation) : invocation.TargetMethod.Name;
        context.ReportDiagnostic(Diagnostic.Create(Rule, invocation.Syntax.GetLocation(), $"The task of '{name}' (kept in '{declarator.Symbol.Name}', which is never awaited)"));
    }

    // task.ObserveErrors(); (StackExchange.Redis): a call on a task that a variable, parameter or
    // field still holds. The work is that task, and whoever holds it joins it or not; what the
    // call returns is the same task or an observer of it (as ContinueWith's is).
    private static bool IsCallOnKeptTask(IInvocationOperation invocation, LifecycleTypes types)
    {
        var receiver = invocation.Instance
            ?? (invocation.TargetMethod.IsExtensionMethod && invocation.Arguments.Length > 0 ? invocation.Arguments[0].Value : null);
        return receiver is not null
            && ChannelLocals.Strip(receiver) is ILocalReferenceOperation or IParameterReferenceOperation or IFieldReferenceOperation
            && IsTaskLike(ChannelLocals.Strip(receiver).Type, types);
    }

    // db.KeyDeleteAsync(key, CommandFlags.FireAndForget): the caller says so in the call, with an
    // enum value the API defines for it (StackExchange.Redis' commands queued in a transaction).
    private static bool SaysFireAndForget(IInvocationOperation invocation)
    {
        foreach (var argument in invocation.Arguments)
        {
            foreach (var operation in argument.Value.DescendantsAndSelf())
            {
                if (operation is IFieldReferenceOperation { Field: { Name: "FireAndForget", HasConstantValue: true, ContainingType.TypeKind: TypeKind.Enum } })
                {
                    return true;
                }
            }
        }

        return false;
    }

    // await Task.WhenAny(work, Task.Delay(timeout, ct)): the await yields the task that finished
    // first, which is complete; dropping it drops no running work (Quartz's QuartzHostedService).
    private static bool IsWhenAny(IOperation awaited, LifecycleTypes types)
    {
        var operation = ChannelLocals.Strip(awaited);
        if (operation is IInvocationOperation { TargetMethod.Name: "ConfigureAwait", Instance: { } configured })
        {
            operation = ChannelLocals.Strip(configured);
        }

        return operation is IInvocationOperation { TargetMethod: { Name: "WhenAny", IsStatic: true } whenAny } && DerivesFromTask(whenAny.ContainingType, types);
    }

    /// <summary>Task helpers that start no work of their own: dropping their result loses nothing (FromResult) or is an observer by design (ContinueWith).</summary>
    private static bool IsTaskCombinatorWithoutWork(IMethodSymbol method, LifecycleTypes types) =>
        method.Name is "ContinueWith" or "FromResult" or "FromException" or "FromCanceled" or "AsTask" or "Preserve"
        && (DerivesFromTask(method.ContainingType, types) || method.ContainingType is { Name: "ValueTask" });

    private static bool SetsBackground(IObjectOrCollectionInitializerOperation? initializer) =>
        initializer is not null
        && initializer.Initializers.Any(i => i is ISimpleAssignmentOperation { Target: IPropertyReferenceOperation { Property.Name: "IsBackground" } });

    /// <summary>
    /// The fixes that apply to the dropped (or discarded) spawn <paramref name="invocation"/> of
    /// <paramref name="statement"/>: await (and a task scope) where <c>await</c> can be inserted, a
    /// thread scope for a synchronous <c>Task.Run(action)</c> elsewhere. Shared with CSA2009.
    /// </summary>
    internal static ImmutableDictionary<string, string?> FixProperties(IOperation statement, IInvocationOperation invocation, ISymbol containingSymbol, LifecycleTypes types)
    {
        var properties = ImmutableDictionary<string, string?>.Empty;
        var isTaskRun = SymbolEqualityComparer.Default.Equals(invocation.TargetMethod.ContainingType, types.Task);
        if (CanInsertAwait(statement, containingSymbol))
        {
            // await Task.Factory.StartNew(async () => ...) would only wait for the start of the
            // async body (a Task<Task>): no mechanical await there.
            if (invocation.Type is not INamedTypeSymbol { TypeArguments.Length: 1 } resultType || !IsTaskLike(resultType.TypeArguments[0], types))
            {
                properties = properties.Add(AwaitFixKey, "true");
            }

            if (isTaskRun && types.TaskScope is not null && CanSpawnInTaskScope(invocation, types))
            {
                properties = properties.Add(TaskScopeFixKey, "true");
            }
        }
        else if (!IsInAsyncFunction(statement, containingSymbol)
            && isTaskRun
            && types.ThreadScope is not null
            && invocation.TargetMethod is { Name: "Run", Parameters.Length: 1 } run
            && run.Parameters[0].Type is INamedTypeSymbol { Name: "Action", Arity: 0, ContainingNamespace.Name: "System" }
            && !CapturesStructThis(invocation.Arguments[0].Value))
        {
            properties = properties.Add(ScopeFixKey, "true");
        }

        return properties;
    }

    private static bool DerivesFromTask(ITypeSymbol type, LifecycleTypes types)
    {
        for (var t = type; t is not null; t = t.BaseType)
        {
            if (LifecycleTypes.Is(t, types.Task))
            {
                return true;
            }
        }

        return false;
    }

    private static bool IsTaskLike(ITypeSymbol? type, LifecycleTypes types)
    {
        for (var t = type; t is not null; t = t.BaseType)
        {
            if (LifecycleTypes.Is(t, types.Task) || t is INamedTypeSymbol { Name: "ValueTask", ContainingNamespace.Name: "Tasks" })
            {
                return true;
            }
        }

        return false;
    }

    // Task.Run(work) or Task.Run(work, token), where work can become the body of a
    // TaskScope.Spawn overload (Action<CancellationToken>, Func<CancellationToken, Task>,
    // Func<CancellationToken, Task<T>>) by giving it a token parameter it ignores, and where the
    // names the fix writes (TaskScope, Task) mean what the fix needs.
    private static bool CanSpawnInTaskScope(IInvocationOperation invocation, LifecycleTypes types)
    {
        var method = invocation.TargetMethod;
        if (method.Name != "Run"
            || method.Parameters.Length is not (1 or 2)
            || method.Parameters.Length == 2 && method.Parameters[1].Type is not INamedTypeSymbol { Name: "CancellationToken" }
            || invocation.Arguments.Length != method.Parameters.Length
            || invocation.Arguments.Any(a => a.ArgumentKind != ArgumentKind.Explicit)
            || invocation.Syntax is not Microsoft.CodeAnalysis.CSharp.Syntax.InvocationExpressionSyntax { ArgumentList.Arguments: var syntaxArguments }
            || syntaxArguments.Any(a => a.NameColon is not null)
            || invocation.SemanticModel is not { } model)
        {
            return false;
        }

        var position = invocation.Syntax.SpanStart;
        if (model.LookupNamespacesAndTypes(position, name: "TaskScope").Any(t => !SymbolEqualityComparer.Default.Equals(t, types.TaskScope))
            || !model.LookupNamespacesAndTypes(position, name: "Task").Any(t => SymbolEqualityComparer.Default.Equals(t, types.Task)))
        {
            return false;
        }

        var delegateType = method.Parameters[0].Type as INamedTypeSymbol;
        // Only a Task (or Task<T>) result maps to a Spawn overload that awaits it; any other
        // result, ValueTask included, has to be dropped by an Action<CancellationToken>.
        var returnsValue = delegateType is { Name: "Func", Arity: 1 } && !DerivesFromTask(delegateType.TypeArguments[0], types);
        if (ChannelLocals.Strip(invocation.Arguments[0].Value) is not IDelegateCreationOperation creation)
        {
            return false;
        }

        switch (creation.Target)
        {
            case IAnonymousFunctionOperation lambda:
                // () => ... or delegate { ... }: no parameters to keep, no explicit return type or attributes.
                if (lambda.Syntax is Microsoft.CodeAnalysis.CSharp.Syntax.ParenthesizedLambdaExpressionSyntax { ParameterList.Parameters.Count: 0, ReturnType: null, AttributeLists.Count: 0 } parenthesized)
                {
                    // A Func<T> with a plain value: ct => Compute() is an Action<CancellationToken>
                    // (the value was dropped anyway) only when the body is a statement expression.
                    return !returnsValue || parenthesized.ExpressionBody is { } body && IsStatementExpression(body);
                }

                return !returnsValue && lambda.Syntax is Microsoft.CodeAnalysis.CSharp.Syntax.AnonymousMethodExpressionSyntax { ParameterList: null or { Parameters.Count: 0 } };

            case IMethodReferenceOperation reference:
                // Work, this.Work or Type.Work becomes ct => Work(): evaluated in the child instead
                // of at the spawn, which is the same only for static methods and this.
                return reference.Method.Parameters.IsEmpty
                    && !reference.Method.IsGenericMethod
                    && !reference.Method.IsExtensionMethod
                    && (reference.Instance is null || reference.Instance is IInstanceReferenceOperation && !CapturesStructThis(creation));

            default:
                return false;
        }
    }

    private static bool IsStatementExpression(Microsoft.CodeAnalysis.CSharp.Syntax.ExpressionSyntax expression) =>
        expression is Microsoft.CodeAnalysis.CSharp.Syntax.InvocationExpressionSyntax
            or Microsoft.CodeAnalysis.CSharp.Syntax.ObjectCreationExpressionSyntax
            or Microsoft.CodeAnalysis.CSharp.Syntax.AssignmentExpressionSyntax
            or Microsoft.CodeAnalysis.CSharp.Syntax.PostfixUnaryExpressionSyntax
            or Microsoft.CodeAnalysis.CSharp.Syntax.PrefixUnaryExpressionSyntax { RawKind: (int)Microsoft.CodeAnalysis.CSharp.SyntaxKind.PreIncrementExpression or (int)Microsoft.CodeAnalysis.CSharp.SyntaxKind.PreDecrementExpression };

    // A method group on an instance of a struct: the delegate copies the struct, a lambda would
    // have to capture 'this', which a struct cannot.
    private static bool CapturesStructThis(IOperation work) =>
        ChannelLocals.Strip(work) is IDelegateCreationOperation { Target: IMethodReferenceOperation { Instance: IInstanceReferenceOperation { Type.IsValueType: true } } };

    /// <summary>
    /// Whether an <c>await</c> can be put in front of the statement: the innermost function is
    /// async, and the statement is not inside a <c>lock</c> or an unsafe context, and the function
    /// has no ref or ref struct locals (which may not live across an await).
    /// </summary>
    internal static bool CanInsertAwait(IOperation statement, ISymbol containingSymbol)
    {
        if (!IsInAsyncFunction(statement, containingSymbol))
        {
            return false;
        }

        var function = OwnedLocal.EnclosingFunction(statement);
        for (var current = statement.Parent; current is not null && current != function; current = current.Parent)
        {
            if (current is ILockOperation)
            {
                return false;
            }
        }

        foreach (var ancestor in statement.Syntax.Ancestors())
        {
            if (ancestor is Microsoft.CodeAnalysis.CSharp.Syntax.UnsafeStatementSyntax
                || ancestor is Microsoft.CodeAnalysis.CSharp.Syntax.MemberDeclarationSyntax member && member.Modifiers.Any(Microsoft.CodeAnalysis.CSharp.SyntaxKind.UnsafeKeyword)
                || ancestor is Microsoft.CodeAnalysis.CSharp.Syntax.LocalFunctionStatementSyntax local && local.Modifiers.Any(Microsoft.CodeAnalysis.CSharp.SyntaxKind.UnsafeKeyword))
            {
                return false;
            }
        }

        foreach (var descendant in function.Descendants())
        {
            if (descendant is IVariableDeclaratorOperation { Symbol: var symbol }
                && (symbol.RefKind != RefKind.None || symbol.Type.IsRefLikeType)
                && OwnedLocal.EnclosingFunction(descendant) == function)
            {
                return false;
            }
        }

        return true;
    }

    internal static bool IsInAsyncFunction(IOperation operation, ISymbol containingSymbol)
    {
        for (var current = operation.Parent; current is not null; current = current.Parent)
        {
            switch (current)
            {
                case IAnonymousFunctionOperation lambda:
                    return lambda.Symbol.IsAsync;
                case ILocalFunctionOperation local:
                    return local.Symbol.IsAsync;
            }
        }

        return containingSymbol is IMethodSymbol { IsAsync: true };
    }
}
