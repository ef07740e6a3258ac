// Soak run: randomized channel, select and scope workloads, round after round, until the time
// is up. Each round checks exactly-once delivery and that nothing is left behind. Exits with
// code 1 and a message at the first violation, so it can run unattended for hours.
//
//   dotnet run --project tests/ConcurrencySafety.Soak -c Release -- [minutes] [seed]
using System.Diagnostics;
using System.Globalization;
using ConcurrencySafety.Soak;

double minutes = args.Length > 0 ? double.Parse(args[0], CultureInfo.InvariantCulture) : 10;
int seed = args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : Environment.TickCount;
Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"soak: {minutes} min, seed {seed}"));

var random = new Random(seed);
var clock = Stopwatch.StartNew();
int round = 0;
try
{
    while (clock.Elapsed.TotalMinutes < minutes)
    {
        round++;
        int roundSeed = random.Next();
        string what = (round % 3) switch
        {
            0 => await Scenarios.SelectExactlyOnceAsync(new Random(roundSeed)),
            1 => await Scenarios.PlainOperationsAsync(new Random(roundSeed)),
            _ => await Scenarios.ScopesAsync(new Random(roundSeed)),
        };
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"round {round} ({clock.Elapsed.TotalSeconds:F0} s, round seed {roundSeed}): {what}"));
    }
}
catch (SoakFailure failure)
{
    Console.WriteLine($"FAILED in round {round}: {failure.Message}");
    return 1;
}

Console.WriteLine($"soak passed: {round} rounds");
return 0;
