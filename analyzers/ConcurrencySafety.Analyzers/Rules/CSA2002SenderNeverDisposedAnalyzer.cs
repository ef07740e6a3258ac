using System.Collections.Immutable;
using ConcurrencySafety.Analyzers.Lifecycle;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Operations;

namespace ConcurrencySafety.Analyzers.Rules;

/// <summary>
/// CSA2002: a sender created (by deconstructing a <c>Chan</c> factory) or cloned in a method is
/// never disposed: no <c>using</c>, no <c>Dispose()</c> anywhere in the method or in the lambdas
/// it starts, not moved to a <c>[Consumes]</c> parameter. The channel never closes and its
/// readers wait forever. A sender that escapes in any way the rule cannot follow (returned,
/// stored, passed to a method) is not reported.
/// </summary>
[DiagnosticAnalyzer(LanguageNames.CSharp)]
public sealed class CSA2002SenderNeverDisposedAnalyzer : DiagnosticAnalyzer
{
    /// <summary>Property set when the fix (<c>using var</c>) is safe: a clone declared by a plain local declaration and no receive loop of the channel follows.</summary>
    internal const string UsingFixKey = "UsingFix";

    internal static readonly DiagnosticDescriptor Rule = new(
        RuleIdentifiers.SenderNeverDisposed,
        title: "Sender never disposed",
        messageFormat: "Sender '{0}' is never disposed, so its channel never closes and receivers wait forever; dispose it (using), or move it into the task that sends",
        category: "Concurrency",
        defaultSeverity: DiagnosticSeverity.Error,
        isEnabledByDefault: true,
        description: "A channel closes when its last sender is disposed. A sender created or cloned in a method and never disposed, neither there nor in the lambdas it starts, keeps the channel open: "
            + "a receiver that reads to the end (foreach, await foreach) never finishes. Dispose every sender, typically with 'using (tx)' inside the producing task. "
            + "Senders returned, stored or passed to a method are not reported; mark a parameter [Consumes] to say it takes ownership.",
        helpLinkUri: RuleIdentifiers.GetHelpUri(RuleIdentifiers.SenderNeverDisposed));

    public override ImmutableArray<DiagnosticDescriptor> SupportedDiagnostics => ImmutableArray.Create(Rule);

    public override void Initialize(AnalysisContext context)
    {
        context.EnableConcurrentExecution();
        context.ConfigureGeneratedCodeAnalysis(GeneratedCodeAnalysisFlags.None);
        context.RegisterCompilationStartAction(start =>
        {
            var types = new LifecycleTypes(start.Compilation);
            if (types.Chan is null || types.Sender is null)
            {
                return;
            }

            start.RegisterOperationBlockAction(block =>
            {
                foreach (var root in block.OperationBlocks)
                {
                    Analyze(block, root, types);
                }
            });
        });
    }

    private static void Analyze(OperationBlockAnalysisContext context, IOperation root, LifecycleTypes types)
    {
        ImmutableArray<ChannelLocal> locals = default;
        foreach (var operation in root.Descendants())
        {
            // tx.Clone(); as a statement: a sender nobody can ever dispose.
            if (operation is IExpressionStatementOperation { Operation: IInvocationOperation { TargetMethod.Name: "Clone", Arguments.Length: 0 } clone }
                && types.IsSender(clone.Type))
            {
                context.ReportDiagnostic(Diagnostic.Create(Rule, clone.Syntax.GetLocation(), clone.Instance?.Syntax.ToString() + ".Clone()"));
            }
            else if (operation is IDeconstructionAssignmentOperation or IVariableDeclaratorOperation && locals.IsDefault)
            {
                locals = ChannelLocals.Find(root, types);
            }
        }

        if (locals.IsDefault)
        {
            return;
        }

        foreach (var sender in locals)
        {
            if (!sender.IsSender)
            {
                continue;
            }

            var owned = OwnedLocal.Collect(sender.Local, sender.Declaration, root, OwnedLocal.IsDispose);
            if (owned.IsReleasedSomewhere || owned.HasUnknownUse)
            {
                continue;
            }

            var properties = ImmutableDictionary<string, string?>.Empty;
            if (sender.Declaration is IVariableDeclaratorOperation { Syntax.Parent: VariableDeclarationSyntax { Variables.Count: 1, Parent: LocalDeclarationStatementSyntax { Parent: BlockSyntax } } }
                && !ReceiveLoopFollows(sender, locals, root))
            {
                properties = properties.Add(UsingFixKey, "true");
            }

            context.ReportDiagnostic(Diagnostic.Create(Rule, sender.Location, properties, sender.Local.Name));
        }
    }

    // A using declaration would dispose the sender at the end of its block; if a loop draining
    // the same channel follows in that block, the fix would turn this bug into CSA2003's.
    private static bool ReceiveLoopFollows(ChannelLocal sender, ImmutableArray<ChannelLocal> locals, IOperation root)
    {
        foreach (var operation in root.Descendants())
        {
            if (operation is IForEachLoopOperation loop
                && loop.Syntax.SpanStart > sender.Location.SourceSpan.Start
                && ChannelLocals.Strip(loop.Collection) is ILocalReferenceOperation collection
                && locals.Any(l => !l.IsSender && l.Channel == sender.Channel && SymbolEqualityComparer.Default.Equals(l.Local, collection.Local)))
            {
                return true;
            }
        }

        return false;
    }
}
