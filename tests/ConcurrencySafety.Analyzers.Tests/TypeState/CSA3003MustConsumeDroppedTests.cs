using ConcurrencySafety.Analyzers.Tests.Verifiers;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Testing;
using Sources = ConcurrencySafety.Analyzers.Tests.TypeState.TypeStateTestSources;

namespace ConcurrencySafety.Analyzers.Tests.TypeState;

public class CSA3003MustConsumeDroppedTests
{
    private static Task Verify(string source, params DiagnosticResult[] expected) =>
        Sources.VerifyAsync<CSA3003MustConsumeDroppedAnalyzer>(source, expected);

    [Fact]
    public Task Discarded_transition_result_is_reported() => Verify("""
        class C
        {
            void M()
            {
                var machine = StateMachine.New();
                {|CSA3003:machine.Start()|};
            }
        }
        """);

    [Fact]
    public Task Severity_is_warning_and_message_says_discarded() => Verify("""
        class C
        {
            void M() => {|#0:StateMachine.New()|};
        }
        """,
        new DiagnosticResult("CSA3003", DiagnosticSeverity.Warning).WithLocation(0)
            .WithArguments("StateMachine<Initialized>", "the result is discarded"));

    [Fact]
    public Task Explicit_discard_is_fine() => Verify("""
        class C
        {
            void M()
            {
                _ = StateMachine.New();
            }
        }
        """);

    [Fact]
    public Task Seed_valid_sequence_reports_nothing() => Verify("""
        class C
        {
            StateMachine<Stopped> M()
            {
                var machine = StateMachine.New();
                var running = machine.Start();
                running.Process();
                return running.Stop();
            }
        }
        """);

    [Fact]
    public Task Running_machine_dropped_without_stopping_is_reported() => Verify("""
        class C
        {
            void M()
            {
                var running = {|CSA3003:StateMachine.New().Start()|};
                running.Process();
            }
        }
        """);

    [Fact]
    public Task Final_state_whose_state_type_is_not_must_consume_may_be_dropped() => Verify("""
        class C
        {
            void M()
            {
                var stopped = StateMachine.New().Start().Stop();
                StateMachine.New().Start().Stop();
            }
        }
        """);

    [Fact]
    public Task Local_that_goes_out_of_scope_unconsumed_is_reported() => Verify("""
        class C
        {
            void M()
            {
                var machine = {|CSA3003:StateMachine.New()|};
                System.Console.WriteLine(machine.Processed);
            }
        }
        """);

    [Fact]
    public Task Local_consumed_on_only_one_path_is_reported() => Verify("""
        class C
        {
            StateMachine<Running>? M(bool flag)
            {
                var machine = {|CSA3003:StateMachine.New()|};
                if (flag)
                {
                    return machine.Start();
                }

                return null;
            }
        }
        """);

    [Fact]
    public Task Local_consumed_on_every_path_is_fine() => Verify("""
        class C
        {
            StateMachine<Running> M(bool flag)
            {
                var machine = StateMachine.New();
                if (flag)
                {
                    System.Console.WriteLine("starting");
                }

                return machine.Start();
            }
        }
        """);

    [Fact]
    public Task Returned_stored_or_passed_values_are_fine() => Verify("""
        class C
        {
            private StateMachine<Initialized>? _kept;

            StateMachine<Initialized> Returned() 
            {
                var machine = StateMachine.New();
                return machine;
            }

            void Stored()
            {
                var machine = StateMachine.New();
                _kept = machine;
            }

            void Passed(System.Collections.Generic.List<StateMachine<Initialized>> list)
            {
                var machine = StateMachine.New();
                list.Add(machine);
            }

            void Captured(System.Action<System.Action> run)
            {
                var machine = StateMachine.New();
                run(() => System.Console.WriteLine(machine.Processed));
            }
        }
        """);

