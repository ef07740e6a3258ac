using System.Collections.Immutable;
using ConcurrencySafety.Analyzers.Lifecycle;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Operations;

namespace ConcurrencySafety.Analyzers.Rules;

/// <summary>
/// CSA2004: a permit or lock is taken and not released on every path.
/// <list type="bullet">
/// <item>An acquire of the BCL's synchronization types (<see cref="LockPairs"/>) used as a lock:
/// <c>SemaphoreSlim.Wait()</c>/<c>WaitAsync()</c>, <c>Monitor.Enter</c>, the three
/// <c>ReaderWriterLockSlim.Enter*Lock()</c>, <c>WaitOne()</c> of a <c>Mutex</c> or a
/// <c>Semaphore</c>, <c>SpinLock.Enter(ref taken)</c> and .NET 9's <c>Lock.Enter()</c>, where
/// the same function also releases the same object with the matching call, without that release
/// in a <c>finally</c> that covers the code after the acquire: an exception leaks the lock for
/// good. The forms that return whether they took the lock (<c>Wait(timeout)</c>,
/// <c>TryEnter</c>, <c>TryEnterWriteLock(timeout)</c>, <c>WaitOne(timeout)</c>) count when an
/// <c>if</c> tests the result (directly, or through a local the next statement tests): the
/// branch that holds the lock (or, when the failed branch leaves, the rest of the block) needs
/// the finally.</item>
/// <item>A <c>Permit</c>, <c>LockGuard</c>, <c>ReadGuard</c> or <c>WriteGuard</c> of the library,
/// or a <c>Lock.Scope</c> from <c>EnterScope()</c>, that is dropped, or kept in a local that is
/// neither <c>using</c> nor disposed in a <c>finally</c>.</item>
/// </list>
/// A lock taken without any matching release in the same function is a signal or a hand-off
/// (released elsewhere, such as in <c>Dispose</c>) and is not reported; a guard that is
/// returned, stored or passed on is not either.
/// </summary>
[DiagnosticAnalyzer(LanguageNames.CSharp)]
public sealed class CSA2004PermitNotReleasedAnalyzer : DiagnosticAnalyzer
{
    /// <summary>Property: which fix applies ("TryFinally", "UsingLocal", "UsingDiscarded").</summary>
    internal const string FixKey = "Fix";

    /// <summary>Property of the try/finally fix: how many statements after the acquire's statement the release statement is.</summary>
    internal const string ReleaseOffsetKey = "ReleaseOffset";

    internal static readonly DiagnosticDescriptor Rule = new(
        RuleIdentifiers.PermitNotReleased,
        title: "Permit or lock not released on every path",
        messageFormat: "{0} is not released on every path: an exception (or an early return) keeps it held forever; {1}",
        category: "Concurrency",
        defaultSeverity: DiagnosticSeverity.Error,
        isEnabledByDefault: true,
        description: "A semaphore slot, permit or lock must be released even when the code that holds it throws. SemaphoreSlim.Release, Monitor.Exit, ExitReadLock/ExitWriteLock, ReleaseMutex and Exit belong in a finally that starts right after the acquire; "
            + "the library's Permit and guards, and Lock.EnterScope(), are released by Dispose, so hold them with using. Otherwise one exception leaves the lock held and every later caller blocks.",
        helpLinkUri: RuleIdentifiers.GetHelpUri(RuleIdentifiers.PermitNotReleased));

    public override ImmutableArray<DiagnosticDescriptor> SupportedDiagnostics => ImmutableArray.Create(Rule);

