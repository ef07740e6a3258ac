using System.Collections.Concurrent;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Operations;

namespace ConcurrencySafety.Analyzers.Ownership;

/// <summary>
/// Which channel sends move their item (CSA2010): after <c>tx.Send(batch)</c> the receiving
/// side may be reading <c>batch</c>, so the sender's code must not touch it again, as Rust's
/// <c>send(batch)</c> moves it. Used by the consume-flow engine
/// (<see cref="TypeState.ConsumeFlowAnalysis"/>) as one more way to consume a variable.
/// </summary>
/// <remarks>
/// <para>A send moves its item when the call is one of <c>Sender&lt;T&gt;.Send</c>,
/// <c>SendAsync</c>, <c>TrySend*</c> or <c>ChannelWriter&lt;T&gt;.WriteAsync</c>/<c>TryWrite</c>
/// (or an override), and the item's static type is a mutable reference type (see
/// <see cref="IsMutableReferenceType"/>). A <c>Try</c> form whose result is looked at moves
/// nothing the rule can know of: when it fails, the caller still owns the item (a
/// <c>SendResult</c> even gives it back), and the rule does not evaluate which branch is which.
/// Only a <c>Try</c> form whose result is dropped moves the item: it may have been sent.</para>
/// <para>Precision first: type parameters, interfaces that do not expose mutation
/// (<c>IEnumerable&lt;T&gt;</c>, <c>IReadOnlyList&lt;T&gt;</c>), <c>object</c>, strings,
/// delegates, exceptions, value types, the immutable and concurrent collections, types marked
/// with an attribute named <c>ThreadSafe</c> and source types that hold a synchronization
/// primitive are all treated as shareable.</para>
/// </remarks>
internal sealed class SendMoves
{
    private readonly INamedTypeSymbol? _sender;
    private readonly INamedTypeSymbol? _channelWriter;
    private readonly ConcurrentDictionary<ITypeSymbol, bool> _mutable = new(SymbolEqualityComparer.Default);

    public SendMoves(Compilation compilation)
    {
        _sender = compilation.GetTypeByMetadataName("ConcurrencySafety.Sender`1");
        _channelWriter = compilation.GetTypeByMetadataName("System.Threading.Channels.ChannelWriter`1");
    }

    /// <summary>Whether the compilation has any channel type whose sends move.</summary>
    public bool IsRelevant => _sender is not null || _channelWriter is not null;

    /// <summary>Whether <paramref name="method"/> is a send of a channel (the cheap filter: any item type).</summary>
    public bool IsSendMethod(IMethodSymbol method)
    {
        if (method.IsStatic || method.ContainingType is not { } type)
        {
            return false;
        }

        if (_sender is not null && SymbolEqualityComparer.Default.Equals(type.OriginalDefinition, _sender))
        {
            return method.Name is "Send" or "SendAsync" or "TrySend" or "TrySendAsync" or "TrySendUntil" or "TrySendUntilAsync";
        }

        if (_channelWriter is not null && method.Name is "WriteAsync" or "TryWrite")
        {
            for (var t = type; t is not null; t = t.BaseType)
            {
                if (SymbolEqualityComparer.Default.Equals(t.OriginalDefinition, _channelWriter))
                {
                    return true;
                }
            }
        }

        return false;
    }

    /// <summary>
    /// Whether passing <paramref name="argument"/> to <paramref name="call"/> moves the value:
    /// it is the item of a send, of a mutable reference type, and the send is unconditional
    /// (not a <c>Try</c> form whose result is tested).
    /// </summary>
    public bool Moves(IOperation call, IArgumentOperation argument)
    {
        if (call is not IInvocationOperation invocation
            || argument.Parameter is not { Ordinal: 0 } parameter
            || parameter.OriginalDefinition.Type is not ITypeParameterSymbol
            || !IsSendMethod(invocation.TargetMethod)
            || !IsMutableReferenceType(TypeState.TypeStateSymbols.Unwrap(argument.Value).Type))
        {
            return false;
        }

        return !invocation.TargetMethod.Name.StartsWith("Try", System.StringComparison.Ordinal) || ResultIsDropped(invocation);
    }

    // tx.TrySend(x); / _ = tx.TrySend(x); / await tx.TrySendAsync(x, t); (also ConfigureAwait).
    private static bool ResultIsDropped(IInvocationOperation invocation)
    {
        IOperation current = invocation;
        while (true)
        {
            var parent = current.Parent;
            switch (parent)
            {
                case IExpressionStatementOperation:
                    return true;
                case ISimpleAssignmentOperation { Target: IDiscardOperation } discard when discard.Value == current:
                    return discard.Parent is IExpressionStatementOperation;
                case IAwaitOperation:
                case IConversionOperation { IsImplicit: true }:
                case IInvocationOperation { TargetMethod.Name: "ConfigureAwait" } configured when configured.Instance == current:
                    current = parent!;
                    continue;
                default:
                    return false;
            }
        }
    }

