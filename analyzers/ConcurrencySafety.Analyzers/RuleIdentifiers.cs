namespace ConcurrencySafety.Analyzers;

/// <summary>
/// Every diagnostic ID of the package, in one place. Ranges carry meaning:
/// CSA1xxx data races on shared state, CSA2xxx lifecycle (joins, closes, releases),
/// CSA3xxx type-state (use after consume). The prefix CSA never collides with the compiler (CS) or the .NET analyzers (CA).
/// </summary>
internal static class RuleIdentifiers
{
    /// <summary>CSA3001: a value is used after a call consumed it (use after move).</summary>
    public const string UseAfterConsume = "CSA3001";

    /// <summary>CSA3002: the same value is consumed twice.</summary>
    public const string DoubleConsume = "CSA3002";

    /// <summary>CSA3003: a must-consume value is dropped without being consumed, disposed, returned or stored.</summary>
    public const string MustConsumeDropped = "CSA3003";

    /// <summary>CSA3004: a type-state declaration for the source generator is invalid.</summary>
    public const string InvalidTypeStateDeclaration = "CSA3004";

    /// <summary>Builds the help link of a rule: its page under docs/rules.</summary>
    public static string GetHelpUri(string id) =>
        $"https://github.com/concurrencysafety/concurrencysafety/blob/main/docs/rules/{id}.md";
}
