using System.Runtime.CompilerServices;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Operations;

namespace ConcurrencySafety.Analyzers.Lifecycle;

/// <summary>
/// The <c>SemaphoreSlim.Release</c> calls of one function (nested lambdas included), grouped by
/// the semaphore they release, in source order. Built in one walk per function and cached for
/// the function's lifetime (CSA2004 asks once per wait).
/// </summary>
internal sealed class SemaphoreReleases
{
    private static readonly ConditionalWeakTable<IOperation, SemaphoreReleases> Cache = new();

    private static readonly IReadOnlyList<IInvocationOperation> None = Array.Empty<IInvocationOperation>();

    private readonly Dictionary<ISymbol, List<IInvocationOperation>> _bySemaphore = new(SymbolEqualityComparer.Default);

    private SemaphoreReleases(IOperation function, LifecycleTypes types, Func<IOperation, ISymbol?> symbolOf)
    {
        foreach (var descendant in function.Descendants())
        {
            if (descendant is IInvocationOperation { TargetMethod.Name: "Release", Instance: { } target } release
                && LifecycleTypes.Is(release.TargetMethod.ContainingType, types.SemaphoreSlim)
                && symbolOf(target) is { } symbol)
            {
                if (!_bySemaphore.TryGetValue(symbol, out var list))
                {
                    list = new List<IInvocationOperation>();
                    _bySemaphore.Add(symbol, list);
                }

                list.Add(release);
            }
        }
    }

    /// <summary>The index of <paramref name="function"/>; <paramref name="symbolOf"/> names the semaphore a call is made on (null: not one the rule follows).</summary>
    public static SemaphoreReleases For(IOperation function, LifecycleTypes types, Func<IOperation, ISymbol?> symbolOf) =>
        Cache.GetValue(function, f => new SemaphoreReleases(f, types, symbolOf));

    /// <summary>The release calls on <paramref name="semaphore"/>.</summary>
    public IReadOnlyList<IInvocationOperation> Of(ISymbol semaphore) => _bySemaphore.TryGetValue(semaphore, out var list) ? list : None;
}
