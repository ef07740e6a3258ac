using ConcurrencySafety.Analyzers.TypeState;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Diagnostics;

namespace ConcurrencySafety.Analyzers;

/// <summary>
/// CSA3003 (warning): a value of a <c>[MustConsume]</c> type is discarded, or goes out of scope
/// on some path, without being consumed, disposed, returned or stored.
/// </summary>
[DiagnosticAnalyzer(LanguageNames.CSharp)]
public sealed class CSA3003MustConsumeDroppedAnalyzer : ConsumeFlowAnalyzerBase
{
    internal static readonly DiagnosticDescriptor Descriptor = new(
        RuleIdentifiers.MustConsumeDropped,
        title: "Must-consume value dropped",
        messageFormat: "This '{0}' must be consumed, disposed, returned or stored, but {1}",
        category: "TypeState",
        defaultSeverity: DiagnosticSeverity.Warning,
        isEnabledByDefault: true,
        description: "Types marked [MustConsume] carry an obligation: a transition result that is the only handle on the new state, a builder whose configuration is lost unless built, a resource that must be handed on. Dropping such a value is almost always a forgotten step. Consume it, dispose it, return it, store it, or assign it to '_' to drop it on purpose.",
        helpLinkUri: RuleIdentifiers.GetHelpUri(RuleIdentifiers.MustConsumeDropped));

    private protected override DiagnosticDescriptor Rule => Descriptor;

    private protected override ConsumeFindingKind Kind => ConsumeFindingKind.Dropped;
}
