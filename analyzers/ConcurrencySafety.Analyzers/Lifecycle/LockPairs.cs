using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Operations;

namespace ConcurrencySafety.Analyzers.Lifecycle;

/// <summary>
/// Which acquire/release pair of the BCL's synchronization types a call belongs to. A release
/// matches an acquire only of the same kind on the same object (<c>ExitReadLock</c> does not end
/// an <c>EnterWriteLock</c>).
/// </summary>
internal enum LockKind
{
    /// <summary><c>SemaphoreSlim.Wait</c>/<c>WaitAsync</c> and <c>Release</c>.</summary>
    SemaphoreSlim,

    /// <summary><c>Monitor.Enter</c>/<c>TryEnter</c> and <c>Monitor.Exit</c> (the object is the first argument).</summary>
    Monitor,

    /// <summary><c>ReaderWriterLockSlim.EnterReadLock</c>/<c>TryEnterReadLock</c> and <c>ExitReadLock</c>.</summary>
    ReadLock,

    /// <summary><c>ReaderWriterLockSlim.EnterWriteLock</c>/<c>TryEnterWriteLock</c> and <c>ExitWriteLock</c>.</summary>
    WriteLock,

    /// <summary><c>ReaderWriterLockSlim.EnterUpgradeableReadLock</c>/<c>TryEnterUpgradeableReadLock</c> and <c>ExitUpgradeableReadLock</c>.</summary>
    UpgradeableReadLock,

    /// <summary><c>Mutex.WaitOne</c> and <c>ReleaseMutex</c>.</summary>
    Mutex,

    /// <summary><c>System.Threading.Semaphore.WaitOne</c> and <c>Release</c>.</summary>
    Semaphore,

    /// <summary><c>SpinLock.Enter(ref taken)</c>/<c>TryEnter</c> and <c>Exit</c>.</summary>
    SpinLock,

    /// <summary>.NET 9's <c>Lock.Enter</c>/<c>TryEnter</c> and <c>Exit</c>.</summary>
    Lock,
}

/// <summary>How an acquire call reports whether it took the lock.</summary>
internal enum AcquireForm
{
    /// <summary>It returns only once it holds the lock (<c>Wait()</c>, <c>Enter()</c>, <c>EnterWriteLock()</c>, <c>WaitOne()</c>), or throws.</summary>
    Untimed,

    /// <summary>It returns (or its task yields) whether it took the lock: <c>Wait(timeout)</c>, <c>TryEnter(...)</c>, <c>WaitOne(timeout)</c>.</summary>
    ReturnsTaken,

    /// <summary>It waits until it holds the lock and sets a <c>ref bool</c> once it does: <c>Monitor.Enter(o, ref taken)</c>, <c>SpinLock.Enter(ref taken)</c>.</summary>
    EnterWithFlag,

    /// <summary>It may give up, and says so through a <c>ref bool</c>: <c>Monitor.TryEnter(o, [timeout,] ref taken)</c>, <c>SpinLock.TryEnter([timeout,] ref taken)</c>.</summary>
    TryWithFlag,
}

/// <summary>An acquire call of a BCL synchronization type: the call, the operation naming the object it locks, its kind and form.</summary>
internal sealed class LockAcquire
{
    public LockAcquire(IInvocationOperation call, IOperation target, LockKind kind, AcquireForm form)
    {
        Call = call;
        Target = target;
        Kind = kind;
        Form = form;
    }

    /// <summary>The acquire call itself (under any <c>await</c>).</summary>
    public IInvocationOperation Call { get; }

    /// <summary>The object locked: the receiver, or <c>Monitor</c>'s first argument.</summary>
    public IOperation Target { get; }

    public LockKind Kind { get; }

    public AcquireForm Form { get; }
}

