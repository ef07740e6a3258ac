using System.Collections.Immutable;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Operations;

namespace ConcurrencySafety.Analyzers.Lifecycle;

/// <summary>
/// Recognises code that receives from a receiver local until its channel closes, and can end
/// no other way. Precision first: a shape is matched only when the one way out of the loop is
/// the receive reporting that the channel is closed and drained.
/// </summary>
/// <remarks>
/// The shapes:
/// <list type="bullet">
/// <item><c>foreach</c>/<c>await foreach</c> over the receiver, directly or through
/// <c>WithCancellation</c> (without a real token), <c>AsAsyncEnumerable</c>, <c>ConfigureAwait</c>, <c>AsEnumerable</c>,
/// with no <c>break</c>/<c>return</c>/<c>throw</c>/<c>goto</c>/<c>yield</c> in the body;</item>
/// <item>a LINQ operator that always reads to the end (<c>rx.ToList()</c>);</item>
/// <item><c>while (&lt;received&gt;)</c> where the condition only tests a receive without
/// timeout, with no way out of the body: <c>while (rx.TryReceive(Timeout.InfiniteTimeSpan).TryGetValue(out var x))</c>,
/// <c>while ((r = await rx.TryReceiveAsync(Timeout.InfiniteTimeSpan)).IsReceived)</c>,
/// <c>while (rx.TryReceive(Timeout.InfiniteTimeSpan) is { IsReceived: true } r)</c>;</item>
/// <item><c>while (true)</c>/<c>for (;;)</c>/<c>do ... while (true)</c> whose only way out is
/// <c>if (&lt;disconnected&gt;) break;</c> (or <c>return</c>) on such a receive, tested directly
/// or through a local declared from it in the loop body;</item>
/// <item><c>while (true)</c>-style loops with no way out, receiving with the throwing
/// <c>Receive</c>/<c>ReceiveAsync</c>, inside a <c>try</c> that catches
/// <c>ChannelDisconnectedException</c>.</item>
/// </list>
/// A receive without timeout (<c>TryReceive(Timeout.InfiniteTimeSpan)</c> and its async form)
/// reports only Received or Disconnected, so "not received" means "disconnected" there. The
/// no-wait <c>TryReceive()</c> also reports Empty, and the timed forms report Timeout: loops on
/// those are never matched. Neither are receives given a real cancellation token
/// (<c>WithCancellation(ct)</c>, <c>TryReceiveAsync(Timeout.InfiniteTimeSpan, ct)</c>): the
/// token is a second way out, and a loop meant to run until shutdown may hold its sender on
/// purpose. <c>default</c> and <c>CancellationToken.None</c> are no token.
/// </remarks>
internal static class ReceiveLoops
{
    /// <summary>LINQ operators that always enumerate their source to the end.</summary>
    private static readonly ImmutableHashSet<string> DrainingOperators = ImmutableHashSet.Create(
        "ToList", "ToArray", "ToHashSet", "ToDictionary", "ToLookup", "Count", "LongCount", "Sum", "Min", "Max", "Average", "Aggregate", "Last", "LastOrDefault", "Reverse");

    /// <summary>
    /// Whether <paramref name="operation"/> receives from a receiver local until its channel
    /// closes. <paramref name="receiver"/> is the reference to the receiver (where to report),
    /// <paramref name="statement"/> the loop, or the statement holding the LINQ call.
    /// </summary>
    public static bool TryMatch(IOperation operation, LifecycleTypes types, out ILocalReferenceOperation receiver, out SyntaxNode statement)
    {
        receiver = null!;
        statement = operation.Syntax;
        ILocalReferenceOperation? found = null;
        switch (operation)
        {
            case IForEachLoopOperation loop when StripViews(loop.Collection, types) is ILocalReferenceOperation source && !Loops.CanExitEarly(loop.Syntax):
                found = source;
                break;

            case IInvocationOperation { TargetMethod: { IsExtensionMethod: true } method, Arguments.Length: > 0 } call
                when SymbolEqualityComparer.Default.Equals(method.ContainingType, types.Enumerable)
                    && DrainingOperators.Contains(method.Name)
                    && ChannelLocals.Strip(call.Arguments[0].Value) is ILocalReferenceOperation source:
                found = source;
                statement = call.Syntax.FirstAncestorOrSelf<StatementSyntax>() ?? call.Syntax;
                break;

            case IWhileLoopOperation { Condition: { } condition } loop when !IsConstantTrue(condition):
                if (Test(condition, types, null, out var call2) == true && !Loops.CanExitEarly(loop.Syntax))
                {
                    found = ReceiverOf(call2);
                }

                break;

            case IWhileLoopOperation { Condition: var condition, Body: { } body } loop when condition is null || IsConstantTrue(condition):
                found = (body is IBlockOperation block ? OnlyExitIsDisconnection(block, types) : null) ?? EndsByDisconnectedException(loop, body, types);
                break;

            case IForLoopOperation { Condition: var condition, Body: { } body } loop when condition is null || IsConstantTrue(condition):
                found = (body is IBlockOperation forBlock ? OnlyExitIsDisconnection(forBlock, types) : null) ?? EndsByDisconnectedException(loop, body, types);
                break;
        }

        if (found is null || !types.IsReceiver(found.Type))
        {
            return false;
        }

        receiver = found;
        return true;
    }

