namespace ConcurrencySafety.Bench;

/// <summary>
/// One benchmark case: prints `IMPL TEST FLAVOR SECONDS` lines for the test it implements.
/// See /work/shared/anchors/channels/WORKLOADS.md for the definitions of the tests.
/// </summary>
/// <param name="Test">The test name (`spawn`, `spsc`, ...), matched against the optional TEST argument.</param>
/// <param name="Run">Runs the case with N and T and writes its result lines.</param>
/// <param name="OnlyWhenAsked">True for diagnostic cases that run only when named explicitly.</param>
internal sealed record Workload(string Test, Func<int, int, TextWriter, Task> Run, bool OnlyWhenAsked = false);
