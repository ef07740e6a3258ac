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
/// <see cref="MutableTypes"/>). A <c>Try</c> form whose result is looked at moves
/// nothing the rule can know of: when it fails, the caller still owns the item (a
/// <c>SendResult</c> even gives it back), and the rule does not evaluate which branch is which.
/// Only a <c>Try</c> form whose result is dropped moves the item: it may have been sent.</para>
/// </remarks>
internal sealed class SendMoves
{
    private readonly INamedTypeSymbol? _sender;
    private readonly INamedTypeSymbol? _channelWriter;
    private readonly INamedTypeSymbol? _receiver;
    private readonly MutableTypes _mutable;

    public SendMoves(Compilation compilation)
    {
        _sender = compilation.GetTypeByMetadataName("ConcurrencySafety.Sender`1");
        _receiver = compilation.GetTypeByMetadataName("ConcurrencySafety.Receiver`1");
        _channelWriter = compilation.GetTypeByMetadataName("System.Threading.Channels.ChannelWriter`1");
        _mutable = MutableTypes.For(compilation);
    }

    /// <summary>Whether <paramref name="type"/> is the library's <c>Sender&lt;T&gt;</c> or <c>Receiver&lt;T&gt;</c> (any use but Dispose throws once disposed).</summary>
    public bool IsChannelHandle(ITypeSymbol? type) =>
        type is not null
        && (_sender is not null && SymbolEqualityComparer.Default.Equals(type.OriginalDefinition, _sender)
            || _receiver is not null && SymbolEqualityComparer.Default.Equals(type.OriginalDefinition, _receiver));

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
            || !_mutable.IsMutableReferenceType(TypeState.TypeStateSymbols.Unwrap(argument.Value).Type))
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
}
