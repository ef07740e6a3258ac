using System.Collections.Immutable;
using ConcurrencySafety.Analyzers.Infrastructure;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Operations;

namespace ConcurrencySafety.Analyzers.Rules;

/// <summary>
/// CSA1004: a <c>for</c> loop variable is captured by a body that runs concurrently and is not
/// joined within the same iteration, so the loop keeps changing the variable while the body
/// reads it (Go vet's loopclosure). A <c>foreach</c> variable is a fresh copy per iteration and
/// is not flagged.
/// </summary>
[DiagnosticAnalyzer(LanguageNames.CSharp)]
public sealed class CSA1004ForLoopVariableCapturedAnalyzer : RaceAnalyzerBase
{
    internal static readonly DiagnosticDescriptor Rule = new(
        RuleIdentifiers.ForLoopVariableCaptured,
        title: "for loop variable captured by concurrent code",
        messageFormat: "Loop variable '{0}' is captured by the body passed to '{1}', which may run after the loop has changed it; copy it into a local declared inside the loop",
        category: "Concurrency",
        defaultSeverity: DiagnosticSeverity.Error,
        isEnabledByDefault: true,
        description: "A for loop has one variable for all its iterations. A lambda started inside the loop (Task.Run, new Thread, a spawn) and not joined before the next iteration reads that single variable later, "
            + "after the loop has incremented it: tasks see the wrong index, often all the final value. Copy the variable into a local declared inside the loop body and capture the copy.",
        helpLinkUri: RuleIdentifiers.GetHelpUri(RuleIdentifiers.ForLoopVariableCaptured));

    public override ImmutableArray<DiagnosticDescriptor> SupportedDiagnostics => ImmutableArray.Create(Rule);

    private protected override void Analyze(ConcurrencyModel model, OperationBlockAnalysisContext context)
    {
        HashSet<ISymbol>? reported = null;
        foreach (var body in model.Bodies)
        {
            // Only the references inside the body (a binary search, not a scan of the member).
            foreach (var reference in model.ReferencesIn(body.Syntax.Span))
            {
                if (reference is not ILocalReferenceOperation local || !body.Contains(reference.Syntax) || reported?.Contains(local.Local) == true)
                {
                    continue;
                }

                // A variable of a for statement around the start, which the start reaches again
                // (on the control-flow graph) before the body is joined: the loop moves it on
                // while the body may still read it.
                if (body.ForLoopDeclaring(local.Local) is null || !body.Region.Repeats(local.Local))
                {
                    continue;
                }

                // One diagnostic per loop variable: its single fix covers every capture.
                reported ??= new HashSet<ISymbol>(SymbolEqualityComparer.Default);
                if (reported.Add(local.Local))
                {
                    context.ReportDiagnostic(Diagnostic.Create(Rule, reference.Syntax.GetLocation(), local.Local.Name, body.Call.DisplayName));
                }
            }
        }
    }
}
