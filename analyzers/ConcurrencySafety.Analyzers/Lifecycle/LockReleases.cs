using System.Runtime.CompilerServices;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Operations;
using Microsoft.CodeAnalysis.Text;

namespace ConcurrencySafety.Analyzers.Lifecycle;

/// <summary>
/// The release calls of one function (nested lambdas included), grouped by the object they
/// release and the kind of pair (<see cref="LockKind"/>), in source order. Built in one walk per
/// function and cached for the function's lifetime: CSA2004 and CSA2018 ask once per acquire,
/// and scanning the function once per acquire was quadratic. Questions about a span are answered
/// by binary search, so an acquire costs a logarithm of its object's releases, not their number.
/// </summary>
internal sealed class LockReleases
{
    private static readonly ConditionalWeakTable<IOperation, LockReleases> Cache = new();

    private readonly Dictionary<(ISymbol Symbol, LockKind Kind), Releases> _byObject = new(KeyComparer.Instance);

    private LockReleases(IOperation function, LifecycleTypes types, Func<IOperation, ISymbol?> symbolOf)
    {
        foreach (var descendant in function.Descendants())
        {
            if (descendant is IInvocationOperation invocation
                && LockPairs.AsRelease(invocation, types) is { } release
                && symbolOf(release.Target) is { } symbol)
            {
                if (!_byObject.TryGetValue((symbol, release.Kind), out var list))
                {
                    list = new Releases();
                    _byObject.Add((symbol, release.Kind), list);
                }

                list.Add(invocation, OwnedLocal.EnclosingFunction(invocation) == function);
            }
        }

        foreach (var list in _byObject.Values)
        {
            list.Complete();
        }
    }

    /// <summary>The index of <paramref name="function"/>; <paramref name="symbolOf"/> names the object a call releases (null: not one the rules follow).</summary>
    public static LockReleases For(IOperation function, LifecycleTypes types, Func<IOperation, ISymbol?> symbolOf) =>
        Cache.GetValue(function, f => new LockReleases(f, types, symbolOf));

    /// <summary>The releases of <paramref name="kind"/> on <paramref name="symbol"/>.</summary>
    public Releases Of(ISymbol symbol, LockKind kind) => _byObject.TryGetValue((symbol, kind), out var list) ? list : Releases.None;

    /// <summary>The releases of one object, in source order, each marked whether it is in the indexed function itself (not a nested lambda or local function).</summary>
    internal sealed class Releases
    {
        public static readonly Releases None = new();

        private readonly List<(IInvocationOperation Call, bool Direct)> _items = new();

        // The release statements (Release(); as a statement of the function itself) by the block
        // or statement that holds them, each list in source order.
        private readonly Dictionary<SyntaxNode, List<ExpressionStatementSyntax>> _statementsByParent = new();

        // The try statements whose finally contains a release, by the node that holds the try,
        // each list in source order.
        private readonly Dictionary<SyntaxNode, List<TryStatementSyntax>> _releasingTriesByParent = new();

        /// <summary>The release calls and whether each is in the function itself, sorted by position.</summary>
        public IReadOnlyList<(IInvocationOperation Call, bool Direct)> Items => _items;

        /// <summary>How many of the releases are in the function itself.</summary>
        public int DirectCount { get; private set; }

        /// <summary>Where the last release of the function itself starts (-1 if none).</summary>
        public int LastDirectStart { get; private set; } = -1;

        /// <summary>Whether a release lies inside <paramref name="span"/>.</summary>
        public bool AnyIn(TextSpan span)
        {
            var i = FirstAtOrAfter(span.Start);
            return i < _items.Count && span.Contains(_items[i].Call.Syntax.Span);
        }

