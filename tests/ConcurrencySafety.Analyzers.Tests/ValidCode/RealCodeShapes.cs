// Valid: shapes from real code bases (docs/real-code.md) that the race engine first reported.
using System;
using System.Linq;
using System.Runtime.CompilerServices;
using System.Threading.Tasks;

namespace Corpus.RealCodeShapes;

internal static class TaskExtensions
{
    // StackExchange.Redis' ForAwait(): ConfigureAwait(false) under another name.
    public static ConfiguredTaskAwaitable ForAwait(this Task task) => task.ConfigureAwait(false);
}

public sealed class Reader
{
    private int _statementIndex;
    private bool _schemaOnly;

    private async Task<bool> NextResult(bool async)
    {
        if (async)
        {
            await Task.Yield();
        }

        _statementIndex++;
        return true;
    }

    private async Task<bool> NextResultSchemaOnly(bool async)
    {
        if (async)
        {
            await Task.Yield();
        }

        _statementIndex += 2;
        return false;
    }

    // Npgsql (NpgsqlDataReader.NextResult): one of two async methods, joined at once.
    public bool Next() => (_schemaOnly ? NextResultSchemaOnly(false) : NextResult(false)).GetAwaiter().GetResult();

    // Exclusive branches start one task or the other, never both.
    public async Task<bool> NextAsync()
    {
        Task<bool> next;
        if (_schemaOnly)
        {
            next = NextResultSchemaOnly(true);
        }
        else
        {
            next = NextResult(true);
        }

        return await next.ConfigureAwait(false);
    }
}

public sealed class Endpoint
{
    private static string? s_version;
    private int _hellos;

    private static string Version() => s_version ??= typeof(Endpoint).Assembly.GetName().Version?.ToString() ?? "0";

    private async Task WriteHelloAsync()
    {
        await Task.Yield();
        _hellos++;
    }

    private async Task HandshakeAsync(bool hello)
    {
        if (hello)
        {
            // StackExchange.Redis (ServerEndPoint.HandshakeAsync): awaited through ForAwait().
            await WriteHelloAsync().ForAwait();
        }

        await WriteHelloAsync().ForAwait();
        Console.WriteLine(Version());
    }

    // StackExchange.Redis (ServerEndPoint.OnEstablishingAsync): the task is handed to a local
    // function that awaits it; what that function does happens after the handover.
    public Task OnEstablishingAsync(bool hello)
    {
        static async Task Awaited(Task handshake)
        {
            try
            {
                await handshake.ForAwait();
            }
            catch (InvalidOperationException)
            {
                Console.WriteLine(Version());
            }
        }

        var handshake = HandshakeAsync(hello);
        if (!handshake.IsCompletedSuccessfully)
        {
            return Awaited(handshake);
        }

        return handshake;
    }
}

public static class ProviderRegistry
{
    private static readonly object[] Known = { new object() };

    public static object GetProvider(string[] endpoints) => Known[endpoints.Length % Known.Length];
}

public sealed class ConfigurationOptions
{
    private object? _defaultOptions;

    public string[] EndPoints { get; } = { "a" };

    // StackExchange.Redis (ConfigurationOptions.Defaults): a lazy cache of a shared instance,
    // reached from PLINQ bodies through GetServer -> Proxy -> Defaults.
    public object Defaults => _defaultOptions ??= ProviderRegistry.GetProvider(EndPoints);
}

public sealed class Multiplexer
{
    private readonly ConfigurationOptions _config = new();

    private object GetServer(string endpoint) => _config.Defaults;

    public object[] Primaries(string[] endpoints) => endpoints.AsParallel().Select(e => GetServer(e)).ToArray();
}

// StackExchange.Redis src/StackExchange.Redis/ServerEndPoint.cs:747 (OnEstablishingAsync), found
// when the race engine moved onto the control-flow graph: the handshake is started in a try
// whose catch records a failure (a method that also runs inside the handshake), and the only
// code between the start and the handover of the task is a read of IsCompletedSuccessfully,
// which cannot throw. The catch therefore never runs while the handshake does.
public sealed class HandshakeEndpoint
{
    private int _failures;

    public Task OnEstablishingAsync()
    {
        static async Task Awaited(HandshakeEndpoint self, Task handshake)
        {
            try
            {
                await handshake;
            }
            catch (InvalidOperationException)
            {
                self.RecordFailure();
            }
        }

        try
        {
            var handshake = HandshakeAsync();
            if (!handshake.IsCompletedSuccessfully)
            {
                return Awaited(this, handshake);
            }
        }
        catch (InvalidOperationException)
        {
            RecordFailure();
        }

        return Task.CompletedTask;
    }

    private void RecordFailure() => _failures++;

    private async Task HandshakeAsync()
    {
        await Task.Yield();
        RecordFailure();
    }
}

// Npgsql src/Npgsql/NpgsqlCommand.cs:579 and :730 (SendDeriveParameters, SendPrepare), found when
// the race engine moved onto the control-flow graph: a send is started, its status checked at
// once (`if (sendTask.IsFaulted) sendTask.GetAwaiter().GetResult();`), and the reads go on while
// it may run; both sides reach an error-path cleanup. The code orders the two by hand (the send
// runs synchronously when not async, and is awaited after the reads); a status check counts as a
// join, and the rule stays silent.
public sealed class PipelinedCommand
{
    private int _broken;

    public async Task PrepareAsync(bool async)
    {
        var sendTask = SendAsync(async);
        if (sendTask.IsFaulted)
        {
            sendTask.GetAwaiter().GetResult();
        }

        Break();
        await sendTask;
    }

    private void Break() => _broken++;

    private async Task SendAsync(bool async)
    {
        if (async)
        {
            await Task.Yield();
        }

        Break();
    }
}
