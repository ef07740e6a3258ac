// A controlled scheduler for exploring interleavings of the library's operations.
//
// Why not Coyote: Microsoft.Coyote 1.7.11 (the version on the package mirror) was tried first.
// Its `coyote rewrite` tool needs the .NET 8 runtime ("You must install or update .NET to run
// this application ... Framework: 'Microsoft.NETCore.App', version '8.0.0'"); with
// DOTNET_ROLL_FORWARD=Major it runs on .NET 10 and rewrites ConcurrencySafety.dll, but the
// rewritten net10.0 assembly fails at run time with "System.InvalidProgramException: Common
// Language Runtime detected an invalid program. at ConcurrencySafety.Channels.ChannelCore`1.ReceiveSlowAsync"
// (and, before partial control was allowed, every iteration reported a potential deadlock,
// because the library's IValueTaskSource waits are invisible to Coyote).
//
// What this scheduler controls: logical threads are C# iterators; each `yield return` is a
// scheduling point, placed between the library's calls. Everything runs on the test's own
// thread, so an interleaving is a pure function of the seed: asynchronous operations are
// started and then polled (never awaited, so no continuation goes to the thread pool), a
// partner's call completes them synchronously, cancellation callbacks run inside Cancel(), and
// time is a FakeTimeProvider advanced by a logical thread, whose timers fire inside Advance().
// Races between registration, completion, cancellation, timeouts and disposal are therefore
// explored at the granularity of calls and callbacks. Races inside one call (two CPUs in one
// lock-free section) are not: those remain the stress tests' and the soak run's job.
//
// Two kinds of completion still leave the scheduler's thread by design (a wake by
// disconnection and a select's resumption are dispatched to the thread pool); a thread polling
// such an operation yields the processor now and then (see Poll) until it completes, so those
// steps are not replayed exactly, while every ordering the scheduler chooses is.
//
// Strategies: uniform random choice of the next runnable thread, and PCT (probabilistic
// concurrency testing: random thread priorities, the running thread demoted at a few random
// change points), which finds bugs that need a few specific orderings with high probability.
namespace ConcurrencySafety.Tests.Exploration;

/// <summary>Runs logical threads (iterators) one step at a time in an order chosen by a seeded strategy.</summary>
internal sealed class ControlledScheduler
{
    private readonly Random _random;
    private readonly bool _pct;
    private readonly List<(string Name, IEnumerator<bool> Steps, int Priority)> _threads = new();
    private readonly int _maxSteps;
    private readonly List<int> _changePoints = new();
    private int _step;

    /// <summary>A schedule still running after this long is a hang (a real one takes milliseconds).</summary>
    private static readonly TimeSpan HangLimit = TimeSpan.FromSeconds(20);

    /// <summary>
    /// How long a schedule past its step limit may still run before it fails (see <see cref="Run"/>).
    /// 15 s, not 5: since a poll stops yielding on every step (<see cref="Poll"/>), the step
    /// limit goes by within a second while a poll waits for the thread pool, so this bound alone
    /// decides. With 5 s, the first schedule of a rendezvous timeout test once failed in a full
    /// exploration run on a quiet machine: 36.9 million steps in 5 s, waiting for a pool thread
    /// while the other tests ran in parallel. A real hang still fails at <see cref="HangLimit"/>.
    /// </summary>
    private static readonly TimeSpan StepGrace = TimeSpan.FromSeconds(15);

    private readonly System.Diagnostics.Stopwatch _clock = System.Diagnostics.Stopwatch.StartNew();

    public ControlledScheduler(int seed, bool pct, int maxSteps = 10_000_000)
    {
        _random = new Random(seed);
        _pct = pct;
        _maxSteps = maxSteps;
        if (pct)
        {
            for (var i = 0; i < 3; i++)
            {
                _changePoints.Add(_random.Next(60));
            }
        }
    }

    /// <summary>
    /// The order in which threads ran, one name per step: the schedule, for a failure's message.
    /// Only the first <see cref="TraceLimit"/> steps are kept (<see cref="StepsRun"/> counts them
    /// all): a schedule that spins past its step limit while it waits for the thread pool can run
    /// tens of millions of steps within <see cref="StepGrace"/>, and recording each would take
    /// gigabytes and make the failure message itself fail.
    /// </summary>
    public List<string> Trace { get; } = new();

    /// <summary>How many steps <see cref="Trace"/> keeps at most.</summary>
    public const int TraceLimit = 100_000;

    /// <summary>Gets the number of steps run so far, recorded in <see cref="Trace"/> or not.</summary>
    public int StepsRun => _step;

    /// <summary>Adds a logical thread. Each <c>yield return</c> of <paramref name="body"/> is a scheduling point.</summary>
    public void Spawn(string name, IEnumerable<bool> body) => _threads.Add((name, body.GetEnumerator(), _random.Next(1_000)));

