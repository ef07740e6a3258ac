using System.Collections.Immutable;
using System.Runtime.CompilerServices;
using Microsoft.CodeAnalysis;

namespace ConcurrencySafety.Analyzers.Infrastructure;

/// <summary>
/// The metadata names the race rules know about, in one place, and the symbols they resolve
/// to in one compilation. Resolved once per compilation (in a compilation-start action).
/// </summary>
internal sealed class WellKnownTypes
{
    // Entry points that start concurrent work.
    public const string Task = "System.Threading.Tasks.Task";
    public const string TaskOfT = "System.Threading.Tasks.Task`1";
    public const string TaskFactory = "System.Threading.Tasks.TaskFactory";
    public const string TaskFactoryOfT = "System.Threading.Tasks.TaskFactory`1";
    public const string Parallel = "System.Threading.Tasks.Parallel";
    public const string Thread = "System.Threading.Thread";
    public const string ThreadPool = "System.Threading.ThreadPool";
    public const string Timer = "System.Threading.Timer";
    public const string ParallelEnumerable = "System.Linq.ParallelEnumerable";
    public const string Enumerable = "System.Linq.Enumerable";
    public const string RunsConcurrentlyAttribute = "ConcurrencySafety.RunsConcurrentlyAttribute";

    // Synchronized access.
    public const string Interlocked = "System.Threading.Interlocked";
    public const string Volatile = "System.Threading.Volatile";
    public const string ImmutableInterlocked = "System.Collections.Immutable.ImmutableInterlocked";
    public const string Array = "System.Array";
    public const string ThreadStaticAttribute = "System.ThreadStaticAttribute";

    /// <summary>Types whose use inside a body means the body synchronizes by hand (signals, semaphores, monitors).</summary>
    public static readonly ImmutableArray<string> SynchronizationTypeNames = ImmutableArray.Create(
        "System.Threading.Monitor",
        "System.Threading.Mutex",
        "System.Threading.Semaphore",
        "System.Threading.SemaphoreSlim",
        "System.Threading.SpinLock",
        "System.Threading.ReaderWriterLock",
        "System.Threading.ReaderWriterLockSlim",
        "System.Threading.Lock",
        "System.Threading.WaitHandle",
        "System.Threading.EventWaitHandle",
        "System.Threading.ManualResetEvent",
        "System.Threading.ManualResetEventSlim",
        "System.Threading.AutoResetEvent",
        "System.Threading.CountdownEvent",
        "System.Threading.Barrier",
        "System.Threading.Tasks.TaskCompletionSource",
        "System.Threading.Tasks.TaskCompletionSource`1",
        "System.Threading.Channels.ChannelWriter`1",
        "System.Threading.Channels.ChannelReader`1");

    /// <summary>Collections and builders that are not safe to mutate from several threads.</summary>
    public static readonly ImmutableArray<string> NonThreadSafeTypeNames = ImmutableArray.Create(
        "System.Collections.Generic.List`1",
        "System.Collections.Generic.Dictionary`2",
        "System.Collections.Generic.HashSet`1",
        "System.Collections.Generic.Queue`1",
        "System.Collections.Generic.Stack`1",
        "System.Collections.Generic.SortedDictionary`2",
        "System.Collections.Generic.SortedList`2",
        "System.Collections.Generic.SortedSet`1",
        "System.Collections.Generic.LinkedList`1",
        "System.Text.StringBuilder");

    public INamedTypeSymbol? TaskType { get; }
    public INamedTypeSymbol? TaskOfTType { get; }
    public INamedTypeSymbol? TaskFactoryType { get; }
    public INamedTypeSymbol? TaskFactoryOfTType { get; }
    public INamedTypeSymbol? ParallelType { get; }
    public INamedTypeSymbol? ThreadType { get; }
    public INamedTypeSymbol? ThreadPoolType { get; }
    public INamedTypeSymbol? TimerType { get; }
    public INamedTypeSymbol? ParallelEnumerableType { get; }
    public INamedTypeSymbol? EnumerableType { get; }
    public INamedTypeSymbol? RunsConcurrentlyAttributeType { get; }
    public INamedTypeSymbol? InterlockedType { get; }
    public INamedTypeSymbol? VolatileType { get; }
    public INamedTypeSymbol? ImmutableInterlockedType { get; }
    public INamedTypeSymbol? ArrayType { get; }
    public INamedTypeSymbol? ThreadStaticAttributeType { get; }
    public ImmutableHashSet<INamedTypeSymbol> SynchronizationTypes { get; }
    public ImmutableHashSet<INamedTypeSymbol> NonThreadSafeTypes { get; }