    public override void Initialize(AnalysisContext context)
    {
        context.EnableConcurrentExecution();
        context.ConfigureGeneratedCodeAnalysis(GeneratedCodeAnalysisFlags.None);
        context.RegisterCompilationStartAction(start =>
        {
            var types = LifecycleTypes.For(start.Compilation);
            if (LockPairs.AnyKnown(types))
            {
                start.RegisterOperationAction(c => AnalyzeSemaphoreWait(c, types), OperationKind.ExpressionStatement);
                start.RegisterOperationAction(c => AnalyzeConditionalWait(c, types), OperationKind.Conditional);
                start.RegisterOperationAction(c => AnalyzeLocalWait(c, types), OperationKind.VariableDeclarationGroup);
            }

            if (types.Permit is not null || types.LockScope is not null)
            {
                start.RegisterOperationAction(c => AnalyzeDroppedGuard(c, types), OperationKind.ExpressionStatement);
                start.RegisterOperationAction(c => AnalyzeGuardLocal(c, types), OperationKind.VariableDeclarator, OperationKind.DeclarationExpression);
            }
        });
    }

    private static void AnalyzeSemaphoreWait(OperationAnalysisContext context, LifecycleTypes types)
    {
        // await s.WaitAsync(); / s.Wait(); / Monitor.Enter(o); / rw.EnterWriteLock(); — the lock
        // is held from the next statement on.
        var statement = (IExpressionStatementOperation)context.Operation;
        if (AsAcquire(statement.Operation, types, returnsTaken: false) is { } acquire
            && statement.Syntax is ExpressionStatementSyntax waitStatement)
        {
            Check(context, acquire, waitStatement, waitStatement, types);
        }
    }

    // if (await s.WaitAsync(timeout)) { held here } — and if (!await s.WaitAsync(timeout)) return; held after the if.
    private static void AnalyzeConditionalWait(OperationAnalysisContext context, LifecycleTypes types)
    {
        if (context.Operation is IConditionalOperation { Syntax: IfStatementSyntax ifStatement } conditional
            && AsAcquire(StripNot(conditional.Condition, out var negated), types, returnsTaken: true) is { } acquire)
        {
            CheckIf(context, acquire, ifStatement, negated, types, offerFix: true);
        }
    }

    // var acquired = await s.WaitAsync(t); if (!acquired) return; — the if right after the
    // declaration tests the local, and that is the local's only use (a local also read elsewhere,
    // such as finally { if (acquired) s.Release(); }, is not followed). Analyzed from the
    // declaration, where the diagnostic goes.
    private static void AnalyzeLocalWait(OperationAnalysisContext context, LifecycleTypes types)
    {
        if (context.Operation is not IVariableDeclarationGroupOperation { Syntax: LocalDeclarationStatementSyntax { Parent: BlockSyntax block } declaration, Declarations.Length: 1 } group
            || group.Declarations[0].Declarators.Length != 1
            || group.Declarations[0].Declarators[0] is not { Initializer.Value: { } value, Symbol: { Type.SpecialType: SpecialType.System_Boolean } local }
            || AsAcquire(ChannelLocals.Strip(value), types, returnsTaken: true) is not { } acquire
            || IndexIn(block, declaration) + 1 is var next && (next == 0 || next >= block.Statements.Count)
            || block.Statements[next] is not IfStatementSyntax ifStatement
            || group.SemanticModel?.GetOperation(ifStatement, context.CancellationToken) is not IConditionalOperation conditional
            || StripNot(conditional.Condition, out var negated) is not ILocalReferenceOperation test
            || !SymbolEqualityComparer.Default.Equals(test.Local, local))
        {
            return;
        }

        var uses = 0;
        foreach (var found in LocalReferences.For(OwnedLocal.EnclosingFunction(group)).Of(local))
        {
            if (!found.Reference.IsDeclaration)
            {
                uses++;
            }
        }

        // The try/finally fix would start at the wait and cover the failed branch too: none here.
        if (uses == 1)
        {
            CheckIf(context, acquire, ifStatement, negated, types, offerFix: false);
        }
    }

    internal static IOperation StripNot(IOperation condition, out bool negated)
    {
        negated = false;
        while (true)
        {
            if (condition is IParenthesizedOperation parenthesized)
            {
                condition = parenthesized.Operand;
            }
            else if (condition is IUnaryOperation { OperatorKind: UnaryOperatorKind.Not } not)
            {
                negated = !negated;
                condition = not.Operand;
            }
            else
            {
                return condition;
            }
        }
    }

