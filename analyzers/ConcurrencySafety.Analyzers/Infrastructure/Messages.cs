using Microsoft.CodeAnalysis.Operations;

namespace ConcurrencySafety.Analyzers.Infrastructure;

/// <summary>
/// The explanations the race rules put into their messages. A message names the path that
/// makes the access concurrent: the methods on the way (<c>'Helper → Bump'</c>) and the call that
/// starts the body, with its line, whenever the access is not in the lambda itself.
/// </summary>
internal static class Messages
{
    public static string Explain(ConflictKind kind, ConcurrentBody body, Access access, string write = "written", string read = "read")
    {
        var call = body.Call.DisplayName;
        var chain = access.Chain;
        if (chain is null && body.TargetMethod is null && !body.IsAsyncStart)
        {
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

        var line = body.Call.Line;
        var by = chain is null ? string.Empty : $" by '{chain}'";
        string bodyRef;
        if (body.IsAsyncStart && (body.TargetMethod ?? (body.Function as ILocalFunctionOperation)?.Symbol) is { } method)
        {
            bodyRef = $"'{method.Name}' started at line {line} and not awaited before it is started again";
        }
        else if (body.TargetMethod is { } target)
        {
            bodyRef = $"'{target.Name}' started by '{call}' (line {line})";
        }
        else if (body.IsAsyncStart)
        {
            bodyRef = $"the async lambda passed to '{call}' (line {line})";
        }
        else
        {
            bodyRef = $"the body passed to '{call}' (line {line})";
        }

        var verb = access.Kind == AccessKind.Write ? write : read;
        return kind switch
        {
            ConflictKind.SeveralInstances when body.IsAsyncStart => $"is {verb}{by} after an await, and {bodyRef} runs as several instances at once",
            ConflictKind.SeveralInstances when chain is not null => $"is {verb}{by}, which {bodyRef} runs as several instances at once",
            ConflictKind.SeveralInstances => $"is {verb} by {bodyRef}, which may run as several instances at once",
            ConflictKind.BodyWritesWhileStarterUses => $"is {write}{by} in {bodyRef} while the code that started it still uses it before joining",
            ConflictKind.StarterWritesWhileBodyRuns => $"is {write}{by} while {bodyRef}, which uses it, may still be running",
            ConflictKind.BodyWritesWhileSiblingUses => $"is {write}{by} in a concurrent body while {bodyRef} may use it at the same time",
            _ => $"is {read}{by} while {bodyRef} may be changing it",
        };
    }
}
