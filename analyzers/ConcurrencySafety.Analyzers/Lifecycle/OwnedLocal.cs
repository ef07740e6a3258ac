using System.Collections.Immutable;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Operations;
using Microsoft.CodeAnalysis.Text;

namespace ConcurrencySafety.Analyzers.Lifecycle;

/// <summary>How one reference to an owned local (a sender, a guard, a thread) treats the value.</summary>
internal enum UseKind
{
    /// <summary>A member is used (<c>tx.Send(1)</c>, <c>tx.Clone()</c>, <c>g.Value</c>) and the caller keeps ownership.</summary>
    Borrow,

    /// <summary><c>x.Dispose()</c> (or <c>Join()</c> for threads): the value is released here.</summary>
    Release,

    /// <summary><c>using (x) { ... }</c>: the value is released when the statement ends.</summary>
    UsingResource,

    /// <summary>Passed to a parameter that takes ownership (<c>[Consumes]</c>).</summary>
    Moved,

    /// <summary>
    /// Anything the rules cannot follow: passed to a method, returned, stored in a field, a
    /// collection or another variable, assigned anew. Precision over recall: a local with such
    /// a use is never reported.
    /// </summary>
    Unknown,
}

/// <summary>One reference to an owned local, classified.</summary>
internal readonly struct OwnedUse
{
    public OwnedUse(ILocalReferenceOperation reference, UseKind kind, bool inNestedFunction)
    {
        Reference = reference;
        Kind = kind;
        InNestedFunction = inNestedFunction;
    }

    public ILocalReferenceOperation Reference { get; }

    public UseKind Kind { get; }

    /// <summary>Whether the reference sits in a lambda or local function, not in the declaring function itself.</summary>
    public bool InNestedFunction { get; }

    /// <summary>The position after which the value is released (for <see cref="UseKind.UsingResource"/> the end of the using statement).</summary>
    public int ReleasedAt
    {
        get
        {
            if (Kind == UseKind.UsingResource)
            {
                for (var op = Reference.Parent; op is not null; op = op.Parent)
                {
                    if (op is IUsingOperation)
                    {
                        return op.Syntax.Span.End;
                    }
                }
            }

            return Reference.Syntax.Span.End;
        }
    }
}

/// <summary>
/// The uses of one local that owns a resource, taken from the index of local references of the
/// member that declares it (<see cref="LocalReferences"/>; lambdas and local functions included,
/// since a local is visible there too).
/// </summary>
internal sealed class OwnedLocal
{
    private OwnedLocal(ILocalSymbol local, IOperation function, ImmutableArray<OwnedUse> uses, bool usingDeclared, TextSpan scope)
    {
        Local = local;
        Function = function;
        Uses = uses;
        UsingDeclared = usingDeclared;
        Scope = scope;
    }

    public ILocalSymbol Local { get; }

    /// <summary>The function (member body, lambda or local function) that declares the local.</summary>
    public IOperation Function { get; }

    public ImmutableArray<OwnedUse> Uses { get; }

    /// <summary>Whether the local is declared by <c>using var x = ...</c> or <c>using (var x = ...)</c>.</summary>
    public bool UsingDeclared { get; }

    /// <summary>The block (or statement) the local is declared in: a using declaration disposes at its end.</summary>
    public TextSpan Scope { get; }

    public bool HasUnknownUse => Uses.Any(u => u.Kind == UseKind.Unknown);

    public bool IsReleasedSomewhere => UsingDeclared || Uses.Any(u => u.Kind is UseKind.Release or UseKind.UsingResource or UseKind.Moved);

