using System.Collections.Generic;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Operations;

namespace ConcurrencySafety.Analyzers.Infrastructure;

/// <summary>Whether an access changes the variable (or the object, for collections).</summary>
internal enum AccessKind
{
    Read,
    Write,
}

/// <summary>
/// Identifies one storage location: a local or parameter, or a field together with the
/// variable it is read through (<c>this</c> or static when <see cref="Receiver"/> is null).
/// Field keys built from an <see cref="AccessPath"/> compare by the whole path, so
/// <c>this._a.Count</c> and <c>this._b.Count</c> are different locations.
/// </summary>
internal readonly struct VariableKey : System.IEquatable<VariableKey>
{
    public VariableKey(ISymbol symbol, ISymbol? receiver, AccessPath? path = null)
    {
        Symbol = symbol;
        Receiver = receiver;
        Path = path;
    }

    public ISymbol Symbol { get; }

    public ISymbol? Receiver { get; }

    /// <summary>The full path for member locations; null for a bare local or parameter.</summary>
    public AccessPath? Path { get; }

    /// <summary>The local or parameter whose declaration decides whether the location is shared.</summary>
    public ISymbol? DeclaredVariable => Symbol is ILocalSymbol or IParameterSymbol ? Symbol : Receiver;

    /// <summary>The key of a path: a bare variable is keyed by the variable, anything longer by the path.</summary>
    public static VariableKey From(AccessPath path) =>
        path.Members.IsEmpty ? new VariableKey(path.Variable!, null) : new VariableKey(path.Last!, path.Variable, path);

    /// <summary>What messages call the location: the field name, or the path when it is nested.</summary>
    public string DisplayName => Path is { Members.Length: > 1 } || Path is { Root: PathRoot.Variable, Members.Length: > 0 } ? Path.Display() : Symbol.Name;

    public bool Equals(VariableKey other) =>
        SymbolEqualityComparer.Default.Equals(Symbol?.OriginalDefinition, other.Symbol?.OriginalDefinition)
        && SymbolEqualityComparer.Default.Equals(Receiver, other.Receiver)
        && (Path is null ? other.Path is null : Path.Equals(other.Path));

    public override bool Equals(object? obj) => obj is VariableKey other && Equals(other);

    public override int GetHashCode() =>
        (SymbolEqualityComparer.Default.GetHashCode(Symbol?.OriginalDefinition) * 397) ^ (Receiver is null ? 0 : SymbolEqualityComparer.Default.GetHashCode(Receiver)) ^ (Path is null ? 0 : Path.GetHashCode());
}

/// <summary>The object a <c>lock</c> (or a lock-like <c>using</c>) holds around an access.</summary>
internal readonly struct LockKey
{
    public LockKey(ISymbol? symbol, bool isThis, bool isUnknown)
    {
        Symbol = symbol;
        IsThis = isThis;
        IsUnknown = isUnknown;
    }

    public ISymbol? Symbol { get; }

    public bool IsThis { get; }

    /// <summary>A lock the model cannot name (a property, a call, an async lock): assumed to protect.</summary>
    public bool IsUnknown { get; }

    public bool SameAs(LockKey other) =>
        IsUnknown || other.IsUnknown || (IsThis && other.IsThis) || (Symbol is not null && SymbolEqualityComparer.Default.Equals(Symbol, other.Symbol));
}

/// <summary>One read or write of a location, with the body it happens in and the locks held.</summary>
internal sealed class Access
{
    public Access(VariableKey key, IOperation operation, AccessKind kind, ConcurrentBody? body, List<LockKey>? locks)
    {
        Key = key;
        Operation = operation;
        Kind = kind;
        Body = body;
        Locks = locks;
    }

    /// <summary>An access reached through calls; its anchor is the call (or the body's start) in the analyzed member.</summary>
    public Access(VariableKey key, ReachedAccess reached, ConcurrentBody? body)
        : this(key, reached.Operation, reached.Kind, body, reached.Locks)
    {
        Anchor = reached.Anchor;
        Chain = reached.Chain;
        AfterAwait = reached.AfterAwait;
        Via = reached.Via;
    }

    /// <summary>For a not-thread-safe object reached through a call's result: the call (<c>GetCache()</c>), for messages.</summary>
    public string? Via { get; set; }

    /// <summary>For an access in another method: the operation of the analyzed member that leads to it.</summary>
    public IOperation? Anchor { get; }

    /// <summary>For an access in another method: the methods that lead to it, outermost first (<c>Helper → Bump</c>).</summary>
    public string? Chain { get; }

    /// <summary>The access may run after an <c>await</c> of its async function (so after its caller moved on).</summary>
    public bool AfterAwait { get; set; }

    public VariableKey Key { get; }

    public IOperation Operation { get; }

    public AccessKind Kind { get; }

    /// <summary>The innermost concurrent body the access is in; null for the starting code.</summary>
    public ConcurrentBody? Body { get; }

    public List<LockKey>? Locks { get; }

