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
/// <item><c>SemaphoreSlim.Wait()</c>/<c>WaitAsync()</c> used as a lock (the same function also
/// calls <c>Release()</c> on it) without the <c>Release()</c> in a <c>finally</c> that covers
/// the code after the wait: an exception leaks the slot for good. The timed forms that return
/// whether they took the slot count when an <c>if</c> tests the result (directly, or through a
/// local the next statement tests): the branch that holds the slot (or, when the failed branch
/// leaves, the rest of the block) needs the finally.</item>
/// <item>The same for the BCL locks: <c>Monitor.Enter</c>/<c>TryEnter</c> and <c>Exit</c>,
/// <c>ReaderWriterLockSlim.Enter…Lock</c> and <c>Exit…Lock</c>, <c>Mutex.WaitOne</c> and
/// <c>ReleaseMutex</c>, <c>SpinLock.Enter</c>/<c>TryEnter</c> and <c>Exit</c>.</item>
/// <item>A <c>Permit</c>, <c>LockGuard</c>, <c>ReadGuard</c> or <c>WriteGuard</c> of the library
/// that is dropped, or kept in a local that is neither <c>using</c> nor disposed in a
/// <c>finally</c>.</item>
/// </list>
/// A semaphore waited on without any <c>Release()</c> in the same function is a signal (released
/// elsewhere) and is not reported; a guard that is returned, stored or passed on is not either.
/// </summary>
[DiagnosticAnalyzer(LanguageNames.CSharp)]
public sealed class CSA2004PermitNotReleasedAnalyzer : DiagnosticAnalyzer
{
    /// <summary>Property: which fix applies ("TryFinally", "UsingLocal", "UsingDiscarded").</summary>
    internal const string FixKey = "Fix";

    internal static readonly DiagnosticDescriptor Rule = new(
        RuleIdentifiers.PermitNotReleased,
        title: "Permit or lock not released on every path",
        messageFormat: "{0} is not released on every path: an exception (or an early return) keeps it held forever; {1}",
        category: "Concurrency",
        defaultSeverity: DiagnosticSeverity.Error,
        isEnabledByDefault: true,
        description: "A semaphore slot, permit or lock guard must be released even when the code that holds it throws. SemaphoreSlim.Release belongs in a finally that starts right after the wait; "
            + "the library's Permit and guards are released by Dispose, so hold them with using. Otherwise one exception leaves the lock held and every later caller blocks.",
        helpLinkUri: RuleIdentifiers.GetHelpUri(RuleIdentifiers.PermitNotReleased));

    public override ImmutableArray<DiagnosticDescriptor> SupportedDiagnostics => ImmutableArray.Create(Rule);

    public override void Initialize(AnalysisContext context)
    {
        context.EnableConcurrentExecution();
        context.ConfigureGeneratedCodeAnalysis(GeneratedCodeAnalysisFlags.None);
        context.RegisterCompilationStartAction(start =>
        {
            var types = LifecycleTypes.For(start.Compilation);
            var locks = new LockTypes(start.Compilation);
            if (types.SemaphoreSlim is not null || locks.Any)
            {
                start.RegisterOperationAction(c => AnalyzeSemaphoreWait(c, types, locks), OperationKind.ExpressionStatement);
                start.RegisterOperationAction(c => AnalyzeConditionalWait(c, types, locks), OperationKind.Conditional);
                start.RegisterOperationAction(c => AnalyzeLocalWait(c, types, locks), OperationKind.VariableDeclarationGroup);
            }

            if (types.Permit is not null)
            {
                start.RegisterOperationAction(c => AnalyzeDroppedGuard(c, types), OperationKind.ExpressionStatement);
                start.RegisterOperationAction(c => AnalyzeGuardLocal(c, types), OperationKind.VariableDeclarator, OperationKind.DeclarationExpression);
            }
        });
    }