    /// <summary>Collects the uses of <paramref name="local"/> in <paramref name="root"/>; <paramref name="isRelease"/> names the releasing method (Dispose, Join).</summary>
    public static OwnedLocal Collect(ILocalSymbol local, IOperation declaringOperation, IOperation root, Func<IMethodSymbol, bool> isRelease)
    {
        var function = EnclosingFunction(declaringOperation);
        var uses = ImmutableArray.CreateBuilder<OwnedUse>();

        // The references come from an index of the whole tree built once (see LocalReferences):
        // a rule asking about every sender of a method must not walk the method once per sender.
        foreach (var found in LocalReferences.For(root).Of(local))
        {
            if (!found.Reference.IsDeclaration)
            {
                uses.Add(new OwnedUse(found.Reference, Classify(found.Reference, isRelease), found.Function != function));
            }
        }

        var usingDeclared = false;
        var scope = declaringOperation.Syntax.Span;
        foreach (var syntaxReference in local.DeclaringSyntaxReferences)
        {
            var node = syntaxReference.GetSyntax();
            usingDeclared |= node.Ancestors().Any(a => a is LocalDeclarationStatementSyntax { UsingKeyword.RawKind: not 0 })
                || node.Parent is VariableDeclarationSyntax { Parent: UsingStatementSyntax };
            var block = node.Ancestors().FirstOrDefault(a => a is BlockSyntax or SwitchSectionSyntax or UsingStatementSyntax);
            if (block is not null)
            {
                scope = block.Span;
            }
        }

        return new OwnedLocal(local, function, uses.ToImmutable(), usingDeclared, scope);
    }

    private static UseKind Classify(ILocalReferenceOperation reference, Func<IMethodSymbol, bool> isRelease)
    {
        IOperation current = reference;
        var parent = current.Parent;
        while (parent is IConversionOperation { IsImplicit: true } or IParenthesizedOperation)
        {
            current = parent;
            parent = parent.Parent;
        }

        switch (parent)
        {
            case IInvocationOperation invocation when invocation.Instance == current:
                return isRelease(invocation.TargetMethod) ? UseKind.Release : UseKind.Borrow;
            case IPropertyReferenceOperation property when property.Instance == current:
                // A property write (t.IsBackground = true) or read borrows the value.
                return UseKind.Borrow;
            case IFieldReferenceOperation field when field.Instance == current:
                return UseKind.Borrow;
            case IConditionalAccessOperation conditional when conditional.Operation == current:
                return conditional.WhenNotNull is IInvocationOperation { TargetMethod: { } m } && isRelease(m) ? UseKind.Release : UseKind.Borrow;
            case IUsingOperation @using when @using.Resources == current:
                return UseKind.UsingResource;
            case IForEachLoopOperation loop when loop.Collection == current:
                return UseKind.Borrow;
            case INameOfOperation:
                return UseKind.Borrow;
            case IArgumentOperation argument when LifecycleTypes.TakesOwnership(argument.Parameter):
                return UseKind.Moved;
            case IArgumentOperation argument when IsSelectArm(argument.Parameter):
                // selector.Receive(ticker, ...), set.AddSend(tx, ...), op.Receive(rx): the
                // library's select API uses the handle for one select and never disposes it.
                return UseKind.Borrow;
            default:
                return UseKind.Unknown;
        }
    }

    /// <summary>
    /// Whether <paramref name="parameter"/> belongs to a method of the library's select API
    /// (<c>Selector</c>, <c>SelectSet</c>, <c>SelectedOperation</c>): those borrow the handle
    /// they are given (an arm waits on it, an outcome is read from it) and never dispose it.
    /// </summary>
    private static bool IsSelectArm(IParameterSymbol? parameter) =>
        parameter?.ContainingSymbol is IMethodSymbol { ContainingType: { Name: "Selector" or "SelectSet" or "SelectedOperation", ContainingNamespace: { Name: "ConcurrencySafety", ContainingNamespace.IsGlobalNamespace: true } } };

    /// <summary>The innermost lambda, local function or member body containing <paramref name="operation"/>.</summary>
    public static IOperation EnclosingFunction(IOperation operation)
    {
        var current = operation;
        while (current.Parent is not null)
        {
            current = current.Parent;
            if (current is IAnonymousFunctionOperation or ILocalFunctionOperation)
            {
                return current;
            }
        }

        return current;
    }

    /// <summary>The root of the operation tree containing <paramref name="operation"/>.</summary>
    public static IOperation Root(IOperation operation)
    {
        var current = operation;
        while (current.Parent is not null)
        {
            current = current.Parent;
        }

        return current;
    }

    /// <summary>Whether <paramref name="method"/> is <c>Dispose()</c> (the only release of senders and guards).</summary>
    public static bool IsDispose(IMethodSymbol method) => method.Name == "Dispose" && method.Parameters.IsEmpty;
}
