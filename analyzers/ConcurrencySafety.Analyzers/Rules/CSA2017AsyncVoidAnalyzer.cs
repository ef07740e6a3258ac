using System.Collections.Immutable;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Operations;

namespace ConcurrencySafety.Analyzers.Rules;

/// <summary>
/// CSA2017: <c>async void</c>, in its two disguises:
/// <list type="bullet">
/// <item>an <c>async void</c> method or local function whose signature is not an event
/// handler's (<c>(object sender, TEventArgs e)</c>), and that does not override or implement a
/// void member (whose signature it cannot change);</item>
/// <item>an async lambda or anonymous method converted to a void-returning delegate and passed
/// to an invoker that runs it concurrently or once per item: <c>Parallel.For</c>,
/// <c>Parallel.ForEach</c>, <c>Parallel.Invoke</c>, <c>List&lt;T&gt;.ForEach</c>,
/// <c>Array.ForEach</c>, <c>ThreadPool.QueueUserWorkItem</c>, <c>new Thread</c>,
/// <c>new Timer</c>, or a <c>[RunsConcurrently]</c> parameter.</item>
/// </list>
/// Nobody can await such a function: the invoker returns at its first <c>await</c>, so the loop
/// "finishes" while the work runs on, and an exception is raised on the thread pool, where it
/// crashes the process.
/// </summary>
[DiagnosticAnalyzer(LanguageNames.CSharp)]
public sealed class CSA2017AsyncVoidAnalyzer : DiagnosticAnalyzer
{
    /// <summary>Property: the fix that applies ("ReturnTask" for a method, "ForEachAsync" for Parallel.ForEach).</summary>
    internal const string FixKey = "Fix";

    internal static readonly DiagnosticDescriptor Rule = new(
        RuleIdentifiers.AsyncVoid,
        title: "async void",
        messageFormat: "{0} is async void: nobody can await it, {1}, and an exception in it crashes the process; {2}",
        category: "Concurrency",
        defaultSeverity: DiagnosticSeverity.Error,
        isEnabledByDefault: true,
        description: "An async method returning void, or an async lambda given where an Action is expected, cannot be awaited: the caller goes on at its first await, and an exception it throws is rethrown on the thread pool, where it terminates the process. "
            + "Parallel.ForEach, List<T>.ForEach and timer callbacks given an async lambda return while the work still runs. Return Task (and await it), or use the Task-aware form (Parallel.ForEachAsync). Event handlers, whose signature is fixed, are not reported.",
        helpLinkUri: RuleIdentifiers.GetHelpUri(RuleIdentifiers.AsyncVoid));

    public override ImmutableArray<DiagnosticDescriptor> SupportedDiagnostics => ImmutableArray.Create(Rule);

    public override void Initialize(AnalysisContext context)
    {
        context.EnableConcurrentExecution();
        context.ConfigureGeneratedCodeAnalysis(GeneratedCodeAnalysisFlags.None);
        context.RegisterCompilationStartAction(start =>
        {
            var eventArgs = start.Compilation.GetTypeByMetadataName("System.EventArgs");
            start.RegisterSymbolAction(c => AnalyzeMethod(c, eventArgs), SymbolKind.Method);
            start.RegisterOperationAction(c => AnalyzeLocalFunction(c, eventArgs), OperationKind.LocalFunction);
            start.RegisterOperationAction(AnalyzeLambda, OperationKind.AnonymousFunction);
        });
    }

    private static void AnalyzeMethod(SymbolAnalysisContext context, INamedTypeSymbol? eventArgs)
    {
        var method = (IMethodSymbol)context.Symbol;
        if (!method.IsAsync
            || !method.ReturnsVoid
            || method.MethodKind != MethodKind.Ordinary
            || method.IsOverride
            || !method.ExplicitInterfaceImplementations.IsEmpty
            || ImplementsInterfaceMember(method)
            || IsEventHandlerShaped(method, eventArgs)
            || method.Locations.FirstOrDefault() is not { IsInSource: true } location)
        {
            return;
        }

        var properties = ImmutableDictionary<string, string?>.Empty.Add(FixKey, "ReturnTask");
        context.ReportDiagnostic(Diagnostic.Create(Rule, location, properties, $"Method '{method.Name}'", "its caller goes on at the first await", "return Task and await it"));
    }

    private static void AnalyzeLocalFunction(OperationAnalysisContext context, INamedTypeSymbol? eventArgs)
    {
        var function = ((ILocalFunctionOperation)context.Operation).Symbol;
        if (function.IsAsync && function.ReturnsVoid && !IsEventHandlerShaped(function, eventArgs)
            && context.Operation.Syntax is LocalFunctionStatementSyntax syntax)
        {
            var properties = ImmutableDictionary<string, string?>.Empty.Add(FixKey, "ReturnTask");
            context.ReportDiagnostic(Diagnostic.Create(Rule, syntax.Identifier.GetLocation(), properties, $"Local function '{function.Name}'", "its caller goes on at the first await", "return Task and await it"));
        }
    }

