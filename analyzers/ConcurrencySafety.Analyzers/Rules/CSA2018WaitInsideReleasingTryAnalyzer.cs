using System.Collections.Immutable;
using ConcurrencySafety.Analyzers.Lifecycle;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Operations;

namespace ConcurrencySafety.Analyzers.Rules;

/// <summary>
/// CSA2018: a cancellable <c>SemaphoreSlim.Wait(ct)</c>/<c>WaitAsync(ct)</c> placed inside the
/// <c>try</c> whose <c>finally</c> releases the same semaphore unconditionally. When the wait is
/// cancelled the finally still runs and releases a slot that was never taken: the count grows
/// past its limit. CSA2004's mirror image (a release too many instead of one too few).
/// </summary>
/// <remarks>
/// A wait without a token (or with <c>default</c>/<c>CancellationToken.None</c>) cannot be
/// cancelled and is not reported; nor is a release guarded by a flag set after the wait
/// (<c>if (taken) s.Release();</c>), which is the correct form of this shape.
/// </remarks>
[DiagnosticAnalyzer(LanguageNames.CSharp)]
public sealed class CSA2018WaitInsideReleasingTryAnalyzer : DiagnosticAnalyzer
{
    internal static readonly DiagnosticDescriptor Rule = new(
        RuleIdentifiers.WaitInsideReleasingTry,
        title: "Cancellable wait inside the try that releases",
        messageFormat: "'{0}' is waited on inside the try whose finally releases it: if the wait is cancelled, the finally releases a slot this code never took, and the semaphore admits one caller too many; wait before the try",
        category: "Concurrency",
        defaultSeverity: DiagnosticSeverity.Error,
        isEnabledByDefault: true,
        description: "A semaphore slot must be released exactly once per successful wait. With a cancellable WaitAsync(ct) inside the try, a cancellation still runs the finally, which releases a slot the code never took: "
            + "the count grows past its limit and the semaphore no longer bounds anything. Wait first, then try { ... } finally { Release(); }, or record that the wait succeeded and release only then.",
        helpLinkUri: RuleIdentifiers.GetHelpUri(RuleIdentifiers.WaitInsideReleasingTry));

    public override ImmutableArray<DiagnosticDescriptor> SupportedDiagnostics => ImmutableArray.Create(Rule);

    public override void Initialize(AnalysisContext context)
    {
        context.EnableConcurrentExecution();
        context.ConfigureGeneratedCodeAnalysis(GeneratedCodeAnalysisFlags.None);
        context.RegisterCompilationStartAction(start =>
        {
            var types = LifecycleTypes.For(start.Compilation);
            if (types.SemaphoreSlim is null)
            {
                return;
            }

            start.RegisterOperationAction(
                c =>
                {
                    var statement = (IExpressionStatementOperation)c.Operation;
                    if (CSA2004PermitNotReleasedAnalyzer.AsWait(statement.Operation, types, returnsBool: false) is { } wait
                        && IsCancellable(wait)
                        && statement.Syntax is ExpressionStatementSyntax waitStatement
                        && InsideTryThatReleases(waitStatement, wait, types) is { } semaphore)
                    {
                        c.ReportDiagnostic(Diagnostic.Create(Rule, wait.Syntax.GetLocation(), semaphore.Name));
                    }
                },
                OperationKind.ExpressionStatement);
        });
    }

    // A CancellationToken argument that is not default or CancellationToken.None.
    private static bool IsCancellable(IInvocationOperation wait)
    {
        foreach (var argument in wait.Arguments)
        {
            if (argument.Parameter?.Type is not { Name: "CancellationToken" } type || argument.ArgumentKind == ArgumentKind.DefaultValue)
            {
                continue;
            }

            var value = ChannelLocals.Strip(argument.Value);
            var none = value is IDefaultValueOperation
                || value is IPropertyReferenceOperation { Property: { Name: "None", IsStatic: true } property } && SymbolEqualityComparer.Default.Equals(property.ContainingType, type);
            if (!none)
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>
    /// The semaphore, when <paramref name="waitStatement"/> sits in the try block of a
    /// try/finally (of the same function) whose finally releases it unconditionally: a
    /// <c>Release()</c> statement directly in the finally block. A release guarded by a flag set
    /// after the wait (<c>if (taken) s.Release();</c>) is the correct form and is not matched.
    /// </summary>
    private static ISymbol? InsideTryThatReleases(ExpressionStatementSyntax waitStatement, IInvocationOperation wait, LifecycleTypes types)
    {
        if (CSA2004PermitNotReleasedAnalyzer.SymbolOf(wait.Instance!) is not { } semaphore)
        {
            return null;
        }

        var function = OwnedLocal.EnclosingFunction(wait);
        foreach (var ancestor in waitStatement.Ancestors())
        {
            if (ancestor is AnonymousFunctionExpressionSyntax or LocalFunctionStatementSyntax or MemberDeclarationSyntax)
            {
                return null;
            }

            if (ancestor is TryStatementSyntax { Finally.Block: { } finallyBlock } tryStatement
                && tryStatement.Block.Span.Contains(waitStatement.Span)
                && finallyBlock.Statements.Any(s => s is ExpressionStatementSyntax && CSA2004PermitNotReleasedAnalyzer.ReleasesIn(s.Span, semaphore, function, types)))
            {
                return semaphore;
            }
        }

        return null;
    }
}
