using ConcurrencySafety.Analyzers.Ownership;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Diagnostics;

namespace ConcurrencySafety.Analyzers.Rules;

/// <summary>
/// CSA2012: the data of an <c>RwLocked&lt;T&gt;.Read()</c> guard is changed: a member, indexer
/// or array element reached from it is assigned, or a mutating method of a BCL collection or
/// <c>StringBuilder</c> is called on it (<c>cache.Read().Value.Add(x)</c>). Readers hold the
/// lock together, so two of them mutating at once race. See <see cref="GuardFlow"/>.
/// </summary>
[DiagnosticAnalyzer(LanguageNames.CSharp)]
public sealed class CSA2012MutationThroughReadGuardAnalyzer : GuardFlowAnalyzerBase
{
    internal static readonly DiagnosticDescriptor Descriptor = new(
        RuleIdentifiers.MutationThroughReadGuard,
        title: "Data changed through a read guard",
        messageFormat: "{0} changes the data of {1}: several readers hold the lock at once, so this races with them; take a write guard (Write())",
        category: "Concurrency",
        defaultSeverity: DiagnosticSeverity.Error,
        isEnabledByDefault: true,
        description: "RwLocked<T>.Read() lets any number of readers in at the same time. Its Value is a readonly reference, but a reference type inside it (a List, a Dictionary, an object with setters) can still be changed, "
            + "and two readers doing so at once corrupt it. Changing the data needs the exclusive guard: Write() or WriteAsync().",
        helpLinkUri: RuleIdentifiers.GetHelpUri(RuleIdentifiers.MutationThroughReadGuard));

    private protected override DiagnosticDescriptor Rule => Descriptor;

    private protected override GuardFindingKind Kind => GuardFindingKind.MutationThroughReadGuard;
}
