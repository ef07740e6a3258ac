using System.Diagnostics;
using System.Text;

namespace ConcurrencySafety.Package.Tests.Infrastructure;

/// <summary>The outcome of one <c>dotnet</c> command: exit code and interleaved stdout/stderr.</summary>
public sealed record CommandResult(string CommandLine, int ExitCode, string Output, TimeSpan Elapsed)
{
    /// <summary>A description for assertion messages: the command, its exit code and its output.</summary>
    public override string ToString() => $"$ {CommandLine}\nexit code {ExitCode} after {Elapsed.TotalSeconds:F1} s\n{Output}";
}

/// <summary>
/// Runs the <c>dotnet</c> CLI as a user would, isolated from the test host's own build:
/// variables that the outer <c>dotnet test</c> set for its MSBuild are removed, and no build
/// server or reusable node is left running (a lingering server would keep the output pipes
/// open, and the machine is shared).
/// </summary>
internal static class DotNetCli
{
    /// <summary>Each command gets this long before it is killed: generous, the machine is loaded.</summary>
    public static readonly TimeSpan DefaultTimeout = TimeSpan.FromMinutes(6);

    private static readonly string[] InheritedBuildVariables =
    [
        "MSBuildExtensionsPath",
        "MSBuildSDKsPath",
        "MSBUILD_EXE_PATH",
        "MSBuildLoadMicrosoftTargetsReadOnly",
        "MSBUILDNOINPROCNODE",
        "MSBUILDTARGETOUTPUTLOGGING",
        "_MSBUILDTLENABLED",
    ];

    public static async Task<CommandResult> RunAsync(string workingDirectory, params string[] arguments)
    {
        var startInfo = new ProcessStartInfo(Executable)
        {
            WorkingDirectory = workingDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in arguments)
        {
            startInfo.ArgumentList.Add(argument);
        }

        Isolate(startInfo);
        startInfo.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        startInfo.Environment["DOTNET_NOLOGO"] = "1";
        startInfo.Environment["DOTNET_SKIP_FIRST_TIME_EXPERIENCE"] = "1";
        startInfo.Environment["MSBUILDDISABLENODEREUSE"] = "1";
        startInfo.Environment["DOTNET_CLI_USE_MSBUILD_SERVER"] = "0";
        startInfo.Environment["UseSharedCompilation"] = "false";

        var commandLine = "dotnet " + string.Join(' ', arguments);
        var output = new StringBuilder();
        using var process = new Process { StartInfo = startInfo };
        DataReceivedEventHandler append = (_, e) =>
        {
            if (e.Data is null)
            {
                return;
            }

            lock (output)
            {
                output.AppendLine(e.Data);
            }
        };
        process.OutputDataReceived += append;
        process.ErrorDataReceived += append;

        var stopwatch = Stopwatch.StartNew();
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        using var timeout = new CancellationTokenSource(DefaultTimeout);
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            string partial;
            lock (output)
            {
                partial = output.ToString();
            }

            throw new TimeoutException($"'{commandLine}' in {workingDirectory} did not finish within {DefaultTimeout}; it was killed. Output so far:\n{partial}");
        }

        lock (output)
        {
            return new CommandResult(commandLine, process.ExitCode, output.ToString(), stopwatch.Elapsed);
        }
    }

    /// <summary>
    /// Removes what the outer <c>dotnet test</c> set for its own MSBuild, so that a child (the
    /// dotnet CLI, a language server loading projects) finds the SDK as a user's would.
    /// </summary>
    public static void Isolate(ProcessStartInfo startInfo)
    {
        foreach (var name in InheritedBuildVariables)
        {
            startInfo.Environment.Remove(name);
        }

        if (Path.IsPathRooted(Executable))
        {
            startInfo.Environment["DOTNET_ROOT"] = Path.GetDirectoryName(Executable);
        }
    }

    /// <summary>The dotnet host that runs these tests, else the one on PATH.</summary>
    public static string Executable
    {
        get
        {
            var host = Environment.GetEnvironmentVariable("DOTNET_HOST_PATH");
            return !string.IsNullOrEmpty(host) && File.Exists(host) ? host : "dotnet";
        }
    }
}
