using System.Runtime.CompilerServices;
using Microsoft.CodeAnalysis;

namespace ConcurrencySafety.Analyzers.Lifecycle;

/// <summary>
/// The metadata names the lifecycle rules (CSA2xxx) know about, in one place, and the symbols
/// they resolve to in one compilation. Resolved once per compilation; a rule registers nothing
/// when the types it needs are absent.
/// </summary>
internal sealed class LifecycleTypes
{
    public const string ChanName = "ConcurrencySafety.Chan";
    public const string SenderName = "ConcurrencySafety.Sender`1";
    public const string ReceiverName = "ConcurrencySafety.Receiver`1";
    public const string SelectorName = "ConcurrencySafety.Selector";
    public const string SelectSetName = "ConcurrencySafety.SelectSet";
    public const string TaskScopeName = "ConcurrencySafety.TaskScope";
    public const string ThreadScopeName = "ConcurrencySafety.Scope";
    public const string EnumerableName = "System.Linq.Enumerable";
    public const string PermitName = "ConcurrencySafety.Permit";
    public const string LockGuardName = "ConcurrencySafety.LockGuard`1";
    public const string ReadGuardName = "ConcurrencySafety.ReadGuard`1";
    public const string WriteGuardName = "ConcurrencySafety.WriteGuard`1";
    public const string LockedName = "ConcurrencySafety.Locked`1";
    public const string RwLockedName = "ConcurrencySafety.RwLocked`1";

    /// <summary>
    /// Parameters marked with this attribute take ownership of their argument (the type-state
    /// rules' <c>[Consumes]</c>): passing a sender there moves it, and the caller no longer holds it.
    /// </summary>
    public const string ConsumesAttributeName = "ConcurrencySafety.ConsumesAttribute";

    public const string TaskName = "System.Threading.Tasks.Task";
    public const string TaskFactoryName = "System.Threading.Tasks.TaskFactory";
    public const string TaskFactoryOfTName = "System.Threading.Tasks.TaskFactory`1";
    public const string ThreadName = "System.Threading.Thread";
    public const string SemaphoreSlimName = "System.Threading.SemaphoreSlim";
    public const string MonitorName = "System.Threading.Monitor";
    public const string ReaderWriterLockSlimName = "System.Threading.ReaderWriterLockSlim";
    public const string MutexName = "System.Threading.Mutex";
    public const string SemaphoreName = "System.Threading.Semaphore";
    public const string SpinLockName = "System.Threading.SpinLock";

    /// <summary>.NET 9's lock type; absent from older reference sets, and then its forms are not followed.</summary>
    public const string LockName = "System.Threading.Lock";
    public const string LockScopeName = "System.Threading.Lock+Scope";
    public const string BclChannelName = "System.Threading.Channels.Channel";
    public const string BclChannelOfTName = "System.Threading.Channels.Channel`1";
    public const string BclChannelOfTWriteReadName = "System.Threading.Channels.Channel`2";
    public const string BclChannelReaderName = "System.Threading.Channels.ChannelReader`1";
    public const string BclChannelWriterName = "System.Threading.Channels.ChannelWriter`1";

    public INamedTypeSymbol? Chan { get; }
    public INamedTypeSymbol? Sender { get; }
    public INamedTypeSymbol? Receiver { get; }
    public INamedTypeSymbol? Selector { get; }
    public INamedTypeSymbol? SelectSet { get; }
    public INamedTypeSymbol? TaskScope { get; }
    public INamedTypeSymbol? ThreadScope { get; }
    public INamedTypeSymbol? Enumerable { get; }
    public INamedTypeSymbol? Permit { get; }
    public INamedTypeSymbol? LockGuard { get; }
    public INamedTypeSymbol? ReadGuard { get; }
    public INamedTypeSymbol? WriteGuard { get; }
    public INamedTypeSymbol? Locked { get; }
    public INamedTypeSymbol? RwLocked { get; }
    public INamedTypeSymbol? ConsumesAttribute { get; }
    public INamedTypeSymbol? Task { get; }
    public INamedTypeSymbol? TaskFactory { get; }
    public INamedTypeSymbol? TaskFactoryOfT { get; }
    public INamedTypeSymbol? Thread { get; }
    public INamedTypeSymbol? SemaphoreSlim { get; }
    public INamedTypeSymbol? Monitor { get; }
    public INamedTypeSymbol? ReaderWriterLockSlim { get; }
    public INamedTypeSymbol? Mutex { get; }
    public INamedTypeSymbol? Semaphore { get; }
    public INamedTypeSymbol? SpinLock { get; }
    public INamedTypeSymbol? Lock { get; }
    public INamedTypeSymbol? LockScope { get; }
    public INamedTypeSymbol? BclChannel { get; }
    public INamedTypeSymbol? BclChannelOfT { get; }
    public INamedTypeSymbol? BclChannelOfTWriteRead { get; }
    public INamedTypeSymbol? BclChannelReader { get; }
    public INamedTypeSymbol? BclChannelWriter { get; }