    // The branch that runs holding the lock; when it is the rest of the block (the other branch
    // always leaves it: if (!acquired) return;), the if statement is the anchor.
    private static void CheckIf(OperationAnalysisContext context, LockAcquire acquire, IfStatementSyntax ifStatement, bool negated, LifecycleTypes types, bool offerFix)
    {
        var held = negated ? ifStatement.Else?.Statement : ifStatement.Statement;
        if (held is not null)
        {
            Check(context, acquire, held is BlockSyntax ? null : held, ifStatement, types, held as BlockSyntax);
        }
        else if (AlwaysLeaves(ifStatement.Statement) && ifStatement.Parent is BlockSyntax)
        {
            Check(context, acquire, ifStatement, ifStatement, types, offerFix: offerFix);
        }
    }

    /// <summary>
    /// The acquire in <paramref name="operation"/> that CSA2004 follows, in one of two roles:
    /// <list type="bullet">
    /// <item>without <paramref name="returnsTaken"/>, a statement after which the lock is held:
    /// <c>SemaphoreSlim.Wait()</c>/<c>WaitAsync()</c> (awaited, possibly through
    /// <c>ConfigureAwait</c>), <c>Monitor.Enter(o)</c>, <c>EnterReadLock()</c> and its
    /// siblings, <c>WaitOne()</c> of a <c>Mutex</c> or <c>Semaphore</c>, <c>Lock.Enter()</c>, and
    /// the forms that set a flag once they hold it (<c>Monitor.Enter(o, ref taken)</c>,
    /// <c>SpinLock.Enter(ref taken)</c>): those are followed as if the flag were always set,
    /// which is what they guarantee when they return;</item>
    /// <item>with it, a condition that is true when the lock was taken:
    /// <c>Wait(timeout)</c>, <c>Monitor.TryEnter(o[, timeout])</c>, <c>TryEnterWriteLock(timeout)</c>,
    /// <c>WaitOne(timeout)</c>, <c>Lock.TryEnter()</c>.</item>
    /// </list>
    /// The <c>TryEnter(..., ref taken)</c> forms, which may return without the lock, are not
    /// followed (their flag is tested by the code's own <c>if</c>, which is not tracked).
    /// </summary>
    internal static LockAcquire? AsAcquire(IOperation operation, LifecycleTypes types, bool returnsTaken)
    {
        var acquire = LockPairs.AsAcquire(operation, types);
        if (acquire is null)
        {
            return null;
        }

        var fits = returnsTaken
            ? acquire.Form == AcquireForm.ReturnsTaken || acquire.Form == AcquireForm.Untimed && acquire.Kind is LockKind.Mutex or LockKind.Semaphore
            : acquire.Form is AcquireForm.Untimed or AcquireForm.EnterWithFlag;
        return fits ? acquire : null;
    }

    // A branch that never falls through: return, throw, break, continue or goto, alone or last in its block.
    internal static bool AlwaysLeaves(StatementSyntax statement) => statement switch
    {
        ReturnStatementSyntax or ThrowStatementSyntax or BreakStatementSyntax or ContinueStatementSyntax or GotoStatementSyntax => true,
        BlockSyntax { Statements.Count: > 0 } block => AlwaysLeaves(block.Statements[block.Statements.Count - 1]),
        _ => false,
    };

