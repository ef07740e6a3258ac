using System.Collections.Concurrent;
using System.Collections.Immutable;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Operations;

namespace ConcurrencySafety.Analyzers.Infrastructure;

/// <summary>What the type model knows about sharing a type between threads.</summary>
internal enum ThreadSafety
{
    /// <summary>Nothing is known: the race rules leave uses of its instances alone.</summary>
    Unknown,

    /// <summary>Safe to use from several threads at once (Rust's <c>Sync</c>): concurrent and immutable collections, channels, <c>[ThreadSafe]</c>.</summary>
    Safe,

    /// <summary>Instance members are not thread-safe: a mutating call racing any other use is a data race.</summary>
    NotSafe,
}

/// <summary>
/// The type model of thread safety, Rust's <c>Send</c>/<c>Sync</c> in C# terms. A type is
/// <see cref="ThreadSafety.NotSafe"/> when it is one of the BCL types whose documentation says
/// instance members are not thread-safe (below), derives from one, is marked
/// <c>[NotThreadSafe]</c>, or is named in <c>concurrencysafety.not_thread_safe_types</c>; a
/// <c>[ThreadSafe]</c> mark or <c>concurrencysafety.thread_safe_types</c> entry wins over all of
/// those. For each not-safe type the model also knows which members change the instance; for
/// the non-collection types (Random, streams, hash algorithms) every method call does.
/// </summary>
internal sealed class ThreadSafetyModel
{
    public const string ThreadSafeTypesKey = "concurrencysafety.thread_safe_types";
    public const string NotThreadSafeTypesKey = "concurrencysafety.not_thread_safe_types";
    public const string ThreadSafeAttribute = "ConcurrencySafety.ThreadSafeAttribute";
    public const string NotThreadSafeAttribute = "ConcurrencySafety.NotThreadSafeAttribute";

    /// <summary>The members of the collections and builders that change them.</summary>
    public static readonly ImmutableHashSet<string> CollectionMutators = ImmutableHashSet.Create(
        "Add", "AddRange", "Insert", "InsertRange", "Remove", "RemoveAt", "RemoveAll", "RemoveRange", "RemoveWhere",
        "Clear", "Sort", "Reverse", "TryAdd", "Enqueue", "Dequeue", "TryDequeue", "Push", "Pop", "TryPop",
        "AddFirst", "AddLast", "AddBefore", "AddAfter", "RemoveFirst", "RemoveLast",
        "UnionWith", "ExceptWith", "IntersectWith", "SymmetricExceptWith", "TrimExcess", "EnsureCapacity",
        "Append", "AppendLine", "AppendFormat", "AppendJoin", "Replace", "CopyFrom",
        "EnqueueRange", "EnqueueDequeue", "DequeueEnqueue", "Set", "SetAll");

    /// <summary>Marks a type whose every method call changes the instance.</summary>
    private static readonly ImmutableHashSet<string> EveryMethod = ImmutableHashSet.Create("*");

    /// <summary>The BCL types documented as not safe for concurrent use, with their mutating members.</summary>
    public static readonly ImmutableArray<KeyValuePair<string, ImmutableHashSet<string>>> BuiltIn = ImmutableArray.Create(
        Pair("System.Collections.Generic.List`1", CollectionMutators),
        Pair("System.Collections.Generic.Dictionary`2", CollectionMutators),
        Pair("System.Collections.Generic.HashSet`1", CollectionMutators),
        Pair("System.Collections.Generic.Queue`1", CollectionMutators),
        Pair("System.Collections.Generic.Stack`1", CollectionMutators),
        Pair("System.Collections.Generic.SortedDictionary`2", CollectionMutators),
        Pair("System.Collections.Generic.SortedList`2", CollectionMutators),
        Pair("System.Collections.Generic.SortedSet`1", CollectionMutators),
        Pair("System.Collections.Generic.LinkedList`1", CollectionMutators),
        Pair("System.Collections.Generic.PriorityQueue`2", CollectionMutators),
        Pair("System.Collections.ArrayList", CollectionMutators),
        Pair("System.Collections.Queue", CollectionMutators),
        Pair("System.Collections.Stack", CollectionMutators),
        Pair("System.Collections.BitArray", CollectionMutators),
        Pair("System.Text.StringBuilder", CollectionMutators),
        Pair("System.Random", EveryMethod),
        Pair("System.Diagnostics.Stopwatch", ImmutableHashSet.Create("Start", "Stop", "Reset", "Restart")),
        Pair("System.IO.MemoryStream", EveryMethod),
        Pair("System.IO.BinaryReader", EveryMethod),
        Pair("System.IO.BinaryWriter", EveryMethod),
        Pair("System.IO.StreamReader", EveryMethod),
        Pair("System.IO.StreamWriter", EveryMethod),
        Pair("System.IO.StringReader", EveryMethod),
        Pair("System.IO.StringWriter", EveryMethod),
        Pair("System.Security.Cryptography.HashAlgorithm", EveryMethod),
        Pair("System.Security.Cryptography.IncrementalHash", EveryMethod),
        Pair("System.Text.Encoder", EveryMethod),
        Pair("System.Text.Decoder", EveryMethod));

