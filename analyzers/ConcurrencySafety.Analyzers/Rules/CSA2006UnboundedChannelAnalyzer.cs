using System.Collections.Immutable;
using ConcurrencySafety.Analyzers.Lifecycle;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Operations;

namespace ConcurrencySafety.Analyzers.Rules;

/// <summary>
/// CSA2006: an unbounded channel is created (<c>Chan.Unbounded&lt;T&gt;()</c> or the BCL's
/// <c>Channel.CreateUnbounded&lt;T&gt;()</c>). A producer faster than its consumer then grows
/// the buffer until memory runs out, where a bounded channel would have slowed it down.
/// </summary>
[DiagnosticAnalyzer(LanguageNames.CSharp)]
public sealed class CSA2006UnboundedChannelAnalyzer : DiagnosticAnalyzer
{
    /// <summary>Property set when the fix can switch the call to the bounded factory: no options, or our <c>ChanOptions</c> (kept).</summary>
    internal const string FixableKey = "Fixable";

    internal static readonly DiagnosticDescriptor Rule = new(
        RuleIdentifiers.UnboundedChannel,
        title: "Unbounded channel",
        messageFormat: "'{0}' creates a channel without a capacity: a producer faster than its consumer fills memory instead of waiting; use a bounded channel",
        category: "Concurrency",
        defaultSeverity: DiagnosticSeverity.Warning,
        isEnabledByDefault: true,
        description: "A bounded channel gives back-pressure: when it is full, senders wait for the consumer. An unbounded one never says no, so a slow consumer turns into unbounded memory growth and latency. "
            + "Choose a capacity (a few times the number of consumers is a good start). Suppress the warning where the producer is known to be bounded.",
        helpLinkUri: RuleIdentifiers.GetHelpUri(RuleIdentifiers.UnboundedChannel));

    public override ImmutableArray<DiagnosticDescriptor> SupportedDiagnostics => ImmutableArray.Create(Rule);

    public override void Initialize(AnalysisContext context)
    {
        context.EnableConcurrentExecution();
        context.ConfigureGeneratedCodeAnalysis(GeneratedCodeAnalysisFlags.None);
        context.RegisterCompilationStartAction(start =>
        {
            var types = LifecycleTypes.For(start.Compilation);
            if (types.Chan is null && types.BclChannel is null)
            {
                return;
            }

            start.RegisterOperationAction(
                c =>
                {
                    var invocation = (IInvocationOperation)c.Operation;
                    var method = invocation.TargetMethod;
                    var ours = method.Name == "Unbounded" && SymbolEqualityComparer.Default.Equals(method.ContainingType, types.Chan);
                    var bcl = method.Name == "CreateUnbounded" && SymbolEqualityComparer.Default.Equals(method.ContainingType, types.BclChannel);
                    if (!ours && !bcl)
                    {
                        return;
                    }

                    var properties = ImmutableDictionary<string, string?>.Empty;
                    // Fixable without options, or with our ChanOptions (the bounded factory takes the
                    // same options after the capacity); the BCL's options types differ per flavour.
                    bool noArguments = invocation.Arguments.All(a => a.ArgumentKind == ArgumentKind.DefaultValue);
                    bool ourOptionsOnly = ours && invocation.Arguments.Length == 1 && invocation.Arguments[0].Parameter?.Name == "options";
                    if ((noArguments || ourOptionsOnly) && method.TypeArguments.Length == 1)
                    {
                        properties = properties.Add(FixableKey, "true");
                    }

                    c.ReportDiagnostic(Diagnostic.Create(Rule, invocation.Syntax.GetLocation(), properties, method.ContainingType.Name + "." + method.Name));
                },
                OperationKind.Invocation);
        });
    }
}