    /// <summary>
    /// Reports <paramref name="acquire"/> unless the lock it takes is released in a finally. Three shapes:
    /// <list type="bullet">
    /// <item><paramref name="heldBlock"/> given: the lock is held throughout that block (the branch of
    /// an <c>if</c> that acquired it);</item>
    /// <item><paramref name="anchor"/> differs from <paramref name="ancestorsFrom"/>: the anchor is the
    /// single statement the <c>if</c> runs holding the lock;</item>
    /// <item>otherwise the lock is held after <paramref name="anchor"/>, to the end of its block.</item>
    /// </list>
    /// In each, a <c>try</c> around <paramref name="ancestorsFrom"/> whose finally releases also protects.
    /// </summary>
    private static void Check(OperationAnalysisContext context, LockAcquire acquire, StatementSyntax? anchor, StatementSyntax ancestorsFrom, LifecycleTypes types, BlockSyntax? heldBlock = null, bool offerFix = true)
    {
        if (SymbolOf(acquire.Target) is not { } locked)
        {
            return;
        }

        var function = OwnedLocal.EnclosingFunction(acquire.Call);
        var releases = ReleasesOf(function, locked, acquire.Kind, types);

        // Without a release here the lock is a signal released by someone else (or a hand-off to
        // the method that releases it, such as Dispose); a release right after the wait (a gate:
        // wait for my turn, let the next one go) has no path between.
        if (releases.DirectCount == 0 || ReacquiresInFinally(ancestorsFrom, releases) || ReleasesOnlyWhenGivingUp(releases))
        {
            return;
        }

        // Every release of the function comes before the acquire (Monitor.Exit(o); Callback();
        // Monitor.Enter(o); — also inside lock (o) { ... }): the function lets go of what its
        // caller (or the enclosing lock statement) holds and takes it back; nothing after the
        // acquire releases it here, so no path can skip a release. A re-acquisition, not a new hold.
        if (releases.LastDirectStart < acquire.Call.Syntax.SpanStart)
        {
            return;
        }

        // The first release that is a later statement of the anchor's own block (the fix's end).
        var laterRelease = anchor?.Parent is { } parent ? releases.FirstStatementAfter(parent, anchor.SpanStart) : null;

        if (heldBlock is not null)
        {
            if (heldBlock.Statements.Count > 0 && IsRelease(heldBlock.Statements[0], releases)
                || ProtectedFrom(heldBlock, 0, releases)
                || ProtectedByAncestor(ancestorsFrom, releases))
            {
                return;
            }
        }
        else if (anchor is not null && anchor != ancestorsFrom)
        {
            // if (await s.WaitAsync(t)) statement; — the single statement is the whole held region.
            if (IsRelease(anchor, releases)
                || anchor is TryStatementSyntax single && FinallyReleases(single, releases)
                || ProtectedByAncestor(ancestorsFrom, releases))
            {
                return;
            }

            laterRelease = null;
        }
        else if (anchor is not null
            && (laterRelease is not null && NextStatement(anchor) == laterRelease
                || NextStatement(anchor) is ReturnStatementSyntax returned && releases.AnyIn(returned.Span)
                || IsProtected(anchor, releases)))
        {
            return;
        }

        var properties = ImmutableDictionary<string, string?>.Empty;
        if (offerFix && heldBlock is null && laterRelease is not null && anchor?.Parent is BlockSyntax block)
        {
            // The fix moves the statements between the anchor and this release into the try.
            properties = properties
                .Add(FixKey, "TryFinally")
                .Add(ReleaseOffsetKey, (IndexIn(block, laterRelease) - IndexIn(block, anchor)).ToString(System.Globalization.CultureInfo.InvariantCulture));
        }

        var remedy = acquire.Kind == LockKind.SpinLock
            ? "enter it inside a try and call Exit() in its finally when taken"
            : $"call {LockPairs.ReleaseName(acquire.Kind)} in a finally right after the {(acquire.Kind is LockKind.SemaphoreSlim or LockKind.Semaphore or LockKind.Mutex ? "wait" : "enter")}";
        context.ReportDiagnostic(Diagnostic.Create(Rule, acquire.Call.Syntax.GetLocation(), properties, LockPairs.Describe(acquire.Kind, locked.Name), remedy));
    }

    private static bool IsRelease(StatementSyntax statement, LockReleases.Releases releases) =>
        statement is ExpressionStatementSyntax && releases.AnyIn(statement.Span);

