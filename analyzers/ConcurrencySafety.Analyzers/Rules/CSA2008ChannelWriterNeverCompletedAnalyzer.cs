using System.Collections.Immutable;
using ConcurrencySafety.Analyzers.Lifecycle;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Operations;

namespace ConcurrencySafety.Analyzers.Rules;

/// <summary>
/// CSA2008: a <c>System.Threading.Channels</c> channel created in a method is read to the end
/// there (<c>await foreach</c> over <c>Reader.ReadAllAsync()</c>, <c>foreach</c> over its
/// <c>ToBlockingEnumerable()</c>, <c>while (await Reader.WaitToReadAsync())</c>, or
/// <c>await Reader.Completion;</c>) but its writer is never completed
/// (<c>Writer.Complete()</c> / <c>TryComplete()</c>) anywhere in the method or its lambdas, or
/// is completed on the happy path only: its only completions are the last statement of a
/// producer lambda or local function that calls something that can throw before it, and none
/// sits in a <c>finally</c> or a <c>catch</c>. The read loop ends only on completion, so
/// it never ends. The same hang as CSA2003, for the BCL.
/// </summary>
/// <remarks>
/// The channel is followed only through the local it was created into, <c>ch.Writer.M()</c> and
/// <c>ch.Reader.M()</c> calls, reads of the reader's properties, and locals initialized with
/// <c>ch.Writer</c> or <c>ch.Reader</c> that are used the same way; when the channel or its writer goes anywhere else (a
/// method, a field, a return), or the loop can leave by itself (break, return, throw), the rule
/// stays silent.
/// </remarks>
[DiagnosticAnalyzer(LanguageNames.CSharp)]
public sealed class CSA2008ChannelWriterNeverCompletedAnalyzer : DiagnosticAnalyzer
{
    internal static readonly DiagnosticDescriptor Rule = new(
        RuleIdentifiers.ChannelWriterNeverCompleted,
        title: "ChannelWriter never completed",
        messageFormat: "This reads '{0}' until its writer completes, but '{0}.Writer.Complete()' is {1}, so it may never end; complete the writer in a finally when the producers are done",
        category: "Concurrency",
        defaultSeverity: DiagnosticSeverity.Warning,
        isEnabledByDefault: true,
        description: "ReadAllAsync and WaitToReadAsync loops over a System.Threading.Channels reader end when the writer is completed and the buffer drained. "
            + "A method that creates a channel, reads it to the end and never calls Writer.Complete (or TryComplete) waits forever once the producers stop; so does one that completes it only on the happy path (not in a finally or catch), when a producer throws. "
            + "Complete the writer, in a finally, when the last producer finishes.",
        helpLinkUri: RuleIdentifiers.GetHelpUri(RuleIdentifiers.ChannelWriterNeverCompleted));

    public override ImmutableArray<DiagnosticDescriptor> SupportedDiagnostics => ImmutableArray.Create(Rule);

    public override void Initialize(AnalysisContext context)
    {
        context.EnableConcurrentExecution();
        context.ConfigureGeneratedCodeAnalysis(GeneratedCodeAnalysisFlags.None);
        context.RegisterCompilationStartAction(start =>
        {
            var types = LifecycleTypes.For(start.Compilation);
            if (types.BclChannel is null || types.BclChannelOfTWriteRead is null)
            {
                return;
            }

            start.RegisterOperationAction(c => Analyze(c, types), OperationKind.VariableDeclarator);
        });
    }

