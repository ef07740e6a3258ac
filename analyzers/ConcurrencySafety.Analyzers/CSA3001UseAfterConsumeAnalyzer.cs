using ConcurrencySafety.Analyzers.TypeState;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Diagnostics;

namespace ConcurrencySafety.Analyzers;

/// <summary>
/// CSA3001: a variable is read, called or passed after a <c>[Consumes]</c> call consumed its
/// value on some path (Rust's E0382, "value used here after move").
/// </summary>
[DiagnosticAnalyzer(LanguageNames.CSharp)]
public sealed class CSA3001UseAfterConsumeAnalyzer : ConsumeFlowAnalyzerBase
{
    internal static readonly DiagnosticDescriptor Descriptor = new(
        RuleIdentifiers.UseAfterConsume,
        title: "Value used after it was consumed",
        messageFormat: "'{0}' is used here after it was consumed by '{1}' ({2})",
        category: "TypeState",
        defaultSeverity: DiagnosticSeverity.Error,
        isEnabledByDefault: true,
        description: "A call marked [Consumes] takes ownership of its receiver or argument, the way a Rust method taking self moves it. Using the variable afterwards, on any path, works on a value that now belongs elsewhere: a type-state machine in a state it has left, a builder that was already built, a sender moved into another task. Use the value the consuming call returned, or assign the variable a new value first.",
        helpLinkUri: RuleIdentifiers.GetHelpUri(RuleIdentifiers.UseAfterConsume));

    private protected override DiagnosticDescriptor Rule => Descriptor;

    private protected override ConsumeFindingKind Kind => ConsumeFindingKind.UseAfterConsume;
}
