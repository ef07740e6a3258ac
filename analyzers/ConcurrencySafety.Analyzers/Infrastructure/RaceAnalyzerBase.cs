using System.Collections.Concurrent;
using System.Collections.Generic;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Operations;

namespace ConcurrencySafety.Analyzers.Infrastructure;

/// <summary>
/// The shared skeleton of the race rules. Per compilation it resolves the well-known types
/// once (and registers nothing without them). Per member it only records concurrent calls while
/// the driver walks the operations; the model and the rule's analysis run at the end of the
/// member, and only when at least one concurrent call was seen.
/// </summary>
public abstract class RaceAnalyzerBase : DiagnosticAnalyzer
{
    public sealed override void Initialize(AnalysisContext context)
    {
        context.EnableConcurrentExecution();
        context.ConfigureGeneratedCodeAnalysis(GeneratedCodeAnalysisFlags.None);
        context.RegisterCompilationStartAction(OnCompilationStart);
    }

    private void OnCompilationStart(CompilationStartAnalysisContext context)
    {
        var types = WellKnownTypes.TryCreate(context.Compilation);
        if (types is null)
        {
            return;
        }

        var engine = RaceEngine.For(context.Compilation, types, context.Options);
        var optionsByTree = new ConcurrentDictionary<SyntaxTree, ConcurrencyOptions>();
        var analyzerOptions = context.Options;
        context.RegisterOperationBlockStartAction(blockContext =>
        {
            if (blockContext.OperationBlocks.IsEmpty)
            {
                return;
            }

            var tree = blockContext.OperationBlocks[0].Syntax.SyntaxTree;
            var options = optionsByTree.GetOrAdd(tree, t => ConcurrencyOptions.Get(analyzerOptions, t));
            var calls = new List<ConcurrentCall>();
            blockContext.RegisterOperationAction(
                operationContext =>
                {
                    lock (calls)
                    {
                        switch (operationContext.Operation)
                        {
                            case IInvocationOperation invocation:
                                ConcurrentCallFinder.Find(invocation, types, options, calls);
                                break;
                            case IObjectCreationOperation creation:
                                ConcurrentCallFinder.Find(creation, types, calls);
                                break;
                        }
                    }
                },
                OperationKind.Invocation,
                OperationKind.ObjectCreation);
            blockContext.RegisterOperationBlockEndAction(endContext =>
            {
                lock (calls)
                {
                    if (calls.Count == 0)
                    {
                        return;
                    }
                }

                // One model per member, shared by the rules (RaceEngine.ModelFor).
                var model = engine.ModelFor(
                    endContext.OperationBlocks,
                    () =>
                    {
                        List<ConcurrentCall> found;
                        lock (calls)
                        {
                            found = new List<ConcurrentCall>(calls);
                        }

                        found.Sort(static (a, b) => a.Call.Syntax.SpanStart.CompareTo(b.Call.Syntax.SpanStart));
                        return found;
                    },
                    endContext.CancellationToken);
                if (model is not null)
                {
                    Analyze(model, endContext);
                }
            });
        });
    }

    /// <summary>Runs the rule on a member that starts concurrent work.</summary>
    private protected abstract void Analyze(ConcurrencyModel model, OperationBlockAnalysisContext context);
}
