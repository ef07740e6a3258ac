using System.Collections.Immutable;
using ConcurrencySafety.Analyzers.Infrastructure;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Operations;

namespace ConcurrencySafety.Analyzers.Rules;

/// <summary>
/// CSA1002: a collection or builder that is not thread-safe (List, Dictionary, HashSet, Queue,
/// Stack, SortedDictionary, SortedList, SortedSet, LinkedList, StringBuilder, or an array that
/// is resized or sorted) is changed by one concurrent body while another thread may use it.
/// </summary>
[DiagnosticAnalyzer(LanguageNames.CSharp)]
public sealed class CSA1002NonThreadSafeObjectSharedAnalyzer : RaceAnalyzerBase
{
    /// <summary>Property key: the metadata name of the concurrent collection the fix can switch a local to.</summary>
    internal const string ReplacementKey = "Replacement";

    internal static readonly DiagnosticDescriptor Rule = new(
        RuleIdentifiers.NonThreadSafeObjectShared,
        title: "Non-thread-safe collection shared across concurrent code",
        messageFormat: "'{0}' is a {1}, which is not thread-safe, and {2}; use {3}, a lock (or the library's data-owning lock), or a channel",
        category: "Concurrency",
        defaultSeverity: DiagnosticSeverity.Error,
        isEnabledByDefault: true,
        description: "List<T>, Dictionary<TKey, TValue>, HashSet<T>, Queue<T>, Stack<T>, the sorted collections, LinkedList<T> and StringBuilder may be read by several threads at once, but not changed while any other thread uses them: "
            + "a concurrent Add can lose items, corrupt the internal arrays or throw. Use a System.Collections.Concurrent collection, guard every access with the same lock, or send the items through a channel.",
        helpLinkUri: RuleIdentifiers.GetHelpUri(RuleIdentifiers.NonThreadSafeObjectShared));

    private static readonly ImmutableHashSet<string> MutatingMembers = ImmutableHashSet.Create(
        "Add", "AddRange", "Insert", "InsertRange", "Remove", "RemoveAt", "RemoveAll", "RemoveRange", "RemoveWhere",
        "Clear", "Sort", "Reverse", "TryAdd", "Enqueue", "Dequeue", "TryDequeue", "Push", "Pop", "TryPop",
        "AddFirst", "AddLast", "AddBefore", "AddAfter", "RemoveFirst", "RemoveLast",
        "UnionWith", "ExceptWith", "IntersectWith", "SymmetricExceptWith", "TrimExcess", "EnsureCapacity",
        "Append", "AppendLine", "AppendFormat", "AppendJoin", "Replace", "CopyFrom");

    private static readonly ImmutableHashSet<string> ArrayMutators = ImmutableHashSet.Create("Resize", "Sort", "Reverse");

    public override ImmutableArray<DiagnosticDescriptor> SupportedDiagnostics => ImmutableArray.Create(Rule);

    private protected override void Analyze(ConcurrencyModel model, OperationBlockAnalysisContext context)
    {
        var accesses = new List<Access>();
        foreach (var reference in model.References)
        {
            var type = reference.Type;
            var isArray = type is IArrayTypeSymbol;
            if (!isArray && !model.Types.IsNonThreadSafeType(type))
            {
                continue;
            }

            VariableKey key;
            switch (reference)
            {
                case ILocalReferenceOperation local:
                    key = new VariableKey(local.Local, null);
                    break;
                case IParameterReferenceOperation parameter:
                    key = new VariableKey(parameter.Parameter, null);
                    break;
                case IFieldReferenceOperation field when AccessClassifier.TryGetFieldReceiver(field, out var receiver):
                    key = new VariableKey(field.Field, receiver);
                    break;
                default:
                    continue;
            }

            if (Classify(reference, isArray, model.Types) is not { } kind)
            {
                continue;
            }

            var body = model.InnermostBody(reference.Syntax);
            accesses.Add(new Access(key, reference, kind, body, Access.CollectLocks(reference)));
        }

        var replacements = new Dictionary<ISymbol, string?>(SymbolEqualityComparer.Default);
        foreach (var conflict in ConflictFinder.Find(model, accesses, reportReads: true))
        {
            var access = conflict.Access;
            var type = access.Operation.Type!;
            var properties = ImmutableDictionary<string, string?>.Empty;
            if (access.Key.Symbol is ILocalSymbol local)
            {
                if (!replacements.TryGetValue(local, out var replacement))
                {
                    replacement = ConcurrentReplacement.For(local, model);
                    replacements.Add(local, replacement);
                }

                if (replacement is not null)
                {
                    properties = properties.Add(ReplacementKey, replacement);
                }
            }

            var kindText = type is IArrayTypeSymbol ? "an array" : type.ToDisplayString(SymbolDisplayFormat.CSharpShortErrorMessageFormat);
            context.ReportDiagnostic(Diagnostic.Create(
                Rule,
                access.Operation.Syntax.GetLocation(),
                properties,
                access.Key.Symbol.Name,
                kindText,
                Messages.Explain(conflict.Kind, conflict.Body, write: "changed", read: "used"),
                Suggestion(type)));
        }
    }

    private static AccessKind? Classify(IOperation reference, bool isArray, WellKnownTypes types)
    {
        switch (reference.Parent)
        {
            case IInvocationOperation invocation when invocation.Instance == reference:
                return !isArray && MutatingMembers.Contains(invocation.TargetMethod.Name) ? AccessKind.Write : AccessKind.Read;
            case IArgumentOperation { Parent: IInvocationOperation invocation } argument:
                var method = invocation.TargetMethod;
                if (isArray && SymbolEqualityComparer.Default.Equals(method.ContainingType, types.ArrayType) && ArrayMutators.Contains(method.Name)
                    && invocation.Arguments.Length > 0 && invocation.Arguments[0] == argument)
                {
                    return AccessKind.Write;
                }

                if (!isArray && method.IsExtensionMethod && invocation.Arguments.Length > 0 && invocation.Arguments[0] == argument && MutatingMembers.Contains(method.Name))
                {
                    return AccessKind.Write;
                }

                return AccessKind.Read;
            case IPropertyReferenceOperation property when property.Instance == reference:
                if (AccessClassifier.IsAssignmentTarget(property))
                {
                    // dictionary[key] = value can resize; list[i] = value with distinct indices
                    // cannot (and is the pattern of results[i] = ...).
                    if (property.Property.IsIndexer)
                    {
                        return reference.Type is INamedTypeSymbol { Arity: 2 } ? AccessKind.Write : AccessKind.Read;
                    }

                    return AccessKind.Write;
                }

                return AccessKind.Read;
            case ILockOperation:
                // lock (list) { ... }: taking the lock is not a use of the contents.
                return null;
            case ISimpleAssignmentOperation assignment when assignment.Target == reference:
                // Re-pointing the variable is not a change of the object (CSA1001/CSA1003 look at it).
                return null;
            default:
                return AccessKind.Read;
        }
    }

    private static string Suggestion(ITypeSymbol type)
    {
        if (type is not INamedTypeSymbol named)
        {
            return "a lock";
        }

        return named.Name switch
        {
            "List" => "ConcurrentBag<T> or ConcurrentQueue<T>",
            "Dictionary" or "SortedDictionary" or "SortedList" => "ConcurrentDictionary<TKey, TValue>",
            "HashSet" or "SortedSet" => "ConcurrentDictionary<T, byte>",
            "Queue" => "ConcurrentQueue<T>",
            "Stack" => "ConcurrentStack<T>",
            "StringBuilder" => "one builder per task joined at the end",
            _ => "a lock",
        };
    }
}
