using System.Collections.Immutable;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Operations;

namespace ConcurrencySafety.Analyzers.Infrastructure;

/// <summary>What an access path starts from.</summary>
internal enum PathRoot
{
    /// <summary>The instance the code runs on (<c>this</c>, explicit or implicit).</summary>
    This,

    /// <summary>A static field: the first member is the field, shared by every thread.</summary>
    Static,

    /// <summary>A local or parameter (<see cref="AccessPath.Variable"/>).</summary>
    Variable,
}

/// <summary>
/// A storage location named the way the code reaches it: <c>this._state.Count</c>,
/// <c>Stats.s_total</c>, <c>holder.Inner.Value</c>. Members are fields, or auto-properties
/// standing for their backing fields. Two accesses race only if their paths are equal; a
/// path through a value the analysis cannot name (a call result, an element) is never built,
/// so such accesses are left alone rather than guessed at.
/// </summary>
internal sealed class AccessPath : System.IEquatable<AccessPath>
{
    private const int MaxLength = 6;

    private AccessPath(PathRoot root, ISymbol? variable, ImmutableArray<ISymbol> members)
    {
        Root = root;
        Variable = variable;
        Members = members;
    }

    public static AccessPath This { get; } = new(PathRoot.This, null, ImmutableArray<ISymbol>.Empty);

    public PathRoot Root { get; }

    /// <summary>The local or parameter the path starts from, for <see cref="PathRoot.Variable"/>.</summary>
    public ISymbol? Variable { get; }

    public ImmutableArray<ISymbol> Members { get; }

    /// <summary>The last member, or the variable for a bare variable path.</summary>
    public ISymbol? Last => Members.IsEmpty ? Variable : Members[Members.Length - 1];

    public static AccessPath ForVariable(ISymbol variable) => new(PathRoot.Variable, variable, ImmutableArray<ISymbol>.Empty);

    public static AccessPath ForStatic(ISymbol member) => new(PathRoot.Static, null, ImmutableArray.Create(member));

    public AccessPath? Append(ISymbol member) =>
        Members.Length >= MaxLength ? null : new AccessPath(Root, Variable, Members.Add(member));

    /// <summary>This path with its root replaced by <paramref name="prefix"/>.</summary>
    public AccessPath? Rebase(AccessPath prefix)
    {
        if (prefix.Members.Length + Members.Length > MaxLength)
        {
            return null;
        }

        return new AccessPath(prefix.Root, prefix.Variable, prefix.Members.AddRange(Members));
    }

    /// <summary>
    /// The path of <paramref name="operation"/> when it names a location: <c>this</c>, a local,
    /// a parameter, a field or an auto-property reached through one of those. Value-type
    /// receivers are part of their container (writing <c>s.X</c> writes <c>s</c>), so a member of
    /// a struct-typed path is not a path of its own.
    /// </summary>
    public static AccessPath? Of(IOperation? operation, AutoProperties autoProperties)
    {
        switch (operation)
        {
            case IConversionOperation { Conversion.IsIdentity: true } conversion:
                return Of(conversion.Operand, autoProperties);
            case IParenthesizedOperation parenthesized:
                return Of(parenthesized.Operand, autoProperties);
            case IInstanceReferenceOperation:
                return This;
            case ILocalReferenceOperation local when !local.Local.IsRef:
                return ForVariable(local.Local);
            case IParameterReferenceOperation parameter when parameter.Parameter.RefKind == RefKind.None:
                return ForVariable(parameter.Parameter);
            case IFieldReferenceOperation field when !field.Field.IsConst:
                return Member(field.Field, field.Field.IsStatic, field.Instance, autoProperties);
            case IPropertyReferenceOperation property when property.Arguments.IsEmpty && autoProperties.IsAuto(property.Property):
                return Member(property.Property, property.Property.IsStatic, property.Instance, autoProperties);
            default:
                return null;
        }
    }

    private static AccessPath? Member(ISymbol member, bool isStatic, IOperation? instance, AutoProperties autoProperties)
    {
        if (isStatic)
        {
            return ForStatic(member);
        }

        if (instance?.Type is { IsValueType: true } && instance is not IInstanceReferenceOperation)
        {
            return null;
        }

        return Of(instance, autoProperties)?.Append(member);
    }

    /// <summary>The text users read in messages: <c>_state.Count</c>, <c>holder.Inner</c>.</summary>
    public string Display()
    {
        var builder = new System.Text.StringBuilder();
        if (Root == PathRoot.Variable && Variable is not null)
        {
            builder.Append(Variable.Name);
        }

        foreach (var member in Members)
        {
            if (builder.Length > 0)
            {
                builder.Append('.');
            }

            builder.Append(member.Name);
        }

        return builder.ToString();
    }

    public bool Equals(AccessPath? other)
    {
        if (other is null || other.Root != Root || other.Members.Length != Members.Length
            || !SymbolEqualityComparer.Default.Equals(Variable, other.Variable))
        {
            return false;
        }

        for (var i = 0; i < Members.Length; i++)
        {
            if (!SymbolEqualityComparer.Default.Equals(Members[i].OriginalDefinition, other.Members[i].OriginalDefinition))
            {
                return false;
            }
        }

        return true;
    }

    public override bool Equals(object? obj) => obj is AccessPath other && Equals(other);

    public override int GetHashCode()
    {
        var hash = (int)Root * 31 + (Variable is null ? 0 : SymbolEqualityComparer.Default.GetHashCode(Variable));
        foreach (var member in Members)
        {
            hash = hash * 397 ^ SymbolEqualityComparer.Default.GetHashCode(member.OriginalDefinition);
        }

        return hash;
    }

    public override string ToString() => Display();
}