    private static void Analyze(OperationAnalysisContext context, LifecycleTypes types)
    {
        var declarator = (IVariableDeclaratorOperation)context.Operation;
        if (declarator.Initializer?.Value is not { } value
            || ChannelLocals.Strip(value) is not IInvocationOperation { TargetMethod.ContainingType: { } factoryType }
            || !SymbolEqualityComparer.Default.Equals(factoryType, types.BclChannel)
            || !IsBclChannel(declarator.Symbol.Type, types))
        {
            return;
        }

        var root = OwnedLocal.Root(declarator);
        var readLoops = new List<IOperation>();
        var completions = new List<IOperation>();
        var aliases = new List<(ILocalSymbol Local, bool IsWriter)>();
        foreach (var operation in root.Descendants())
        {
            if (operation is not ILocalReferenceOperation reference
                || !SymbolEqualityComparer.Default.Equals(reference.Local, declarator.Symbol)
                || reference.IsDeclaration)
            {
                continue;
            }

            // Every use must be ch.Reader.M(...), ch.Reader.Count (and the other reader
            // properties), ch.Writer.M(...), or var w = ch.Writer / var r = ch.Reader (followed
            // below); anything else may complete the writer elsewhere.
            if (reference.Parent is not IPropertyReferenceOperation { Property.Name: "Reader" or "Writer" } property)
            {
                return;
            }

            var isWriter = property.Property.Name == "Writer";
            if (property.Parent is IVariableInitializerOperation { Parent: IVariableDeclaratorOperation alias })
            {
                aliases.Add((alias.Symbol, isWriter));
            }
            else if (!TrackUse(property, isWriter, readLoops, completions))
            {
                return;
            }
        }

        // var writer = ch.Writer; var reader = ch.Reader: the same rules through the local.
        foreach (var (alias, isWriter) in aliases)
        {
            foreach (var operation in root.Descendants())
            {
                if (operation is ILocalReferenceOperation reference
                    && SymbolEqualityComparer.Default.Equals(reference.Local, alias)
                    && !reference.IsDeclaration
                    && !TrackUse(reference, isWriter, readLoops, completions))
                {
                    return;
                }
            }
        }

        string how;
        if (completions.Count == 0)
        {
            how = "never called";
        }
        else if (!completions.All(IsLastStatementOfProducer) || completions.Any(InFinallyOrCatch) || !completions.Any(c => MayThrow(OwnedLocal.EnclosingFunction(c), c)))
        {
            // The happy-path shape is a producer lambda (or local function) whose last
            // statement completes the writer after work that can throw. Anything else is
            // trusted: a completion in a finally or catch, one in the method itself, or a
            // producer where nothing can throw.
            return;
        }
        else
        {
            how = "called on the happy path only (not in a finally or catch: an exception in the producer skips it)";
        }

        foreach (var call in readLoops)
        {
            context.ReportDiagnostic(Diagnostic.Create(Rule, call.Syntax.GetLocation(), declarator.Symbol.Name, how));
        }
    }

    /// <summary>
    /// Whether the function that completes the writer does anything that can throw past the
    /// completion: a call or object creation other than the writer's own
    /// <c>WriteAsync</c>/<c>TryWrite</c>/<c>WaitToWriteAsync</c> (which fail only once the
    /// channel is completed, or cancelled through a token) and <c>ConfigureAwait</c>. Flow is
    /// not followed: anywhere in the function counts (precision first: a producer that only
    /// writes computed-in-place values is not reported).
    /// </summary>
    private static bool MayThrow(IOperation function, IOperation completion)
    {
        foreach (var operation in function.Descendants())
        {
            if (operation == completion || OwnedLocal.EnclosingFunction(operation) != function)
            {
                continue;
            }

            switch (operation)
            {
                case IInvocationOperation { TargetMethod.Name: "ConfigureAwait" }:
                    break;
                case IInvocationOperation { TargetMethod.Name: "WriteAsync" or "TryWrite" or "WaitToWriteAsync" } write
                    when write.TargetMethod.ContainingType?.Name == "ChannelWriter"
                        && !write.Arguments.Any(a => a.Parameter?.Type.Name == "CancellationToken" && a.ArgumentKind != ArgumentKind.DefaultValue && ChannelLocals.Strip(a.Value) is not IDefaultValueOperation):
                    break;
                case IInvocationOperation:
                case IObjectCreationOperation:
                case IThrowOperation:
                    return true;
            }
        }

        return false;
    }

    // writer.Complete(); as the last statement of a lambda's or local function's block body:
    // everything else in that body runs before it.
    private static bool IsLastStatementOfProducer(IOperation completion)
    {
        var function = OwnedLocal.EnclosingFunction(completion);
        var body = function switch
        {
            IAnonymousFunctionOperation lambda => lambda.Body,
            ILocalFunctionOperation local => local.Body,
            _ => null,
        };
        // (A lambda's block ends with an implicit return.)
        var statements = body?.Operations.Where(o => !o.IsImplicit).ToList();
        return statements is { Count: > 0 }
            && statements[statements.Count - 1] is IExpressionStatementOperation { Operation: var last }
            && last == completion;
    }

    // Inside a finally block or a catch clause of the function that makes the call.
    private static bool InFinallyOrCatch(IOperation call)
    {
        foreach (var ancestor in call.Syntax.Ancestors())
        {
            switch (ancestor)
            {
                case AnonymousFunctionExpressionSyntax or LocalFunctionStatementSyntax or MemberDeclarationSyntax:
                    return false;
                case FinallyClauseSyntax or CatchClauseSyntax:
                    return true;
            }
        }

        return false;
    }

