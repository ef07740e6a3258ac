namespace ConcurrencySafety.Analyzers;

/// <summary>
/// Every diagnostic ID of the package, in one place. Ranges carry meaning:
/// CSA1xxx data races on shared state, CSA2xxx lifecycle (joins, closes, releases),
/// CSA3xxx type-state (use after consume). The prefix CSA never collides with the compiler (CS) or the .NET analyzers (CA).
/// </summary>
internal static class RuleIdentifiers
{
    /// <summary>Builds the help link of a rule: its page under docs/rules.</summary>
    public static string GetHelpUri(string id) =>
        $"https://github.com/concurrencysafety/concurrencysafety/blob/main/docs/rules/{id}.md";
}
