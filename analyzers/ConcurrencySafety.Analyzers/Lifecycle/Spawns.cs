using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Operations;

namespace ConcurrencySafety.Analyzers.Lifecycle;

/// <summary>Calls whose returned task stands for concurrent work that must be joined.</summary>
internal static class Spawns
{
    /// <summary>
    /// Whether <paramref name="invocation"/> starts concurrent work and returns its task:
    /// <c>Task.Run</c>, <c>TaskFactory.StartNew</c>, or opens a scope (<c>TaskScope.RunAsync</c>,
    /// <c>RunSupervisedAsync</c>) whose task is the only way to know its children finished.
    /// </summary>
    public static bool IsSpawn(IInvocationOperation invocation, LifecycleTypes types)
    {
        var method = invocation.TargetMethod;
        var type = method.ContainingType?.OriginalDefinition;
        if (type is null)
        {
            return false;
        }

        if (SymbolEqualityComparer.Default.Equals(type, types.Task))
        {
            return method.Name == "Run";
        }

        if (SymbolEqualityComparer.Default.Equals(type, types.TaskFactory) || SymbolEqualityComparer.Default.Equals(type, types.TaskFactoryOfT))
        {
            return method.Name == "StartNew";
        }

        return SymbolEqualityComparer.Default.Equals(type, types.TaskScope)
            && method.Name is "RunAsync" or "RunSupervisedAsync";
    }

    /// <summary>A short name for messages: <c>Task.Run</c>, <c>TaskScope.RunAsync</c>.</summary>
    public static string DisplayName(IInvocationOperation invocation) =>
        invocation.TargetMethod.ContainingType.Name + "." + invocation.TargetMethod.Name;
}