    private WellKnownTypes(Compilation compilation)
    {
        TaskType = compilation.GetTypeByMetadataName(Task);
        TaskOfTType = compilation.GetTypeByMetadataName(TaskOfT);
        TaskFactoryType = compilation.GetTypeByMetadataName(TaskFactory);
        TaskFactoryOfTType = compilation.GetTypeByMetadataName(TaskFactoryOfT);
        ParallelType = compilation.GetTypeByMetadataName(Parallel);
        ThreadType = compilation.GetTypeByMetadataName(Thread);
        ThreadPoolType = compilation.GetTypeByMetadataName(ThreadPool);
        TimerType = compilation.GetTypeByMetadataName(Timer);
        ParallelEnumerableType = compilation.GetTypeByMetadataName(ParallelEnumerable);
        EnumerableType = compilation.GetTypeByMetadataName(Enumerable);
        RunsConcurrentlyAttributeType = compilation.GetTypeByMetadataName(RunsConcurrentlyAttribute);
        InterlockedType = compilation.GetTypeByMetadataName(Interlocked);
        VolatileType = compilation.GetTypeByMetadataName(Volatile);
        ImmutableInterlockedType = compilation.GetTypeByMetadataName(ImmutableInterlocked);
        ArrayType = compilation.GetTypeByMetadataName(Array);
        ThreadStaticAttributeType = compilation.GetTypeByMetadataName(ThreadStaticAttribute);
        SynchronizationTypes = Resolve(compilation, SynchronizationTypeNames);
        NonThreadSafeTypes = Resolve(compilation, NonThreadSafeTypeNames);
    }

    /// <summary>
    /// Resolves the types for <paramref name="compilation"/>, or returns null when the
    /// compilation cannot start concurrent work at all (no Task, Thread or attribute), in which
    /// case the race rules register nothing.
    /// </summary>
    public static WellKnownTypes? TryCreate(Compilation compilation)
    {
        var types = PerCompilation.GetValue(compilation, static c => new WellKnownTypes(c));
        return types.TaskType is null && types.ThreadType is null && types.RunsConcurrentlyAttributeType is null
            ? null
            : types;
    }

    /// <summary>
    /// One table per compilation, shared by every race rule: each rule starts on the same
    /// compilation, and resolving the names (a search through every referenced assembly) once
    /// instead of once per rule keeps analyzer start-up cheap. Weak keys: a table goes with
    /// its compilation.
    /// </summary>
    private static readonly ConditionalWeakTable<Compilation, WellKnownTypes> PerCompilation = new();

    /// <summary>Whether <paramref name="type"/> is one of the synchronization primitives (or derives from one).</summary>
    public bool IsSynchronizationType(ITypeSymbol? type)
    {
        for (var t = type as INamedTypeSymbol; t is not null; t = t.BaseType)
        {
            if (SynchronizationTypes.Contains(t.OriginalDefinition))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>Whether <paramref name="type"/> is one of the collections that are not thread-safe.</summary>
    public bool IsNonThreadSafeType(ITypeSymbol? type) =>
        type is INamedTypeSymbol named && NonThreadSafeTypes.Contains(named.OriginalDefinition);

    /// <summary>Whether the method is one of the atomic helpers (Interlocked, Volatile, ImmutableInterlocked).</summary>
    public bool IsAtomicHelper(IMethodSymbol method)
    {
        var type = method.ContainingType;
        return type is not null
            && (SymbolEqualityComparer.Default.Equals(type, InterlockedType)
                || SymbolEqualityComparer.Default.Equals(type, VolatileType)
                || SymbolEqualityComparer.Default.Equals(type, ImmutableInterlockedType));
    }

    private static ImmutableHashSet<INamedTypeSymbol> Resolve(Compilation compilation, ImmutableArray<string> names)
    {
        var builder = ImmutableHashSet.CreateBuilder<INamedTypeSymbol>(SymbolEqualityComparer.Default);
        foreach (var name in names)
        {
            if (compilation.GetTypeByMetadataName(name) is { } type)
            {
                builder.Add(type);
            }
        }

        return builder.ToImmutable();
    }
}