/// <summary>
/// Recognizes the acquire and release calls of <c>SemaphoreSlim</c>, <c>Monitor</c>,
/// <c>ReaderWriterLockSlim</c>, <c>Mutex</c>, <c>Semaphore</c>, <c>SpinLock</c> and .NET 9's
/// <c>Lock</c>, in one place for CSA2004 and CSA2018. Matching is by the method's containing type
/// (or, for <c>WaitOne</c>, which <c>WaitHandle</c> declares, by the receiver's type), so a type
/// of the same name in user code is not taken for the BCL's.
/// </summary>
internal static class LockPairs
{
    /// <summary>
    /// The acquire in <paramref name="operation"/> (awaited, possibly through <c>ConfigureAwait</c>),
    /// or null. An <c>await</c> is accepted only around <c>SemaphoreSlim.WaitAsync</c>, the one
    /// awaitable acquire; an un-awaited <c>WaitAsync</c> that yields whether it took the slot is
    /// not an acquire (its result is a task, not the answer).
    /// </summary>
    public static LockAcquire? AsAcquire(IOperation operation, LifecycleTypes types)
    {
        var awaited = false;
        if (operation is IAwaitOperation awaitOperation)
        {
            awaited = true;
            operation = awaitOperation.Operation;
            if (operation is IInvocationOperation { TargetMethod.Name: "ConfigureAwait", Instance: { } configured })
            {
                operation = configured;
            }
        }

        if (operation is not IInvocationOperation { TargetMethod: { } method } call)
        {
            return null;
        }

        var type = method.ContainingType;
        if (LifecycleTypes.Is(type, types.SemaphoreSlim))
        {
            if (method.Name is not ("Wait" or "WaitAsync") || call.Instance is null)
            {
                return null;
            }

            if (method.ReturnsVoid || LifecycleTypes.Is(method.ReturnType, types.Task) && method.ReturnType is INamedTypeSymbol { IsGenericType: false })
            {
                return new LockAcquire(call, call.Instance, LockKind.SemaphoreSlim, AcquireForm.Untimed);
            }

            var returnsTaken = method.ReturnType.SpecialType == SpecialType.System_Boolean && !awaited
                || awaited && method.ReturnType is INamedTypeSymbol { Name: "Task", TypeArguments.Length: 1 } task && LifecycleTypes.Is(task.BaseType, types.Task) && task.TypeArguments[0].SpecialType == SpecialType.System_Boolean;
            return returnsTaken ? new LockAcquire(call, call.Instance, LockKind.SemaphoreSlim, AcquireForm.ReturnsTaken) : null;
        }

        if (awaited)
        {
            return null;
        }

        if (LifecycleTypes.Is(type, types.Monitor))
        {
            // Monitor.Enter(o), Enter(o, ref taken), TryEnter(o[, timeout][, ref taken]).
            if (method.Name is not ("Enter" or "TryEnter") || ArgumentAt(call, 0) is not { } locked)
            {
                return null;
            }

            var flag = EndsWithRefBool(method);
            var form = method.Name == "Enter"
                ? (flag ? AcquireForm.EnterWithFlag : AcquireForm.Untimed)
                : (flag ? AcquireForm.TryWithFlag : AcquireForm.ReturnsTaken);
            return new LockAcquire(call, locked, LockKind.Monitor, form);
        }

        if (call.Instance is not { } instance)
        {
            return null;
        }

        if (LifecycleTypes.Is(type, types.ReaderWriterLockSlim))
        {
            var untimed = method.Name.StartsWith("Enter", StringComparison.Ordinal);
            var kind = (untimed ? method.Name.Substring("Enter".Length) : method.Name.StartsWith("TryEnter", StringComparison.Ordinal) ? method.Name.Substring("TryEnter".Length) : null) switch
            {
                "ReadLock" => LockKind.ReadLock,
                "WriteLock" => LockKind.WriteLock,
                "UpgradeableReadLock" => LockKind.UpgradeableReadLock,
                _ => (LockKind?)null,
            };
            return kind is { } k ? new LockAcquire(call, instance, k, untimed ? AcquireForm.Untimed : AcquireForm.ReturnsTaken) : null;
        }

        if (method.Name == "WaitOne" && method.ContainingType.Name == "WaitHandle")
        {
            // WaitOne() waits for good (it returns true, or throws: an abandoned mutex is taken
            // and reported by AbandonedMutexException); the timed overloads return whether it took.
            var kind = LifecycleTypes.Is(instance.Type, types.Mutex) ? LockKind.Mutex
                : LifecycleTypes.Is(instance.Type, types.Semaphore) ? LockKind.Semaphore
                : (LockKind?)null;
            return kind is { } k ? new LockAcquire(call, instance, k, method.Parameters.IsEmpty ? AcquireForm.Untimed : AcquireForm.ReturnsTaken) : null;
        }

        if (LifecycleTypes.Is(type, types.SpinLock))
        {
            return method.Name switch
            {
                "Enter" => new LockAcquire(call, instance, LockKind.SpinLock, AcquireForm.EnterWithFlag),
                "TryEnter" => new LockAcquire(call, instance, LockKind.SpinLock, AcquireForm.TryWithFlag),
                _ => null,
            };
        }

        if (LifecycleTypes.Is(type, types.Lock))
        {
            return method.Name switch
            {
                "Enter" => new LockAcquire(call, instance, LockKind.Lock, AcquireForm.Untimed),
                "TryEnter" when method.ReturnType.SpecialType == SpecialType.System_Boolean => new LockAcquire(call, instance, LockKind.Lock, AcquireForm.ReturnsTaken),
                _ => null,
            };
        }

        return null;
    }

