using System.Collections.Immutable;
using ConcurrencySafety.Analyzers.Lifecycle;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Operations;

namespace ConcurrencySafety.Analyzers.Rules;

/// <summary>
/// CSA2018: an acquire that can return (or throw) without taking the lock, placed inside the
/// <c>try</c> whose <c>finally</c> releases the same object unconditionally. When the acquire
/// gives up, the finally still runs and releases what this code never took. CSA2004's mirror
/// image (a release too many instead of one too few). Two shapes can give up:
/// <list type="bullet">
/// <item>a cancellable <c>SemaphoreSlim.Wait(ct)</c>/<c>WaitAsync(ct)</c>: a cancelled wait
/// throws, and the finally releases a slot the semaphore never gave (the count grows past its
/// limit);</item>
/// <item>a timed or trying acquire whose answer is ignored: <c>Wait(timeout)</c> or
/// <c>WaitAsync(timeout)</c> as a statement, <c>Monitor.TryEnter(o, t)</c>,
/// <c>TryEnterWriteLock(t)</c> and its siblings, <c>WaitOne(t)</c> of a <c>Mutex</c> or a
/// <c>Semaphore</c>, <c>Lock.TryEnter()</c>, and the <c>TryEnter(..., ref taken)</c> forms of
/// <c>Monitor</c> and <c>SpinLock</c>: when it times out, the body runs unprotected and the
/// finally releases a lock it does not hold (a semaphore's count grows; the others throw
/// <c>SynchronizationLockException</c>, hiding whatever happened first);</item>
/// <item>the same timed or trying acquire as the condition of an <c>if</c> whose failed branch
/// returns or throws (<c>if (!Monitor.TryEnter(o, t)) return;</c>): leaving runs the finally.</item>
/// </list>
/// </summary>
/// <remarks>
/// The acquires that either take the lock or throw before taking it only on misuse
/// (<c>Monitor.Enter(o)</c>, <c>EnterWriteLock()</c>, <c>Lock.Enter()</c>, <c>WaitOne()</c>, a
/// wait without a token or with <c>default</c>/<c>CancellationToken.None</c>) are not reported
/// inside such a try: there is no timeout or cancellation to give up on, and a <c>Mutex</c> that
/// was abandoned is taken even though <c>WaitOne</c> throws, so its release in the finally is
/// right. Nor is a release guarded by a flag set after the acquire (<c>if (taken) s.Release();</c>),
/// which is the correct form of this shape.
/// </remarks>
[DiagnosticAnalyzer(LanguageNames.CSharp)]
public sealed class CSA2018WaitInsideReleasingTryAnalyzer : DiagnosticAnalyzer
{
    /// <summary>Property: present when the acquire is a cancellable untimed wait, the shape the move-before-the-try fix applies to.</summary>
    internal const string CancellableKey = "Cancellable";

    internal static readonly DiagnosticDescriptor Rule = new(
        RuleIdentifiers.WaitInsideReleasingTry,
        title: "Cancellable or timed wait inside the try that releases",
        messageFormat: "'{0}' is acquired inside the try whose finally releases it: {1}",
        category: "Concurrency",
        defaultSeverity: DiagnosticSeverity.Error,
        isEnabledByDefault: true,
        description: "A semaphore slot or lock must be released exactly once per successful acquire. With a cancellable WaitAsync(ct), or a timed acquire whose result is ignored, inside the try, a wait that gives up still runs the finally, which releases what the code never took: "
            + "a semaphore's count grows past its limit, a lock throws SynchronizationLockException. Acquire first, then try { ... } finally { release; }, or record that the acquire succeeded and release only then.",
        helpLinkUri: RuleIdentifiers.GetHelpUri(RuleIdentifiers.WaitInsideReleasingTry));

    public override ImmutableArray<DiagnosticDescriptor> SupportedDiagnostics => ImmutableArray.Create(Rule);