    private static void AnalyzeSemaphoreWait(OperationAnalysisContext context, LifecycleTypes types, LockTypes locks)
    {
        // await s.WaitAsync(); / s.Wait(); / Monitor.Enter(o); — held from the next statement on.
        var statement = (IExpressionStatementOperation)context.Operation;
        if (AsAcquire(statement.Operation, types, locks, returnsBool: false) is { } wait
            && statement.Syntax is ExpressionStatementSyntax waitStatement)
        {
            Check(context, wait, waitStatement, waitStatement);
        }
    }

    // if (await s.WaitAsync(timeout)) { held here } — and if (!await s.WaitAsync(timeout)) return; held after the if.
    private static void AnalyzeConditionalWait(OperationAnalysisContext context, LifecycleTypes types, LockTypes locks)
    {
        if (context.Operation is IConditionalOperation { Syntax: IfStatementSyntax ifStatement } conditional
            && AsAcquire(StripNot(conditional.Condition, out var negated), types, locks, returnsBool: true) is { } wait)
        {
            CheckIf(context, wait, ifStatement, negated, offerFix: true);
        }
    }

    // var acquired = await s.WaitAsync(t); if (!acquired) return; — the if right after the
    // declaration tests the local, and that is the local's only use (a local also read elsewhere,
    // such as finally { if (acquired) s.Release(); }, is not followed). Analyzed from the
    // declaration, where the diagnostic goes.
    private static void AnalyzeLocalWait(OperationAnalysisContext context, LifecycleTypes types, LockTypes locks)
    {
        if (context.Operation is not IVariableDeclarationGroupOperation { Syntax: LocalDeclarationStatementSyntax { Parent: BlockSyntax block } declaration, Declarations.Length: 1 } group
            || group.Declarations[0].Declarators.Length != 1
            || group.Declarations[0].Declarators[0] is not { Initializer.Value: { } value, Symbol: { Type.SpecialType: SpecialType.System_Boolean } local }
            || AsAcquire(ChannelLocals.Strip(value), types, locks, returnsBool: true) is not { } wait
            || block.Statements.IndexOf(declaration) + 1 is var next && next >= block.Statements.Count
            || block.Statements[next] is not IfStatementSyntax ifStatement
            || group.SemanticModel?.GetOperation(ifStatement, context.CancellationToken) is not IConditionalOperation conditional
            || StripNot(conditional.Condition, out var negated) is not ILocalReferenceOperation test
            || !SymbolEqualityComparer.Default.Equals(test.Local, local))
        {
            return;
        }

        var uses = 0;
        foreach (var descendant in OwnedLocal.EnclosingFunction(group).Descendants())
        {
            if (descendant is ILocalReferenceOperation reference && SymbolEqualityComparer.Default.Equals(reference.Local, local) && !reference.IsDeclaration)
            {
                uses++;
            }
        }

        // The try/finally fix would start at the wait and cover the failed branch too: none here.
        if (uses == 1)
        {
            CheckIf(context, wait, ifStatement, negated, offerFix: false);
        }
    }

    private static IOperation StripNot(IOperation condition, out bool negated)
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

    // The branch that runs holding the slot; when it is the rest of the block (the other branch
    // always leaves it: if (!acquired) return;), the if statement is the anchor.
    private static void CheckIf(OperationAnalysisContext context, Acquire wait, IfStatementSyntax ifStatement, bool negated, bool offerFix)
    {
        var held = negated ? ifStatement.Else?.Statement : ifStatement.Statement;
        if (held is not null)
        {
            Check(context, wait, held is BlockSyntax ? null : held, ifStatement, held as BlockSyntax);
        }
        else if (AlwaysLeaves(ifStatement.Statement) && ifStatement.Parent is BlockSyntax)
        {
            Check(context, wait, ifStatement, ifStatement, offerFix: offerFix);
        }
    }

