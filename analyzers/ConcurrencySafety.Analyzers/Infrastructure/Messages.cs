namespace ConcurrencySafety.Analyzers.Infrastructure;

/// <summary>The explanations the race rules put into their messages.</summary>
internal static class Messages
{
    public static string Explain(ConflictKind kind, ConcurrentBody body, string write = "written", string read = "read")
    {
        var call = body.Call.DisplayName;
        return kind switch
        {
            ConflictKind.SeveralInstances => $"is {write} by the body passed to '{call}', which may run as several instances at once",
            ConflictKind.BodyWritesWhileStarterUses => $"is {write} by the body passed to '{call}' while the code that started it still uses it before joining",
            ConflictKind.StarterWritesWhileBodyRuns => $"is {write} while the body passed to '{call}', which uses it, may still be running",
            ConflictKind.StarterReadsWhileBodyWrites => $"is {read} while the body passed to '{call}' may be changing it",
            ConflictKind.BodyWritesWhileSiblingUses => $"is {write} by a concurrent body while the body passed to '{call}' may use it at the same time",
            _ => $"is {read} while the body passed to '{call}' may be changing it",
        };
    }
}