    // A statement of the block from index on is try { ... } finally { release; }.
    private static bool ProtectedFrom(BlockSyntax block, int index, LockReleases.Releases releases)
    {
        // A lookup in the index, not a scan of the rest of the block (which made a method of many
        // unprotected acquires quadratic).
        return index < block.Statements.Count && releases.ReleasingTryAtOrAfter(block, block.Statements[index].SpanStart);
    }

    private static bool ProtectedByAncestor(SyntaxNode from, LockReleases.Releases releases)
    {
        foreach (var ancestor in from.Ancestors())
        {
            if (ancestor is AnonymousFunctionExpressionSyntax or LocalFunctionStatementSyntax)
            {
                break;
            }

            if (ancestor is TryStatementSyntax tryStatement && tryStatement.Block.Span.Contains(from.Span) && FinallyReleases(tryStatement, releases))
            {
                return true;
            }
        }

        return false;
    }

    // A later statement of the same block is try { ... } finally { s.Release(); } (usually the
    // next one; statements in between, such as an early release and return, are accepted:
    // precision over recall), or the wait sits inside the try block of such a statement (which
    // is also the correct form of the flag-setting enters: bool taken = false;
    // try { Monitor.Enter(o, ref taken); ... } finally { if (taken) Monitor.Exit(o); }).
    // The wait may also be the last statement of a try whose catches all leave
    // (try { await s.WaitAsync(ct); } catch { return; }): the slot is held only after that try
    // completes normally, so the statements after the try are what must be protected
    // (RabbitMQ's SocketFrameHandler.CloseAsync).
    // The same holds for the last statement of a try block with a finally (and catches, if any,
    // that all leave), and of a lock statement's body: the acquire is the last thing the block
    // does, and what follows the try or the lock is what holds the lock taken (Npgsql's
    // NpgsqlConnector: lock (SyncObj) { if (!IsConnected) return; Monitor.Enter(CancelLock); }
    // try { ... } finally { Monitor.Exit(CancelLock); }; and try { ...; Monitor.Enter(CleanupLock); }
    // finally { Monitor.Exit(SyncObj); } before the try whose finally exits CleanupLock).
    private static bool IsProtected(StatementSyntax wait, LockReleases.Releases releases) =>
        wait.Parent is BlockSyntax block && ProtectedFrom(block, IndexIn(block, wait) + 1, releases)
        || ProtectedByAncestor(wait, releases)
        || wait.Parent is BlockSyntax { Parent: TryStatementSyntax guarded } tryBlock
            && tryBlock == guarded.Block
            && (guarded.Catches.Count > 0 || guarded.Finally is not null)
            && tryBlock.Statements.Last() == wait
            && guarded.Catches.All(c => AlwaysLeaves(c.Block))
            && IsProtected(guarded, releases)
        || wait.Parent is BlockSyntax { Parent: LockStatementSyntax lockStatement } lockBody
            && lockBody.Statements.Last() == wait
            && IsProtected(lockStatement, releases);

    // Every release of the function is on a branch that gives up and leaves
    // (if (shuttingDown) { s.Release(); return false; }): on the path that goes on, the slot
    // leaves the function held, handed to whoever releases it later (a continuation of the work
    // it admitted: Quartz's TaskSchedulingThreadPool.TryRun). That is a hand-off, like a wait
    // with no release here at all; a release on the path that goes on is still checked.
    private static bool ReleasesOnlyWhenGivingUp(LockReleases.Releases releases)
    {
        foreach (var (release, direct) in releases.Items)
        {
            if (direct
                && !(release.Parent is IExpressionStatementOperation { Syntax: ExpressionStatementSyntax { Parent: BlockSyntax { Parent: IfStatementSyntax or ElseClauseSyntax } branch } }
                    && AlwaysLeaves(branch)
                    && branch.Statements.Last() is ReturnStatementSyntax or ThrowStatementSyntax))
            {
                return false;
            }
        }

        return true;
    }

