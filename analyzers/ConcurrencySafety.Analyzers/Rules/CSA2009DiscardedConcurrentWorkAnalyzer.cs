using System.Collections.Immutable;
using ConcurrencySafety.Analyzers.Lifecycle;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Operations;

namespace ConcurrencySafety.Analyzers.Rules;

/// <summary>
/// CSA2009: the task of <c>Task.Run</c>, <c>Task.Factory.StartNew</c> or <c>TaskScope.RunAsync</c>
/// is explicitly discarded (<c>_ = Task.Run(...)</c>). The discard states intent, so this is
/// the warning form of CSA2001, with its own ID so that a code base that accepts
/// fire-and-forget can turn it off without losing CSA2001.
/// </summary>
[DiagnosticAnalyzer(LanguageNames.CSharp)]
public sealed class CSA2009DiscardedConcurrentWorkAnalyzer : DiagnosticAnalyzer
{
    internal static readonly DiagnosticDescriptor Rule = new(
        RuleIdentifiers.DiscardedConcurrentWork,
        title: "Concurrent work explicitly discarded",
        messageFormat: "The task of '{0}' is discarded: nobody observes its failure or waits for it to finish; the safe form is a scope (TaskScope.RunAsync) that joins it",
        category: "Concurrency",
        defaultSeverity: DiagnosticSeverity.Warning,
        isEnabledByDefault: true,
        description: "Assigning a started task to the discard (_ = Task.Run(...)) silences the compiler but leaves the work unjoined: its exceptions are lost and it may outlive its caller. "
            + "Start it in a TaskScope, which joins every child and propagates the first failure, or await it. Set dotnet_diagnostic.CSA2009.severity = none to accept fire-and-forget.",
        helpLinkUri: RuleIdentifiers.GetHelpUri(RuleIdentifiers.DiscardedConcurrentWork));

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

            start.RegisterOperationAction(
                c =>
                {
                    var statement = (IExpressionStatementOperation)c.Operation;
                    if (statement.Operation is ISimpleAssignmentOperation { Target: IDiscardOperation, Value: var value }
                        && ChannelLocals.Strip(value) is IInvocationOperation invocation
                        && Spawns.IsSpawn(invocation, types))
                    {
                        var properties = CSA2001UnjoinedConcurrentWorkAnalyzer.FixProperties(statement, invocation, c.ContainingSymbol, types);

                        c.ReportDiagnostic(Diagnostic.Create(Rule, statement.Operation.Syntax.GetLocation(), properties, Spawns.DisplayName(invocation)));
                    }
                },
                OperationKind.ExpressionStatement);
        });
    }
}
