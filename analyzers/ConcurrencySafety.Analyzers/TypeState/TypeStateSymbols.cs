using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Operations;

namespace ConcurrencySafety.Analyzers.TypeState;

/// <summary>
/// The well-known types the type-state rules (CSA3xxx) depend on, resolved once per
/// compilation, and the questions the rules ask about them.
/// </summary>
internal sealed class TypeStateSymbols
{
    /// <summary>Metadata name of <c>ConcurrencySafety.ConsumesAttribute</c>.</summary>
    public const string ConsumesAttributeName = "ConcurrencySafety.ConsumesAttribute";

    /// <summary>Metadata name of <c>ConcurrencySafety.MustConsumeAttribute</c>.</summary>
    public const string MustConsumeAttributeName = "ConcurrencySafety.MustConsumeAttribute";

    /// <summary>Metadata name of <c>ConcurrencySafety.ITypeState</c>.</summary>
    public const string TypeStateInterfaceName = "ConcurrencySafety.ITypeState";

    private TypeStateSymbols(INamedTypeSymbol? consumes, INamedTypeSymbol? mustConsume, INamedTypeSymbol? typeState, Ownership.SendMoves sends)
    {
        Consumes = consumes;
        MustConsume = mustConsume;
        TypeState = typeState;
        Sends = sends;
    }

    // Per-compilation caches: the same few methods and types are asked about again and again
    // (every call site, every fixed-point iteration).
    private readonly ConcurrentDictionary<IMethodSymbol, bool> _isConsuming = new(SymbolEqualityComparer.Default);
    private readonly ConcurrentDictionary<IMethodSymbol, bool> _consumesReceiver = new(SymbolEqualityComparer.Default);
    private readonly ConcurrentDictionary<IParameterSymbol, bool> _consumesParameter = new(SymbolEqualityComparer.Default);
    private readonly ConcurrentDictionary<ITypeSymbol, bool> _isMustConsume = new(SymbolEqualityComparer.Default);

    public INamedTypeSymbol? TypeState { get; }

    public INamedTypeSymbol? Consumes { get; }

    public INamedTypeSymbol? MustConsume { get; }

    /// <summary>The channel sends that move their item (CSA2010), a consumption the attributes do not spell out.</summary>
    public Ownership.SendMoves Sends { get; }

    public static TypeStateSymbols Create(Compilation compilation) => new(
        compilation.GetTypeByMetadataName(ConsumesAttributeName),
        compilation.GetTypeByMetadataName(MustConsumeAttributeName),
        compilation.GetTypeByMetadataName(TypeStateInterfaceName),
        new Ownership.SendMoves(compilation));

    /// <summary>Whether the receiver (or, for an extension method, its <c>this</c> argument) is consumed.</summary>
    public bool ConsumesReceiver(IMethodSymbol method) =>
        Consumes is not null && _consumesReceiver.GetOrAdd(method, ComputeConsumesReceiver);

