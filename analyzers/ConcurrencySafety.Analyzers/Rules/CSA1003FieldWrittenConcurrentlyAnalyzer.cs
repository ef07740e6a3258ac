using System.Collections.Immutable;
using ConcurrencySafety.Analyzers.Infrastructure;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Operations;

namespace ConcurrencySafety.Analyzers.Rules;

/// <summary>
/// CSA1003: an instance or static field (or an auto-property, which is a field) is written from
/// a concurrent body, without a lock or an atomic helper, while another instance of the body,
/// another body, or the starting code may use it. The field is found however the body reaches
/// it: directly, through a field of a field (<c>_state.Count</c>), or through the methods,
/// method groups and property accessors it calls (the engine's summaries).
/// </summary>
[DiagnosticAnalyzer(LanguageNames.CSharp)]
public sealed class CSA1003FieldWrittenConcurrentlyAnalyzer : RaceAnalyzerBase
{
    internal static readonly DiagnosticDescriptor Rule = new(
        RuleIdentifiers.FieldWrittenConcurrently,
        title: "Field written concurrently without synchronization",
        messageFormat: "{0} '{1}' {2}",
        category: "Concurrency",
        defaultSeverity: DiagnosticSeverity.Error,
        isEnabledByDefault: true,
        description: "A field (instance or static) is written from a lambda that runs concurrently while other code may read or write the same field. "
            + "Without a lock or an atomic operation, updates are lost and readers can see stale values. Use Interlocked or Volatile, hold a lock shared by every access, or move the state into a data-owning lock.",
        helpLinkUri: RuleIdentifiers.GetHelpUri(RuleIdentifiers.FieldWrittenConcurrently));

    public override ImmutableArray<DiagnosticDescriptor> SupportedDiagnostics => ImmutableArray.Create(Rule);

    private protected override void Analyze(ConcurrencyModel model, OperationBlockAnalysisContext context)
    {
        var accesses = new List<Access>();
        foreach (var reference in model.References)
        {
            if (reference is not (IFieldReferenceOperation or IPropertyReferenceOperation)
                || AccessPath.Of(reference, model.Engine.AutoProperties) is not { Members.IsEmpty: false } path
                || !IsRacyMember(path.Last!, model.Types)
                || AccessClassifier.ClassifyVariable(reference, model.Types) is not { } kind
                || IsAtomicVolatileUse(path.Last!, reference, kind))
            {
                continue;
            }

            var body = model.InnermostBody(reference.Syntax);
            accesses.Add(new Access(VariableKey.From(path), reference, kind, body, Access.CollectLocks(reference))
            {
                AfterAwait = body?.AwaitOrder?.IsAfterAwait(reference.Syntax) ?? false,
            });
        }

        // Fields and auto-properties reached through method groups, helper calls and accessors.
        foreach (var (reached, body) in ReachedAccesses.Collect(model, context.CancellationToken))
        {
            if (!reached.IsObjectUse && !reached.Path.Members.IsEmpty && IsRacyMember(reached.Path.Last!, model.Types)
                && !IsAtomicVolatileUse(reached.Path.Last!, reached.Operation, reached.Kind))
            {
                accesses.Add(new Access(VariableKey.From(reached.Path), reached, body));
            }
        }

        foreach (var conflict in ConflictFinder.Find(model, accesses, reportReads: false))
        {
            var access = conflict.Access;
            var properties = access.Operation is IFieldReferenceOperation { Field.IsVolatile: false }
                ? InterlockedFixFacts.For(access.Operation)
                : ImmutableDictionary<string, string?>.Empty;
            context.ReportDiagnostic(Diagnostic.Create(
                Rule,
                access.Operation.Syntax.GetLocation(),
                properties,
                access.Key.Symbol is IPropertySymbol ? "Auto-property" : "Field",
                access.Key.DisplayName,
                Messages.Explain(conflict.Kind, conflict.Body, access)));
        }
    }

    // A field or auto-property whose value can change after construction and is shared by
    // every thread that reaches it: not const, not readonly, not [ThreadStatic].
    private static bool IsRacyMember(ISymbol member, WellKnownTypes types) => member switch
    {
        IFieldSymbol field => !field.IsConst && !field.IsReadOnly && !IsThreadStatic(field, types),
        IPropertySymbol property => AutoProperties.IsWritable(property),
        _ => false,
    };

    // Volatile reads and plain volatile stores are atomic and visible; only read-modify-write
    // (x++ on a volatile field) can still lose updates.
    private static bool IsAtomicVolatileUse(ISymbol member, IOperation reference, AccessKind kind) =>
        member is IFieldSymbol { IsVolatile: true } && (kind == AccessKind.Read || reference.Parent is ISimpleAssignmentOperation);

    private static bool IsThreadStatic(IFieldSymbol field, WellKnownTypes types)
    {
        if (!field.IsStatic)
        {
            return false;
        }

        foreach (var attribute in field.GetAttributes())
        {
            if (SymbolEqualityComparer.Default.Equals(attribute.AttributeClass, types.ThreadStaticAttributeType))
            {
                return true;
            }
        }

        return false;
    }
}