    public override void Initialize(AnalysisContext context)
    {
        context.EnableConcurrentExecution();
        context.ConfigureGeneratedCodeAnalysis(GeneratedCodeAnalysisFlags.None);
        context.RegisterCompilationStartAction(start =>
        {
            var types = LifecycleTypes.For(start.Compilation);
            if (!LockPairs.AnyKnown(types))
            {
                return;
            }

            start.RegisterOperationAction(
                c =>
                {
                    var statement = (IExpressionStatementOperation)c.Operation;
                    if (LockPairs.AsAcquire(statement.Operation, types) is { } acquire
                        && GivesUp(acquire) is { } cancellable
                        && statement.Syntax is ExpressionStatementSyntax waitStatement
                        && InsideTryThatReleases(waitStatement, acquire, types) is { } locked)
                    {
                        var properties = cancellable ? ImmutableDictionary<string, string?>.Empty.Add(CancellableKey, "true") : ImmutableDictionary<string, string?>.Empty;
                        var why = cancellable
                            ? "if the wait is cancelled, the finally releases a slot this code never took, and the semaphore admits one caller too many; wait before the try"
                            : $"if '{acquire.Call.TargetMethod.Name}' gives up without taking it (a timeout, or a busy lock), the body runs unprotected and the finally releases what this code never took; test the result, and release only when it was taken";
                        c.ReportDiagnostic(Diagnostic.Create(Rule, acquire.Call.Syntax.GetLocation(), properties, locked.Name, why));
                    }
                },
                OperationKind.ExpressionStatement);

            // try { if (!Monitor.TryEnter(o, t)) return; ... } finally { Monitor.Exit(o); } — the
            // branch taken when the acquire gave up returns (or throws) through the finally.
            start.RegisterOperationAction(
                c =>
                {
                    if (c.Operation is IConditionalOperation { Syntax: IfStatementSyntax ifStatement } conditional
                        && CSA2004PermitNotReleasedAnalyzer.AsAcquire(CSA2004PermitNotReleasedAnalyzer.StripNot(conditional.Condition, out var negated), types, returnsTaken: true) is { Form: AcquireForm.ReturnsTaken } acquire
                        && (negated ? ifStatement.Statement : ifStatement.Else?.Statement) is { } failed
                        && LeavesTheFunction(failed)
                        && InsideTryThatReleases(ifStatement, acquire, types) is { } locked)
                    {
                        c.ReportDiagnostic(Diagnostic.Create(
                            Rule,
                            acquire.Call.Syntax.GetLocation(),
                            locked.Name,
                            $"when '{acquire.Call.TargetMethod.Name}' gives up, the branch that leaves runs the finally, which releases what this code never took; test it before the try"));
                    }
                },
                OperationKind.Conditional);
        });
    }

    // A branch that ends in return or throw: it goes through every enclosing finally at once. A
    // branch that loops (continue), breaks out, or falls through may take the lock again first
    // (if (!Monitor.TryEnter(o)) Monitor.Enter(o);), and is not followed.
    private static bool LeavesTheFunction(StatementSyntax branch) =>
        CSA2004PermitNotReleasedAnalyzer.AlwaysLeaves(branch)
        && (branch is BlockSyntax block ? block.Statements.Last() : branch) is ReturnStatementSyntax or ThrowStatementSyntax;

    // true: a cancellable untimed SemaphoreSlim wait; false: an acquire whose answer the
    // statement throws away (timed, trying); null: an acquire that takes the lock or throws.
    private static bool? GivesUp(LockAcquire acquire) => acquire.Form switch
    {
        AcquireForm.Untimed when acquire.Kind == LockKind.SemaphoreSlim && IsCancellable(acquire.Call) => true,
        AcquireForm.ReturnsTaken or AcquireForm.TryWithFlag => false,
        _ => null,
    };

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
    /// The locked object, when <paramref name="waitStatement"/> sits in the try block of a
    /// try/finally (of the same function) whose finally releases it unconditionally: a release
    /// statement of the matching kind directly in the finally block (found in the function's
    /// release index, not by scanning the block). A release guarded by a flag
    /// set after the acquire (<c>if (taken) s.Release();</c>) is the correct form and is not matched.
    /// </summary>
    private static ISymbol? InsideTryThatReleases(StatementSyntax waitStatement, LockAcquire acquire, LifecycleTypes types)
    {
        if (CSA2004PermitNotReleasedAnalyzer.SymbolOf(acquire.Target) is not { } locked)
        {
            return null;
        }

        var function = OwnedLocal.EnclosingFunction(acquire.Call);
        var releases = CSA2004PermitNotReleasedAnalyzer.ReleasesOf(function, locked, acquire.Kind, types);
        if (releases.Items.Count == 0)
        {
            return null;
        }

        foreach (var ancestor in waitStatement.Ancestors())
        {
            if (ancestor is AnonymousFunctionExpressionSyntax or LocalFunctionStatementSyntax or MemberDeclarationSyntax)
            {
                return null;
            }

            if (ancestor is TryStatementSyntax { Finally.Block: { } finallyBlock } tryStatement
                && tryStatement.Block.Span.Contains(waitStatement.Span)
                && releases.FirstStatementAfter(finallyBlock, finallyBlock.SpanStart) is not null)
            {
                return locked;
            }
        }

        return null;
    }
}