    private static bool IsConstantTrue(IOperation condition) => condition.ConstantValue is { HasValue: true, Value: true };

    /// <summary>Strips the views that enumerate the receiver itself to the end: <c>WithCancellation</c>, <c>AsAsyncEnumerable</c>, <c>ConfigureAwait</c>, <c>AsEnumerable</c>.</summary>
    private static IOperation StripViews(IOperation operation, LifecycleTypes types)
    {
        while (true)
        {
            operation = ChannelLocals.Strip(operation);
            if (operation is not IInvocationOperation { TargetMethod: { } method } invocation)
            {
                return operation;
            }

            var type = method.ContainingType?.OriginalDefinition.ToDisplayString();
            var source = method.IsExtensionMethod && invocation.Instance is null && invocation.Arguments.Length > 0
                ? invocation.Arguments[0].Value
                : invocation.Instance;
            var isView = method.Name switch
            {
                "WithCancellation" => (types.IsReceiver(method.ContainingType)
                        || type is "System.Threading.Tasks.TaskAsyncEnumerableExtensions" or "System.Runtime.CompilerServices.ConfiguredCancelableAsyncEnumerable<T>")
                    && HasNoToken(invocation),
                "AsAsyncEnumerable" => types.IsReceiver(method.ContainingType),
                "ConfigureAwait" => type is "System.Threading.Tasks.TaskAsyncEnumerableExtensions" or "System.Runtime.CompilerServices.ConfiguredCancelableAsyncEnumerable<T>",
                "AsEnumerable" => SymbolEqualityComparer.Default.Equals(method.ContainingType, types.Enumerable),
                _ => false,
            };
            if (!isView || source is null)
            {
                return operation;
            }

            operation = source;
        }
    }

    /// <summary>
    /// For <c>while (true)</c>-style loops: the receiver, when the body's only way out is
    /// <c>if (&lt;disconnected&gt;) break;</c> (or <c>return</c>), a statement of the body itself.
    /// </summary>
    private static ILocalReferenceOperation? OnlyExitIsDisconnection(IBlockOperation body, LifecycleTypes types)
    {
        SyntaxNode? exit = null;
        foreach (var node in body.Syntax.DescendantNodesAndSelf(n => n is not (AnonymousFunctionExpressionSyntax or LocalFunctionStatementSyntax)))
        {
            if (node is BreakStatementSyntax or ReturnStatementSyntax or ThrowStatementSyntax or ThrowExpressionSyntax or GotoStatementSyntax or YieldStatementSyntax)
            {
                if (exit is not null)
                {
                    return null; // more than one way out
                }

                exit = node;
            }
        }

        if (exit is not (BreakStatementSyntax or ReturnStatementSyntax))
        {
            return null;
        }

        // The exit is the whole then-branch of an if without else, which is a statement of the body.
        var branch = exit.Parent is BlockSyntax { Statements.Count: 1 } wrapper ? wrapper : exit;
        if (branch.Parent is not IfStatementSyntax { Else: null } ifSyntax || ifSyntax.Statement != branch || ifSyntax.Parent != body.Syntax)
        {
            return null;
        }

        var index = -1;
        for (var i = 0; i < body.Operations.Length; i++)
        {
            if (body.Operations[i].Syntax == ifSyntax)
            {
                index = i;
            }
        }

        if (index < 0 || body.Operations[index] is not IConditionalOperation conditional)
        {
            return null;
        }

        // A local the test reads must hold this iteration's receive: declared from it earlier
        // in the body and never written again.
        IInvocationOperation? Resolve(ILocalSymbol local)
        {
            IInvocationOperation? call = null;
            for (var i = 0; i < index; i++)
            {
                if (body.Operations[i] is IVariableDeclarationGroupOperation group)
                {
                    foreach (var declarator in group.Declarations.SelectMany(d => d.Declarators))
                    {
                        if (SymbolEqualityComparer.Default.Equals(declarator.Symbol, local) && declarator.Initializer is { } initializer)
                        {
                            call = ReceiveCall(initializer.Value, types);
                        }
                    }
                }
            }

            if (call is null || IsWritten(body, local))
            {
                return null;
            }

            return call;
        }

        return Test(conditional.Condition, types, Resolve, out var receive) == false ? ReceiverOf(receive) : null;
    }

