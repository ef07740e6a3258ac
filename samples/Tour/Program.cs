// The tour: every pattern of the library, run in turn with a short heading.
// `dotnet run --project samples/Tour` runs all of them; pass a name to run one.
using ConcurrencySafety.Samples;

var samples = TourCatalog.All;
var only = args.Length > 0 ? args[0] : null;
foreach (var (name, run) in samples)
{
    if (only is not null && !string.Equals(only, name, StringComparison.OrdinalIgnoreCase)) continue;
    Console.WriteLine();
    Console.WriteLine($"== {name} ==");
    await run();
}
Console.WriteLine();
Console.WriteLine("Tour complete.");
