namespace ConcurrencySafety.Mistakes;

/// <summary>
/// The type-state machine (Initialized -> Running -> Stopped) and the uses that Rust
/// rejects because a transition moves the value. Wrong-state calls (Process on an Initialized
/// machine) are ordinary C# type errors and are not repeated here; these are the ones only the
/// analyzers catch.
/// </summary>
internal static class TypeStateMistakes
{
    public static void UseAfterConsume()
    {
        var machine = StateMachine.New();
        var running = machine.Start();
        running.Process();
        var stopped = running.Stop();
        running.Process(); // CSA3001: 'running' was consumed by Stop()
        Console.WriteLine(stopped.Processed);
    }

    public static void DoubleConsume()
    {
        var machine = StateMachine.New();
        var first = machine.Start();
        var second = machine.Start(); // CSA3002: 'machine' was already consumed
        first.Stop();
        second.Stop();
    }

    public static void DroppedWithoutStopping(bool ready)
    {
        var running = StateMachine.New().Start(); // CSA3003: not stopped when 'ready' is false
        if (ready)
        {
            running.Stop();
        }
    }
}

/// <summary>An initialized machine must be started (dropping it is CSA3003).</summary>
[MustConsume]
public abstract class Initialized : ITypeState
{
    private Initialized()
    {
    }
}

/// <summary>A running machine must be stopped.</summary>
[MustConsume]
public abstract class Running : ITypeState
{
    private Running()
    {
    }
}

/// <summary>The final state.</summary>
public abstract class Stopped : ITypeState
{
    private Stopped()
    {
    }
}

/// <summary>A machine whose state is the phantom type argument.</summary>
public sealed class StateMachine<TState> : Consumable
    where TState : ITypeState
{
    internal StateMachine(int processed) => Processed = processed;

    public int Processed { get; private set; }

    internal void Increment() => Processed++;

    internal StateMachine<TNext> MoveTo<TNext>()
        where TNext : ITypeState
    {
        Consume();
        return new StateMachine<TNext>(Processed);
    }
}

/// <summary>The transitions: each consumes the machine it is called on.</summary>
public static class StateMachine
{
    public static StateMachine<Initialized> New() => new(0);

    [Consumes]
    public static StateMachine<Running> Start(this StateMachine<Initialized> machine) => machine.MoveTo<Running>();

    public static void Process(this StateMachine<Running> machine) => machine.Increment();

    [Consumes]
    public static StateMachine<Stopped> Stop(this StateMachine<Running> machine) => machine.MoveTo<Stopped>();
}

/// <summary>A generated protocol declared wrongly: the generator reports it and writes nothing.</summary>
[TypeStates("Idle", "Connected")]
[Transition("Connect", From = "Idle", To = "Open")] // CSA3004: 'Open' is not a declared state
public sealed partial class Connection
{
}
