// Type-state: a protocol written in types, and the analyzer that keeps Rust's "moved" rule.
//
// In Rust, a type parameter can encode Initialized -> Running -> Stopped. In C# the
// wrong-state calls are type errors just the same, but the old value stays usable after a
// transition; [Consumes] on the transitions lets CSA3001/CSA3002 reject that at compile time,
// and the Consumable base class rejects it at run time for anything the analyzer cannot see.
using ConcurrencySafety.Samples.TypeState;

namespace ConcurrencySafety.Samples
{
    /// <summary>The type-state samples of the tour.</summary>
    internal static class TypeStateSamples
    {
        public static Task RunAsync()
        {
            // A valid sequence.
            var machine = StateMachine.New();
            var running = machine.Start();
            running.Process();
            running.Process();
            var stopped = running.Stop();
            Console.WriteLine($"state machine: processed {stopped.Processed} items, now {stopped.State}");

            // Four lines that must not compile:
            //   machine.Process();          // CS1929: Process needs a StateMachine<Running>
            //   machine.Stop();             // CS1929: Stop needs a StateMachine<Running>
            //   running.Process();          // CSA3001: 'running' is used here after it was consumed by 'running.Stop()'
            //   machine.Start();            // CSA3002: 'machine' is consumed here, but it was already consumed by 'machine.Start()'

            // What the analyzer rejects at compile time, Consumable rejects at run time (for
            // reflection, dynamic, or code built without the analyzer). The suppression below
            // exists only to show that second line of defence.
            try
            {
#pragma warning disable CSA3001 // Deliberate use after consume, to show the run-time check.
                running.Process();
#pragma warning restore CSA3001
            }
            catch (InvalidOperationException error)
            {
                Console.WriteLine($"run-time guard: {error.Message}");
            }

            // The same protocol, generated from a declaration (see Connection below).
            var connected = new Connection { Host = "db.local" }.Begin().Connect();
            connected.Send("hello");
            connected.Send("world");
            var closed = connected.Close();
            Console.WriteLine($"generated machine: {closed.Data.Host} sent {closed.Data.Sent} messages, now closed");
            return Task.CompletedTask;
        }
    }
}

namespace ConcurrencySafety.Samples.TypeState
{
    // ---- The hand-written pattern: phantom states + a Consumable value + extension methods ----

    /// <summary>The initial state. [MustConsume]: a machine must not be dropped before it starts.</summary>
    [MustConsume]
    public abstract class Initialized : ITypeState
    {
        private Initialized()
        {
        }
    }

    /// <summary>The running state. [MustConsume]: a running machine must be stopped.</summary>
    [MustConsume]
    public abstract class Running : ITypeState
    {
        private Running()
        {
        }
    }

    /// <summary>The final state: may be dropped.</summary>
    public abstract class Stopped : ITypeState
    {
        private Stopped()
        {
        }
    }

    /// <summary>A state machine whose state is the phantom type argument <typeparamref name="TState"/>.</summary>
    public sealed class StateMachine<TState> : Consumable
        where TState : ITypeState
    {
        private int _processed;

        internal StateMachine(int processed) => _processed = processed;

        /// <summary>Gets how many items were processed while running.</summary>
        public int Processed
        {
            get
            {
                ThrowIfConsumed();
                return _processed;
            }
        }

        /// <summary>Gets the name of the current state.</summary>
        public string State => typeof(TState).Name;

        internal void Increment()
        {
            ThrowIfConsumed();
            _processed++;
        }

        /// <summary>Consumes this value and returns the machine in state <typeparamref name="TNext"/>.</summary>
        internal StateMachine<TNext> MoveTo<TNext>()
            where TNext : ITypeState
        {
            Consume();
            return new StateMachine<TNext>(_processed);
        }
    }

    /// <summary>Creation and the state-specific operations: each exists only on the state where it is legal.</summary>
    public static class StateMachine
    {
        /// <summary>Creates a machine in the initial state.</summary>
        public static StateMachine<Initialized> New() => new(0);

        /// <summary>Starts the machine. Consumes it: use the returned running machine.</summary>
        [Consumes]
        public static StateMachine<Running> Start(this StateMachine<Initialized> machine) => machine.MoveTo<Running>();

        /// <summary>Processes one item; only a running machine can.</summary>
        public static void Process(this StateMachine<Running> machine) => machine.Increment();

        /// <summary>Stops the machine. Consumes it: use the returned stopped machine.</summary>
        [Consumes]
        public static StateMachine<Stopped> Stop(this StateMachine<Running> machine) => machine.MoveTo<Stopped>();
    }

    // ---- The generated version: declare states and transitions, not boilerplate ----

    /// <summary>A connection whose protocol (Idle -> Connected -> Closed) the source generator writes.</summary>
    [TypeStates("Idle", "Connected", "Closed", MustReachFinalState = true)]
    [Transition("Connect", From = "Idle", To = "Connected")]
    [Transition("Close", From = "Connected", To = "Closed")]
    public sealed partial class Connection
    {
        /// <summary>Gets or sets the host to connect to.</summary>
        public string Host { get; set; } = "";

        /// <summary>Gets how many messages were sent.</summary>
        public int Sent { get; private set; }

        partial void OnConnect() => Console.WriteLine($"  connecting to {Host}");

        partial void OnClose() => Console.WriteLine($"  closing {Host}");

        /// <summary>Operations that exist only while connected.</summary>
        public sealed partial class Connected
        {
            /// <summary>Sends a message; only a connected connection can.</summary>
            public void Send(string message)
            {
                Console.WriteLine($"  sent '{message}'");
                Data.Sent++;
            }
        }
    }
}