    /// <summary>
    /// An acquire whose release is a call of <c>ReleaseName</c> on <c>ReleaseType</c> naming the
    /// same <c>Lock</c> (its receiver, or the first argument of the static <c>Monitor</c> methods).
    /// </summary>
    private sealed class Acquire
    {
        public Acquire(IInvocationOperation call, ISymbol @lock, INamedTypeSymbol releaseType, string releaseName, bool isSemaphore, string what, string advice)
        {
            Call = call;
            Lock = @lock;
            ReleaseType = releaseType;
            ReleaseName = releaseName;
            IsSemaphore = isSemaphore;
            What = what;
            Advice = advice;
        }

        public IInvocationOperation Call { get; }

        public ISymbol Lock { get; }

        public INamedTypeSymbol ReleaseType { get; }

        public string ReleaseName { get; }

        public bool IsSemaphore { get; }

        public string What { get; }

        public string Advice { get; }
    }

    /// <summary>The BCL synchronization types whose acquire/release pairs are followed besides <c>SemaphoreSlim</c>.</summary>
    private sealed class LockTypes
    {
        public LockTypes(Compilation compilation)
        {
            Monitor = compilation.GetTypeByMetadataName("System.Threading.Monitor");
            ReaderWriterLockSlim = compilation.GetTypeByMetadataName("System.Threading.ReaderWriterLockSlim");
            Mutex = compilation.GetTypeByMetadataName("System.Threading.Mutex");
            SpinLock = compilation.GetTypeByMetadataName("System.Threading.SpinLock");
        }

        public INamedTypeSymbol? Monitor { get; }

        public INamedTypeSymbol? ReaderWriterLockSlim { get; }

        public INamedTypeSymbol? Mutex { get; }

        public INamedTypeSymbol? SpinLock { get; }

        public bool Any => Monitor is not null || ReaderWriterLockSlim is not null || Mutex is not null || SpinLock is not null;
    }

    /// <summary>
    /// A <c>SemaphoreSlim</c> wait (see <see cref="AsWait"/>), or a <c>Monitor.Enter</c>/<c>TryEnter</c>,
    /// <c>ReaderWriterLockSlim.Enter…Lock</c>/<c>TryEnter…Lock</c>, <c>Mutex.WaitOne</c> or
    /// <c>SpinLock.Enter</c>/<c>TryEnter</c>: without <paramref name="returnsBool"/> the forms that
    /// return nothing (taking the lock, or reporting it through a <c>ref bool</c>) and the untimed
    /// <c>WaitOne()</c> statement; with it, the forms whose result says whether the lock was taken.
    /// </summary>
    private static Acquire? AsAcquire(IOperation operation, LifecycleTypes types, LockTypes locks, bool returnsBool)
    {
        if (types.SemaphoreSlim is not null && AsWait(operation, types, returnsBool) is { } wait)
        {
            return SymbolOf(wait.Instance!) is { } semaphore
                ? new Acquire(wait, semaphore, types.SemaphoreSlim, "Release", true, $"The slot taken from '{semaphore.Name}'", "call Release() in a finally right after the wait")
                : null;
        }

        if (operation is not IInvocationOperation { TargetMethod: { } method } call)
        {
            return null;
        }

        // m.WaitOne(); returns bool, but without a timeout it always takes the mutex.
        if (!returnsBool && method is { Name: "WaitOne", Parameters.Length: 0 } && call.Instance is { } waited
            && locks.Mutex is not null && LifecycleTypes.Is(waited.Type, locks.Mutex) && SymbolOf(waited) is { } mutex)
        {
            return new Acquire(call, mutex, locks.Mutex, "ReleaseMutex", false, $"The mutex '{mutex.Name}'", "call ReleaseMutex() in a finally right after the wait");
        }

        if (returnsBool ? method.ReturnType.SpecialType != SpecialType.System_Boolean : !method.ReturnsVoid)
        {
            return null;
        }

        if (method is { Name: "Enter" or "TryEnter", IsStatic: true } && locks.Monitor is not null && SymbolEqualityComparer.Default.Equals(method.ContainingType, locks.Monitor))
        {
            return call.Arguments.Length > 0 && SymbolOf(call.Arguments[0].Value) is { } monitor
                ? new Acquire(call, monitor, locks.Monitor, "Exit", false, $"The monitor of '{monitor.Name}'", "call Monitor.Exit in a finally right after the enter")
                : null;
        }

        if (call.Instance is not { } instance || SymbolOf(instance) is not { } target)
        {
            return null;
        }

        if (locks.ReaderWriterLockSlim is not null && SymbolEqualityComparer.Default.Equals(method.ContainingType, locks.ReaderWriterLockSlim)
            && method.Name is "EnterReadLock" or "EnterWriteLock" or "EnterUpgradeableReadLock" or "TryEnterReadLock" or "TryEnterWriteLock" or "TryEnterUpgradeableReadLock")
        {
            var release = "Exit" + method.Name.Substring(method.Name.IndexOf("Enter", System.StringComparison.Ordinal) + "Enter".Length);
            return new Acquire(call, target, locks.ReaderWriterLockSlim, release, false, $"The lock taken by '{target.Name}.{method.Name}'", $"call {release}() in a finally right after the enter");
        }

        if (returnsBool && method.Name == "WaitOne" && locks.Mutex is not null && LifecycleTypes.Is(instance.Type, locks.Mutex))
        {
            return new Acquire(call, target, locks.Mutex, "ReleaseMutex", false, $"The mutex '{target.Name}'", "call ReleaseMutex() in a finally right after the wait");
        }

        if (method.Name is "Enter" or "TryEnter" && locks.SpinLock is not null && SymbolEqualityComparer.Default.Equals(method.ContainingType, locks.SpinLock))
        {
            return new Acquire(call, target, locks.SpinLock, "Exit", false, $"The spin lock '{target.Name}'", "call Exit() in a finally right after the enter");
        }

        return null;
    }

