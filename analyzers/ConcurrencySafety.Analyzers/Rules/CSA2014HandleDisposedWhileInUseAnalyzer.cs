using System.Collections.Immutable;
using ConcurrencySafety.Analyzers.Lifecycle;
using ConcurrencySafety.Analyzers.Ownership;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Operations;

namespace ConcurrencySafety.Analyzers.Rules;

/// <summary>
/// CSA2014: a disposable local (a channel <c>Sender</c>/<c>Receiver</c>, a stream, any
/// <c>IDisposable</c> reference type) is disposed while concurrent work that uses it may still
/// run:
/// <list type="bullet">
/// <item>inside a concurrent body that runs as several instances sharing the local
/// (<c>using (jobsRx)</c> in each of four workers started in a loop);</item>
/// <item>inside a concurrent body while another concurrent body, or the code that started it,
/// may still be using the local;</item>
/// <item>by the code that started a body that uses the local, before that body was joined
/// (<c>rx.Dispose()</c> before <c>await worker</c>, or the end of its <c>using</c> scope).</item>
/// </list>
/// Which bodies are concurrent, and when they may still run, comes from the race engine
/// through <see cref="ConcurrentWork"/>; work the engine loses track of is not reported.
/// </summary>
[DiagnosticAnalyzer(LanguageNames.CSharp)]
public sealed class CSA2014HandleDisposedWhileInUseAnalyzer : DiagnosticAnalyzer
{
    internal static readonly DiagnosticDescriptor Rule = new(
        RuleIdentifiers.HandleDisposedWhileInUse,
        title: "Handle disposed while concurrent work may still use it",
        messageFormat: "'{0}' is disposed here while {1} may still use it: the other side gets ObjectDisposedException (and a channel may close early); {2}",
        category: "Concurrency",
        defaultSeverity: DiagnosticSeverity.Error,
        isEnabledByDefault: true,
        description: "A disposable handle shared by concurrent work must be disposed once, after all of its users are done. Disposing it inside each of several workers (using (shared) in every worker), "
            + "or in the starting code before the workers are joined, makes the others fail with ObjectDisposedException, and disposing a channel sender closes the channel under them. "
            + "Give each worker its own handle (Clone() for senders and receivers, disposed by that worker), or dispose the shared one after the join.",
        helpLinkUri: RuleIdentifiers.GetHelpUri(RuleIdentifiers.HandleDisposedWhileInUse));

    /// <summary>
    /// Property set when the code fix may give each instance its own clone: a channel handle
    /// disposed inside a body that runs as several instances because it is started in a loop.
    /// </summary>
    internal const string ClonePerWorkerKey = "ClonePerWorker";

    private const string CloneAdvice = "give each worker its own Clone() and let it dispose that";
    private const string JoinAdvice = "dispose it after the join, or give that work its own Clone()";

    public override ImmutableArray<DiagnosticDescriptor> SupportedDiagnostics => ImmutableArray.Create(Rule);

    public override void Initialize(AnalysisContext context)
    {
        context.EnableConcurrentExecution();
        context.ConfigureGeneratedCodeAnalysis(GeneratedCodeAnalysisFlags.None);
        context.RegisterCompilationStartAction(start =>
        {
            var types = LifecycleTypes.For(start.Compilation);
            var disposable = start.Compilation.GetSpecialType(SpecialType.System_IDisposable);
            if (types.Task is null || disposable.TypeKind == TypeKind.Error)
            {
                return;
            }

            start.RegisterOperationBlockAction(block => Analyze(block, types, disposable));
        });
    }

    /// <summary>Where a local is disposed: a <c>Dispose()</c> call, or the end of a <c>using</c> statement or declaration scope.</summary>
    private readonly struct Disposal
    {
        public Disposal(IOperation at, SyntaxNode? scopeEnd, Location location)
        {
            At = at;
            ScopeEnd = scopeEnd;
            Location = location;
        }

        public IOperation At { get; }

        /// <summary>For a using: the statement or block at whose end the local is disposed.</summary>
        public SyntaxNode? ScopeEnd { get; }

        public Location Location { get; }
    }

