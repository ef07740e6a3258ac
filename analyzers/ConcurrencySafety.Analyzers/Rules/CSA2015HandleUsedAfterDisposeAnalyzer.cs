using ConcurrencySafety.Analyzers.TypeState;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Diagnostics;

namespace ConcurrencySafety.Analyzers.Rules;

/// <summary>
/// CSA2015: a channel <c>Sender&lt;T&gt;</c> or <c>Receiver&lt;T&gt;</c> local (or parameter,
/// or field of <c>this</c>) used on some path after it was disposed: after <c>x.Dispose()</c>,
/// or after the <c>using (x)</c> block ended, before it is assigned a new handle. Any use of a
/// disposed handle but <c>Dispose</c> throws <c>ObjectDisposedException</c>.
/// </summary>
/// <remarks>
/// The flow analysis is the type-state rules' (<see cref="ConsumeFlowAnalysis"/>): disposing a
/// handle is recorded like a consumption, and a second <c>Dispose</c> is not a use.
/// </remarks>
[DiagnosticAnalyzer(LanguageNames.CSharp)]
public sealed class CSA2015HandleUsedAfterDisposeAnalyzer : ConsumeFlowAnalyzerBase
{
    internal static readonly DiagnosticDescriptor Descriptor = new(
        RuleIdentifiers.HandleUsedAfterDispose,
        title: "Channel handle used after it was disposed",
        messageFormat: "'{0}' is used here after it was disposed ({1}, {2}): a disposed sender or receiver throws ObjectDisposedException; use it inside its using block, or keep a Clone()",
        category: "Concurrency",
        defaultSeverity: DiagnosticSeverity.Error,
        isEnabledByDefault: true,
        description: "Disposing a Sender<T> or Receiver<T> gives up the handle: the channel closes when the last sender is disposed, and the handle itself throws ObjectDisposedException on any later use but Dispose. "
            + "A use after the end of using (x) { ... }, or after x.Dispose() on some path, fails at run time. Move the use into the using block, or give the code that still needs the channel its own Clone().",
        helpLinkUri: RuleIdentifiers.GetHelpUri(RuleIdentifiers.HandleUsedAfterDispose));

    private protected override DiagnosticDescriptor Rule => Descriptor;

    private protected override ConsumeFindingKind Kind => ConsumeFindingKind.UseAfterDispose;
}