    // One use of the reader or writer (ch.Reader, ch.Writer or an alias local): a method call on it,
    // or, for the reader, a property read (Count, CanCount, CanPeek, Completion). Returns false
    // when the use completes the writer or is one the rule does not follow.
    private static bool TrackUse(IOperation end, bool isWriter, List<IOperation> readLoops, List<IOperation> completions)
    {
        switch (end.Parent)
        {
            case IInvocationOperation call when call.Instance == end:
                return Track(call, isWriter, readLoops, completions);
            case IPropertyReferenceOperation { Property.Name: "Count" or "CanCount" or "CanPeek" } when !isWriter:
                return true;
            case IPropertyReferenceOperation { Property.Name: "Completion" } completion when !isWriter:
                // await ch.Reader.Completion; ends only once the writer completes (and the buffer drains).
                if (IsAwaitedStatement(completion))
                {
                    readLoops.Add(completion);
                }

                return true;
            default:
                return false;
        }
    }

    private static bool IsAwaitedStatement(IOperation task)
    {
        var current = task;
        if (current.Parent is IInvocationOperation { TargetMethod.Name: "ConfigureAwait" } configured && configured.Instance == current)
        {
            current = configured;
        }

        return current.Parent is IAwaitOperation { Parent: IExpressionStatementOperation };
    }

    // Records a read-to-end loop; returns false when the call completes the writer.
    private static bool Track(IInvocationOperation call, bool isWriter, List<IOperation> readLoops, List<IOperation> completions)
    {
        if (isWriter)
        {
            if (call.TargetMethod.Name is "Complete" or "TryComplete")
            {
                completions.Add(call);
            }

            return true;
        }

        if (ReadToEndLoop(call) is not null)
        {
            readLoops.Add(call);
        }

        return true;
    }

    private static bool IsBclChannel(ITypeSymbol type, LifecycleTypes types)
    {
        for (var t = type as INamedTypeSymbol; t is not null; t = t.BaseType)
        {
            if (LifecycleTypes.Is(t, types.BclChannelOfTWriteRead))
            {
                return true;
            }
        }

        return false;
    }

    // await foreach (var x in ch.Reader.ReadAllAsync(...)) or while (await ch.Reader.WaitToReadAsync(...)),
    // with a body that cannot leave the loop by itself.
    private static SyntaxNode? ReadToEndLoop(IInvocationOperation call)
    {
        SyntaxNode? loop = null;
        if (call.TargetMethod.Name == "ReadAllAsync")
        {
            IOperation current = call;
            var blocking = false;
            while (true)
            {
                if (current.Parent is IConversionOperation or IInvocationOperation { TargetMethod.Name: "WithCancellation" or "ConfigureAwait" })
                {
                    current = current.Parent;
                }
                else if (current.Parent is IArgumentOperation { Parent: IInvocationOperation { TargetMethod: { Name: "WithCancellation" or "ConfigureAwait" or "ToBlockingEnumerable", IsExtensionMethod: true } } extension }
                    && extension.Arguments.Length > 0 && extension.Arguments[0] == current.Parent)
                {
                    // The extension forms (TaskAsyncEnumerableExtensions) take the sequence as their
                    // first argument; foreach (var x in reader.ReadAllAsync().ToBlockingEnumerable())
                    // is the same loop, blocking.
                    current = extension;
                    blocking |= extension.TargetMethod.Name == "ToBlockingEnumerable";
                }
                else
                {
                    break;
                }
            }

            if (current.Parent is IForEachLoopOperation forEach && forEach.IsAsynchronous != blocking && forEach.Collection == current)
            {
                loop = forEach.Syntax;
            }
        }
        else if (call.TargetMethod.Name == "WaitToReadAsync")
        {
            IOperation current = call;
            if (current.Parent is IInvocationOperation { TargetMethod.Name: "ConfigureAwait" } configured && configured.Instance == current)
            {
                current = configured;
            }

            if (current.Parent is IAwaitOperation awaited
                && awaited.Parent is IWhileLoopOperation { ConditionIsTop: true } whileLoop
                && whileLoop.Condition == awaited)
            {
                loop = whileLoop.Syntax;
            }
        }

        return loop is WhileStatementSyntax or CommonForEachStatementSyntax && !Loops.CanExitEarly(loop) ? loop : null;
    }
}
