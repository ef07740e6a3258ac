namespace ConcurrencySafety.Samples;

/// <summary>The list of samples the tour runs, in order. Each sample adds one line here.</summary>
internal static class TourCatalog
{
    public static IReadOnlyList<(string Name, Func<Task> Run)> All { get; } =
    [
        ("scoped-threads", ScopeSamples.ScopedThreads),
        ("task-scope", ScopeSamples.WaitGroupReplacement),
        ("permits", ScopeSamples.Permits),
        ("locked-data", ScopeSamples.DataOwningLock),
    ];
}