    private static void Analyze(OperationBlockAnalysisContext context, LifecycleTypes types, INamedTypeSymbol disposable)
    {
        var disposals = new Dictionary<ILocalSymbol, List<Disposal>>(SymbolEqualityComparer.Default);
        var references = new Dictionary<ILocalSymbol, List<ILocalReferenceOperation>>(SymbolEqualityComparer.Default);
        void AddDisposal(ILocalSymbol local, Disposal disposal)
        {
            if (!disposals.TryGetValue(local, out var list))
            {
                disposals[local] = list = new List<Disposal>();
            }

            list.Add(disposal);
        }

        foreach (var block in context.OperationBlocks)
        {
            foreach (var operation in block.DescendantsAndSelf())
            {
                switch (operation)
                {
                    case ILocalReferenceOperation { IsDeclaration: false } reference:
                        if (!references.TryGetValue(reference.Local, out var list))
                        {
                            references[reference.Local] = list = new List<ILocalReferenceOperation>();
                        }

                        list.Add(reference);
                        break;

                    case IInvocationOperation { TargetMethod: { Name: "Dispose" or "DisposeAsync", Parameters.IsEmpty: true }, Instance: { } instance } call
                        when ChannelLocals.Strip(instance) is ILocalReferenceOperation disposed:
                        AddDisposal(disposed.Local, new Disposal(call, null, call.Syntax.GetLocation()));
                        break;

                    case IUsingOperation @using when ChannelLocals.Strip(@using.Resources) is ILocalReferenceOperation resource:
                        AddDisposal(resource.Local, new Disposal(@using, @using.Syntax, resource.Syntax.GetLocation()));
                        break;

                    case IUsingOperation { Resources: IVariableDeclarationGroupOperation group } @using:
                        foreach (var declarator in group.Declarations.SelectMany(d => d.Declarators))
                        {
                            AddDisposal(declarator.Symbol, new Disposal(@using, @using.Syntax, Identifier(declarator)));
                        }

                        break;

                    case IUsingDeclarationOperation { DeclarationGroup: var declarationGroup } usingDeclaration
                        when usingDeclaration.Syntax.Parent is BlockSyntax or SwitchSectionSyntax:
                        foreach (var declarator in declarationGroup.Declarations.SelectMany(d => d.Declarators))
                        {
                            AddDisposal(declarator.Symbol, new Disposal(usingDeclaration, usingDeclaration.Syntax.Parent, Identifier(declarator)));
                        }

                        break;
                }
            }
        }

        if (disposals.Count == 0 || !disposals.Keys.Any(l => IsHandle(l.Type, types, disposable)))
        {
            return;
        }

        var work = ConcurrentWork.Build(context.OperationBlocks, context.Compilation, context.Options, context.CancellationToken);
        if (work is null)
        {
            return;
        }

        foreach (var pair in disposals)
        {
            var local = pair.Key;
            if (!IsHandle(local.Type, types, disposable) || !references.TryGetValue(local, out var uses))
            {
                continue;
            }

            var declaration = local.DeclaringSyntaxReferences.FirstOrDefault()?.GetSyntax(context.CancellationToken);
            foreach (var disposal in pair.Value)
            {
                if (Check(local, declaration, disposal, uses, work) is { } reason)
                {
                    var properties = reason.PerInstance && (types.IsSender(local.Type) || types.IsReceiver(local.Type))
                        ? ImmutableDictionary<string, string?>.Empty.Add(ClonePerWorkerKey, "true")
                        : null;
                    context.ReportDiagnostic(Diagnostic.Create(Rule, disposal.Location, properties, local.Name, reason.Who, reason.Advice));
                    break; // one report per local
                }
            }
        }
    }

