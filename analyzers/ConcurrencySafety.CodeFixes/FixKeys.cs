using System.Collections.Generic;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CodeActions;
using Microsoft.CodeAnalysis.CodeFixes;

namespace ConcurrencySafety.CodeFixes;

/// <summary>
/// Equivalence keys. Each rule has one default key, the rule ID: the first action a fixer
/// offers for a diagnostic always carries it, whatever the variant (Increment or Add, which
/// concurrent collection, await or run-in-place), so that a Fix All started from any one
/// diagnostic, and one <c>dotnet format analyzers</c> pass, applies the default fix of every
/// diagnostic of the rule. A second, alternative action for the same diagnostic (the task-scope
/// form of CSA2001) has a key of its own.
/// </summary>
internal static class FixKeys
{
    /// <summary>The key of the default fix of <paramref name="ruleId"/>.</summary>
    public static string Default(string ruleId) => ruleId;

    /// <summary>The key of an alternative fix of <paramref name="ruleId"/>.</summary>
    public static string Alternative(string ruleId, string name) => ruleId + "." + name;
}

/// <summary>
/// A Fix All provider that runs <paramref name="inner"/> with the rule's default key when the
/// request has no key. <c>dotnet format</c> takes the key from the first action offered for the
/// first diagnostic it finds; when that diagnostic has no fix (its shape is not mechanical), the
/// key is null and the batch fixer would match no action, so one unfixable diagnostic would
/// block every fixable one after it.
/// </summary>
internal sealed class DefaultKeyFixAllProvider(FixAllProvider inner) : FixAllProvider
{
    /// <summary>The batch fixer (independent fixes merged), with the default-key rule.</summary>
    public static FixAllProvider Batch { get; } = new DefaultKeyFixAllProvider(WellKnownFixAllProviders.BatchFixer);

    public override IEnumerable<FixAllScope> GetSupportedFixAllScopes() => inner.GetSupportedFixAllScopes();

    public override Task<CodeAction?> GetFixAsync(FixAllContext fixAllContext)
    {
        if (fixAllContext.CodeActionEquivalenceKey is not null || fixAllContext.DiagnosticIds.Count() != 1)
        {
            return inner.GetFixAsync(fixAllContext);
        }

        var key = FixKeys.Default(fixAllContext.DiagnosticIds.Single());
        var keyed = fixAllContext.Document is { } document
            ? new FixAllContext(document, fixAllContext.CodeFixProvider, fixAllContext.Scope, key, fixAllContext.DiagnosticIds, new Forwarding(fixAllContext), fixAllContext.CancellationToken)
            : new FixAllContext(fixAllContext.Project, fixAllContext.CodeFixProvider, fixAllContext.Scope, key, fixAllContext.DiagnosticIds, new Forwarding(fixAllContext), fixAllContext.CancellationToken);
        return inner.GetFixAsync(keyed);
    }

    /// <summary>Hands out the diagnostics of the original request.</summary>
    private sealed class Forwarding(FixAllContext original) : FixAllContext.DiagnosticProvider
    {
        public override async Task<IEnumerable<Diagnostic>> GetDocumentDiagnosticsAsync(Document document, CancellationToken cancellationToken) =>
            await original.WithCancellationToken(cancellationToken).GetDocumentDiagnosticsAsync(document).ConfigureAwait(false);

        public override async Task<IEnumerable<Diagnostic>> GetProjectDiagnosticsAsync(Project project, CancellationToken cancellationToken) =>
            await original.WithCancellationToken(cancellationToken).GetProjectDiagnosticsAsync(project).ConfigureAwait(false);

        public override async Task<IEnumerable<Diagnostic>> GetAllDiagnosticsAsync(Project project, CancellationToken cancellationToken) =>
            await original.WithCancellationToken(cancellationToken).GetAllDiagnosticsAsync(project).ConfigureAwait(false);
    }
}