    /// <summary>
    /// The <c>SemaphoreSlim.Wait</c>/<c>WaitAsync</c> call in <paramref name="operation"/>
    /// (awaited, possibly through <c>ConfigureAwait</c>) that returns nothing (the forms without a
    /// timeout) or, with <paramref name="returnsBool"/>, whether it acquired the slot.
    /// </summary>
    internal static IInvocationOperation? AsWait(IOperation operation, LifecycleTypes types, bool returnsBool)
    {
        var awaited = false;
        if (operation is IAwaitOperation awaitOperation)
        {
            awaited = true;
            operation = awaitOperation.Operation;
            if (operation is IInvocationOperation { TargetMethod.Name: "ConfigureAwait", Instance: { } configured })
            {
                operation = configured;
            }
        }

        if (operation is not IInvocationOperation { TargetMethod: { Name: "Wait" or "WaitAsync" } method, Instance: not null } wait
            || !LifecycleTypes.Is(method.ContainingType, types.SemaphoreSlim))
        {
            return null;
        }

        if (!returnsBool)
        {
            return method.ReturnsVoid || LifecycleTypes.Is(method.ReturnType, types.Task) && method.ReturnType is INamedTypeSymbol { IsGenericType: false } ? wait : null;
        }

        return method.ReturnType.SpecialType == SpecialType.System_Boolean && !awaited
            || awaited && method.ReturnType is INamedTypeSymbol { Name: "Task", TypeArguments.Length: 1 } task && LifecycleTypes.Is(task.BaseType, types.Task) && task.TypeArguments[0].SpecialType == SpecialType.System_Boolean
            ? wait
            : null;
    }

    // A branch that never falls through: return, throw, break, continue or goto, alone or last in its block.
    private static bool AlwaysLeaves(StatementSyntax statement) => statement switch
    {
        ReturnStatementSyntax or ThrowStatementSyntax or BreakStatementSyntax or ContinueStatementSyntax or GotoStatementSyntax => true,
        BlockSyntax { Statements.Count: > 0 } block => AlwaysLeaves(block.Statements[block.Statements.Count - 1]),
        _ => false,
    };