    // try { s.Release(); await Callback(); } finally { await s.WaitAsync(); }: the code holds the
    // slot already (its caller took it), lets it go around a callback and takes it back on every
    // path, so the slot is as held as before; the release belongs to whoever took it first
    // (RabbitMQ's topology recovery). A re-acquisition, not a new hold.
    private static bool ReacquiresInFinally(SyntaxNode wait, LockReleases.Releases releases)
    {
        foreach (var ancestor in wait.Ancestors())
        {
            if (ancestor is AnonymousFunctionExpressionSyntax or LocalFunctionStatementSyntax or MemberDeclarationSyntax)
            {
                return false;
            }

            if (ancestor is FinallyClauseSyntax { Parent: TryStatementSyntax tryStatement } && releases.AnyIn(tryStatement.Block.Span))
            {
                return true;
            }
        }

        return false;
    }

    private static bool FinallyReleases(TryStatementSyntax tryStatement, LockReleases.Releases releases) =>
        tryStatement.Finally is not null && releases.AnyIn(tryStatement.Finally.Span);

    /// <summary>
    /// The releases of <paramref name="kind"/> on <paramref name="locked"/> in <paramref name="function"/>
    /// (nested lambdas included), from an index built once per function (<see cref="LockReleases"/>):
    /// every acquire of a method looks its releases up, and scanning the method once per acquire
    /// was quadratic.
    /// </summary>
    internal static LockReleases.Releases ReleasesOf(IOperation function, ISymbol locked, LockKind kind, LifecycleTypes types) =>
        LockReleases.For(function, types, SymbolOf).Of(locked, kind);

    /// <summary>
    /// The variable that names the locked object: a local, a parameter, a field or read-only
    /// property of <c>this</c>, or <c>this</c> itself (<c>Monitor.Enter(this)</c>, named by its
    /// type); anything else (<c>_state.Gate</c>, a call) is not followed.
    /// </summary>
    internal static ISymbol? SymbolOf(IOperation operation) => ChannelLocals.Strip(operation) switch
    {
        ILocalReferenceOperation local => local.Local,
        IParameterReferenceOperation parameter => parameter.Parameter,
        IFieldReferenceOperation { Instance: null or IInstanceReferenceOperation } field => field.Field,
        IPropertyReferenceOperation { Instance: null or IInstanceReferenceOperation, Property.IsReadOnly: true } property => property.Property,
        IInstanceReferenceOperation { ReferenceKind: InstanceReferenceKind.ContainingTypeInstance, Type: { } type } => type,
        _ => null,
    };

    private static void AnalyzeDroppedGuard(OperationAnalysisContext context, LifecycleTypes types)
    {
        var statement = (IExpressionStatementOperation)context.Operation;
        var operation = statement.Operation;
        if (operation is ISimpleAssignmentOperation { Target: IDiscardOperation } discard)
        {
            operation = discard.Value;
        }

        var guardType = operation.Type;
        if (operation is IAwaitOperation awaited)
        {
            operation = awaited.Operation;
        }

        if (operation is IInvocationOperation invocation && types.IsReleasedByDispose(guardType) && invocation.TargetMethod.Name != "Dispose")
        {
            var properties = ImmutableDictionary<string, string?>.Empty;
            if (statement.Operation is not ISimpleAssignmentOperation && statement.Syntax.Parent is BlockSyntax)
            {
                properties = properties.Add(FixKey, "UsingDiscarded");
            }

            context.ReportDiagnostic(Diagnostic.Create(Rule, statement.Operation.Syntax.GetLocation(), properties, $"The {Describe(guardType!)} returned by '{invocation.TargetMethod.Name}'", "hold it with using"));
        }
    }

