using System.Collections.Immutable;
using ConcurrencySafety.Analyzers.Lifecycle;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Operations;

namespace ConcurrencySafety.Analyzers.Rules;

/// <summary>
/// CSA2019: a <c>BlockingCollection&lt;T&gt;</c> created in a method is consumed to the end
/// there (<c>foreach</c> over <c>GetConsumingEnumerable()</c>, in the method or a lambda it
/// starts) but <c>CompleteAdding()</c> is never called on it. The consuming loop ends only after
/// <c>CompleteAdding</c>, so it blocks forever once the producers stop. CSA2008's hang for the
/// older BCL queue.
/// </summary>
/// <remarks>
/// The collection is followed only through its local: member calls and property reads on it,
/// <c>using</c> and <c>Dispose</c>. When it goes anywhere else (passed to a method, stored,
/// returned, a method group), or the loop can leave by itself, the rule stays silent.
/// </remarks>
[DiagnosticAnalyzer(LanguageNames.CSharp)]
public sealed class CSA2019BlockingCollectionNeverCompletedAnalyzer : DiagnosticAnalyzer
{
    internal static readonly DiagnosticDescriptor Rule = new(
        RuleIdentifiers.BlockingCollectionNeverCompleted,
        title: "BlockingCollection never completed for adding",
        messageFormat: "This consumes '{0}' until adding is completed, but '{0}.CompleteAdding()' is never called, so it never ends; call CompleteAdding (in a finally) when the producers are done",
        category: "Concurrency",
        defaultSeverity: DiagnosticSeverity.Warning,
        isEnabledByDefault: true,
        description: "A foreach over BlockingCollection<T>.GetConsumingEnumerable() ends only when CompleteAdding has been called and the collection is empty. "
            + "A method that creates the collection, consumes it to the end and never calls CompleteAdding blocks a thread forever once the producers stop. Call CompleteAdding, in a finally, when the last producer finishes.",
        helpLinkUri: RuleIdentifiers.GetHelpUri(RuleIdentifiers.BlockingCollectionNeverCompleted));

    public override ImmutableArray<DiagnosticDescriptor> SupportedDiagnostics => ImmutableArray.Create(Rule);

    public override void Initialize(AnalysisContext context)
    {
        context.EnableConcurrentExecution();
        context.ConfigureGeneratedCodeAnalysis(GeneratedCodeAnalysisFlags.None);
        context.RegisterCompilationStartAction(start =>
        {
            var collection = start.Compilation.GetTypeByMetadataName("System.Collections.Concurrent.BlockingCollection`1");
            if (collection is null)
            {
                return;
            }

            // Declarators are collected per operation block and analysed at its end: a
            // diagnostic sits on the consuming call, outside the declarator, and one reported by
            // a declarator action would not be "local" (code fixes and the IDE's per-span
            // analysis skip those). Roslyn hands the declarators over; no block is walked unless
            // it creates a BlockingCollection.
            start.RegisterOperationBlockStartAction(blockStart =>
            {
                // Guarded by its own lock: with concurrent execution the driver may run this
                // block's operation actions on more than one thread.
                var candidates = new List<IVariableDeclaratorOperation>();
                blockStart.RegisterOperationAction(
                    c =>
                    {
                        var declarator = (IVariableDeclaratorOperation)c.Operation;
                        if (declarator.Initializer?.Value is { } value
                            && ChannelLocals.Strip(value) is IObjectCreationOperation { Type: { } created }
                            && LifecycleTypes.Is(created, collection))
                        {
                            lock (candidates)
                            {
                                candidates.Add(declarator);
                            }
                        }
                    },
                    OperationKind.VariableDeclarator);
                blockStart.RegisterOperationBlockEndAction(c =>
                {
                    IVariableDeclaratorOperation[] found;
                    lock (candidates)
                    {
                        found = candidates.ToArray();
                    }

                    foreach (var declarator in found)
                    {
                        Analyze(c.ReportDiagnostic, declarator, collection);
                    }
                });
            });
        });
    }