    /// <summary>Where the access happens in the analyzed member (its anchor for accesses in other methods).</summary>
    /// <remarks>
    /// An access reached through a call happens while the callee runs, after the call's
    /// arguments are evaluated: its position is the end of the call, so that a call that hands
    /// the task over (the join the model assumes) is not taken to run before it.
    /// </remarks>
    public int Position => Anchor is null ? Operation.Syntax.SpanStart : System.Math.Max(Anchor.Syntax.SpanStart, Anchor.Syntax.Span.End - 1);

    public bool SharesLockWith(Access other)
    {
        if (Locks is null || other.Locks is null)
        {
            return false;
        }

        foreach (var mine in Locks)
        {
            foreach (var theirs in other.Locks)
            {
                if (mine.SameAs(theirs))
                {
                    return true;
                }
            }
        }

        return false;
    }

    /// <summary>Locks held by the access, walking up to the enclosing function only.</summary>
    public static List<LockKey>? CollectLocks(IOperation operation)
    {
        List<LockKey>? locks = null;
        var child = operation;
        for (var current = operation.Parent; current is not null; child = current, current = current.Parent)
        {
            switch (current)
            {
                case IAnonymousFunctionOperation:
                case ILocalFunctionOperation:
                    return locks;
                case ILockOperation lockOperation when lockOperation.Body == child:
                    if (KeyOf(lockOperation.LockedValue) is { } key)
                    {
                        (locks ??= new List<LockKey>()).Add(key);
                    }

                    break;
                case IUsingOperation usingOperation when usingOperation.Body == child && IsLockLike(usingOperation.Resources):
                    (locks ??= new List<LockKey>()).Add(new LockKey(null, isThis: false, isUnknown: true));
                    break;
                case IBlockOperation block:
                    // A lock-like using declaration earlier in the block holds its lock here.
                    // Their positions are found once per block: scanning the statements before
                    // the access for every access would be quadratic in a long method. One
                    // unknown key stands for any number of them (an unknown key matches all).
                    var declarations = LockLikeUsingDeclarations.GetValue(block, FindLockLikeUsingDeclarations);
                    if (declarations.Length > 0 && declarations[0] < child.Syntax.SpanStart)
                    {
                        (locks ??= new List<LockKey>()).Add(new LockKey(null, isThis: false, isUnknown: true));
                    }

                    break;
            }
        }

        return locks;
    }

    private static readonly System.Runtime.CompilerServices.ConditionalWeakTable<IBlockOperation, int[]> LockLikeUsingDeclarations = new();

    /// <summary>The start positions, in order, of the block's statements that are lock-like using declarations.</summary>
    private static int[] FindLockLikeUsingDeclarations(IBlockOperation block)
    {
        List<int>? positions = null;
        foreach (var statement in block.Operations)
        {
            if (statement is IUsingDeclarationOperation declaration && IsLockLike(declaration.DeclarationGroup))
            {
                (positions ??= new List<int>()).Add(statement.Syntax.SpanStart);
            }
        }

        return positions?.ToArray() ?? System.Array.Empty<int>();
    }

    /// <summary>What a lock statement locks, or null when it locks a fresh object that protects nothing.</summary>
    public static LockKey? KeyOf(IOperation lockedValue)
    {
        var value = lockedValue;
        while (value is IConversionOperation conversion && !Microsoft.CodeAnalysis.CSharp.CSharpExtensions.GetConversion(conversion).IsBoxing)
        {
            value = conversion.Operand;
        }

        return value switch
        {
            IFieldReferenceOperation field => new LockKey(field.Field, false, false),
            ILocalReferenceOperation local => new LockKey(local.Local, false, false),
            IParameterReferenceOperation parameter => new LockKey(parameter.Parameter, false, false),
            IInstanceReferenceOperation => new LockKey(null, true, false),
            ITypeOfOperation typeOf => new LockKey(typeOf.TypeOperand, false, false),
            IPropertyReferenceOperation property => new LockKey(property.Property, false, false),
            IObjectCreationOperation or IAnonymousObjectCreationOperation or IArrayCreationOperation or IConversionOperation or IInterpolatedStringOperation => null,
            _ => new LockKey(null, false, true),
        };
    }

    // using (await gate.LockAsync()), using var _ = rw.EnterWriteLock(), using (l.EnterScope()):
    // a resource obtained from a method whose name says it takes a lock.
    private static bool IsLockLike(IOperation? resource)
    {
        if (resource is null)
        {
            return false;
        }

        foreach (var operation in resource.DescendantsAndSelf())
        {
            if (operation is IInvocationOperation invocation)
            {
                var name = invocation.TargetMethod.Name;
                if (name.IndexOf("Lock", System.StringComparison.Ordinal) >= 0
                    || name.IndexOf("Acquire", System.StringComparison.Ordinal) >= 0
                    || name.IndexOf("Enter", System.StringComparison.Ordinal) >= 0
                    || name.IndexOf("Wait", System.StringComparison.Ordinal) >= 0)
                {
                    return true;
                }
            }
        }

        return false;
    }
}
