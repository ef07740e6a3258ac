using System.Collections.Immutable;
using ConcurrencySafety.Analyzers.Infrastructure;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Operations;

namespace ConcurrencySafety.Analyzers.Rules;

/// <summary>
/// CSA1003: an instance or static field is written from a concurrent body, without a lock or
/// an atomic helper, while another instance of the body, another body, or the starting code
/// may use it.
/// </summary>
[DiagnosticAnalyzer(LanguageNames.CSharp)]
public sealed class CSA1003FieldWrittenConcurrentlyAnalyzer : RaceAnalyzerBase
{
    internal static readonly DiagnosticDescriptor Rule = new(
        RuleIdentifiers.FieldWrittenConcurrently,
        title: "Field written concurrently without synchronization",
        messageFormat: "Field '{0}' {1}",
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
            if (reference is not IFieldReferenceOperation fieldReference)
            {
                continue;
            }

            var field = fieldReference.Field;
            if (field.IsConst || field.IsReadOnly || IsThreadStatic(field, model.Types) || !AccessClassifier.TryGetFieldReceiver(fieldReference, out var receiver))
            {
                continue;
            }

            if (AccessClassifier.ClassifyVariable(reference, model.Types) is not { } kind)
            {
                continue;
            }

            if (field.IsVolatile && (kind == AccessKind.Read || reference.Parent is ISimpleAssignmentOperation))
            {
                // Volatile reads and plain volatile stores are atomic and visible; only
                // read-modify-write (x++ on a volatile field) can still lose updates.
                continue;
            }

            var body = model.InnermostBody(reference.Syntax);
            accesses.Add(new Access(new VariableKey(field, receiver), reference, kind, body, Access.CollectLocks(reference)));
        }

        foreach (var conflict in ConflictFinder.Find(model, accesses, reportReads: false))
        {
            var access = conflict.Access;
            var properties = ((IFieldReferenceOperation)access.Operation).Field.IsVolatile
                ? ImmutableDictionary<string, string?>.Empty
                : InterlockedFixFacts.For(access.Operation);
            context.ReportDiagnostic(Diagnostic.Create(
                Rule,
                access.Operation.Syntax.GetLocation(),
                properties,
                access.Key.Symbol.Name,
                Messages.Explain(conflict.Kind, conflict.Body)));
        }
    }

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
