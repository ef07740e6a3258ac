using System.Collections.Immutable;
using ConcurrencySafety.Analyzers.Lifecycle;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Operations;

namespace ConcurrencySafety.Analyzers.Rules;

/// <summary>
/// CSA2005: <c>new Thread(...)</c> inside a loop over a collection (a <c>foreach</c>, or a
/// <c>for</c> bounded by a <c>Length</c> or <c>Count</c>): one operating-system thread per item,
/// each with its own megabyte of stack, however many items there are. A <c>for</c> loop up to a
/// fixed worker count is not reported, nor a <c>for</c> over the <c>Length</c> of a local array
/// created with a fixed size (<c>new Thread[4]</c>, <c>new Thread[Environment.ProcessorCount]</c>)
/// and never reassigned: its length is the worker count, not an item count.
/// </summary>
[DiagnosticAnalyzer(LanguageNames.CSharp)]
public sealed class CSA2005ThreadPerItemAnalyzer : DiagnosticAnalyzer
{
    internal static readonly DiagnosticDescriptor Rule = new(
        RuleIdentifiers.ThreadPerItem,
        title: "Thread per item",
        messageFormat: "A new thread is created for every item of '{0}': the thread count grows with the input; use Parallel.ForEach, a scope with MaxConcurrency, or a fixed pool of workers fed by a channel",
        category: "Concurrency",
        defaultSeverity: DiagnosticSeverity.Warning,
        isEnabledByDefault: true,
        description: "An operating-system thread costs a stack (1 MB by default) and a kernel object. Creating one per item of a collection works in a test and exhausts memory or the scheduler on real input. "
            + "Bound the concurrency: Parallel.ForEach, TaskScope with MaxConcurrency, or a fixed number of workers receiving from a channel.",
        helpLinkUri: RuleIdentifiers.GetHelpUri(RuleIdentifiers.ThreadPerItem));

    public override ImmutableArray<DiagnosticDescriptor> SupportedDiagnostics => ImmutableArray.Create(Rule);

    public override void Initialize(AnalysisContext context)
    {
        context.EnableConcurrentExecution();
        context.ConfigureGeneratedCodeAnalysis(GeneratedCodeAnalysisFlags.None);
        context.RegisterCompilationStartAction(start =>
        {
            var types = LifecycleTypes.For(start.Compilation);
            if (types.Thread is null)
            {
                return;
            }

            start.RegisterOperationAction(
                c =>
                {
                    var creation = (IObjectCreationOperation)c.Operation;
                    if (LifecycleTypes.Is(creation.Type, types.Thread) && ItemLoop(creation) is { } collection)
                    {
                        c.ReportDiagnostic(Diagnostic.Create(Rule, creation.Syntax.GetLocation(), collection));
                    }
                },
                OperationKind.ObjectCreation);
        });
    }

    // The collection of the innermost loop around the creation, in the same function, when
    // that loop goes over a collection; null otherwise.
    private static string? ItemLoop(IOperation operation)
    {
        for (var current = operation.Parent; current is not null; current = current.Parent)
        {
            switch (current)
            {
                case IAnonymousFunctionOperation or ILocalFunctionOperation:
                    return null;
                case IForEachLoopOperation forEach:
                    return forEach.Collection.Syntax.ToString();
                case IForLoopOperation { Condition: IBinaryOperation { RightOperand: var bound } }:
                    return ChannelLocals.Strip(bound) is IPropertyReferenceOperation { Property.Name: "Length" or "Count" or "LongLength", Instance: { } items }
                        && !IsFixedSizeArray(items)
                        ? items.Syntax.ToString()
                        : null;
                case ILoopOperation:
                    return null;
            }
        }

        return null;
    }

    /// <summary>
    /// Whether <paramref name="items"/> is a local array whose only assignment is its
    /// declaration, which creates it with a fixed size: a constant or
    /// <c>Environment.ProcessorCount</c>. A loop up to its length runs a fixed number of times.
    /// </summary>
    private static bool IsFixedSizeArray(IOperation items)
    {
        if (ChannelLocals.Strip(items) is not ILocalReferenceOperation { Local: { Type: IArrayTypeSymbol } local })
        {
            return false;
        }

        IArrayCreationOperation? creation = null;
        foreach (var operation in OwnedLocal.Root(items).Descendants())
        {
            switch (operation)
            {
                case IVariableDeclaratorOperation declarator when SymbolEqualityComparer.Default.Equals(declarator.Symbol, local):
                    creation = declarator.Initializer is { } initializer ? ChannelLocals.Strip(initializer.Value) as IArrayCreationOperation : null;
                    if (creation is null)
                    {
                        return false;
                    }

                    break;

                case ILocalReferenceOperation { IsDeclaration: false } reference when SymbolEqualityComparer.Default.Equals(reference.Local, local):
                    var parent = reference.Parent;
                    if (parent is IAssignmentOperation assignment && assignment.Target == reference
                        || parent is IArgumentOperation { Parameter.RefKind: RefKind.Ref or RefKind.Out }
                        || parent is IDeconstructionAssignmentOperation
                        || parent is ITupleOperation { Parent: IDeconstructionAssignmentOperation })
                    {
                        return false; // reassigned: Array.Resize(ref a, n), a = items.ToArray()
                    }

                    break;
            }
        }

        return creation is { DimensionSizes.Length: 1 } && IsFixedCount(creation.DimensionSizes[0]);
    }

    private static bool IsFixedCount(IOperation size)
    {
        size = ChannelLocals.Strip(size);
        return size.ConstantValue.HasValue
            || size is IPropertyReferenceOperation { Property: { Name: "ProcessorCount", IsStatic: true, ContainingType: { Name: "Environment", ContainingNamespace.Name: "System" } } };
    }
}
