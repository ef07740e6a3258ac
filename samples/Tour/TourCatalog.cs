namespace ConcurrencySafety.Samples;

/// <summary>The list of samples the tour runs, in order. Each sample adds one line here.</summary>
internal static class TourCatalog
{
    public static IReadOnlyList<(string Name, Func<Task> Run)> All { get; } =
    [
        ("Type-state", TypeStateSamples.RunAsync),
    ];
}
