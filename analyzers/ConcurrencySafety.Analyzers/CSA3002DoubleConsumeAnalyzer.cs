using ConcurrencySafety.Analyzers.TypeState;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Diagnostics;

namespace ConcurrencySafety.Analyzers;

/// <summary>
/// CSA3002: a value that was already consumed is consumed again, for example a transition
/// called twice on the same machine or a consuming call in a loop.
/// </summary>
[DiagnosticAnalyzer(LanguageNames.CSharp)]
public sealed class CSA3002DoubleConsumeAnalyzer : ConsumeFlowAnalyzerBase
{
    internal static readonly DiagnosticDescriptor Descriptor = new(
        RuleIdentifiers.DoubleConsume,
        title: "Value consumed twice",
        messageFormat: "'{0}' is consumed here, but it was already consumed by '{1}' ({2})",
        category: "TypeState",
        defaultSeverity: DiagnosticSeverity.Error,
        isEnabledByDefault: true,
        description: "A value can be moved only once. Consuming it a second time (calling a transition twice on the same state, moving the same sender into two tasks, consuming in every iteration of a loop) hands the same ownership to two places. Consume the value returned by the first call, or create a fresh value for each consumer.",
        helpLinkUri: RuleIdentifiers.GetHelpUri(RuleIdentifiers.DoubleConsume));

    private protected override DiagnosticDescriptor Rule => Descriptor;

    private protected override ConsumeFindingKind Kind => ConsumeFindingKind.DoubleConsume;
}