    /// <summary>
    /// Reports <paramref name="wait"/> unless the slot it takes is released in a finally. Three shapes:
    /// <list type="bullet">
    /// <item><paramref name="heldBlock"/> given: the slot is held throughout that block (the branch of
    /// an <c>if</c> that acquired it);</item>
    /// <item><paramref name="anchor"/> differs from <paramref name="ancestorsFrom"/>: the anchor is the
    /// single statement the <c>if</c> runs holding the slot;</item>
    /// <item>otherwise the slot is held after <paramref name="anchor"/>, to the end of its block.</item>
    /// </list>
    /// In each, a <c>try</c> around <paramref name="ancestorsFrom"/> whose finally releases also protects.
    /// </summary>
    private static void Check(OperationAnalysisContext context, Acquire wait, StatementSyntax? anchor, StatementSyntax ancestorsFrom, BlockSyntax? heldBlock = null, bool offerFix = true)
    {
        var semaphore = wait;
        var function = OwnedLocal.EnclosingFunction(wait.Call);
        StatementSyntax? laterRelease = null;
        var releases = 0;
        foreach (var descendant in function.Descendants())
        {
            if (descendant is IInvocationOperation release
                && IsReleaseOf(release, wait)
                && OwnedLocal.EnclosingFunction(release) == function)
            {
                releases++;
                if (anchor is not null
                    && release.Parent is IExpressionStatementOperation { Syntax: ExpressionStatementSyntax releaseStatement }
                    && releaseStatement.Parent == anchor.Parent
                    && releaseStatement.SpanStart > anchor.SpanStart)
                {
                    laterRelease ??= releaseStatement;
                }
            }
        }

        // Without a Release here the semaphore is a signal released by someone else; a release
        // right after the wait (a gate: wait for my turn, let the next one go) has no path between.
        if (releases == 0)
        {
            return;
        }

        if (heldBlock is not null)
        {
            if (heldBlock.Statements.Count > 0 && IsRelease(heldBlock.Statements[0], semaphore, function)
                || ProtectedFrom(heldBlock, 0, semaphore, function)
                || ProtectedByAncestor(ancestorsFrom, semaphore, function))
            {
                return;
            }
        }
        else if (anchor is not null && anchor != ancestorsFrom)
        {
            // if (await s.WaitAsync(t)) statement; — the single statement is the whole held region.
            if (IsRelease(anchor, semaphore, function)
                || anchor is TryStatementSyntax single && FinallyReleases(single, semaphore, function)
                || ProtectedByAncestor(ancestorsFrom, semaphore, function))
            {
                return;
            }

            laterRelease = null;
        }
        else if (anchor is not null
            && (laterRelease is not null && NextStatement(anchor) == laterRelease || IsProtected(anchor, semaphore, function)))
        {
            return;
        }

        var properties = ImmutableDictionary<string, string?>.Empty;
        // The fix moves code up to a later Release(): SemaphoreSlim only.
        if (offerFix && wait.IsSemaphore && heldBlock is null && laterRelease is not null && anchor?.Parent is BlockSyntax)
        {
            properties = properties.Add(FixKey, "TryFinally");
        }

        context.ReportDiagnostic(Diagnostic.Create(Rule, wait.Call.Syntax.GetLocation(), properties, wait.What, wait.Advice));
    }

    // Release() / Exit() / ExitReadLock() / ReleaseMutex() / Monitor.Exit(o) on the lock that was taken.
    private static bool IsReleaseOf(IInvocationOperation release, Acquire acquire) =>
        release.TargetMethod.Name == acquire.ReleaseName
        && LifecycleTypes.Is(release.TargetMethod.ContainingType, acquire.ReleaseType)
        && SymbolEqualityComparer.Default.Equals(
            release.TargetMethod.IsStatic ? release.Arguments.Length > 0 ? SymbolOf(release.Arguments[0].Value) : null : release.Instance is { } target ? SymbolOf(target) : null,
            acquire.Lock);

    private static bool IsRelease(StatementSyntax statement, Acquire semaphore, IOperation function) =>
        statement is ExpressionStatementSyntax && ReleasesIn(statement.Span, semaphore, function);