    private static void AnalyzeLambda(OperationAnalysisContext context)
    {
        var lambda = (IAnonymousFunctionOperation)context.Operation;
        if (!lambda.Symbol.IsAsync || !lambda.Symbol.ReturnsVoid)
        {
            return;
        }

        IOperation current = lambda;
        while (current.Parent is IDelegateCreationOperation or IConversionOperation)
        {
            current = current.Parent;
        }

        if (current.Parent is not IArgumentOperation { Parameter: { } parameter } argument
            || Invoker(argument.Parent, parameter) is not { } invoker)
        {
            return;
        }

        var properties = ImmutableDictionary<string, string?>.Empty;
        var advice = "pass a function that returns Task to a Task-aware API";
        if (argument.Parent is IInvocationOperation { TargetMethod: { Name: "ForEach", ContainingType.Name: "Parallel" } forEach } call
            && call.Arguments.Length == 2
            && lambda.Symbol.Parameters.Length == 1
            && call.Parent is IExpressionStatementOperation statement
            && CSA2001UnjoinedConcurrentWorkAnalyzer.CanInsertAwait(statement, context.ContainingSymbol)
            && forEach.ContainingType.GetMembers("ForEachAsync").Any())
        {
            properties = properties.Add(FixKey, "ForEachAsync");
            advice = "use 'await Parallel.ForEachAsync'";
        }
        else if (invoker.StartsWith("Parallel.ForEach", StringComparison.Ordinal))
        {
            advice = "use 'await Parallel.ForEachAsync'";
        }

        var location = lambda.Syntax is AnonymousFunctionExpressionSyntax { AsyncKeyword: var keyword } && keyword.RawKind != 0 ? keyword.GetLocation() : lambda.Syntax.GetLocation();
        context.ReportDiagnostic(Diagnostic.Create(Rule, location, properties, $"The async lambda passed to '{invoker}'", $"'{invoker}' returns while it still runs", advice));
    }

    /// <summary>A short name of the call when it runs its void delegate concurrently or once per item; null otherwise.</summary>
    private static string? Invoker(IOperation? call, IParameterSymbol parameter)
    {
        if (parameter.GetAttributes().Any(a => a.AttributeClass?.Name == "RunsConcurrentlyAttribute"))
        {
            return call is IInvocationOperation i ? i.TargetMethod.ContainingType.Name + "." + i.TargetMethod.Name : "a [RunsConcurrently] parameter";
        }

        switch (call)
        {
            case IInvocationOperation { TargetMethod: var method }:
                var type = method.ContainingType;
                var ns = type?.ContainingNamespace?.ToDisplayString();
                var name = type?.Name + "." + method.Name;
                return (ns, type?.Name, method.Name) switch
                {
                    ("System.Threading.Tasks", "Parallel", "For" or "ForEach" or "Invoke") => name,
                    ("System.Collections.Generic", "List", "ForEach") => name,
                    ("System", "Array", "ForEach") => name,
                    ("System.Threading", "ThreadPool", "QueueUserWorkItem" or "UnsafeQueueUserWorkItem") => name,
                    _ => null,
                };

            case IObjectCreationOperation { Type: INamedTypeSymbol created }:
                var createdNs = created.ContainingNamespace?.ToDisplayString();
                return createdNs == "System.Threading" && created.Name is "Thread" or "Timer" ? "new " + created.Name : null;

            default:
                return null;
        }
    }

    // (object sender, SomethingEventArgs e): the signature an event imposes.
    private static bool IsEventHandlerShaped(IMethodSymbol method, INamedTypeSymbol? eventArgs)
    {
        if (method.Parameters.Length != 2 || method.Parameters[0].Type.SpecialType != SpecialType.System_Object)
        {
            return false;
        }

        for (var t = method.Parameters[1].Type as INamedTypeSymbol; t is not null; t = t.BaseType)
        {
            if (eventArgs is not null && SymbolEqualityComparer.Default.Equals(t, eventArgs) || t.Name.EndsWith("EventArgs", StringComparison.Ordinal))
            {
                return true;
            }
        }

        return false;
    }

    private static bool ImplementsInterfaceMember(IMethodSymbol method)
    {
        var type = method.ContainingType;
        foreach (var contract in type.AllInterfaces)
        {
            foreach (var member in contract.GetMembers(method.Name))
            {
                if (SymbolEqualityComparer.Default.Equals(type.FindImplementationForInterfaceMember(member), method))
                {
                    return true;
                }
            }
        }

        return false;
    }
}
