using System.Collections.Immutable;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Operations;

namespace ConcurrencySafety.Analyzers.Infrastructure;

/// <summary>
/// Decides whether a local collection can be switched to its concurrent counterpart without
/// changing the code that uses it: only when it is created empty in the member and every use
/// is a member the concurrent type has with the same meaning. <c>List&lt;T&gt;</c> becomes
/// <c>ConcurrentBag&lt;T&gt;</c> only when items are just added, counted and enumerated
/// (order is not kept); <c>HashSet&lt;T&gt;</c> has no counterpart.
/// </summary>
internal static class ConcurrentReplacement
{
    private sealed class Mapping
    {
        public Mapping(string replacement, ImmutableHashSet<string> methods, ImmutableHashSet<string> properties)
        {
            Replacement = replacement;
            Methods = methods;
            Properties = properties;
        }

        public string Replacement { get; }

        public ImmutableHashSet<string> Methods { get; }

        public ImmutableHashSet<string> Properties { get; }
    }

    private static readonly ImmutableDictionary<string, Mapping> Mappings = ImmutableDictionary.CreateRange(new[]
    {
        new KeyValuePair<string, Mapping>("System.Collections.Generic.List`1", new Mapping(
            "System.Collections.Concurrent.ConcurrentBag`1",
            ImmutableHashSet.Create("Add", "ToArray"),
            ImmutableHashSet.Create("Count"))),
        new KeyValuePair<string, Mapping>("System.Collections.Generic.Queue`1", new Mapping(
            "System.Collections.Concurrent.ConcurrentQueue`1",
            ImmutableHashSet.Create("Enqueue", "TryDequeue", "TryPeek", "Clear", "ToArray"),
            ImmutableHashSet.Create("Count"))),
        new KeyValuePair<string, Mapping>("System.Collections.Generic.Stack`1", new Mapping(
            "System.Collections.Concurrent.ConcurrentStack`1",
            ImmutableHashSet.Create("Push", "TryPop", "TryPeek", "Clear", "ToArray"),
            ImmutableHashSet.Create("Count"))),
        new KeyValuePair<string, Mapping>("System.Collections.Generic.Dictionary`2", new Mapping(
            "System.Collections.Concurrent.ConcurrentDictionary`2",
            ImmutableHashSet.Create("TryAdd", "TryGetValue", "ContainsKey", "Clear", "ToArray"),
            ImmutableHashSet.Create("Count", "Keys", "Values", "this[]"))),
    });

    /// <summary>The metadata name of the replacement type, or null when the switch is not sound.</summary>
    public static string? For(ILocalSymbol local, ConcurrencyModel model)
    {
        if (local.Type is not INamedTypeSymbol type)
        {
            return null;
        }

        var name = type.OriginalDefinition.ToDisplayString(SymbolDisplayFormat.FullyQualifiedFormat.WithGlobalNamespaceStyle(SymbolDisplayGlobalNamespaceStyle.Omitted).WithGenericsOptions(SymbolDisplayGenericsOptions.None));
        var metadataName = name + "`" + type.Arity;
        if (!Mappings.TryGetValue(metadataName, out var mapping))
        {
            return null;
        }

        var declarator = model.DeclaratorOf(local);
        var created = declarator?.Initializer?.Value;
        while (created is IConversionOperation conversion)
        {
            created = conversion.Operand;
        }

        if (created is not IObjectCreationOperation { Arguments.Length: 0, Initializer: null })
        {
            return null;
        }

        foreach (var reference in model.ReferencesTo(local))
        {
            if (!IsCompatibleUse(reference, mapping, model.Types))
            {
                return null;
            }
        }

        return mapping.Replacement;
    }

    private static bool IsCompatibleUse(IOperation reference, Mapping mapping, WellKnownTypes types)
    {
        var parent = reference.Parent;
        switch (parent)
        {
            case IInvocationOperation invocation when invocation.Instance == reference:
                return mapping.Methods.Contains(invocation.TargetMethod.Name);
            case IPropertyReferenceOperation property when property.Instance == reference:
                return mapping.Properties.Contains(property.Property.IsIndexer ? "this[]" : property.Property.Name);
            case IForEachLoopOperation loop when loop.Collection == reference:
                return true;
            case IConversionOperation conversion:
                // Enumerated (foreach) or passed to LINQ as IEnumerable<T>.
                return conversion.Parent is IForEachLoopOperation
                    || (conversion.Parent is IArgumentOperation { Parent: IInvocationOperation linq } argument
                        && SymbolEqualityComparer.Default.Equals(linq.TargetMethod.ContainingType, types.EnumerableType)
                        && linq.Arguments[0] == argument);
            case IArgumentOperation { Parent: IInvocationOperation extension } passed:
                return SymbolEqualityComparer.Default.Equals(extension.TargetMethod.ContainingType, types.EnumerableType) && extension.Arguments[0] == passed;
            default:
                return false;
        }
    }
}