    /// <summary>
    /// For <c>while (true)</c>-style loops with no way out at all: the receiver, when the body
    /// receives with the throwing <c>Receive</c>/<c>ReceiveAsync</c> from one receiver and the
    /// loop sits in a <c>try</c> that catches <c>ChannelDisconnectedException</c> by name: the
    /// catch says that disconnection is how the loop is meant to end.
    /// </summary>
    private static ILocalReferenceOperation? EndsByDisconnectedException(IOperation loop, IOperation body, LifecycleTypes types)
    {
        foreach (var node in body.Syntax.DescendantNodesAndSelf(n => n is not (AnonymousFunctionExpressionSyntax or LocalFunctionStatementSyntax)))
        {
            if (node is BreakStatementSyntax or ReturnStatementSyntax or ThrowStatementSyntax or ThrowExpressionSyntax or GotoStatementSyntax or YieldStatementSyntax)
            {
                return null;
            }
        }

        ILocalReferenceOperation? receiver = null;
        foreach (var operation in body.Descendants())
        {
            if (operation is IInvocationOperation { TargetMethod.Name: "Receive" or "ReceiveAsync", Instance: { } instance } receive
                && types.IsReceiver(instance.Type)
                && OwnedLocal.EnclosingFunction(operation) == OwnedLocal.EnclosingFunction(loop))
            {
                if (ChannelLocals.Strip(instance) is not ILocalReferenceOperation reference
                    || !HasNoToken(receive)
                    || receiver is not null && !SymbolEqualityComparer.Default.Equals(receiver.Local, reference.Local))
                {
                    return null; // receives from several receivers, or from one the rules do not track
                }

                receiver ??= reference;
            }
        }

        if (receiver is null)
        {
            return null;
        }

        for (var current = loop; current.Parent is { } parent; current = parent)
        {
            if (parent is IAnonymousFunctionOperation or ILocalFunctionOperation)
            {
                return null;
            }

            if (parent is ITryOperation @try && @try.Body == current
                && @try.Catches.Any(c => c.ExceptionType is INamedTypeSymbol { Name: "ChannelDisconnectedException" } caught
                    && caught.ContainingNamespace?.ToDisplayString() == "ConcurrencySafety"))
            {
                return receiver;
            }
        }

        return null;
    }

    private static bool IsWritten(IOperation body, ILocalSymbol local)
    {
        foreach (var operation in body.Descendants())
        {
            if (operation is ILocalReferenceOperation { IsDeclaration: false } reference
                && SymbolEqualityComparer.Default.Equals(reference.Local, local))
            {
                var parent = reference.Parent;
                if (parent is IAssignmentOperation assignment && assignment.Target == reference
                    || parent is IArgumentOperation { Parameter.RefKind: not RefKind.None }
                    || parent is IIncrementOrDecrementOperation
                    || parent is ITupleOperation)
                {
                    return true;
                }
            }
        }

        return false;
    }

    private static ILocalReferenceOperation? ReceiverOf(IInvocationOperation? call) =>
        call?.Instance is { } instance ? ChannelLocals.Strip(instance) as ILocalReferenceOperation : null;

    /// <summary>
    /// Reads <paramref name="condition"/> as a test of a receive without timeout: true when it
    /// holds exactly when an item was received, false when it holds exactly when the channel is
    /// disconnected, null when it is anything else.
    /// </summary>
    private static bool? Test(IOperation condition, LifecycleTypes types, Func<ILocalSymbol, IInvocationOperation?>? resolve, out IInvocationOperation? call)
    {
        call = null;
        condition = StripParentheses(condition);
        switch (condition)
        {
            case IUnaryOperation { OperatorKind: UnaryOperatorKind.Not } not:
                return !Test(not.Operand, types, resolve, out call);

            case IPropertyReferenceOperation { Property.Name: var name, Instance: { } result } when name is "IsReceived" or "IsDisconnected":
                call = Result(result, types, resolve);
                return call is null ? null : name == "IsReceived";

            case IInvocationOperation { TargetMethod.Name: "TryGetValue", Instance: { } result }:
                call = Result(result, types, resolve);
                return call is null ? null : true;

            case IBinaryOperation { OperatorKind: BinaryOperatorKind.Equals or BinaryOperatorKind.NotEquals } binary
                when StripParentheses(binary.LeftOperand) is IPropertyReferenceOperation { Property.Name: "Status", Instance: { } result }
                    && StatusName(binary.RightOperand) is { } status:
                call = Result(result, types, resolve);
                if (call is null)
                {
                    return null;
                }

                // Received and Disconnected are the only outcomes of a receive without timeout.
                var isReceivedTest = status == "Received";
                return binary.OperatorKind == BinaryOperatorKind.Equals ? isReceivedTest : !isReceivedTest;

            case IIsPatternOperation { Value: { } result, Pattern: IRecursivePatternOperation { PropertySubpatterns.Length: 1, DeconstructionSubpatterns.Length: 0 } pattern }
                when pattern.PropertySubpatterns[0] is { Member: IPropertyReferenceOperation { Property.Name: var member }, Pattern: IConstantPatternOperation { Value.ConstantValue: { HasValue: true, Value: bool expected } } }
                    && member is "IsReceived" or "IsDisconnected":
                call = Result(result, types, resolve);
                return call is null ? null : (member == "IsReceived") == expected;

            default:
                return null;
        }
    }

