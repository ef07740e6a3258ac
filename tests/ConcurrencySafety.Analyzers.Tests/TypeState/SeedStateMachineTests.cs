using Microsoft.CodeAnalysis.Testing;
using Sources = ConcurrencySafety.Analyzers.Tests.TypeState.TypeStateTestSources;

namespace ConcurrencySafety.Analyzers.Tests.TypeState;

/// <summary>
/// The seed's four "THESE WOULD NOT COMPILE" lines. The first two are ordinary C# type errors
/// because states are types; the last two are the analyzer's (CSA3001, CSA3002), covered here
/// and in the per-rule test classes. The valid sequence compiles with no diagnostic.
/// </summary>
public class SeedStateMachineTests
{
    [Fact]
    public Task Process_on_an_initialized_machine_is_a_type_error() => Sources.VerifyAsync<CSA3001UseAfterConsumeAnalyzer>("""
        class C
        {
            void M()
            {
                var machine = StateMachine.New();
                {|CS1929:machine|}.Process();
            }
        }
        """);

    [Fact]
    public Task Stop_on_an_initialized_machine_is_a_type_error() => Sources.VerifyAsync<CSA3001UseAfterConsumeAnalyzer>("""
        class C
        {
            void M()
            {
                var machine = StateMachine.New();
                var stopped = {|CS1929:machine|}.Stop();
            }
        }
        """);

    [Fact]
    public Task Process_after_start_moved_the_machine_is_CSA3001() => Sources.VerifyAsync<CSA3001UseAfterConsumeAnalyzer>("""
        class C
        {
            void M()
            {
                var machine = StateMachine.New().Start();
                var stopped = machine.Stop();
                {|CSA3001:machine|}.Process();
            }
        }
        """);

    [Fact]
    public Task Start_twice_is_CSA3002() => Sources.VerifyAsync<CSA3002DoubleConsumeAnalyzer>("""
        class C
        {
            void M()
            {
                var machine = StateMachine.New();
                var a = machine.Start();
                var b = {|CSA3002:machine|}.Start();
            }
        }
        """);

    [Fact]
    public async Task Valid_sequence_reports_nothing_under_every_rule()
    {
        const string valid = """
            class C
            {
                void M()
                {
                    var machine = StateMachine.New();
                    var running = machine.Start();
                    running.Process();
                    var stopped = running.Stop();
                    stopped.Finish();
                }
            }
            """;
        await Sources.VerifyAsync<CSA3001UseAfterConsumeAnalyzer>(valid);
        await Sources.VerifyAsync<CSA3002DoubleConsumeAnalyzer>(valid);
        await Sources.VerifyAsync<CSA3003MustConsumeDroppedAnalyzer>(valid);
    }
}