    private static bool ProtectedFrom(BlockSyntax block, int index, Acquire semaphore, IOperation function)
    {
        for (var i = index; i < block.Statements.Count; i++)
        {
            if (block.Statements[i] is TryStatementSyntax next && FinallyReleases(next, semaphore, function))
            {
                return true;
            }
        }

        return false;
    }

    private static bool ProtectedByAncestor(SyntaxNode from, Acquire semaphore, IOperation function)
    {
        foreach (var ancestor in from.Ancestors())
        {
            if (ancestor is AnonymousFunctionExpressionSyntax or LocalFunctionStatementSyntax)
            {
                break;
            }

            if (ancestor is TryStatementSyntax tryStatement && tryStatement.Block.Span.Contains(from.Span) && FinallyReleases(tryStatement, semaphore, function))
            {
                return true;
            }
        }

        return false;
    }

    // A later statement of the same block is try { ... } finally { s.Release(); } (usually the
    // next one; statements in between, such as an early release and return, are accepted:
    // precision over recall), or the wait sits inside the try block of such a statement.
    private static bool IsProtected(StatementSyntax wait, Acquire semaphore, IOperation function) =>
        wait.Parent is BlockSyntax block && ProtectedFrom(block, block.Statements.IndexOf(wait) + 1, semaphore, function)
        || ProtectedByAncestor(wait, semaphore, function);

    private static bool FinallyReleases(TryStatementSyntax tryStatement, Acquire semaphore, IOperation function)
    {
        return tryStatement.Finally is not null && ReleasesIn(tryStatement.Finally.Span, semaphore, function);
    }

    private static bool ReleasesIn(Microsoft.CodeAnalysis.Text.TextSpan span, Acquire acquire, IOperation function)
    {
        foreach (var descendant in function.Descendants())
        {
            if (descendant is IInvocationOperation release && span.Contains(release.Syntax.Span) && IsReleaseOf(release, acquire))
            {
                return true;
            }
        }

        return false;
    }

    internal static bool ReleasesIn(Microsoft.CodeAnalysis.Text.TextSpan span, ISymbol semaphore, IOperation function, LifecycleTypes types)
    {
        foreach (var descendant in function.Descendants())
        {
            if (descendant is IInvocationOperation { TargetMethod.Name: "Release", Instance: { } target } release
                && span.Contains(release.Syntax.Span)
                && LifecycleTypes.Is(release.TargetMethod.ContainingType, types.SemaphoreSlim)
                && SymbolEqualityComparer.Default.Equals(SymbolOf(target), semaphore))
            {
                return true;
            }
        }

        return false;
    }

    internal static ISymbol? SymbolOf(IOperation operation) => ChannelLocals.Strip(operation) switch
    {
        ILocalReferenceOperation local => local.Local,
        IParameterReferenceOperation parameter => parameter.Parameter,
        IFieldReferenceOperation { Instance: null or IInstanceReferenceOperation } field => field.Field,
        IPropertyReferenceOperation { Instance: null or IInstanceReferenceOperation, Property.IsReadOnly: true } property => property.Property,
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

        if (operation is IInvocationOperation invocation && types.IsGuard(guardType) && invocation.TargetMethod.Name != "Dispose")
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

        if (!types.IsGuard(local.Type))
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
            var index = block.Statements.IndexOf(statement);
            return index + 1 < block.Statements.Count ? block.Statements[index + 1] : null;
        }

        return null;
    }

    private static bool InFinally(ILocalReferenceOperation reference) =>
        reference.Syntax.Ancestors().TakeWhile(a => a is not (AnonymousFunctionExpressionSyntax or LocalFunctionStatementSyntax)).Any(a => a is FinallyClauseSyntax);

    private static string Describe(ITypeSymbol type) => type.Name switch
    {
        "Permit" => "permit",
        "LockGuard" => "lock guard",
        "ReadGuard" => "read guard",
        _ => "write guard",
    };
}
