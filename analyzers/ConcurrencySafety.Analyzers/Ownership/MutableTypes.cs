using System.Collections.Concurrent;
using System.Runtime.CompilerServices;
using Microsoft.CodeAnalysis;

namespace ConcurrencySafety.Analyzers.Ownership;

/// <summary>
/// Which types two owners cannot share without synchronization: the ownership rules (CSA2010
/// moves on send, CSA2011 guard data escaping) report only values of these types. One table per
/// compilation, cached per type.
/// </summary>
/// <remarks>
/// Precision first: type parameters, interfaces that do not expose mutation
/// (<c>IEnumerable&lt;T&gt;</c>, <c>IReadOnlyList&lt;T&gt;</c>), <c>object</c>, strings,
/// delegates, exceptions, tasks, value types, the immutable and concurrent collections, types
/// marked with an attribute named <c>ThreadSafe</c> (or <c>ImmutableObject</c>) and classes that
/// hold a synchronization primitive or a lock object are all treated as shareable.
/// </remarks>
internal sealed class MutableTypes
{
    private static readonly ConditionalWeakTable<Compilation, MutableTypes> PerCompilation = new();

    private readonly ConcurrentDictionary<ITypeSymbol, bool> _mutable = new(SymbolEqualityComparer.Default);

    private MutableTypes()
    {
    }

    /// <summary>The table of <paramref name="compilation"/>.</summary>
    public static MutableTypes For(Compilation compilation) => PerCompilation.GetValue(compilation, static _ => new MutableTypes());

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