    private readonly Dictionary<INamedTypeSymbol, ImmutableHashSet<string>> _builtIn = new(SymbolEqualityComparer.Default);
    private readonly ConcurrentDictionary<ITypeSymbol, (ThreadSafety Safety, ImmutableHashSet<string>? Mutators)> _cache = new(SymbolEqualityComparer.Default);
    private readonly INamedTypeSymbol? _threadSafeAttribute;
    private readonly INamedTypeSymbol? _notThreadSafeAttribute;
    private readonly ImmutableHashSet<string> _safeByOption;
    private readonly ImmutableHashSet<string> _notSafeByOption;

    public ThreadSafetyModel(Compilation compilation, AnalyzerOptions? options)
    {
        foreach (var pair in BuiltIn)
        {
            if (compilation.GetTypeByMetadataName(pair.Key) is { } type)
            {
                _builtIn[type] = pair.Value;
            }
        }

        _threadSafeAttribute = compilation.GetTypeByMetadataName(ThreadSafeAttribute);
        _notThreadSafeAttribute = compilation.GetTypeByMetadataName(NotThreadSafeAttribute);
        _safeByOption = ReadList(compilation, options, ThreadSafeTypesKey);
        _notSafeByOption = ReadList(compilation, options, NotThreadSafeTypesKey);
    }

    /// <summary>How safe <paramref name="type"/> is to share (arrays are left to their own rules).</summary>
    public ThreadSafety Classify(ITypeSymbol? type) => Lookup(type).Safety;

    public bool IsNotThreadSafe(ITypeSymbol? type) => Lookup(type).Safety == ThreadSafety.NotSafe;

    /// <summary>
    /// Whether a use of a not-thread-safe instance (<paramref name="reference"/>, whose type
    /// is <paramref name="type"/>) changes it, only reads it, or is no use of its contents
    /// (<c>lock (list)</c>, re-pointing the variable): null.
    /// </summary>
    public AccessKind? ClassifyUse(IOperation reference, ITypeSymbol type, WellKnownTypes types)
    {
        var mutators = Lookup(type).Mutators ?? CollectionMutators;
        var every = mutators.Contains("*");
        switch (reference.Parent)
        {
            case IInvocationOperation invocation when invocation.Instance == reference:
                return every || mutators.Contains(invocation.TargetMethod.Name) ? AccessKind.Write : AccessKind.Read;
            case IArgumentOperation { Parent: IInvocationOperation invocation } argument:
                var method = invocation.TargetMethod;
                if (method.IsExtensionMethod && invocation.Arguments.Length > 0 && invocation.Arguments[0] == argument && mutators.Contains(method.Name))
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
                        return type is INamedTypeSymbol { Arity: 2 } ? AccessKind.Write : AccessKind.Read;
                    }

                    return AccessKind.Write;
                }

