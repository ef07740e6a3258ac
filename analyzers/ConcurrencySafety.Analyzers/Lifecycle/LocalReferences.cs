using System.Runtime.CompilerServices;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Operations;

namespace ConcurrencySafety.Analyzers.Lifecycle;

/// <summary>
/// Every reference to a local in one operation tree, grouped by local, with the function
/// (member body, lambda or local function) each sits in. Built in one walk per tree and cached
/// for the tree's lifetime, so that rules asking about many locals of one method (a method
/// with a thousand sender clones) pay for the walk once, not once per local.
/// </summary>
internal sealed class LocalReferences
{
    private static readonly ConditionalWeakTable<IOperation, LocalReferences> Cache = new();

    private static readonly IReadOnlyList<LocalReference> None = Array.Empty<LocalReference>();

    private readonly Dictionary<ILocalSymbol, List<LocalReference>> _byLocal = new(SymbolEqualityComparer.Default);

    private LocalReferences(IOperation root)
    {
        // Descendants() is a pre-order walk, so a parent's function is known before its
        // children are seen: each operation's function is its parent's, unless the parent is
        // itself a function. That keeps the walk linear however deep the nesting.
        // The tree given may hang below a function operation (a method body's block sits in
        // an IMethodBodyOperation): its own function is then found above it, as
        // OwnedLocal.EnclosingFunction finds it.
        var functionOf = new Dictionary<IOperation, IOperation> { [root] = OwnedLocal.EnclosingFunction(root) };
        foreach (var operation in root.Descendants())
        {
            var parent = operation.Parent!;
            var function = parent is IAnonymousFunctionOperation or ILocalFunctionOperation ? parent : functionOf[parent];
            functionOf[operation] = function;
            if (operation is ILocalReferenceOperation reference)
            {
                if (!_byLocal.TryGetValue(reference.Local, out var list))
                {
                    list = new List<LocalReference>();
                    _byLocal.Add(reference.Local, list);
                }

                list.Add(new LocalReference(reference, function));
            }
        }
    }

    /// <summary>The index of <paramref name="root"/> (the root of an operation tree), built on first use.</summary>
    public static LocalReferences For(IOperation root) => Cache.GetValue(root, static r => new LocalReferences(r));

    /// <summary>The references to <paramref name="local"/>, declarations included, in source order.</summary>
    public IReadOnlyList<LocalReference> Of(ILocalSymbol local) => _byLocal.TryGetValue(local, out var list) ? list : None;
}

/// <summary>One reference to a local and the function that contains it.</summary>
internal readonly struct LocalReference
{
    public LocalReference(ILocalReferenceOperation reference, IOperation function)
    {
        Reference = reference;
        Function = function;
    }

    public ILocalReferenceOperation Reference { get; }

    /// <summary>The innermost lambda, local function or member body containing the reference (see <see cref="OwnedLocal.EnclosingFunction"/>).</summary>
    public IOperation Function { get; }
}