    private static (string Who, string Advice, bool PerInstance)? Check(ILocalSymbol local, SyntaxNode? declaration, Disposal disposal, List<ILocalReferenceOperation> uses, ConcurrentWork work)
    {
        var disposer = work.InnermostBody(disposal.At);
        bool DeclaredInside(RunningBody body) => declaration is not null && body.Function.Syntax.SyntaxTree == declaration.SyntaxTree && body.Function.Syntax.Span.Contains(declaration.Span);

        if (disposer is not null && !DeclaredInside(disposer))
        {
            // Disposed by concurrent work that captured the local.
            if (disposer.SharesAcrossInstances(local))
            {
                return ($"the other instances of the body started by '{disposer.StartedBy}' (they run at the same time and share it)", CloneAdvice, true);
            }

            foreach (var use in uses)
            {
                var user = work.InnermostBody(use);
                if (user is not null && user != disposer && !user.Encloses(disposer) && !disposer.Encloses(user) && user.OverlapsWith(disposer))
                {
                    return ($"the body started by '{user.StartedBy}' on line {Line(user.StartingCall)}", CloneAdvice, false);
                }
            }

            var starter = work.InnermostBody(disposer.StartingCall);
            foreach (var use in uses)
            {
                if (!disposer.Contains(use) && work.InnermostBody(use) == starter && disposer.MayStillRunAt(use) && !IsDispose(use))
                {
                    return ("the code that started this body, which uses it on line " + Line(use), CloneAdvice, false);
                }
            }

            return null;
        }

        // Disposed by the code that declared it (or by a body that declared it itself): any
        // body it started that uses the local and may not have finished yet. Not when the join
        // may be by hand (a signal, a semaphore: the model's windows do not see those), nor for
        // work nobody joins (CSA2001/CSA2009 report that).
        if (work.SynchronizesByHand)
        {
            return null;
        }

        foreach (var use in uses)
        {
            var user = work.InnermostBody(use);
            if (user is null || user == disposer || user.Contains(disposal.At) || DeclaredInside(user) || user.SynchronizesByHand || user.IsFireAndForget)
            {
                continue;
            }

            var stillRunning = disposal.ScopeEnd is { } scope ? user.MayStillRunAtEndOf(scope) : user.MayStillRunAt(disposal.At);
            if (stillRunning && work.InnermostBody(user.StartingCall) == disposer)
            {
                return ($"the body started by '{user.StartedBy}' on line {Line(user.StartingCall)} (it is not joined yet)", JoinAdvice, false);
            }
        }

        return null;
    }

    private static bool IsDispose(ILocalReferenceOperation use) =>
        use.Parent is IInvocationOperation { TargetMethod.Name: "Dispose" or "DisposeAsync" } or IUsingOperation;

    /// <summary>Disposable reference types whose users fail once it is disposed; tasks and the lock guards are not handles.</summary>
    private static bool IsHandle(ITypeSymbol type, LifecycleTypes types, INamedTypeSymbol disposable)
    {
        if (type.IsValueType || types.IsGuard(type) || LifecycleTypes.Is(type, types.Task))
        {
            return false;
        }

        if (types.IsSender(type) || types.IsReceiver(type))
        {
            return true;
        }

        for (var t = type as INamedTypeSymbol; t is not null; t = t.BaseType)
        {
            if (t.Name == "Task" && t.ContainingNamespace?.ToDisplayString() == "System.Threading.Tasks")
            {
                return false;
            }
        }

        return type.AllInterfaces.Contains(disposable, SymbolEqualityComparer.Default)
            || SymbolEqualityComparer.Default.Equals(type, disposable);
    }

    private static int Line(IOperation operation) => operation.Syntax.GetLocation().GetLineSpan().StartLinePosition.Line + 1;

    private static Location Identifier(IVariableDeclaratorOperation declarator) =>
        declarator.Syntax is VariableDeclaratorSyntax syntax ? syntax.Identifier.GetLocation() : declarator.Syntax.GetLocation();
}
