using System;
using System.Collections.Generic;
using System.Linq;
using Microsoft.CodeAnalysis;

namespace ConcurrencySafety.Analyzers.TypeState;

/// <summary>
/// The abstract state of one program point for the consume analysis. It is a may-analysis for
/// consumption (a variable consumed on <em>some</em> path reaching the point is consumed) and
/// a must-analysis for aliasing (two variables are aliases only if they are on every path), so
/// that a consumption spreads to an alias only when the alias is certain.
/// </summary>
internal sealed class ConsumeState
{
    private static readonly SymbolEqualityComparer Comparer = SymbolEqualityComparer.Default;

    /// <summary>Variable (local, parameter, field of <c>this</c>) → the call that consumed it on some path.</summary>
    public Dictionary<ISymbol, IOperation> Consumed { get; } = new(Comparer);

    /// <summary>Symmetric must-alias relation: both variables hold the same value on every path.</summary>
    public Dictionary<ISymbol, HashSet<ISymbol>> Aliases { get; } = new(Comparer);

    /// <summary>Local → the operations that created must-consume values it may still hold undischarged.</summary>
    public Dictionary<ISymbol, HashSet<IOperation>> Obligations { get; } = new(Comparer);

    public ConsumeState Clone() => Clone(null);

    /// <summary>
    /// A copy that keeps the consumption and alias facts only of the variables <paramref name="keep"/>
    /// accepts (all when null); obligations are always kept.
    /// </summary>
    public ConsumeState Clone(Func<ISymbol, bool>? keep)
    {
        var copy = new ConsumeState();
        foreach (var pair in Consumed)
        {
            if (keep is null || keep(pair.Key))
            {
                copy.Consumed.Add(pair.Key, pair.Value);
            }
        }

        foreach (var pair in Aliases)
        {
            if (keep is null)
            {
                copy.Aliases.Add(pair.Key, new HashSet<ISymbol>(pair.Value, Comparer));
            }
            else if (keep(pair.Key))
            {
                var members = new HashSet<ISymbol>(Comparer);
                foreach (var member in pair.Value)
                {
                    if (keep(member))
                    {
                        members.Add(member);
                    }
                }

                if (members.Count > 0)
                {
                    copy.Aliases.Add(pair.Key, members);
                }
            }
        }

        foreach (var pair in Obligations)
        {
            copy.Obligations.Add(pair.Key, new HashSet<IOperation>(pair.Value));
        }

        return copy;
    }

    /// <summary>Merges the state of another path into this one; returns whether this one changed.</summary>
    public bool JoinWith(ConsumeState other)
    {
        var changed = false;
        foreach (var pair in other.Consumed)
        {
            if (!Consumed.ContainsKey(pair.Key))
            {
                Consumed.Add(pair.Key, pair.Value);
                changed = true;
            }
        }

        List<ISymbol>? emptied = null;
        foreach (var pair in Aliases)
        {
            if (other.Aliases.TryGetValue(pair.Key, out var theirs))
            {
                changed |= pair.Value.RemoveWhere(s => !theirs.Contains(s)) > 0;
            }
            else
            {
                changed |= pair.Value.Count > 0;
                pair.Value.Clear();
            }

            if (pair.Value.Count == 0)
            {
                (emptied ??= new List<ISymbol>()).Add(pair.Key);
            }
        }

        if (emptied is not null)
        {
            foreach (var key in emptied)
            {
                Aliases.Remove(key);
            }
        }

        foreach (var pair in other.Obligations)
        {
            if (!Obligations.TryGetValue(pair.Key, out var mine))
            {
                Obligations.Add(pair.Key, new HashSet<IOperation>(pair.Value));
                changed = true;
            }
            else
            {
                foreach (var op in pair.Value)
                {
                    changed |= mine.Add(op);
                }
            }
        }

        return changed;
    }

    public IEnumerable<ISymbol> AliasesOf(ISymbol symbol) =>
        Aliases.TryGetValue(symbol, out var set) ? set : Enumerable.Empty<ISymbol>();

    /// <summary>Forgets everything about <paramref name="symbol"/>: it holds a new, unrelated value.</summary>
    public void Revive(ISymbol symbol)
    {
        Consumed.Remove(symbol);
        Unalias(symbol);
    }

    public void Unalias(ISymbol symbol)
    {
        if (Aliases.TryGetValue(symbol, out var set))
        {
            Aliases.Remove(symbol);
            foreach (var other in set)
            {
                if (Aliases.TryGetValue(other, out var back))
                {
                    back.Remove(symbol);
                    if (back.Count == 0)
                    {
                        Aliases.Remove(other);
                    }
                }
            }
        }
    }

    /// <summary>Makes <paramref name="target"/> an alias of <paramref name="source"/> and of all its aliases.</summary>
    public void AliasTo(ISymbol target, ISymbol source)
    {
        var group = new List<ISymbol> { source };
        group.AddRange(AliasesOf(source));
        foreach (var member in group)
        {
            if (Comparer.Equals(member, target))
            {
                continue;
            }

            Add(target, member);
            Add(member, target);
        }

        void Add(ISymbol a, ISymbol b)
        {
            if (!Aliases.TryGetValue(a, out var set))
            {
                Aliases[a] = set = new HashSet<ISymbol>(Comparer);
            }

            set.Add(b);
        }
    }

    /// <summary>Drops what is known about fields, after a call that may have reassigned them.</summary>
    public void ForgetFields()
    {
        foreach (var key in Consumed.Keys.Where(k => k is IFieldSymbol).ToList())
        {
            Consumed.Remove(key);
        }

        foreach (var key in Aliases.Keys.Where(k => k is IFieldSymbol).ToList())
        {
            Unalias(key);
        }
    }
}