    private static string? StatusName(IOperation operation) =>
        StripParentheses(operation) is IFieldReferenceOperation { Field: { Name: var name, ContainingType: { Name: "ReceiveStatus" } } } && name is "Received" or "Disconnected"
            ? name
            : null;

    /// <summary>The receive whose result <paramref name="result"/> is: the call itself, its await, <c>(r = call)</c>, or a local the caller can resolve.</summary>
    private static IInvocationOperation? Result(IOperation result, LifecycleTypes types, Func<ILocalSymbol, IInvocationOperation?>? resolve)
    {
        result = StripParentheses(result);
        if (result is ISimpleAssignmentOperation { Value: { } assigned })
        {
            result = StripParentheses(assigned);
        }

        if (result is ILocalReferenceOperation { IsDeclaration: false } local)
        {
            return resolve?.Invoke(local.Local);
        }

        return ReceiveCall(result, types);
    }

    /// <summary>
    /// A receive that waits without timeout and reports instead of throwing:
    /// <c>rx.TryReceive(Timeout.InfiniteTimeSpan[, ct])</c>, or
    /// <c>await rx.TryReceiveAsync(Timeout.InfiniteTimeSpan[, ct])</c> (optionally with <c>ConfigureAwait</c>).
    /// </summary>
    private static IInvocationOperation? ReceiveCall(IOperation operation, LifecycleTypes types)
    {
        operation = StripParentheses(operation);
        var awaited = false;
        if (operation is IAwaitOperation { Operation: var task })
        {
            awaited = true;
            operation = StripParentheses(task);
            if (operation is IInvocationOperation { TargetMethod.Name: "ConfigureAwait", Instance: { } configured })
            {
                operation = StripParentheses(configured);
            }
        }

        if (operation is not IInvocationOperation { TargetMethod: { } method, Instance: { } instance, Arguments.Length: >= 1 } call
            || !types.IsReceiver(instance.Type)
            || ChannelLocals.Strip(instance) is not ILocalReferenceOperation
            || method.Name != (awaited ? "TryReceiveAsync" : "TryReceive"))
        {
            return null;
        }

        var timeout = call.Arguments.FirstOrDefault(a => a.Parameter?.Ordinal == 0)?.Value;
        return timeout is not null
            && HasNoToken(call)
            && ChannelLocals.Strip(timeout) is IFieldReferenceOperation { Field: { Name: "InfiniteTimeSpan", ContainingType: { } holder } }
            && holder.ToDisplayString() == "System.Threading.Timeout"
            ? call
            : null;
    }

    /// <summary>
    /// Whether every <c>CancellationToken</c> argument of <paramref name="call"/> is absent,
    /// <c>default</c> or <c>CancellationToken.None</c>. A real token is another way out of the
    /// loop (cancellation), and a loop meant to run until shutdown may hold its sender on
    /// purpose: precision first, such loops are not matched.
    /// </summary>
    private static bool HasNoToken(IInvocationOperation call)
    {
        foreach (var argument in call.Arguments)
        {
            if (argument.Parameter?.Type is not { Name: "CancellationToken" } type
                || type.ContainingNamespace?.ToDisplayString() != "System.Threading")
            {
                continue;
            }

            var value = ChannelLocals.Strip(argument.Value);
            var none = argument.ArgumentKind == ArgumentKind.DefaultValue
                || value is IDefaultValueOperation
                || value.ConstantValue is { HasValue: true, Value: null }
                || value is IPropertyReferenceOperation { Property: { Name: "None", IsStatic: true } property } && SymbolEqualityComparer.Default.Equals(property.ContainingType, type);
            if (!none)
            {
                return false;
            }
        }

        return true;
    }

    private static IOperation StripParentheses(IOperation operation)
    {
        while (true)
        {
            switch (operation)
            {
                case IParenthesizedOperation parenthesized:
                    operation = parenthesized.Operand;
                    break;
                case IConversionOperation { IsImplicit: true } conversion:
                    operation = conversion.Operand;
                    break;
                default:
                    return operation;
            }
        }
    }
}