    /// <summary>Runs until every thread has finished; false if the step limit was reached first (a livelock or a lost wake-up).</summary>
    public bool Run()
    {
        while (_threads.Count > 0)
        {
            // The step limit alone is not a verdict: a scenario whose logical threads poll for
            // work the thread pool runs (a scope's child start) burns steps while the pool is
            // slow to run it, and on a loaded two-core machine, with the test runner's own
            // threads busy, the pool can take seconds to inject a thread. So past the step limit
            // a schedule fails only once it has also run for StepGrace; a real hang still fails
            // at HangLimit.
            ++_step;
            if ((_step > _maxSteps && _clock.Elapsed > StepGrace) || (_step % 1_000 == 0 && _clock.Elapsed > HangLimit))
            {
                return false;
            }

            var index = Choose();
            var (name, steps, priority) = _threads[index];
            if (Trace.Count < TraceLimit)
            {
                Trace.Add(name);
            }

            if (!steps.MoveNext())
            {
                _threads.RemoveAt(index);
            }
            else if (_pct && _changePoints.Contains(_step))
            {
                _threads[index] = (name, steps, -_step); // demoted below every other thread
            }
        }

        return true;
    }

    private int Choose()
    {
        if (!_pct)
        {
            return _random.Next(_threads.Count);
        }

        var best = 0;
        for (var i = 1; i < _threads.Count; i++)
        {
            if (_threads[i].Priority > _threads[best].Priority)
            {
                best = i;
            }
        }

        // A thread that only spins waiting for another would starve the others under strict
        // priorities; one step in eight goes to a random thread so that waits make progress.
        return _random.Next(8) == 0 ? _random.Next(_threads.Count) : best;
    }

    /// <summary>Starts an asynchronous operation; an exception thrown by the call itself (a token already cancelled) becomes a faulted task, as if thrown by the wait.</summary>
    public static ValueTask<T> Start<T>(Func<ValueTask<T>> start)
    {
        try
        {
            return start();
        }
        catch (Exception e)
        {
            return ValueTask.FromException<T>(e);
        }
    }

    /// <summary>
    /// The scheduling point of a thread polling a pending operation. Most completions run on
    /// the scheduler's thread (synchronous continuations), but some are dispatched to the thread
    /// pool by design (a wake by disconnection, a select's resumption): yielding the processor
    /// now and then lets those finish. Such a loop can still run past the step limit while the
    /// pool is slow; <see cref="StepGrace"/> is the bound that keeps that from failing the
    /// schedule. Only one poll in <see cref="PollsPerYield"/> yields: most polls wait for another
    /// logical thread of this same OS thread, which a yield cannot help, and on a loaded machine
    /// every yield that finds another runnable thread gives the core away for a time slice.
    /// Yielding on every poll made the exploration tests about 3 times slower beside two busy
    /// processes (300 iterations of each: 36 s against 11 s quiet).
    /// </summary>
    public static bool Poll()
    {
        if (++t_polls % PollsPerYield == 0)
        {
            Thread.Yield();
        }

        return true;
    }

    /// <summary>How many polls go by between two yields of the processor (see <see cref="Poll"/>).</summary>
    private const int PollsPerYield = 16;

    /// <summary>Polls made on this thread, for <see cref="Poll"/>'s yield cadence.</summary>
    [ThreadStatic]
    private static int t_polls;
}

/// <summary>Runs a scenario over many seeds and both strategies; reports the first failing seed with its schedule.</summary>
internal static class Exploration
{
    /// <summary>Iterations per exploration: 10,000 in the suite, <c>CSA_EXPLORE_ITERATIONS</c> for long runs.</summary>
    public static int Iterations =>
        int.TryParse(Environment.GetEnvironmentVariable("CSA_EXPLORE_ITERATIONS"), out var n) ? n : 10_000;

    /// <summary>The first seed: <c>CSA_EXPLORE_SEED</c> to explore other schedules, or to replay one (with CSA_EXPLORE_ITERATIONS=1).</summary>
    public static int FirstSeed =>
        int.TryParse(Environment.GetEnvironmentVariable("CSA_EXPLORE_SEED"), out var n) ? n : 0;

    /// <summary>
    /// Runs <paramref name="scenario"/> (which spawns threads on the scheduler and returns the
    /// check to run at the end) for every seed; odd seeds use PCT, even ones random choice.
    /// </summary>
    public static void Explore(Func<ControlledScheduler, int, Action> scenario)
    {
        for (var seed = FirstSeed; seed < FirstSeed + Iterations; seed++)
        {
            var scheduler = new ControlledScheduler(seed, pct: seed % 2 == 1);
            Action check;
            try
            {
                check = scenario(scheduler, seed);
                Assert.True(scheduler.Run(), "the threads did not finish within the step limit (a lost wake-up or a livelock)");
                check();
            }
            catch (Exception e)
            {
                throw new InvalidOperationException(
                    $"exploration failed at seed {seed} ({(seed % 2 == 1 ? "PCT" : "random")}); replay with CSA_EXPLORE_SEED={seed} CSA_EXPLORE_ITERATIONS=1. Schedule ({scheduler.StepsRun} steps, the first {scheduler.Trace.Count} shown): {string.Join(" ", scheduler.Trace)}",
                    e);
            }
        }
    }
}
