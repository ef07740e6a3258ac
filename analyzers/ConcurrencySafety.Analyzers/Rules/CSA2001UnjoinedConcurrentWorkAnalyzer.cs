using System.Collections.Immutable;
using ConcurrencySafety.Analyzers.Lifecycle;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Operations;

namespace ConcurrencySafety.Analyzers.Rules;

/// <summary>
/// CSA2001: concurrent work started and never joined. The task returned by <c>Task.Run</c>,
/// <c>Task.Factory.StartNew</c> or <c>TaskScope.RunAsync</c> is dropped by an expression
/// statement; or a thread is started and its local is never joined and never leaves the
/// method. An explicit discard (<c>_ = Task.Run(...)</c>) is CSA2009, a warning.
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

    /// <summary>
    /// Property set on a dropped <c>Task.Run(Action)</c> outside async functions when the library's
    /// thread <c>Scope</c> is available: the fix runs the work in <c>Scope.Run</c>, which joins it.
    /// </summary>
    internal const string ScopeFixKey = "ScopeFix";

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
            var types = new LifecycleTypes(start.Compilation);
            if (types.Task is null)
            {
                return;
            }

            start.RegisterOperationAction(c => AnalyzeStatement(c, types), OperationKind.ExpressionStatement);
            if (types.Thread is not null)
            {
                start.RegisterOperationAction(c => AnalyzeThread(c, types), OperationKind.VariableDeclarator);
            }
        });
    }

    private static void AnalyzeStatement(OperationAnalysisContext context, LifecycleTypes types)
    {
        var statement = (IExpressionStatementOperation)context.Operation;
        if (statement.Operation is not IInvocationOperation invocation)
        {
            return;
        }

        if (Spawns.IsSpawn(invocation, types))
        {
            var properties = ImmutableDictionary<string, string?>.Empty;
            if (IsInAsyncFunction(statement, context.ContainingSymbol))
            {
                properties = properties.Add(AwaitFixKey, "true");
            }
            else if (types.ThreadScope is not null
                && invocation.TargetMethod is { Name: "Run", Parameters.Length: 1 } run
                && run.Parameters[0].Type is INamedTypeSymbol { Name: "Action", Arity: 0, ContainingNamespace.Name: "System" }
                && SymbolEqualityComparer.Default.Equals(invocation.TargetMethod.ContainingType, types.Task))
            {
                properties = properties.Add(ScopeFixKey, "true");
            }

            context.ReportDiagnostic(Diagnostic.Create(Rule, invocation.Syntax.GetLocation(), properties, "The task of '" + Spawns.DisplayName(invocation) + "'"));
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

    private static bool SetsBackground(IObjectOrCollectionInitializerOperation? initializer) =>
        initializer is not null
        && initializer.Initializers.Any(i => i is ISimpleAssignmentOperation { Target: IPropertyReferenceOperation { Property.Name: "IsBackground" } });

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
