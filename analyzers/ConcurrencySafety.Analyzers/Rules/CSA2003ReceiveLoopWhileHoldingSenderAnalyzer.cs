using System.Collections.Immutable;
using ConcurrencySafety.Analyzers.Lifecycle;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Operations;
using Microsoft.CodeAnalysis.Text;

namespace ConcurrencySafety.Analyzers.Rules;

/// <summary>
/// CSA2003: a <c>foreach</c> or <c>await foreach</c> over a receiver, or a loop whose only way
/// out is a receive reporting disconnection (<see cref="ReceiveLoops"/>), runs until the channel
/// closes, while the same function still holds an undisposed sender of that channel (the
/// original or a clone) that is not disposed before the loop. The channel can only close when
/// every sender is disposed, so the loop never ends: the classic worker-pool hang of Go, where
/// the collector forgets to drop its own copy of <c>result_tx</c>.
/// </summary>
/// <remarks>
/// Silent when the sender escapes in a way the rule cannot follow (passed to a method,
/// returned, stored), when a lambda disposes it (moved into a producer), when a dispose
/// appears before the loop on any path or inside the loop, and when the loop can exit by
/// itself (break, return, throw, goto, yield break).
/// </remarks>
[DiagnosticAnalyzer(LanguageNames.CSharp)]
public sealed class CSA2003ReceiveLoopWhileHoldingSenderAnalyzer : DiagnosticAnalyzer
{
    /// <summary>Property: the name of the sender to dispose before the loop.</summary>
    internal const string SenderKey = "Sender";

    internal static readonly DiagnosticDescriptor Rule = new(
        RuleIdentifiers.ReceiveLoopWhileHoldingSender,
        title: "Receiving to the end while holding a sender",
        messageFormat: "This loop receives from '{0}' until its channel closes, but this method still holds sender '{1}' of that channel, so it never closes and the loop never ends; dispose '{1}' before the loop",
        category: "Concurrency",
        defaultSeverity: DiagnosticSeverity.Error,
        isEnabledByDefault: true,
        description: "foreach and await foreach over a receiver, and loops whose only exit is a receive reporting disconnection (TryReceive(Timeout.InfiniteTimeSpan) until not received), end only when the channel closes, and it closes when its last sender is disposed. "
            + "A method that keeps its own sender (typically the original after handing clones to workers) and disposes it after the loop, or never, waits forever. Dispose it before the loop.",
        helpLinkUri: RuleIdentifiers.GetHelpUri(RuleIdentifiers.ReceiveLoopWhileHoldingSender));

    public override ImmutableArray<DiagnosticDescriptor> SupportedDiagnostics => ImmutableArray.Create(Rule);

    public override void Initialize(AnalysisContext context)
    {
        context.EnableConcurrentExecution();
        context.ConfigureGeneratedCodeAnalysis(GeneratedCodeAnalysisFlags.None);
        context.RegisterCompilationStartAction(start =>
        {
            var types = LifecycleTypes.For(start.Compilation);
            if (types.Chan is null || types.Sender is null || types.Receiver is null)
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
            // foreach / await foreach over the receiver (or its WithCancellation / AsAsyncEnumerable
            // views), LINQ operators that read to the end, and while loops whose only way out is
            // a receive reporting disconnection (see ReceiveLoops).
            if (!ReceiveLoops.TryMatch(operation, types, out var collection, out var statement))
            {
                continue;
            }

            var span = statement.Span;
            if (locals.IsDefault)
            {
                locals = ChannelLocals.Find(root, types);
            }

            var receiver = locals.FirstOrDefault(l => !l.IsSender && SymbolEqualityComparer.Default.Equals(l.Local, collection.Local));
            if (receiver is null)
            {
                continue;
            }

            var function = OwnedLocal.EnclosingFunction(operation);
            foreach (var sender in locals)
            {
                if (sender.IsSender && sender.Channel == receiver.Channel && StillHeldAt(sender, span, function, root))
                {
                    var properties = ImmutableDictionary<string, string?>.Empty.Add(SenderKey, sender.Local.Name);
                    context.ReportDiagnostic(Diagnostic.Create(Rule, collection.Syntax.GetLocation(), new[] { statement.GetLocation() }, properties, collection.Local.Name, sender.Local.Name));
                }
            }
        }
    }

    private static bool StillHeldAt(ChannelLocal sender, TextSpan loopSpan, IOperation function, IOperation root)
    {
        if (sender.Location.SourceSpan.Start >= loopSpan.Start)
        {
            return false;
        }

        var owned = OwnedLocal.Collect(sender.Local, sender.Declaration, root, OwnedLocal.IsDispose);

        // Declared in another function (the loop runs in a lambda, or the sender lives in one),
        // declared in a block the loop is not in, or used in ways the rule cannot follow: silent.
        if (owned.Function != function || !owned.Scope.Contains(loopSpan) || owned.HasUnknownUse)
        {
            return false;
        }

        foreach (var use in owned.Uses)
        {
            switch (use.Kind)
            {
                case UseKind.Moved:
                    return false;
                case UseKind.Release or UseKind.UsingResource:
                    if (use.InNestedFunction
                        || use.ReleasedAt <= loopSpan.Start
                        || loopSpan.Contains(use.Reference.Syntax.Span))
                    {
                        return false;
                    }

                    break;
            }
        }

        // A using declaration disposes at the end of its block, which contains the loop.
        return true;
    }
}