    private bool ComputeConsumesReceiver(IMethodSymbol method)
    {
        foreach (var source in ContractSources(method))
        {
            if (HasAttribute(source, Consumes)
                || (source.IsExtensionMethod && source.Parameters.Length > 0 && HasAttribute(source.Parameters[0], Consumes)))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>Whether the argument passed to <paramref name="parameter"/> is consumed.</summary>
    public bool ConsumesParameter(IParameterSymbol parameter) =>
        Consumes is not null && _consumesParameter.GetOrAdd(parameter, ComputeConsumesParameter);

    private bool ComputeConsumesParameter(IParameterSymbol parameter)
    {
        if (parameter.ContainingSymbol is not IMethodSymbol method)
        {
            return false;
        }

        // [Consumes] on an extension method consumes its 'this' argument.
        if (parameter.Ordinal == 0 && method.IsExtensionMethod && ConsumesReceiver(method))
        {
            return true;
        }

        foreach (var source in ContractSources(method))
        {
            if (parameter.Ordinal < source.Parameters.Length && HasAttribute(source.Parameters[parameter.Ordinal], Consumes))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>Whether a call to <paramref name="method"/> consumes anything (the cheap filter; cached).</summary>
    public bool IsConsuming(IMethodSymbol method)
    {
        if (Consumes is null)
        {
            return false;
        }

        return _isConsuming.GetOrAdd(method, m => ConsumesReceiver(m) || m.Parameters.Any(ConsumesParameter));
    }

    /// <summary>
    /// The declarations whose <c>[Consumes]</c> contract a method carries: itself, what it
    /// overrides, and the interface members it implements (the attribute is inherited).
    /// </summary>
    private static IEnumerable<IMethodSymbol> ContractSources(IMethodSymbol method)
    {
        var start = (method.ReducedFrom ?? method).OriginalDefinition;
        for (var m = start; m is not null; m = m.OverriddenMethod?.OriginalDefinition)
        {
            yield return m;
        }

        if (start.IsStatic || start.ContainingType is not { } type)
        {
            yield break;
        }

        foreach (var explicitImplementation in start.ExplicitInterfaceImplementations)
        {
            yield return explicitImplementation.OriginalDefinition;
        }

        foreach (var contract in type.AllInterfaces)
        {
            foreach (var member in contract.GetMembers(start.Name))
            {
                if (member is IMethodSymbol interfaceMethod
                    && SymbolEqualityComparer.Default.Equals(type.FindImplementationForInterfaceMember(interfaceMethod)?.OriginalDefinition, start))
                {
                    yield return interfaceMethod.OriginalDefinition;
                }
            }
        }
    }

    /// <summary>Whether values of <paramref name="type"/> must be consumed, disposed, returned or stored.</summary>
    public bool IsMustConsume(ITypeSymbol? type) =>
        MustConsume is not null && type is not null && _isMustConsume.GetOrAdd(type, ComputeIsMustConsume);

    private bool ComputeIsMustConsume(ITypeSymbol type)
    {

        for (var t = type as INamedTypeSymbol; t is not null; t = t.BaseType)
        {
            if (HasAttribute(t.OriginalDefinition, MustConsume))
            {
                return true;
            }

            // StateMachine<Running> is must-consume when its phantom state Running is: the
            // obligation belongs to the state, so a final state can be dropped freely.
            foreach (var argument in t.TypeArguments)
            {
                if (TypeState is not null && argument.AllInterfaces.Contains(TypeState, SymbolEqualityComparer.Default) && HasAttribute(argument.OriginalDefinition, MustConsume))
                {
                    return true;
                }
            }
        }

        return false;
    }

    /// <summary>Whether <paramref name="operation"/> produces a fresh must-consume value that the caller now owns.</summary>
    public bool ProducesMustConsumeValue(IOperation operation)
    {
        operation = Unwrap(operation);
        return operation switch
        {
            IObjectCreationOperation create => IsMustConsume(create.Type),
            IInvocationOperation call => !call.TargetMethod.ReturnsByRef && !call.TargetMethod.ReturnsByRefReadonly && IsMustConsume(call.Type),
            IAwaitOperation awaited => awaited.Operation is IInvocationOperation && IsMustConsume(awaited.Type),
            _ => false,
        };
    }

    /// <summary>Whether the call is <c>Dispose()</c> or <c>DisposeAsync()</c>, which is idempotent and never a use.</summary>
    public static bool IsDisposeCall(IInvocationOperation call) =>
        call.TargetMethod is { Parameters.Length: 0, IsStatic: false, Name: "Dispose" or "DisposeAsync" };

    /// <summary>Strips conversions and parentheses that do not change which value is referenced.</summary>
    public static IOperation Unwrap(IOperation operation)
    {
        while (true)
        {
            switch (operation)
            {
                case IConversionOperation { OperatorMethod: null } conversion:
                    operation = conversion.Operand;
                    continue;
                case IParenthesizedOperation parenthesized:
                    operation = parenthesized.Operand;
                    continue;
                default:
                    return operation;
            }
        }
    }

    private static bool HasAttribute(ISymbol symbol, INamedTypeSymbol? attribute)
    {
        foreach (var data in symbol.GetAttributes())
        {
            if (SymbolEqualityComparer.Default.Equals(data.AttributeClass, attribute))
            {
                return true;
            }
        }

        return false;
    }
}
