using ConcurrencySafety.Analyzers.Ownership;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Diagnostics;

namespace ConcurrencySafety.Analyzers.Rules;

/// <summary>
/// CSA2011: a reference into the data of a <c>Locked&lt;T&gt;</c>/<c>RwLocked&lt;T&gt;</c>
/// guard (its <c>Value</c>, or a mutable object reached from it), or a lambda that captures the
/// guard or such a reference, escapes the guard's lifetime: returned, stored in a field, a
/// property, an <c>out</c> parameter or a variable of an enclosing function, or kept in a local
/// that is used after the guard was released. Code outside the lock can then reach the
/// protected data. See <see cref="GuardFlow"/>.
/// </summary>
[DiagnosticAnalyzer(LanguageNames.CSharp)]
public sealed class CSA2011GuardDataEscapesAnalyzer : GuardFlowAnalyzerBase
{
    internal static readonly DiagnosticDescriptor Descriptor = new(
        RuleIdentifiers.GuardDataEscapes,
        title: "Guarded data escapes its guard",
        messageFormat: "{0} {1}: code outside the lock can reach the protected data; copy what you need (for example ToList()) while the guard is held",
        category: "Concurrency",
        defaultSeverity: DiagnosticSeverity.Error,
        isEnabledByDefault: true,
        description: "Locked<T> and RwLocked<T> make their data reachable only through a guard, so that every access holds the lock. A reference to a mutable object inside the data (g.Value itself, or a list reached from it) "
            + "that is returned, stored in a field or an outer variable, or used after the guard was disposed, lets other code read and change the data without the lock: a data race the lock was meant to rule out. "
            + "Copy the data out while holding the guard (g.Value.ToList(), new List<T>(g.Value)), or do the work inside the guarded block.",
        helpLinkUri: RuleIdentifiers.GetHelpUri(RuleIdentifiers.GuardDataEscapes));

    private protected override DiagnosticDescriptor Rule => Descriptor;

    private protected override GuardFindingKind Kind => GuardFindingKind.DataEscapes;
}