                return AccessKind.Read;
            case ILockOperation:
                // lock (list) { ... }: taking the lock is not a use of the contents.
                return null;
            case IReturnOperation:
            case IConversionOperation { Parent: IReturnOperation }:
                // return _cache;: handing the object to the caller is not a use of it; the
                // caller's use of the result is (RaceEngine.ObjectUseOfResult).
                return null;
            case ISimpleAssignmentOperation assignment when assignment.Target == reference:
                // Re-pointing the variable is not a change of the object (CSA1001/CSA1003 look at it).
                return null;
            case IConversionOperation { Parent: IForEachLoopOperation }:
            case IForEachLoopOperation:
                return AccessKind.Read;
            default:
                _ = types;
                return AccessKind.Read;
        }
    }

    private (ThreadSafety Safety, ImmutableHashSet<string>? Mutators) Lookup(ITypeSymbol? type)
    {
        if (type is not INamedTypeSymbol named || named.TypeKind is not (TypeKind.Class or TypeKind.Struct or TypeKind.Interface))
        {
            return (ThreadSafety.Unknown, null);
        }

        return _cache.GetOrAdd(named, Compute);
    }

    private (ThreadSafety Safety, ImmutableHashSet<string>? Mutators) Compute(ITypeSymbol type)
    {
        // The most derived statement wins: [ThreadSafe] on a subclass of List<T> makes it safe.
        for (var current = type as INamedTypeSymbol; current is not null; current = current.BaseType)
        {
            var definition = current.OriginalDefinition;
            if (HasAttribute(definition, _threadSafeAttribute) || (!_safeByOption.IsEmpty && _safeByOption.Contains(NameOf(definition))))
            {
                return (ThreadSafety.Safe, null);
            }

            if (HasAttribute(definition, _notThreadSafeAttribute) || (!_notSafeByOption.IsEmpty && _notSafeByOption.Contains(NameOf(definition))))
            {
                return (ThreadSafety.NotSafe, EveryMethod);
            }

            if (_builtIn.TryGetValue(definition, out var mutators))
            {
                return (ThreadSafety.NotSafe, mutators);
            }
        }

        var ns = type.ContainingNamespace?.ToDisplayString();
        if (ns is "System.Collections.Concurrent" or "System.Collections.Immutable" or "System.Threading.Channels"
            || (ns == "ConcurrencySafety" && type.Name is "Locked" or "RwLocked" or "Sender" or "Receiver" or "PermitSemaphore"))
        {
            return (ThreadSafety.Safe, null);
        }

        return (ThreadSafety.Unknown, null);
    }

    private static bool HasAttribute(ISymbol symbol, INamedTypeSymbol? attribute)
    {
        if (attribute is null)
        {
            return false;
        }

        foreach (var data in symbol.GetAttributes())
        {
            if (SymbolEqualityComparer.Default.Equals(data.AttributeClass, attribute))
            {
                return true;
            }
        }

        return false;
    }

    private static string NameOf(INamedTypeSymbol type) =>
        type.ToDisplayString(SymbolDisplayFormat.CSharpErrorMessageFormat.WithGenericsOptions(SymbolDisplayGenericsOptions.None));

    // The type lists (and the call depth) describe the project, not files, so they are read once
    // per compilation: from a global config when it sets them, else from the options of the
    // compilation's first file (the usual [*.cs] section of .editorconfig).
    public static string? ReadOption(Compilation compilation, AnalyzerOptions? options, string key)
    {
        if (options is null)
        {
            return null;
        }

        var provider = options.AnalyzerConfigOptionsProvider;
        if (!provider.GlobalOptions.TryGetValue(key, out var value))
        {
            foreach (var tree in compilation.SyntaxTrees)
            {
                provider.GetOptions(tree).TryGetValue(key, out value);
                break;
            }
        }

        return value;
    }

    private static ImmutableHashSet<string> ReadList(Compilation compilation, AnalyzerOptions? options, string key)
    {
        var value = ReadOption(compilation, options, key);
        if (string.IsNullOrWhiteSpace(value))
        {
            return ImmutableHashSet<string>.Empty;
        }

        return value!.Split(new[] { ',', ';' }, StringSplitOptions.RemoveEmptyEntries)
            .Select(s => s.Trim())
            .Where(s => s.Length > 0)
            .ToImmutableHashSet(StringComparer.Ordinal);
    }

    private static KeyValuePair<string, ImmutableHashSet<string>> Pair(string name, ImmutableHashSet<string> mutators) => new(name, mutators);
}
