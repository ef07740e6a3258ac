using System.Diagnostics;
using System.Runtime.CompilerServices;

namespace ConcurrencySafety.Tests;

/// <summary>
/// Makes a failed <c>Debug.Assert</c> in the library end the test process, in the Debug half of
/// the README's test command. The test host replaces .NET's default trace listener with one that
/// throws where the assert fails, and an exception can be caught and lost on the way up: the
/// library's failure paths catch exceptions by design (a wait's undo, a refused scheduling
/// context), and so do tests that record an expected exception. A process that ends cannot be
/// overlooked: the run is reported as aborted and the command fails.
/// </summary>
internal static class FailedAssertsEndTheRun
{
    [ModuleInitializer]
    internal static void Install()
    {
        Trace.Listeners.Clear();
        Trace.Listeners.Add(new FailFastListener());
    }

    private sealed class FailFastListener : TraceListener
    {
        public override void Fail(string? message, string? detailMessage) =>
            Environment.FailFast($"Debug.Assert failed: {message} {detailMessage}{Environment.NewLine}{Environment.StackTrace}");

        public override void Write(string? message)
        {
        }

        public override void WriteLine(string? message)
        {
        }
    }
}
