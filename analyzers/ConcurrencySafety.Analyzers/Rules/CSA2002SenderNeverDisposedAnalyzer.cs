using System.Collections.Immutable;
using ConcurrencySafety.Analyzers.Lifecycle;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.FlowAnalysis;
using Microsoft.CodeAnalysis.Operations;

namespace ConcurrencySafety.Analyzers.Rules;

/// <summary>
/// CSA2002: a sender created (by deconstructing a <c>Chan</c> factory) or cloned in a method is
/// not disposed on every path: either never (no <c>using</c>, no <c>Dispose()</c> anywhere in the
/// method or in the lambdas it starts, not moved to a <c>[Consumes]</c> parameter), or only on
/// some paths (a normal path from its creation to the end of its function, found on the
/// control-flow graph, passes no release). The channel never closes and its readers wait
/// forever. A sender that escapes in any way the rule cannot follow (returned, stored, passed
/// to a method) is not reported.
/// </summary>
/// <remarks>
/// Paths that end by an exception are not required to dispose (see <see cref="DisposalPaths"/>):
/// requiring it would flag every <c>Dispose()</c> not in a <c>finally</c>, and an exception
/// already ends the method's protocol with its callers.
/// </remarks>
[DiagnosticAnalyzer(LanguageNames.CSharp)]
public sealed class CSA2002SenderNeverDisposedAnalyzer : DiagnosticAnalyzer
{
    /// <summary>Property set when the fix (<c>using var</c>) is safe: a clone declared by a plain local declaration and no receive loop of the channel follows.</summary>
    internal const string UsingFixKey = "UsingFix";

    internal static readonly DiagnosticDescriptor Rule = new(
        RuleIdentifiers.SenderNeverDisposed,
        title: "Sender never disposed",
        messageFormat: "Sender '{0}' is {1}, so its channel {2} and receivers wait forever; dispose it (using), or move it into the task that sends",
        category: "Concurrency",
        defaultSeverity: DiagnosticSeverity.Error,
        isEnabledByDefault: true,
        description: "A channel closes when its last sender is disposed. A sender created or cloned in a method and not disposed on every path (never, or only in some branches), neither there nor in the lambdas it starts, keeps the channel open: "
            + "a receiver that reads to the end (foreach, await foreach) never finishes. Dispose every sender, typically with 'using (tx)' inside the producing task. "
            + "Senders returned, stored or passed to a method are not reported; mark a parameter [Consumes] to say it takes ownership. Paths that end by throwing need not dispose.",
        helpLinkUri: RuleIdentifiers.GetHelpUri(RuleIdentifiers.SenderNeverDisposed));

    private const string NeverDisposed = "never disposed";
    private const string NeverCloses = "never closes";
    private const string NotOnEveryPath = "not disposed on every path (a path from its creation to the end of the method skips every Dispose)";
    private const string StaysOpen = "stays open on that path";

    public override ImmutableArray<DiagnosticDescriptor> SupportedDiagnostics => ImmutableArray.Create(Rule);

    public override void Initialize(AnalysisContext context)
    {
        context.EnableConcurrentExecution();
        context.ConfigureGeneratedCodeAnalysis(GeneratedCodeAnalysisFlags.None);
        context.RegisterCompilationStartAction(start =>
        {
            var types = LifecycleTypes.For(start.Compilation);
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
                context.ReportDiagnostic(Diagnostic.Create(Rule, clone.Syntax.GetLocation(), clone.Instance?.Syntax.ToString() + ".Clone()", NeverDisposed, NeverCloses));
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

        ControlFlowGraph? graph = null;
        Dictionary<IOperation, int>? lastReceiveLoop = null;

        foreach (var sender in locals)
        {
            if (!sender.IsSender)
            {
                continue;
            }

            var owned = OwnedLocal.Collect(sender.Local, sender.Declaration, root, OwnedLocal.IsDispose);
            if (owned.HasUnknownUse || owned.UsingDeclared)
            {
                continue;
            }

            string how = NeverDisposed, what = NeverCloses;
            if (owned.IsReleasedSomewhere)
            {
                // Released in a lambda or local function (moved into a producer): the rule
                // cannot tell when that code runs, so it trusts it.
                if (owned.Uses.Any(u => u.InNestedFunction && u.Kind is UseKind.Release or UseKind.UsingResource or UseKind.Moved))
                {
                    continue;
                }

                var releases = owned.Uses
                    .Where(u => u.Kind is UseKind.Release or UseKind.UsingResource or UseKind.Moved)
                    .Select(u => u.Reference.Syntax.Span)
                    .ToImmutableHashSet();
                graph ??= context.GetControlFlowGraph(root);
                if (!DisposalPaths.LeaksOnSomePath(graph, sender.Local, releases))
                {
                    continue;
                }

                how = NotOnEveryPath;
                what = StaysOpen;
            }

            var properties = ImmutableDictionary<string, string?>.Empty;
            if (sender.Declaration is IVariableDeclaratorOperation { Syntax.Parent: VariableDeclarationSyntax { Variables.Count: 1, Parent: LocalDeclarationStatementSyntax { Parent: BlockSyntax } } }
                && !ReceiveLoopFollows(sender, lastReceiveLoop ??= LastReceiveLoops(root, locals, types))
                && !owned.Uses.Any(u => u.Kind == UseKind.Moved))
            {
                properties = properties.Add(UsingFixKey, "true");
            }

            context.ReportDiagnostic(Diagnostic.Create(Rule, sender.Location, properties, sender.Local.Name, how, what));
        }
    }

    private static bool ReceiveLoopFollows(ChannelLocal sender, Dictionary<IOperation, int> lastReceiveLoop) =>
        lastReceiveLoop.TryGetValue(sender.Channel, out var start) && start > sender.Location.SourceSpan.Start;

    /// <summary>
    /// For each channel of the method, where the last loop reading one of its receivers
    /// starts: any foreach over the receiver (even one with a break: it may still wait for the
    /// end), and every other shape that reads to the end. A using declaration would dispose the
    /// sender at the end of its block; if such a loop follows in that block, the fix would turn
    /// this bug into CSA2003's. Found once per method: a method may report many senders.
    /// </summary>
    private static Dictionary<IOperation, int> LastReceiveLoops(IOperation root, ImmutableArray<ChannelLocal> locals, LifecycleTypes types)
    {
        var channelOf = new Dictionary<ILocalSymbol, IOperation>(SymbolEqualityComparer.Default);
        foreach (var local in locals)
        {
            if (!local.IsSender)
            {
                channelOf[local.Local] = local.Channel;
            }
        }

        var result = new Dictionary<IOperation, int>();
        foreach (var operation in root.Descendants())
        {
            ILocalReferenceOperation? receiver = null;
            var start = operation.Syntax.SpanStart;
            if (operation is IForEachLoopOperation loop && ChannelLocals.Strip(loop.Collection) is ILocalReferenceOperation collection)
            {
                receiver = collection;
            }
            else if (ReceiveLoops.TryMatch(operation, types, out var matched, out var statement))
            {
                receiver = matched;
                start = statement.SpanStart;
            }

            if (receiver is not null && channelOf.TryGetValue(receiver.Local, out var channel))
            {
                result[channel] = result.TryGetValue(channel, out var previous) ? Math.Max(previous, start) : start;
            }
        }

        return result;
    }
}
