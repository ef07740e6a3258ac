using Sources = ConcurrencySafety.Analyzers.Tests.TypeState.TypeStateTestSources;

namespace ConcurrencySafety.Analyzers.Tests.TypeState;

/// <summary>
/// A corpus of correct code that uses consuming calls and must-consume types the way real code
/// does. Every CSA300x analyzer must stay silent on it; add to it whenever a false positive is
/// found.
/// </summary>
public class TypeStateValidCodeTests
{
    private const string Corpus = """
        using System;
        using System.Collections.Generic;
        using System.Threading.Tasks;

        public sealed class Pipelines
        {
            private StateMachine<Running>? _current;
            private readonly List<Token> _pending = new();

            // Builder chains, assigned back, in loops and conditionally.
            public string Configure(int[] values, bool verbose)
            {
                var builder = new Builder();
                foreach (var value in values)
                {
                    if (value < 0)
                    {
                        continue;
                    }

                    builder = builder.With(value);
                }

                if (verbose)
                {
                    builder = builder.With(-1);
                }

                return builder.Build();
            }

            // A machine kept in a field between calls.
            public void Begin() => _current = StateMachine.New().Start();

            public StateMachine<Stopped>? End()
            {
                var running = _current;
                _current = null;
                return running?.Stop();
            }

            // Early returns on every path.
            public StateMachine<Running>? StartIf(bool ready)
            {
                var machine = StateMachine.New();
                if (!ready)
                {
                    _ = machine;
                    return null;
                }

                return machine.Start();
            }

            // A consumed value replaced before the next use, in a retry loop with try/catch.
            public async Task<int> RetryAsync(Func<Token, Task<bool>> attempt)
            {
                var token = new Token();
                for (var tries = 1; ; tries++)
                {
                    bool ok;
                    try
                    {
                        ok = await attempt(token);
                    }
                    catch (InvalidOperationException)
                    {
                        ok = false;
                    }

                    if (ok)
                    {
                        Owner.Take(token);
                        return tries;
                    }

                    Owner.Take(token);
                    token = new Token();
                }
            }

            // Queue draining: every dequeued value is consumed exactly once.
            public void Drain(Queue<Token> queue)
            {
                while (queue.TryDequeue(out var token))
                {
                    if (token.Id == 0)
                    {
                        _pending.Add(token);
                        continue;
                    }

                    Owner.Take(token);
                }
            }

            // Disposal in finally after a consuming call, and using declarations.
            public string BuildSafely(int value)
            {
                var builder = new Builder();
                try
                {
                    builder = builder.With(value);
                    return builder.Build();
                }
                finally
                {
                    builder.Dispose();
                }
            }

            public int Leases(int n)
            {
                var total = 0;
                for (var i = 0; i < n; i++)
                {
                    using var lease = new Lease();
                    total += lease.Id;
                }

                return total;
            }

            // Switch on a value, consuming it in each arm.
            public void Route(Token token, int kind)
            {
                switch (kind)
                {
                    case 0:
                        Owner.Take(token);
                        break;
                    case 1:
                        Owner.Look(token);
                        Owner.Take(token);
                        break;
                    default:
                        _pending.Add(token);
                        break;
                }
            }

            // A value consumed inside a lambda, and the full state sequence inside one.
            public void Spawn(Token token) => Owner.Run(() => Owner.Take(token));

            public Task RunMachineAsync() => Task.Run(() =>
            {
                var running = StateMachine.New().Start();
                running.Process();
                var stopped = running.Stop();
                stopped.Finish();
            });

            // Awaited handles and consumed interface ends.
            public async Task AwaitAll(int n)
            {
                for (var i = 0; i < n; i++)
                {
                    var handle = Handle.Spawn();
                    await handle;
                }
            }

            public void CloseAll(IEnumerable<IChannelEnd> ends)
            {
                foreach (var end in ends)
                {
                    end.Touch();
                    end.Close();
                }
            }

            // Consumption after a ternary and through a deconstruction.
            public void Pick(bool first)
            {
                var (a, b) = (new Token(), new Token());
                var chosen = first ? a : b;
                Owner.Take(chosen);
                Owner.Look(first ? b : a);
            }
        }
        """;

    [Fact]
    public Task Use_after_consume_is_silent_on_the_corpus() => Sources.VerifyAsync<CSA3001UseAfterConsumeAnalyzer>(Corpus);

    [Fact]
    public Task Double_consume_is_silent_on_the_corpus() => Sources.VerifyAsync<CSA3002DoubleConsumeAnalyzer>(Corpus);

    [Fact]
    public Task Must_consume_is_silent_on_the_corpus() => Sources.VerifyAsync<CSA3003MustConsumeDroppedAnalyzer>(Corpus);
}
