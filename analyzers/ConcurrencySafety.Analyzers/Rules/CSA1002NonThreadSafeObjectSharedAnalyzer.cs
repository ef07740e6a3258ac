using System.Collections.Immutable;
using ConcurrencySafety.Analyzers.Infrastructure;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Operations;

namespace ConcurrencySafety.Analyzers.Rules;

/// <summary>
/// CSA1002: an instance of a type that is not thread-safe (the type model: BCL collections and
/// builders, Random, streams, hash algorithms, [NotThreadSafe] types; or an array that is resized
/// or sorted) is changed by one concurrent body while another thread may use it, however the
/// instance is reached (a variable, a field, an auto-property, a field of a field, an argument
/// of a helper the body calls).
/// </summary>
[DiagnosticAnalyzer(LanguageNames.CSharp)]
public sealed class CSA1002NonThreadSafeObjectSharedAnalyzer : RaceAnalyzerBase
{
    /// <summary>Property key: the metadata name of the concurrent collection the fix can switch a local to.</summary>
    internal const string ReplacementKey = "Replacement";

    internal static readonly DiagnosticDescriptor Rule = new(
        RuleIdentifiers.NonThreadSafeObjectShared,
        title: "Non-thread-safe object shared across concurrent code",
        messageFormat: "'{0}' is a {1}, which is not thread-safe, and {2}; use {3}, a lock (or the library's data-owning lock), or a channel",
        category: "Concurrency",
        defaultSeverity: DiagnosticSeverity.Error,
        isEnabledByDefault: true,
        description: "The BCL collections (List<T>, Dictionary<TKey, TValue>, HashSet<T>, Queue<T>, Stack<T>, the sorted collections, LinkedList<T>, ...), StringBuilder, Random, streams, readers and writers, hash algorithms, and types marked [NotThreadSafe] may be read by several threads at once, but not changed while any other thread uses them: "
            + "a concurrent Add can lose items, corrupt the internal arrays or throw; a shared Random returns zeros. Use a thread-safe type (System.Collections.Concurrent, Random.Shared), guard every access with the same lock, or send the items through a channel.",
        helpLinkUri: RuleIdentifiers.GetHelpUri(RuleIdentifiers.NonThreadSafeObjectShared));

    private static readonly ImmutableHashSet<string> ArrayMutators = ImmutableHashSet.Create("Resize", "Sort", "Reverse");

    public override ImmutableArray<DiagnosticDescriptor> SupportedDiagnostics => ImmutableArray.Create(Rule);

    private protected override void Analyze(ConcurrencyModel model, OperationBlockAnalysisContext context)
    {
        var safety = model.Engine.ThreadSafety;
        var accesses = new List<Access>();
        foreach (var reference in model.References)
        {
            var type = reference.Type;
            var isArray = type is IArrayTypeSymbol;
            if (type is null || (!isArray && (!safety.IsNotThreadSafe(type) || RaceEngine.IsPassedToFollowedCall(reference))))
            {
                continue;
            }

            if (AccessPath.Of(reference, model.Engine.AutoProperties) is not { } path
                || (isArray ? ClassifyArray(reference, model.Types) : safety.ClassifyUse(reference, type, model.Types)) is not { } kind)
            {
                continue;
            }

            var body = model.InnermostBody(reference.Syntax);
            accesses.Add(new Access(VariableKey.From(path), reference, kind, body, Access.CollectLocks(reference))
            {
                AfterAwait = body?.AwaitOrder?.IsAfterAwait(reference.Syntax) ?? false,
            });
        }

        // Not-thread-safe objects returned by a source method or getter (GetCache().Add(x), where
        // GetCache returns _cache): the use is of the object the call returns.
        foreach (var call in model.FollowableCalls)
        {
            if (model.Engine.ObjectUseOfResult(call, context.CancellationToken) is var (path, kind, via))
            {
                var body = model.InnermostBody(call.Syntax);
                accesses.Add(new Access(VariableKey.From(path), call, kind, body, Access.CollectLocks(call))
                {
                    AfterAwait = body?.AwaitOrder?.IsAfterAwait(call.Syntax) ?? false,
                    Via = via,
                });
            }
        }

        // Not-thread-safe objects reached through method groups, helper calls and accessors.
        foreach (var (reached, body) in ReachedAccesses.Collect(model, context.CancellationToken))
        {
            if (reached.IsObjectUse)
            {
                accesses.Add(new Access(VariableKey.From(reached.Path), reached, body));
            }
        }

        var replacements = new Dictionary<ISymbol, string?>(SymbolEqualityComparer.Default);
        foreach (var conflict in ConflictFinder.Find(model, accesses, reportReads: true))
        {
            var access = conflict.Access;
            var type = access.Operation.Type!;
            var properties = ImmutableDictionary<string, string?>.Empty;
            if (access.Key.Symbol is ILocalSymbol local && access.Chain is null && access.Via is null)
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
                access.Key.DisplayName,
                kindText,
                Messages.Explain(conflict.Kind, conflict.Body, access, write: access.Via is null ? "changed" : $"changed through '{access.Via}'", read: access.Via is null ? "used" : $"used through '{access.Via}'"),
                Suggestion(type)));
        }
    }

    // An array is changed as a whole only by Array.Resize/Sort/Reverse; element stores with
    // distinct indices are the results[i] = ... pattern and are not a change of the array.
    private static AccessKind? ClassifyArray(IOperation reference, WellKnownTypes types)
    {
        switch (reference.Parent)
        {
            case IArgumentOperation { Parent: IInvocationOperation invocation } argument:
                var method = invocation.TargetMethod;
                if (SymbolEqualityComparer.Default.Equals(method.ContainingType, types.ArrayType) && ArrayMutators.Contains(method.Name)
                    && invocation.Arguments.Length > 0 && invocation.Arguments[0] == argument)
                {
                    return AccessKind.Write;
                }

                return AccessKind.Read;
            case ILockOperation:
            case ISimpleAssignmentOperation assignment when assignment.Target == reference:
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
