using System.Collections.Immutable;
using ConcurrencySafety.Analyzers.Lifecycle;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Diagnostics;

namespace ConcurrencySafety.Analyzers.Ownership;

/// <summary>
/// Shared plumbing of CSA2011-CSA2013: resolve the lock types once per compilation, filter
/// bodies cheaply (a guard's <c>Value</c>, or a call on <c>Locked&lt;T&gt;</c>/<c>RwLocked&lt;T&gt;</c>),
/// build the control-flow graph only for those, and report the findings of one kind of the
/// shared <see cref="GuardFlow"/> analysis.
/// </summary>
public abstract class GuardFlowAnalyzerBase : DiagnosticAnalyzer
{
    private protected abstract DiagnosticDescriptor Rule { get; }

    private protected abstract GuardFindingKind Kind { get; }

    /// <inheritdoc/>
    public sealed override ImmutableArray<DiagnosticDescriptor> SupportedDiagnostics => ImmutableArray.Create(Rule);

    /// <inheritdoc/>
    public sealed override void Initialize(AnalysisContext context)
    {
        context.EnableConcurrentExecution();
        context.ConfigureGeneratedCodeAnalysis(GeneratedCodeAnalysisFlags.None);
        context.RegisterCompilationStartAction(start =>
        {
            var types = LifecycleTypes.For(start.Compilation);
            if (types.LockGuard is null || types.ReadGuard is null || types.WriteGuard is null)
            {
                return;
            }

            var mutable = MutableTypes.For(start.Compilation);
            start.RegisterOperationBlockAction(block =>
            {
                var roots = new HashSet<IOperation>();
                foreach (var operationBlock in block.OperationBlocks)
                {
                    var root = OwnedLocal.Root(operationBlock);
                    if (!roots.Add(root) || !GuardFlow.IsCandidate(root, types))
                    {
                        continue;
                    }

                    var graph = block.GetControlFlowGraph(operationBlock);
                    foreach (var finding in GuardFlow.Analyze(graph, block.OwningSymbol, types, mutable, block.CancellationToken))
                    {
                        if (finding.Kind == Kind)
                        {
                            var additional = finding.AdditionalLocation is null ? null : new[] { finding.AdditionalLocation };
                            block.ReportDiagnostic(Diagnostic.Create(Rule, finding.Location, additional, finding.Properties, finding.MessageArgs));
                        }
                    }
                }
            });
        });
    }
}
