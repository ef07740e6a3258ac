// The tour: every pattern of the library, run in turn with a short heading.
// `dotnet run --project samples/Tour` runs all of them; pass a name to run one, `--list` to
// see the names, `--help` for this usage. An unknown name or option prints the names and
// exits with code 2.
using ConcurrencySafety.Samples;

var samples = TourCatalog.All;

if (args.Length > 1)
{
    return Usage(Console.Error, $"expected at most one sample name, got {args.Length} arguments", 2);
}

string? only = args.Length == 1 ? args[0] : null;
switch (only)
{
    case "--list":
        foreach (var (name, _) in samples) Console.WriteLine(name);
        return 0;
    case "--help" or "-h" or "-?":
        return Usage(Console.Out, null, 0);
    case not null when !samples.Any(s => string.Equals(s.Name, only, StringComparison.OrdinalIgnoreCase)):
        return Usage(Console.Error, only.StartsWith('-') ? $"unknown option '{only}'" : $"no sample named '{only}'", 2);
}

foreach (var (name, run) in samples)
{
    if (only is not null && !string.Equals(only, name, StringComparison.OrdinalIgnoreCase)) continue;
    Console.WriteLine();
    Console.WriteLine($"== {name} ==");
    await run();
}
Console.WriteLine();
Console.WriteLine(only is null ? "Tour complete." : $"Sample '{only}' complete.");
return 0;

int Usage(TextWriter to, string? problem, int exitCode)
{
    if (problem is not null) to.WriteLine($"tour: {problem}");
    to.WriteLine("usage: dotnet run --project samples/Tour -c Release [-- <sample> | --list | --help]");
    to.WriteLine("Runs every sample in turn, or only <sample>. The samples:");
    foreach (var (name, _) in samples) to.WriteLine("  " + name);
    return exitCode;
}