    /// <summary>
    /// One table per compilation, shared by every lifecycle rule (nine of them start on each
    /// compilation): the names are resolved once, not once per rule. Weak keys: a table goes
    /// with its compilation.
    /// </summary>
    private static readonly ConditionalWeakTable<Compilation, LifecycleTypes> PerCompilation = new();

    /// <summary>Gets the table for <paramref name="compilation"/>, resolving it on first use.</summary>
    public static LifecycleTypes For(Compilation compilation) =>
        PerCompilation.GetValue(compilation, static c => new LifecycleTypes(c));

    private LifecycleTypes(Compilation compilation)
    {
        Chan = compilation.GetTypeByMetadataName(ChanName);
        Sender = compilation.GetTypeByMetadataName(SenderName);
        Receiver = compilation.GetTypeByMetadataName(ReceiverName);
        Selector = compilation.GetTypeByMetadataName(SelectorName);
        SelectSet = compilation.GetTypeByMetadataName(SelectSetName);
        TaskScope = compilation.GetTypeByMetadataName(TaskScopeName);
        ThreadScope = compilation.GetTypeByMetadataName(ThreadScopeName);
        Enumerable = compilation.GetTypeByMetadataName(EnumerableName);
        Permit = compilation.GetTypeByMetadataName(PermitName);
        LockGuard = compilation.GetTypeByMetadataName(LockGuardName);
        ReadGuard = compilation.GetTypeByMetadataName(ReadGuardName);
        WriteGuard = compilation.GetTypeByMetadataName(WriteGuardName);
        Locked = compilation.GetTypeByMetadataName(LockedName);
        RwLocked = compilation.GetTypeByMetadataName(RwLockedName);
        ConsumesAttribute = compilation.GetTypeByMetadataName(ConsumesAttributeName);
        Task = compilation.GetTypeByMetadataName(TaskName);
        TaskFactory = compilation.GetTypeByMetadataName(TaskFactoryName);
        TaskFactoryOfT = compilation.GetTypeByMetadataName(TaskFactoryOfTName);
        Thread = compilation.GetTypeByMetadataName(ThreadName);
        SemaphoreSlim = compilation.GetTypeByMetadataName(SemaphoreSlimName);
        Monitor = compilation.GetTypeByMetadataName(MonitorName);
        ReaderWriterLockSlim = compilation.GetTypeByMetadataName(ReaderWriterLockSlimName);
        Mutex = compilation.GetTypeByMetadataName(MutexName);
        Semaphore = compilation.GetTypeByMetadataName(SemaphoreName);
        SpinLock = compilation.GetTypeByMetadataName(SpinLockName);
        Lock = compilation.GetTypeByMetadataName(LockName);
        LockScope = compilation.GetTypeByMetadataName(LockScopeName);
        BclChannel = compilation.GetTypeByMetadataName(BclChannelName);
        BclChannelOfT = compilation.GetTypeByMetadataName(BclChannelOfTName);
        BclChannelOfTWriteRead = compilation.GetTypeByMetadataName(BclChannelOfTWriteReadName);
        BclChannelReader = compilation.GetTypeByMetadataName(BclChannelReaderName);
        BclChannelWriter = compilation.GetTypeByMetadataName(BclChannelWriterName);
    }

    /// <summary>Whether <paramref name="type"/> is (a construction of) <paramref name="definition"/>.</summary>
    public static bool Is(ITypeSymbol? type, INamedTypeSymbol? definition) =>
        definition is not null && type is not null && SymbolEqualityComparer.Default.Equals(type.OriginalDefinition, definition);

    public bool IsSender(ITypeSymbol? type) => Is(type, Sender);

    public bool IsReceiver(ITypeSymbol? type) => Is(type, Receiver);

    /// <summary>Whether <paramref name="type"/> is a permit or lock guard of the library (released by disposing it).</summary>
    public bool IsGuard(ITypeSymbol? type) =>
        Is(type, Permit) || Is(type, LockGuard) || Is(type, ReadGuard) || Is(type, WriteGuard);

    /// <summary>Whether <paramref name="type"/> is released by disposing it: a guard of the library, or .NET 9's <c>Lock.Scope</c>.</summary>
    public bool IsReleasedByDispose(ITypeSymbol? type) => IsGuard(type) || Is(type, LockScope);

    /// <summary>Whether <paramref name="type"/> is a lock guard of <c>Locked&lt;T&gt;</c> or <c>RwLocked&lt;T&gt;</c> (it has a <c>Value</c>).</summary>
    public bool IsDataGuard(ITypeSymbol? type) => Is(type, LockGuard) || Is(type, ReadGuard) || Is(type, WriteGuard);

    /// <summary>Whether the parameter takes ownership of its argument (<c>[Consumes]</c>, matched by name so a user-defined copy counts too).</summary>
    public static bool TakesOwnership(IParameterSymbol? parameter)
    {
        if (parameter is null)
        {
            return false;
        }

        foreach (var attribute in parameter.GetAttributes())
        {
            var name = attribute.AttributeClass?.Name;
            if (name is "ConsumesAttribute" or "TakesOwnershipAttribute")
            {
                return true;
            }
        }

        return false;
    }
}
