using System.Collections.Generic;
using System.Collections.Immutable;
using System.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Operations;

namespace ConcurrencySafety.Analyzers.TypeState;

/// <summary>
/// Shared plumbing of the CSA3001–CSA3003 analyzers (and CSA2010, which reuses the engine for channel sends): resolve the attributes once per
/// compilation, filter method bodies cheaply, build the control-flow graph only for bodies
/// that consume or create something, and report the findings of one kind.
/// </summary>
public abstract class ConsumeFlowAnalyzerBase : DiagnosticAnalyzer
{
    private protected abstract DiagnosticDescriptor Rule { get; }

    private protected abstract ConsumeFindingKind Kind { get; }

    /// <inheritdoc/>
    public sealed override ImmutableArray<DiagnosticDescriptor> SupportedDiagnostics => ImmutableArray.Create(Rule);

    /// <inheritdoc/>
    public sealed override void Initialize(AnalysisContext context)
    {
        context.EnableConcurrentExecution();
        context.ConfigureGeneratedCodeAnalysis(GeneratedCodeAnalysisFlags.None);
        context.RegisterCompilationStartAction(start =>
        {
            var symbols = TypeStateSymbols.Create(start.Compilation);
            var relevant = Kind switch
            {
                ConsumeFindingKind.Dropped => symbols.MustConsume is not null,
                ConsumeFindingKind.UseAfterSend => symbols.Sends.IsRelevant,
                ConsumeFindingKind.UseAfterDispose => symbols.Sends.IsChannelHandle(start.Compilation.GetTypeByMetadataName("ConcurrencySafety.Sender`1")),
                _ => symbols.Consumes is not null,
            };
            if (!relevant)
            {
                // The runtime library is not referenced: nothing can be consumed or must-consume.
                return;
            }

            start.RegisterOperationBlockAction(block => AnalyzeBlock(block, symbols));
        });
    }

    private void AnalyzeBlock(OperationBlockAnalysisContext context, TypeStateSymbols symbols)
    {
        // An operation block is often the body under an IMethodBodyOperation; the graph is built
        // once per root.
        var roots = new HashSet<IOperation>();
        foreach (var block in context.OperationBlocks)
        {
            var root = block;
            while (root.Parent is not null)
            {
                root = root.Parent;
            }

            if (!roots.Add(root) || !IsCandidate(root, symbols))
            {
                continue;
            }

            var cfg = context.GetControlFlowGraph(block);
            foreach (var finding in ConsumeFlowAnalysis.Analyze(cfg, symbols, context.OwningSymbol.ContainingType, context.CancellationToken))
            {
                if (finding.Kind == Kind)
                {
                    var additional = finding.ConsumerLocation is null ? null : new[] { finding.ConsumerLocation };
                    context.ReportDiagnostic(Diagnostic.Create(Rule, finding.Location, additional, finding.Properties, finding.MessageArgs));
                }
            }
        }
    }

    /// <summary>The cheap filter: does the body contain a consuming call (or a must-consume creation)?</summary>
    private bool IsCandidate(IOperation root, TypeStateSymbols symbols) => root.Descendants().Any(operation => operation switch
    {
        IInvocationOperation call => symbols.IsConsuming(call.TargetMethod)
            || (Kind == ConsumeFindingKind.Dropped && symbols.IsMustConsume(call.Type))
            || (Kind == ConsumeFindingKind.UseAfterSend && symbols.Sends.IsSendMethod(call.TargetMethod))
            || (Kind == ConsumeFindingKind.UseAfterDispose && TypeStateSymbols.IsDisposeCall(call) && call.Instance is { } disposed && symbols.Sends.IsChannelHandle(TypeStateSymbols.Unwrap(disposed).Type)),
        IUsingOperation @using => Kind == ConsumeFindingKind.UseAfterDispose && @using.Resources is { } resource && symbols.Sends.IsChannelHandle(TypeStateSymbols.Unwrap(resource).Type),
        IObjectCreationOperation { Constructor: { } constructor } creation => symbols.IsConsuming(constructor)
            || (Kind == ConsumeFindingKind.Dropped && symbols.IsMustConsume(creation.Type)),
        _ => false,
    });
}