    /// <summary>
    /// Whether values of <paramref name="type"/> can be changed through a reference, so that
    /// two owners of one value race: arrays, the mutable BCL collections and
    /// <c>StringBuilder</c>, interfaces that expose mutation (<c>IList&lt;T&gt;</c>,
    /// <c>ICollection&lt;T&gt;</c>, <c>IDictionary&lt;K,V&gt;</c>, <c>ISet&lt;T&gt;</c>), and
    /// classes with a settable field or property (declared in source: any non-readonly instance
    /// field) that hold no synchronization primitive.
    /// </summary>
    public bool IsMutableReferenceType(ITypeSymbol? type) =>
        type is not null && _mutable.GetOrAdd(type, ComputeIsMutable);

    private static bool ComputeIsMutable(ITypeSymbol type)
    {
        switch (type)
        {
            case IArrayTypeSymbol:
                return true;
            case ITypeParameterSymbol or IDynamicTypeSymbol or IPointerTypeSymbol or IFunctionPointerTypeSymbol:
                return false;
        }

        if (type is not INamedTypeSymbol named
            || type.IsValueType
            || type.SpecialType is SpecialType.System_String or SpecialType.System_Object
            || named.TypeKind is TypeKind.Delegate or TypeKind.Enum or TypeKind.Error
            || IsShareable(named))
        {
            return false;
        }

        var definition = named.OriginalDefinition;
        var ns = definition.ContainingNamespace?.ToDisplayString();
        if (named.TypeKind == TypeKind.Interface)
        {
            return ns == "System.Collections.Generic" && definition.MetadataName is "IList`1" or "ICollection`1" or "IDictionary`2" or "ISet`1";
        }

        if (IsMutableContainer(named))
        {
            return true;
        }

        if (named.TypeKind != TypeKind.Class)
        {
            return false;
        }

        // A class is mutable when some state can be changed after construction: a field that
        // is not readonly, a property with a setter, or a readonly field or property holding
        // a mutable container. Members of referenced assemblies are visible only when public.
        // A class that holds a synchronization primitive guards its own state: not reported.
        var inSource = definition.Locations.Any(l => l.IsInSource);
        var mutable = false;
        for (var t = named; t is not null && t.SpecialType != SpecialType.System_Object; t = t.BaseType)
        {
            foreach (var member in t.GetMembers())
            {
                switch (member)
                {
                    case IFieldSymbol { IsStatic: false, IsConst: false } field:
                        if (IsSynchronization(field.Type))
                        {
                            return false;
                        }

                        if (inSource || field.DeclaredAccessibility == Accessibility.Public)
                        {
                            mutable |= !field.IsReadOnly || IsMutableContainer(field.Type);
                        }

                        break;

                    case IPropertySymbol { IsStatic: false } property:
                        if (property.SetMethod is { IsInitOnly: false } setter && (setter.DeclaredAccessibility == Accessibility.Public || inSource))
                        {
                            mutable = true;
                        }

                        if (property.GetMethod is { } getter && (getter.DeclaredAccessibility == Accessibility.Public || inSource) && IsMutableContainer(property.Type))
                        {
                            mutable = true;
                        }

                        break;
                }
            }
        }

        return mutable;
    }

    // Arrays, the mutable BCL collections, StringBuilder.
    private static bool IsMutableContainer(ITypeSymbol type)
    {
        if (type is IArrayTypeSymbol)
        {
            return true;
        }

        if (type is not INamedTypeSymbol { TypeKind: TypeKind.Class } named)
        {
            return false;
        }

        var ns = named.OriginalDefinition.ContainingNamespace?.ToDisplayString();
        return ns is "System.Collections.Generic" or "System.Collections"
            || ns == "System.Text" && named.Name == "StringBuilder";
    }

    // Types that are safe to share by design, whatever their members.
    private static bool IsShareable(INamedTypeSymbol type)
    {
        for (var t = type; t is not null; t = t.BaseType)
        {
            var ns = t.OriginalDefinition.ContainingNamespace?.ToDisplayString();
            if (ns is "System.Collections.Immutable" or "System.Collections.Frozen" or "System.Collections.Concurrent"
                || t.Name == "Exception" && ns == "System"
                || t.Name == "Task" && ns == "System.Threading.Tasks"
                || t.GetAttributes().Any(a => a.AttributeClass?.Name is "ThreadSafeAttribute" or "ImmutableObjectAttribute"))
            {
                return true;
            }
        }

        return false;
    }

    // A field of one of these types (or a plain object, kept to lock on) means the class
    // synchronizes its own state.
    private static bool IsSynchronization(ITypeSymbol type)
    {
        if (type.SpecialType == SpecialType.System_Object)
        {
            return true; // a lock object
        }

        var ns = type.OriginalDefinition.ContainingNamespace?.ToDisplayString();
        return ns is "System.Threading" or "System.Collections.Concurrent"
            || ns == "ConcurrencySafety" && type.Name is "Locked" or "RwLocked" or "PermitSemaphore";
    }
}