    [Fact]
    public Task Values_placed_in_tuples_arrays_or_objects_are_fine() => Verify("""
        class C
        {
            (StateMachine<Initialized>, int) Tuple()
            {
                var machine = StateMachine.New();
                return (machine, 1);
            }

            StateMachine<Initialized>[] Array()
            {
                var machine = StateMachine.New();
                return new[] { machine };
            }

            object Anonymous()
            {
                var machine = StateMachine.New();
                return new { Machine = machine };
            }
        }
        """);

    [Fact]
    public Task Conditional_that_returns_the_value_on_one_side_only_is_reported() => Verify("""
        class C
        {
            StateMachine<Initialized>? M(bool flag)
            {
                var machine = {|CSA3003:StateMachine.New()|};
                return flag ? machine : null;
            }
        }
        """);

    [Fact]
    public Task Only_inspecting_a_value_does_not_discharge_it() => Verify("""
        class C
        {
            void M()
            {
                var machine = {|CSA3003:StateMachine.New()|};
                if (machine is null || machine.Processed > 0)
                {
                    System.Console.WriteLine($"{machine}");
                }
            }
        }
        """);

    [Fact]
    public Task Overwriting_an_unconsumed_local_is_reported() => Verify("""
        class C
        {
            StateMachine<Running> M()
            {
                var machine = {|CSA3003:StateMachine.New()|};
                machine = StateMachine.New();
                return machine.Start();
            }
        }
        """);

    [Fact]
    public Task Consumed_through_an_alias_is_fine() => Verify("""
        class C
        {
            StateMachine<Running> M()
            {
                var machine = StateMachine.New();
                var alias = machine;
                return alias.Start();
            }
        }
        """);

    [Fact]
    public Task Dropped_in_a_loop_is_reported_once() => Verify("""
        class C
        {
            void M(int n)
            {
                for (var i = 0; i < n; i++)
                {
                    var machine = {|CSA3003:StateMachine.New()|};
                }
            }
        }
        """);

    [Fact]
    public Task Throwing_before_consuming_is_not_a_drop() => Verify("""
        class C
        {
            StateMachine<Running> M(bool ok)
            {
                var machine = StateMachine.New();
                if (!ok)
                {
                    throw new System.InvalidOperationException();
                }

                return machine.Start();
            }
        }
        """);

    [Fact]
    public Task Disposed_values_are_fine() => Verify("""
        class C
        {
            int Declaration()
            {
                using var lease = new Lease();
                return lease.Id;
            }

            void Statement()
            {
                using (var lease = new Lease())
                {
                    System.Console.WriteLine(lease.Id);
                }
            }

            void Explicit()
            {
                var lease = new Lease();
                System.Console.WriteLine(lease.Id);
                lease.Dispose();
            }
        }
        """);

    [Fact]
    public Task Undisposed_must_consume_value_is_reported() => Verify("""
        class C
        {
            void M()
            {
                var lease = {|CSA3003:new Lease()|};
                System.Console.WriteLine(lease.Id);
            }
        }
        """);

    [Fact]
    public Task Disposed_on_only_one_path_is_reported() => Verify("""
        class C
        {
            void M(bool flag)
            {
                var lease = {|CSA3003:new Lease()|};
                if (flag)
                {
                    lease.Dispose();
                }
            }
        }
        """);

    [Fact]
    public Task Awaited_handle_is_fine_and_unawaited_handle_is_reported() => Verify("""
        class C
        {
            async System.Threading.Tasks.Task Awaited()
            {
                var handle = Handle.Spawn();
                await handle;
            }

            async System.Threading.Tasks.Task NotAwaited(bool flag)
            {
                var handle = {|CSA3003:Handle.Spawn()|};
                if (flag)
                {
                    await handle;
                }
            }
        }
        """);

    [Fact]
    public Task Types_without_the_attribute_are_ignored() => Verify("""
        class C
        {
            void M()
            {
                var token = new Token();
                new Token();
            }
        }
        """);
}
