using ConcurrencySafety.Analyzers.Ownership;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Diagnostics;

namespace ConcurrencySafety.Analyzers.Rules;

/// <summary>
/// CSA2013: a guard acquired by a blocking call (<c>Lock()</c>, <c>Read()</c>, <c>Write()</c>,
/// or a <c>Try</c> form) is still held at an <c>await</c>. <c>LockAsync</c> and friends, meant
/// for exactly this, are not reported. See <see cref="GuardFlow"/>.
/// </summary>
[DiagnosticAnalyzer(LanguageNames.CSharp)]
public sealed class CSA2013SyncGuardAcrossAwaitAnalyzer : GuardFlowAnalyzerBase
{
    internal static readonly DiagnosticDescriptor Descriptor = new(
        RuleIdentifiers.SyncGuardAcrossAwait,
        title: "Blocking lock held across await",
        messageFormat: "Guard '{0}' is taken by the blocking '{1}' and still held at the await on line {2}: acquiring blocks a pool thread, and every other waiter blocks a thread for as long as this method is suspended; use '{3}'",
        category: "Concurrency",
        defaultSeverity: DiagnosticSeverity.Warning,
        isEnabledByDefault: true,
        description: "A lock held across await stays held while the method is suspended, possibly for a long time. With the blocking Lock(), Read() or Write(), the acquisition and every contending acquisition block a thread-pool thread for all that time, "
            + "which starves the pool. Acquire with LockAsync(), ReadAsync() or WriteAsync() when the guarded region awaits; or release the guard before the await.",
        helpLinkUri: RuleIdentifiers.GetHelpUri(RuleIdentifiers.SyncGuardAcrossAwait));

    private protected override DiagnosticDescriptor Rule => Descriptor;

    private protected override GuardFindingKind Kind => GuardFindingKind.SyncGuardAcrossAwait;
}