        /// <summary>The first release statement (of the function itself) whose parent is <paramref name="parent"/> and that starts after <paramref name="position"/>, or null.</summary>
        public ExpressionStatementSyntax? FirstStatementAfter(SyntaxNode parent, int position)
        {
            if (!_statementsByParent.TryGetValue(parent, out var statements))
            {
                return null;
            }

            int low = 0, high = statements.Count;
            while (low < high)
            {
                var middle = (low + high) / 2;
                if (statements[middle].SpanStart <= position)
                {
                    low = middle + 1;
                }
                else
                {
                    high = middle;
                }
            }

            return low < statements.Count ? statements[low] : null;
        }

        /// <summary>Whether <paramref name="parent"/> holds, at or after <paramref name="position"/>, a try statement whose finally releases.</summary>
        public bool ReleasingTryAtOrAfter(SyntaxNode parent, int position) =>
            _releasingTriesByParent.TryGetValue(parent, out var tries) && tries[tries.Count - 1].SpanStart >= position;

        /// <summary>The index of the first release that starts at or after <paramref name="position"/> (the count if none).</summary>
        public int FirstAtOrAfter(int position)
        {
            int low = 0, high = _items.Count;
            while (low < high)
            {
                var middle = (low + high) / 2;
                if (_items[middle].Call.Syntax.SpanStart < position)
                {
                    low = middle + 1;
                }
                else
                {
                    high = middle;
                }
            }

            return low;
        }

        internal void Add(IInvocationOperation call, bool direct)
        {
            _items.Add((call, direct));
            if (direct)
            {
                DirectCount++;
                LastDirectStart = Math.Max(LastDirectStart, call.Syntax.SpanStart);
                if (call.Parent is IExpressionStatementOperation { Syntax: ExpressionStatementSyntax { Parent: { } parent } statement })
                {
                    AddTo(_statementsByParent, parent, statement);
                }
            }

            // Every try around the release whose finally holds it (nested lambdas included, as
            // AnyIn counts them): walked once per release, so that "is a later statement a try
            // whose finally releases?" is a lookup, not a scan of the rest of the block.
            foreach (var ancestor in call.Syntax.Ancestors())
            {
                if (ancestor is MemberDeclarationSyntax)
                {
                    break;
                }

                if (ancestor is TryStatementSyntax { Finally: { } finallyClause, Parent: { } parent } tryStatement
                    && finallyClause.Span.Contains(call.Syntax.Span))
                {
                    AddTo(_releasingTriesByParent, parent, tryStatement);
                }
            }
        }

        internal void Complete()
        {
            _items.Sort((a, b) => a.Call.Syntax.SpanStart.CompareTo(b.Call.Syntax.SpanStart));
            foreach (var list in _statementsByParent.Values)
            {
                list.Sort((a, b) => a.SpanStart.CompareTo(b.SpanStart));
            }

            foreach (var list in _releasingTriesByParent.Values)
            {
                list.Sort((a, b) => a.SpanStart.CompareTo(b.SpanStart));
            }
        }

        private static void AddTo<T>(Dictionary<SyntaxNode, List<T>> map, SyntaxNode parent, T node)
            where T : SyntaxNode
        {
            if (!map.TryGetValue(parent, out var list))
            {
                list = new List<T>();
                map.Add(parent, list);
            }

            // The same try is reached from each release in its finally: keep it once.
            if (list.Count == 0 || list[list.Count - 1] != node)
            {
                list.Add(node);
            }
        }
    }

    private sealed class KeyComparer : IEqualityComparer<(ISymbol Symbol, LockKind Kind)>
    {
        public static readonly KeyComparer Instance = new();

        public bool Equals((ISymbol Symbol, LockKind Kind) x, (ISymbol Symbol, LockKind Kind) y) =>
            x.Kind == y.Kind && SymbolEqualityComparer.Default.Equals(x.Symbol, y.Symbol);

        public int GetHashCode((ISymbol Symbol, LockKind Kind) obj) =>
            (SymbolEqualityComparer.Default.GetHashCode(obj.Symbol) * 31) + (int)obj.Kind;
    }
}