    /// <summary>The kind and object of a release call (<c>Release</c>, <c>Monitor.Exit</c>, <c>ExitReadLock</c>, <c>ReleaseMutex</c>, <c>Exit</c>), or null.</summary>
    public static (LockKind Kind, IOperation Target)? AsRelease(IInvocationOperation call, LifecycleTypes types)
    {
        var method = call.TargetMethod;
        var type = method.ContainingType;
        if (LifecycleTypes.Is(type, types.Monitor))
        {
            return method.Name == "Exit" && ArgumentAt(call, 0) is { } locked ? (LockKind.Monitor, locked) : null;
        }

        if (call.Instance is not { } instance)
        {
            return null;
        }

        LockKind? kind = method.Name switch
        {
            "Release" when LifecycleTypes.Is(type, types.SemaphoreSlim) => LockKind.SemaphoreSlim,
            "Release" when LifecycleTypes.Is(type, types.Semaphore) => LockKind.Semaphore,
            "ReleaseMutex" when LifecycleTypes.Is(type, types.Mutex) => LockKind.Mutex,
            "ExitReadLock" when LifecycleTypes.Is(type, types.ReaderWriterLockSlim) => LockKind.ReadLock,
            "ExitWriteLock" when LifecycleTypes.Is(type, types.ReaderWriterLockSlim) => LockKind.WriteLock,
            "ExitUpgradeableReadLock" when LifecycleTypes.Is(type, types.ReaderWriterLockSlim) => LockKind.UpgradeableReadLock,
            "Exit" when LifecycleTypes.Is(type, types.SpinLock) => LockKind.SpinLock,
            "Exit" when LifecycleTypes.Is(type, types.Lock) => LockKind.Lock,
            _ => null,
        };
        return kind is { } k ? (k, instance) : null;
    }

    /// <summary>Whether <paramref name="types"/> knows any of the pairs (otherwise CSA2004 registers nothing for them).</summary>
    public static bool AnyKnown(LifecycleTypes types) =>
        types.SemaphoreSlim is not null || types.Monitor is not null || types.ReaderWriterLockSlim is not null
        || types.Mutex is not null || types.Semaphore is not null || types.SpinLock is not null || types.Lock is not null;

    /// <summary>The name of the call that releases <paramref name="kind"/>, as the messages write it.</summary>
    public static string ReleaseName(LockKind kind) => kind switch
    {
        LockKind.SemaphoreSlim or LockKind.Semaphore => "Release()",
        LockKind.Monitor => "Monitor.Exit",
        LockKind.ReadLock => "ExitReadLock()",
        LockKind.WriteLock => "ExitWriteLock()",
        LockKind.UpgradeableReadLock => "ExitUpgradeableReadLock()",
        LockKind.Mutex => "ReleaseMutex()",
        _ => "Exit()",
    };

    /// <summary>What is held, as the messages write it (<c>The slot taken from '_gate'</c>).</summary>
    public static string Describe(LockKind kind, string name) => kind switch
    {
        LockKind.SemaphoreSlim or LockKind.Semaphore => $"The slot taken from '{name}'",
        LockKind.ReadLock => $"The read lock taken on '{name}'",
        LockKind.WriteLock => $"The write lock taken on '{name}'",
        LockKind.UpgradeableReadLock => $"The upgradeable read lock taken on '{name}'",
        LockKind.Mutex => $"The mutex '{name}'",
        _ => $"The lock taken on '{name}'",
    };

    // The argument bound to the parameter at ordinal (named arguments may come in any order).
    private static IOperation? ArgumentAt(IInvocationOperation call, int ordinal)
    {
        foreach (var argument in call.Arguments)
        {
            if (argument.Parameter?.Ordinal == ordinal)
            {
                return argument.Value;
            }
        }

        return null;
    }

    private static bool EndsWithRefBool(IMethodSymbol method) =>
        method.Parameters.Length > 0 && method.Parameters[method.Parameters.Length - 1] is { RefKind: RefKind.Ref, Type.SpecialType: SpecialType.System_Boolean };
}
