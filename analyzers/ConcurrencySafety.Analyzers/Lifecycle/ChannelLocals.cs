using System.Collections.Immutable;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Operations;

namespace ConcurrencySafety.Analyzers.Lifecycle;

/// <summary>A sender or receiver local whose channel the rules know.</summary>
internal sealed class ChannelLocal
{
    public ChannelLocal(ILocalSymbol local, IOperation channel, IOperation declaration, Location location, bool isSender)
    {
        Local = local;
        Channel = channel;
        Declaration = declaration;
        Location = location;
        IsSender = isSender;
    }

    public ILocalSymbol Local { get; }

    /// <summary>The operation that created the channel (the deconstruction of <c>Chan.Bounded</c> and friends): identifies the channel.</summary>
    public IOperation Channel { get; }

    /// <summary>The operation that declares the local (a deconstruction element or a declarator).</summary>
    public IOperation Declaration { get; }

    /// <summary>Where the local is declared (its name).</summary>
    public Location Location { get; }

    public bool IsSender { get; }
}

/// <summary>
/// Finds, in one member, the senders and receivers whose channel is known: declared by
/// deconstructing <c>Chan.Bounded/Unbounded/Rendezvous</c>, or by <c>Clone()</c> of such a
/// local; plus sender clones of any other sender (parameter, field), whose channel is unknown
/// (each such clone is its own "channel", so it never matches a receiver). Handles reached any other way (parameters, fields, tuple locals) are not tracked, so
/// the rules built on this stay silent about them.
/// </summary>
internal static class ChannelLocals
{
    public static ImmutableArray<ChannelLocal> Find(IOperation root, LifecycleTypes types)
    {
        var result = ImmutableArray.CreateBuilder<ChannelLocal>();
        var byLocal = new Dictionary<ILocalSymbol, ChannelLocal>(SymbolEqualityComparer.Default);

        // Operations come in source order, so a clone's source is seen before the clone.
        foreach (var operation in root.Descendants())
        {
            switch (operation)
            {
                case IDeconstructionAssignmentOperation deconstruction
                    when Strip(deconstruction.Value) is IInvocationOperation { TargetMethod: { } factory }
                        && SymbolEqualityComparer.Default.Equals(factory.ContainingType, types.Chan)
                        && factory.Name is "Bounded" or "Unbounded" or "Rendezvous":
                    var target = deconstruction.Target is IDeclarationExpressionOperation declaration ? declaration.Expression : deconstruction.Target;
                    if (target is ITupleOperation { Elements.Length: 2 } tuple)
                    {
                        for (var i = 0; i < 2; i++)
                        {
                            if (tuple.Elements[i] is ILocalReferenceOperation { IsDeclaration: true } element)
                            {
                                var local = new ChannelLocal(element.Local, deconstruction, element, element.Syntax.GetLocation(), isSender: i == 0);
                                byLocal[element.Local] = local;
                                result.Add(local);
                            }
                        }
                    }

                    break;

                case IVariableDeclaratorOperation { Initializer.Value: { } value } declarator
                    when Strip(value) is IInvocationOperation { TargetMethod.Name: "Clone", Arguments.Length: 0, Instance: ILocalReferenceOperation source }
                        && byLocal.TryGetValue(source.Local, out var original)
                        && (types.IsSender(declarator.Symbol.Type) || types.IsReceiver(declarator.Symbol.Type)):
                    var identifier = declarator.Syntax is VariableDeclaratorSyntax syntax ? syntax.Identifier.GetLocation() : declarator.Syntax.GetLocation();
                    var clone = new ChannelLocal(declarator.Symbol, original.Channel, declarator, identifier, original.IsSender);
                    byLocal[declarator.Symbol] = clone;
                    result.Add(clone);
                    break;

                // A clone of a sender the method did not create (a parameter, a field): the
                // clone is still owned here. Its channel is unknown, so the declaration stands
                // for it and no receiver of this method is matched with it.
                case IVariableDeclaratorOperation { Initializer.Value: { } value } declarator
                    when Strip(value) is IInvocationOperation { TargetMethod.Name: "Clone", Arguments.Length: 0, Instance: { } instance }
                        && !(Strip(instance) is ILocalReferenceOperation known && byLocal.ContainsKey(known.Local))
                        && types.IsSender(instance.Type)
                        && types.IsSender(declarator.Symbol.Type):
                    var name = declarator.Syntax is VariableDeclaratorSyntax named ? named.Identifier.GetLocation() : declarator.Syntax.GetLocation();
                    var foreign = new ChannelLocal(declarator.Symbol, declarator, declarator, name, isSender: true);
                    byLocal[declarator.Symbol] = foreign;
                    result.Add(foreign);
                    break;
            }
        }

        return result.ToImmutable();
    }

    /// <summary>
    /// Whether <paramref name="sender"/> is a sender local of a channel created in this member
    /// by <c>Chan.Unbounded</c> (directly, or a clone of such a local), never reassigned: a
    /// send on it never waits.
    /// </summary>
    public static bool IsUnboundedSender(ILocalSymbol sender, IOperation root, LifecycleTypes types)
    {
        var found = false;
        foreach (var local in Find(root, types))
        {
            if (local.IsSender
                && SymbolEqualityComparer.Default.Equals(local.Local, sender)
                && local.Channel is IDeconstructionAssignmentOperation { Value: var value }
                && Strip(value) is IInvocationOperation { TargetMethod.Name: "Unbounded" })
            {
                found = true;
            }
        }

        return found && !IsReassigned(sender, root);
    }

    /// <summary>Whether <paramref name="local"/> is written anywhere in <paramref name="root"/> other than by its declaration.</summary>
    public static bool IsReassigned(ILocalSymbol local, IOperation root)
    {
        foreach (var operation in root.Descendants())
        {
            if (operation is ILocalReferenceOperation { IsDeclaration: false } reference
                && SymbolEqualityComparer.Default.Equals(reference.Local, local))
            {
                IOperation current = reference;
                while (current.Parent is ITupleOperation or IConversionOperation { IsImplicit: true })
                {
                    current = current.Parent;
                }

                var parent = current.Parent;
                if (parent is IAssignmentOperation assignment && assignment.Target == current
                    || parent is IArgumentOperation { Parameter.RefKind: RefKind.Ref or RefKind.Out })
                {
                    return true;
                }
            }
        }

        return false;
    }

    public static IOperation Strip(IOperation operation)
    {
        while (operation is IConversionOperation { IsImplicit: true } conversion)
        {
            operation = conversion.Operand;
        }

        return operation;
    }
}