    private static void Analyze(Action<Diagnostic> report, IVariableDeclaratorOperation declarator, INamedTypeSymbol collection)
    {
        if (declarator.Initializer?.Value is not { } value
            || ChannelLocals.Strip(value) is not IObjectCreationOperation { Type: { } created }
            || !LifecycleTypes.Is(created, collection))
        {
            return;
        }

        var consuming = new List<IOperation>();
        var adds = new List<IInvocationOperation>();
        foreach (var operation in OwnedLocal.Root(declarator).Descendants())
        {
            if (operation is not ILocalReferenceOperation { IsDeclaration: false } reference
                || !SymbolEqualityComparer.Default.Equals(reference.Local, declarator.Symbol))
            {
                continue;
            }

            switch (reference.Parent)
            {
                case IInvocationOperation { TargetMethod.Name: "CompleteAdding" }:
                    return; // completed somewhere: trusted
                case IInvocationOperation { TargetMethod.Name: "GetConsumingEnumerable" } call when call.Instance == reference:
                    if (IsLoopToTheEnd(call))
                    {
                        consuming.Add(call);
                    }

                    break;
                case IInvocationOperation { TargetMethod.Name: "Add" or "TryAdd" } call when call.Instance == reference:
                    adds.Add(call);
                    break;
                case IInvocationOperation call when call.Instance == reference:
                case IPropertyReferenceOperation property when property.Instance == reference:
                case IUsingOperation:
                    break;
                default:
                    return; // escapes: someone else may complete it
            }
        }

        var producer = consuming.Count == 0 ? null : SingleProducer(adds, consuming, declarator);
        foreach (var call in consuming)
        {
            report(producer is null
                ? Diagnostic.Create(Rule, call.Syntax.GetLocation(), declarator.Symbol.Name)
                : Diagnostic.Create(Rule, call.Syntax.GetLocation(), new[] { producer.Syntax.GetLocation() }, declarator.Symbol.Name));
        }
    }

    /// <summary>
    /// The one producer the code fix may complete: a lambda that holds every <c>Add</c>/<c>TryAdd</c>
    /// of the collection, started once (the argument of <c>Task.Run</c>, <c>StartNew</c> or
    /// <c>new Thread</c>, directly in the declaring function and not inside a loop of it, so it
    /// runs as one instance), and that does not itself consume. Its end is where adding is done.
    /// Null when there is none, or more than one place adds (whose last one finishes is the
    /// code's own knowledge).
    /// </summary>
    private static IAnonymousFunctionOperation? SingleProducer(List<IInvocationOperation> adds, List<IOperation> consuming, IVariableDeclaratorOperation declarator)
    {
        if (adds.Count == 0 || OwnedLocal.EnclosingFunction(adds[0]) is not IAnonymousFunctionOperation lambda
            || adds.Any(a => OwnedLocal.EnclosingFunction(a) != lambda)
            || consuming.Any(c => lambda.Syntax.Span.Contains(c.Syntax.Span)))
        {
            return null;
        }

        IOperation current = lambda;
        while (current.Parent is IDelegateCreationOperation or IConversionOperation)
        {
            current = current.Parent;
        }

        var starts = current.Parent switch
        {
            IArgumentOperation { Parent: IInvocationOperation { TargetMethod: { } method } } =>
                method.Name is "Run" or "StartNew" && method.ContainingType is { Name: "Task" or "TaskFactory", ContainingNamespace.Name: "Tasks" },
            IArgumentOperation { Parent: IObjectCreationOperation { Type: { Name: "Thread", ContainingNamespace.Name: "Threading" } } } => true,
            _ => false,
        };
        if (!starts)
        {
            return null;
        }

        // Started from the collection's own function, outside any loop of it: one instance.
        var home = OwnedLocal.EnclosingFunction(declarator);
        for (var op = current.Parent; op is not null && op != home; op = op.Parent)
        {
            if (op is ILoopOperation or IAnonymousFunctionOperation or ILocalFunctionOperation)
            {
                return null;
            }
        }

        return lambda;
    }

    // foreach (var x in bc.GetConsumingEnumerable(...)) with no way out of its own.
    private static bool IsLoopToTheEnd(IInvocationOperation call)
    {
        IOperation current = call;
        while (current.Parent is IConversionOperation { IsImplicit: true })
        {
            current = current.Parent;
        }

        return current.Parent is IForEachLoopOperation { IsAsynchronous: false } loop && loop.Collection == current && !Loops.CanExitEarly(loop.Syntax);
    }
}