    private static void AnalyzeGuardLocal(OperationAnalysisContext context, LifecycleTypes types)
    {
        ILocalSymbol local;
        Location location;
        switch (context.Operation)
        {
            case IVariableDeclaratorOperation declarator when declarator.Initializer is not null:
                local = declarator.Symbol;
                location = declarator.Syntax is VariableDeclaratorSyntax syntax ? syntax.Identifier.GetLocation() : declarator.Syntax.GetLocation();
                break;
            case IDeclarationExpressionOperation { Expression: ILocalReferenceOperation declared, Parent: IArgumentOperation { Parameter.RefKind: RefKind.Out } }:
                local = declared.Local;
                location = declared.Syntax.GetLocation();
                break;
            default:
                return;
        }

        if (!types.IsReleasedByDispose(local.Type))
        {
            return;
        }

        var owned = OwnedLocal.Collect(local, context.Operation, OwnedLocal.Root(context.Operation), OwnedLocal.IsDispose);
        if (owned.UsingDeclared || owned.HasUnknownUse || owned.Uses.Any(u => u.Kind is UseKind.Moved or UseKind.UsingResource || u.Kind == UseKind.Release && InFinally(u.Reference)))
        {
            return;
        }

        // var g = l.Lock(); g.Dispose(); — nothing runs in between, so nothing can skip the release.
        if (context.Operation.Syntax.FirstAncestorOrSelf<LocalDeclarationStatementSyntax>() is { } declarationStatement
            && NextStatement(declarationStatement) is ExpressionStatementSyntax next
            && owned.Uses.Any(u => u.Kind == UseKind.Release && u.Reference.Parent?.Parent?.Syntax == next))
        {
            return;
        }

        var properties = ImmutableDictionary<string, string?>.Empty;
        if (context.Operation is IVariableDeclaratorOperation { Syntax.Parent: VariableDeclarationSyntax { Variables.Count: 1, Parent: LocalDeclarationStatementSyntax { Parent: BlockSyntax } } }
            && owned.Uses.All(u => u.Kind != UseKind.Release || !u.InNestedFunction && u.Reference.Parent?.Parent is IExpressionStatementOperation))
        {
            properties = properties.Add(FixKey, "UsingLocal");
        }

        context.ReportDiagnostic(Diagnostic.Create(Rule, location, properties, $"The {Describe(local.Type)} in '{local.Name}'", "declare it with using"));
    }

    private static StatementSyntax? NextStatement(StatementSyntax statement)
    {
        if (statement.Parent is BlockSyntax block)
        {
            var index = IndexIn(block, statement);
            return index >= 0 && index + 1 < block.Statements.Count ? block.Statements[index + 1] : null;
        }

        return null;
    }

    /// <summary>
    /// The index of <paramref name="statement"/> in <paramref name="block"/>, by binary search on
    /// position (statements are in source order): <c>SyntaxList.IndexOf</c> scans, and asked once
    /// per acquire of a long method it made the rule quadratic. -1 when it is not a statement of the block.
    /// </summary>
    private static int IndexIn(BlockSyntax block, StatementSyntax statement)
    {
        var statements = block.Statements;
        int low = 0, high = statements.Count - 1;
        while (low <= high)
        {
            var middle = (low + high) / 2;
            var start = statements[middle].SpanStart;
            if (start == statement.SpanStart)
            {
                return statements[middle] == statement ? middle : -1;
            }

            if (start < statement.SpanStart)
            {
                low = middle + 1;
            }
            else
            {
                high = middle - 1;
            }
        }

        return -1;
    }

    private static bool InFinally(ILocalReferenceOperation reference) =>
        reference.Syntax.Ancestors().TakeWhile(a => a is not (AnonymousFunctionExpressionSyntax or LocalFunctionStatementSyntax)).Any(a => a is FinallyClauseSyntax);

    private static string Describe(ITypeSymbol type) => type.Name switch
    {
        "Permit" => "permit",
        "LockGuard" => "lock guard",
        "ReadGuard" => "read guard",
        "Scope" => "lock scope",
        _ => "write guard",
    };
}
