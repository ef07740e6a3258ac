using System.Collections.Immutable;
using ConcurrencySafety.Analyzers.Infrastructure;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Operations;

namespace ConcurrencySafety.Analyzers.Rules;

/// <summary>
/// CSA1001: a local or parameter captured by a concurrent body is written while another
/// instance of the body, another body, or the code that started it may use it.
/// </summary>
[DiagnosticAnalyzer(LanguageNames.CSharp)]
public sealed class CSA1001CapturedVariableWrittenConcurrentlyAnalyzer : RaceAnalyzerBase
{
    internal static readonly DiagnosticDescriptor Rule = new(
        RuleIdentifiers.CapturedVariableWrittenConcurrently,
        title: "Captured variable written concurrently",
        messageFormat: "Captured variable '{0}' {1}",
        category: "Concurrency",
        defaultSeverity: DiagnosticSeverity.Error,
        isEnabledByDefault: true,
        description: "A local or parameter captured by a lambda that runs concurrently (Task.Run, Parallel.For, new Thread, a spawn) is written while another thread may read or write it. "
            + "The result depends on timing: increments are lost and readers see stale or torn values. Use Interlocked, a lock, or give each task its own variable and combine the results after joining.",
        helpLinkUri: RuleIdentifiers.GetHelpUri(RuleIdentifiers.CapturedVariableWrittenConcurrently));

    public override ImmutableArray<DiagnosticDescriptor> SupportedDiagnostics => ImmutableArray.Create(Rule);

    private protected override void Analyze(ConcurrencyModel model, OperationBlockAnalysisContext context)
    {
        var accesses = new List<Access>();
        foreach (var reference in model.References)
        {
            ISymbol symbol;
            switch (reference)
            {
                case ILocalReferenceOperation { Local: { IsConst: false, IsRef: false } local }:
                    symbol = local;
                    break;
                case IParameterReferenceOperation { Parameter.RefKind: RefKind.None } parameter:
                    symbol = parameter.Parameter;
                    break;
                default:
                    continue;
            }

            if (AccessClassifier.ClassifyVariable(reference, model.Types) is not { } kind)
            {
                continue;
            }

            var body = model.InnermostBody(reference.Syntax);
            accesses.Add(new Access(new VariableKey(symbol, null), reference, kind, body, Access.CollectLocks(reference))
            {
                AfterAwait = body?.AwaitOrder?.IsAfterAwait(reference.Syntax) ?? false,
            });
        }

        // Captured variables written through local functions called from a body.
        foreach (var (reached, body) in ReachedAccesses.Collect(model, context.CancellationToken))
        {
            if (!reached.IsObjectUse && reached.Path.Members.IsEmpty && reached.Path.Variable is ILocalSymbol or IParameterSymbol)
            {
                accesses.Add(new Access(new VariableKey(reached.Path.Variable, null), reached, body));
            }
        }

        foreach (var conflict in ConflictFinder.Find(model, accesses, reportReads: false, SkipForLoopVariableOnlyRead))
        {
            var access = conflict.Access;
            context.ReportDiagnostic(Diagnostic.Create(
                Rule,
                access.Operation.Syntax.GetLocation(),
                access.Chain is null ? InterlockedFixFacts.For(access.Operation) : ImmutableDictionary<string, string?>.Empty,
                access.Key.Symbol.Name,
                Messages.Explain(conflict.Kind, conflict.Body, access)));
        }
    }

    // A for loop variable that the body only reads is CSA1004's business: the loop's own
    // increment is the write, and the fix is a per-iteration copy, not Interlocked.
    private static bool SkipForLoopVariableOnlyRead(VariableKey key, ConcurrentBody body, List<Access> inBody)
    {
        if (key.Symbol is not ILocalSymbol || inBody.Exists(static a => a.Kind == AccessKind.Write))
        {
            return false;
        }

        return body.ForLoopDeclaring(key.Symbol) is not null && body.Region.Repeats(key.Symbol);
    }
}
