using System.Diagnostics;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace ConcurrencySafety.Package.Tests.Infrastructure;

/// <summary>
/// A minimal Language Server Protocol client over a server's stdin/stdout (JSON-RPC with
/// Content-Length framing), as an editor speaks it. It answers the server's requests
/// (<c>workspace/configuration</c> with <see cref="Configuration"/>, anything else with null),
/// keeps every notification, and records the whole exchange in <see cref="Transcript"/>.
/// </summary>
internal sealed class LspClient : IAsyncDisposable
{
    private readonly Process _process;
    private readonly Stream _input;
    private readonly SemaphoreSlim _writeGate = new(1, 1);
    private readonly Dictionary<int, TaskCompletionSource<JsonNode?>> _pending = [];
    private readonly List<JsonObject> _notifications = [];
    private readonly StringBuilder _transcript = new();
    private readonly StringBuilder _stderr = new();
    private readonly Task _reader;
    private int _nextId;

    private LspClient(Process process, JsonObject configuration)
    {
        _process = process;
        _input = process.StandardInput.BaseStream;
        Configuration = configuration;
        _reader = Task.Run(ReadLoopAsync);
        process.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is not null)
            {
                lock (_stderr)
                {
                    _stderr.AppendLine(e.Data);
                }
            }
        };
        process.BeginErrorReadLine();
    }

    /// <summary>The <c>csharp</c> section the client hands out for <c>workspace/configuration</c>.</summary>
    public JsonObject Configuration { get; }

    /// <summary>Every message, in order: ">>" client to server, "<<" server to client.</summary>
    public string Transcript
    {
        get
        {
            lock (_transcript)
            {
                return _transcript.ToString();
            }
        }
    }

    public string StandardError
    {
        get
        {
            lock (_stderr)
            {
                return _stderr.ToString();
            }
        }
    }

    public static LspClient Start(string fileName, string workingDirectory, JsonObject configuration, params string[] arguments)
    {
        var startInfo = new ProcessStartInfo(fileName)
        {
            WorkingDirectory = workingDirectory,
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in arguments)
        {
            startInfo.ArgumentList.Add(argument);
        }

        DotNetCli.Isolate(startInfo);
        var process = Process.Start(startInfo) ?? throw new InvalidOperationException($"could not start {fileName}");
        return new LspClient(process, configuration);
    }

    public async Task<JsonNode?> RequestAsync(string method, JsonNode? parameters, TimeSpan timeout)
    {
        var id = Interlocked.Increment(ref _nextId);
        var answer = new TaskCompletionSource<JsonNode?>(TaskCreationOptions.RunContinuationsAsynchronously);
        lock (_pending)
        {
            _pending.Add(id, answer);
        }

        await SendAsync(new JsonObject { ["jsonrpc"] = "2.0", ["id"] = id, ["method"] = method, ["params"] = parameters });
        return await answer.Task.WaitAsync(timeout);
    }

    public Task NotifyAsync(string method, JsonNode? parameters) =>
        SendAsync(new JsonObject { ["jsonrpc"] = "2.0", ["method"] = method, ["params"] = parameters });

    /// <summary>The notifications received so far with <paramref name="method"/>.</summary>
    public List<JsonObject> Notifications(string method)
    {
        lock (_notifications)
        {
            return _notifications.Where(n => (string?)n["method"] == method).ToList();
        }
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            if (!_process.HasExited)
            {
                await RequestAsync("shutdown", null, TimeSpan.FromSeconds(20));
                await NotifyAsync("exit", null);
                await _process.WaitForExitAsync(new CancellationTokenSource(TimeSpan.FromSeconds(20)).Token);
            }
        }
        catch (Exception e) when (e is TimeoutException or OperationCanceledException or IOException or InvalidOperationException)
        {
            // Killed below.
        }
        finally
        {
            if (!_process.HasExited)
            {
                _process.Kill(entireProcessTree: true);
            }

            await _reader.ContinueWith(_ => { }, TaskScheduler.Default);
            _process.Dispose();
            _writeGate.Dispose();
        }
    }

    private async Task SendAsync(JsonObject message)
    {
        var body = Encoding.UTF8.GetBytes(message.ToJsonString());
        Record(">> ", message);
        await _writeGate.WaitAsync();
        try
        {
            await _input.WriteAsync(Encoding.ASCII.GetBytes($"Content-Length: {body.Length}\r\n\r\n"));
            await _input.WriteAsync(body);
            await _input.FlushAsync();
        }
        finally
        {
            _writeGate.Release();
        }
    }

    private void Record(string direction, JsonNode message)
    {
        lock (_transcript)
        {
            _transcript.Append(direction).AppendLine(message.ToJsonString());
        }
    }

    private async Task ReadLoopAsync()
    {
        var output = _process.StandardOutput.BaseStream;
        while (await ReadMessageAsync(output) is { } message)
        {
            Record("<< ", message);
            if (message["method"] is not null && message["id"] is not null)
            {
                // A request from the server.
                JsonNode? result = (string?)message["method"] == "workspace/configuration"
                    ? new JsonArray(((JsonArray?)message["params"]?["items"] ?? []).Select(_ => (JsonNode?)Configuration.DeepClone()).ToArray())
                    : null;
                await SendAsync(new JsonObject { ["jsonrpc"] = "2.0", ["id"] = message["id"]!.DeepClone(), ["result"] = result });
            }
            else if (message["method"] is not null)
            {
                lock (_notifications)
                {
                    _notifications.Add(message);
                }
            }
            else if (message["id"] is JsonValue idValue && idValue.TryGetValue(out int id))
            {
                TaskCompletionSource<JsonNode?>? answer;
                lock (_pending)
                {
                    _pending.Remove(id, out answer);
                }

                if (message["error"] is { } error)
                {
                    answer?.TrySetException(new InvalidOperationException("LSP error: " + error.ToJsonString()));
                }
                else
                {
                    answer?.TrySetResult(message["result"]?.DeepClone());
                }
            }
        }
    }

    private static async Task<JsonObject?> ReadMessageAsync(Stream stream)
    {
        int length = -1;
        while (true)
        {
            var line = await ReadHeaderLineAsync(stream);
            if (line is null)
            {
                return null;
            }

            if (line.Length == 0)
            {
                break;
            }

            if (line.StartsWith("Content-Length:", StringComparison.OrdinalIgnoreCase))
            {
                length = int.Parse(line["Content-Length:".Length..].Trim(), System.Globalization.CultureInfo.InvariantCulture);
            }
        }

        var body = new byte[length];
        await stream.ReadExactlyAsync(body);
        return JsonNode.Parse(body)?.AsObject();
    }

    private static async Task<string?> ReadHeaderLineAsync(Stream stream)
    {
        var line = new StringBuilder();
        var one = new byte[1];
        while (true)
        {
            if (await stream.ReadAsync(one) == 0)
            {
                return null;
            }

            if (one[0] == '\n')
            {
                return line.ToString().TrimEnd('\r');
            }

            line.Append((char)one[0]);
        }
    }
}
