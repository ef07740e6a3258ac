using ConcurrencySafety.Analyzers.TypeState;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Diagnostics;

namespace ConcurrencySafety.Analyzers.Rules;

/// <summary>
/// CSA2010: a value of a mutable reference type is sent on a channel (<c>Send</c>,
/// <c>SendAsync</c>, a <c>TrySend*</c> whose result is dropped, <c>ChannelWriter.WriteAsync</c>)
/// and the sender's code uses the same variable, or a certain alias of it, afterwards on some
/// path, before assigning it a new value. The receiver may be reading the object at that
/// moment: Rust's <c>send</c> moves the value, and this is its "use after move".
/// </summary>
/// <remarks>
/// The flow analysis is the type-state rules' (<see cref="ConsumeFlowAnalysis"/>): a send is
/// one more consuming call, so loops, aliases, <c>finally</c> regions and lambdas are handled
/// as they are for CSA3001. Which sends move, and which types count as mutable, is
/// <see cref="Ownership.SendMoves"/>.
/// </remarks>
[DiagnosticAnalyzer(LanguageNames.CSharp)]
public sealed class CSA2010ValueUsedAfterSendAnalyzer : ConsumeFlowAnalyzerBase
{
    internal static readonly DiagnosticDescriptor Descriptor = new(
        RuleIdentifiers.ValueUsedAfterSend,
        title: "Value used after it was sent",
        messageFormat: "'{0}' is used here after '{1}' sent it ({2}): the receiving side may be using the same object now; send a fresh value or a copy each time",
        category: "Concurrency",
        defaultSeverity: DiagnosticSeverity.Error,
        isEnabledByDefault: true,
        description: "Sending a mutable object (a List, an array, a class with settable state) on a channel hands it to the receiving side, which may read or change it at any time from then on. "
            + "If the sending code clears, refills or even reads it afterwards, both sides use one object without synchronization. In Rust, send moves the value and this does not compile. "
            + "Allocate a fresh value for every send (or send a copy), or assign the variable a new value before using it again. Immutable types, strings, value types and thread-safe types are not reported.",
        helpLinkUri: RuleIdentifiers.GetHelpUri(RuleIdentifiers.ValueUsedAfterSend));

    private protected override DiagnosticDescriptor Rule => Descriptor;

    private protected override ConsumeFindingKind Kind => ConsumeFindingKind.UseAfterSend;
}
