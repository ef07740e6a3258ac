using System.Collections.Immutable;
using ConcurrencySafety.Analyzers.Lifecycle;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Operations;

namespace ConcurrencySafety.Analyzers.Rules;

/// <summary>
/// CSA2007: inside an async method, lambda or local function, a blocking channel operation
/// (<c>Send</c>, <c>Receive</c>, a timed <c>TrySend</c>/<c>TryReceive</c>, <c>Select</c>, or a
/// plain <c>foreach</c> over a receiver) where the type offers the awaitable form with the same
/// parameters (<c>SendAsync</c>, <c>await foreach</c>). Blocking there holds a thread-pool
/// thread for as long as the channel waits, and can starve the pool. A send on a sender of an
/// unbounded channel created in the same member never waits, and is not reported.
/// </summary>
[DiagnosticAnalyzer(LanguageNames.CSharp)]
public sealed class CSA2007BlockingChannelOperationInAsyncAnalyzer : DiagnosticAnalyzer
{
    /// <summary>Property: the name of the async method to call ("foreach" for a loop).</summary>
    internal const string AsyncNameKey = "AsyncName";

    internal static readonly DiagnosticDescriptor Rule = new(
        RuleIdentifiers.BlockingChannelOperationInAsync,
        title: "Blocking channel operation in an async function",
        messageFormat: "'{0}' blocks the thread inside an async function; use '{1}'",
        category: "Concurrency",
        defaultSeverity: DiagnosticSeverity.Warning,
        isEnabledByDefault: true,
        description: "An async function runs on thread-pool threads that are shared by everything else. A blocking Send, Receive, Select or foreach over a receiver holds its thread until the channel is ready, "
            + "which wastes a thread per waiting operation and can deadlock when the code that would make progress needs a pool thread. Await the async form instead.",
        helpLinkUri: RuleIdentifiers.GetHelpUri(RuleIdentifiers.BlockingChannelOperationInAsync));

    public override ImmutableArray<DiagnosticDescriptor> SupportedDiagnostics => ImmutableArray.Create(Rule);

    public override void Initialize(AnalysisContext context)
    {
        context.EnableConcurrentExecution();
        context.ConfigureGeneratedCodeAnalysis(GeneratedCodeAnalysisFlags.None);
        context.RegisterCompilationStartAction(start =>
        {
            var types = LifecycleTypes.For(start.Compilation);
            if (types.Sender is null || types.Receiver is null)
            {
                return;
            }

            start.RegisterOperationAction(c => AnalyzeInvocation(c, types), OperationKind.Invocation);
            start.RegisterOperationAction(c => AnalyzeLoop(c, types), OperationKind.Loop);
        });
    }

    private static void AnalyzeInvocation(OperationAnalysisContext context, LifecycleTypes types)
    {
        var invocation = (IInvocationOperation)context.Operation;
        var method = invocation.TargetMethod;
        var type = method.ContainingType;
        if (invocation.Instance is null
            || !(types.IsSender(type) || types.IsReceiver(type) || LifecycleTypes.Is(type, types.Selector) || LifecycleTypes.Is(type, types.SelectSet))
            || !HasAsyncTwin(method)
            || !CSA2001UnjoinedConcurrentWorkAnalyzer.IsInAsyncFunction(invocation, context.ContainingSymbol)
            || InsideLock(invocation)
            || NeverWaits(invocation, types))
        {
            return;
        }

        var asyncName = method.Name + "Async";
        var properties = ImmutableDictionary<string, string?>.Empty.Add(AsyncNameKey, asyncName);
        context.ReportDiagnostic(Diagnostic.Create(Rule, invocation.Syntax.GetLocation(), properties, method.Name, "await " + asyncName));
    }

    private static void AnalyzeLoop(OperationAnalysisContext context, LifecycleTypes types)
    {
        if (context.Operation is not IForEachLoopOperation { IsAsynchronous: false } loop
            || !types.IsReceiver(ChannelLocals.Strip(loop.Collection).Type)
            || !CSA2001UnjoinedConcurrentWorkAnalyzer.IsInAsyncFunction(loop, context.ContainingSymbol)
            || InsideLock(loop)
            || loop.Syntax is not CommonForEachStatementSyntax statement)
        {
            return;
        }

        var properties = ImmutableDictionary<string, string?>.Empty.Add(AsyncNameKey, "foreach");
        context.ReportDiagnostic(Diagnostic.Create(Rule, statement.ForEachKeyword.GetLocation(), properties, "foreach", "await foreach"));
    }

    // The type has MAsync with the same parameter types (TrySend(item, timeout) has
    // TrySendAsync(item, timeout); TryReceive(out T) has no async twin).
    private static bool HasAsyncTwin(IMethodSymbol method)
    {
        foreach (var member in method.ContainingType.GetMembers(method.Name + "Async"))
        {
            if (member is IMethodSymbol twin
                && twin.Parameters.Length == method.Parameters.Length
                && twin.Parameters.Zip(method.Parameters, (a, b) => a.RefKind == b.RefKind && SymbolEqualityComparer.Default.Equals(a.Type, b.Type)).All(same => same))
            {
                return true;
            }
        }

        return false;
    }

    // Sending to an unbounded channel completes at once (there is always room): Send,
    // TrySend(item, timeout) and TrySendUntil never block there.
    private static bool NeverWaits(IInvocationOperation invocation, LifecycleTypes types) =>
        invocation.TargetMethod.Name is "Send" or "TrySend" or "TrySendUntil"
        && types.IsSender(invocation.TargetMethod.ContainingType)
        && ChannelLocals.Strip(invocation.Instance!) is ILocalReferenceOperation { Local: var sender }
        && ChannelLocals.IsUnboundedSender(sender, OwnedLocal.Root(invocation), types);

    // await is not allowed inside a lock statement; blocking there is a different problem.
    private static bool InsideLock(IOperation operation)
    {
        for (var current = operation.Parent; current is not null; current = current.Parent)
        {
            if (current is IAnonymousFunctionOperation or ILocalFunctionOperation)
            {
                return false;
            }

            if (current is ILockOperation)
            {
                return true;
            }
        }

        return false;
    }
}
