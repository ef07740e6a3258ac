using ConcurrencySafety.Analyzers.Tests.Verifiers;
using Microsoft.CodeAnalysis.Testing;
using Sources = ConcurrencySafety.Analyzers.Tests.TypeState.TypeStateTestSources;

namespace ConcurrencySafety.Analyzers.Tests.TypeState;

public class CSA3001UseAfterConsumeTests
{
    private static Task Verify(string source, params DiagnosticResult[] expected) =>
        Sources.VerifyAsync<CSA3001UseAfterConsumeAnalyzer>(source, expected);

    private static Task VerifyFix(string source, string fixedSource, string? key = null) =>
        Sources.VerifyFixAsync<CSA3001UseAfterConsumeAnalyzer, CodeFixes.CSA3001UseAfterConsumeCodeFix>(source, fixedSource, key);

    // ---- Code fix ----------------------------------------------------------------------------

    [Fact]
    public Task Fix_declares_a_variable_for_the_returned_state_and_uses_it() => VerifyFix("""
        class C
        {
            void M()
            {
                var machine = StateMachine.New();
                machine.Start();
                System.Console.WriteLine({|CSA3001:machine|}.Processed);
                System.Console.WriteLine({|CSA3001:machine|}.Processed + 1);
            }
        }
        """, """
        class C
        {
            void M()
            {
                var machine = StateMachine.New();
                var running = machine.Start();
                System.Console.WriteLine(running.Processed);
                System.Console.WriteLine(running.Processed + 1);
            }
        }
        """, CodeFixes.CSA3001UseAfterConsumeCodeFix.UseReturnedValueKey);

    [Fact]
    public Task Fix_picks_a_free_name() => VerifyFix("""
        class C
        {
            void M()
            {
                var running = StateMachine.New().Start();
                running.Stop();
                System.Console.WriteLine({|CSA3001:running|}.Processed);
                var stopped = 1;
            }
        }
        """, """
        class C
        {
            void M()
            {
                var running = StateMachine.New().Start();
                var stopped2 = running.Stop();
                System.Console.WriteLine(stopped2.Processed);
                var stopped = 1;
            }
        }
        """);

    [Fact]
    public Task Fix_assigns_back_when_the_returned_type_fits() => VerifyFix("""
        class C
        {
            int M(Builder builder)
            {
                builder.With(1);
                return {|CSA3001:builder|}.Count;
            }
        }
        """, """
        class C
        {
            int M(Builder builder)
            {
                builder = builder.With(1);
                return builder.Count;
            }
        }
        """, CodeFixes.CSA3001UseAfterConsumeCodeFix.AssignBackKey);

    [Fact]
    public Task Fix_is_not_offered_when_the_result_was_used() => VerifyFix("""
        class C
        {
            int M(Builder builder)
            {
                var next = builder.With(1);
                return {|CSA3001:builder|}.Count + next.Count;
            }
        }
        """, """
        class C
        {
            int M(Builder builder)
            {
                var next = builder.With(1);
                return {|CSA3001:builder|}.Count + next.Count;
            }
        }
        """);

    [Fact]
    public Task Fix_is_not_offered_when_the_new_variable_would_not_compile() => VerifyFix("""
        class C
        {
            void M()
            {
                var running = StateMachine.New().Start();
                running.Stop();
                {|CSA3001:running|}.Process();
            }
        }
        """, """
        class C
        {
            void M()
            {
                var running = StateMachine.New().Start();
                running.Stop();
                {|CSA3001:running|}.Process();
            }
        }
        """);

    [Fact]
    public Task Fix_is_not_offered_when_the_variable_is_assigned_again_later() => VerifyFix("""
        class C
        {
            void M()
            {
                var machine = StateMachine.New();
                machine.Start();
                System.Console.WriteLine({|CSA3001:machine|}.Processed);
                machine = StateMachine.New();
                machine.Start().Stop();
            }
        }
        """, """
        class C
        {
            void M()
            {
                var machine = StateMachine.New();
                machine.Start();
                System.Console.WriteLine({|CSA3001:machine|}.Processed);
                machine = StateMachine.New();
                machine.Start().Stop();
            }
        }
        """);

    // ---- The seed --------------------------------------------------------------------------

    [Fact]
    public Task Seed_use_after_start_moved_the_machine_is_reported() => Verify("""
        class C
        {
            void M()
            {
                var machine = StateMachine.New();
                var running = machine.Start();
                running.Process();
                System.Console.WriteLine({|CSA3001:machine|}.Processed);
            }
        }
        """);

    [Fact]
    public Task Seed_process_after_stop_moved_the_running_machine_is_reported() => Verify("""
        class C
        {
            void M()
            {
                var running = StateMachine.New().Start();
                var stopped = running.Stop();
                {|CSA3001:running|}.Process();
                stopped.Finish();
            }
        }
        """);

    [Fact]
    public Task Seed_valid_sequence_reports_nothing() => Verify("""
        class C
        {
            void M()
            {
                var machine = StateMachine.New();
                var running = machine.Start();
                running.Process();
                running.Process();
                var stopped = running.Stop();
                stopped.Finish();
            }
        }
        """);

    [Fact]
    public Task Message_names_the_consuming_call_and_its_line() => Verify("""
        class C
        {
            void M(Builder builder)
            {
                {|#1:builder.With(1)|};
                _ = {|#0:builder|}.Count;
            }
        }
        """,
        CSharpAnalyzerVerifier<CSA3001UseAfterConsumeAnalyzer>.Diagnostic("CSA3001").WithLocation(0).WithLocation(1)
            .WithArguments("builder", "builder.With(1)", "line 5"));

    // ---- Reassignment ------------------------------------------------------------------------

    [Fact]
    public Task Use_after_consume_of_a_parameter_is_reported() => Verify("""
        class C
        {
            int M(Builder builder)
            {
                var built = builder.Build();
                return {|CSA3001:builder|}.Count;
            }
        }
        """);

    [Fact]
    public Task Reassignment_revives_the_variable() => Verify("""
        class C
        {
            int M(Builder builder)
            {
                builder = builder.With(1);
                builder = builder.With(2);
                return builder.Count;
            }
        }
        """);

    [Fact]
    public Task Reassignment_to_a_new_value_revives_the_variable() => Verify("""
        class C
        {
            int M(Builder builder)
            {
                var s = builder.Build();
                builder = new Builder();
                return builder.Count + s.Length;
            }
        }
        """);

    // ---- Branches ----------------------------------------------------------------------------

    [Fact]
    public Task Consumption_in_one_branch_counts_after_the_join() => Verify("""
        class C
        {
            void M(Token token, bool flag)
            {
                if (flag)
                {
                    Owner.Take(token);
                }

                Owner.Look({|CSA3001:token|});
            }
        }
        """);

    [Fact]
    public Task Consumption_in_a_branch_that_returns_does_not_count_after_it() => Verify("""
        class C
        {
            void M(Token token, bool flag)
            {
                if (flag)
                {
                    Owner.Take(token);
                    return;
                }

                Owner.Look(token);
            }
        }
        """);

    [Fact]
    public Task Use_in_the_other_branch_is_not_reported() => Verify("""
        class C
        {
            void M(Token token, bool flag)
            {
                if (flag)
                {
                    Owner.Take(token);
                }
                else
                {
                    Owner.Look(token);
                }
            }
        }
        """);

    [Fact]
    public Task Switch_arm_consumption_counts_after_the_switch() => Verify("""
        class C
        {
            void M(Token token, int n)
            {
                switch (n)
                {
                    case 1:
                        Owner.Take(token);
                        break;
                    default:
                        break;
                }

                _ = {|CSA3001:token|}.Id;
            }
        }
        """);

    // ---- Loops -------------------------------------------------------------------------------

    [Fact]
    public Task Use_at_the_top_of_a_loop_after_consumption_at_the_bottom_is_reported() => Verify("""
        class C
        {
            void M(Token token, int n)
            {
                for (var i = 0; i < n; i++)
                {
                    Owner.Look({|CSA3001:token|});
                    Owner.Take(token);
                }
            }
        }
        """);

    [Fact]
    public Task Loop_that_reassigns_before_the_next_iteration_is_not_reported() => Verify("""
        class C
        {
            void M(int n)
            {
                var token = new Token();
                for (var i = 0; i < n; i++)
                {
                    Owner.Look(token);
                    Owner.Take(token);
                    token = new Token();
                }

                Owner.Look(token);
            }
        }
        """);

    [Fact]
    public Task Loop_variable_is_fresh_each_iteration() => Verify("""
        class C
        {
            void M(Token[] tokens)
            {
                foreach (var token in tokens)
                {
                    Owner.Take(token);
                }
            }
        }
        """);

    // ---- Lambdas and local functions ---------------------------------------------------------

    [Fact]
    public Task Capture_after_consume_is_a_use() => Verify("""
        class C
        {
            void M(Token token)
            {
                Owner.Take(token);
                Owner.Run(() => Owner.Look({|CSA3001:token|}));
            }
        }
        """);

    [Fact]
    public Task Capture_before_consume_is_not_reported() => Verify("""
        class C
        {
            void M(Token token)
            {
                Owner.Run(() => Owner.Look(token));
                Owner.Take(token);
            }
        }
        """);

    [Fact]
    public Task Use_after_consume_inside_a_lambda_body_is_reported() => Verify("""
        class C
        {
            void M()
            {
                Owner.Run(() =>
                {
                    var token = new Token();
                    Owner.Take(token);
                    Owner.Look({|CSA3001:token|});
                });
            }
        }
        """);

    [Fact]
    public Task Local_function_capturing_a_consumed_variable_is_a_use_when_called() => Verify("""
        class C
        {
            void M(Token token)
            {
                Owner.Take(token);
                Show();

                void Show() => Owner.Look({|CSA3001:token|});
            }
        }
        """);

    // ---- out / ref ---------------------------------------------------------------------------

    [Fact]
    public Task Out_argument_revives_the_variable() => Verify("""
        class C
        {
            void M(Token token)
            {
                Owner.Take(token);
                Owner.Fill(out token);
                Owner.Look(token);
            }
        }
        """);

    [Fact]
    public Task Ref_argument_after_consume_is_a_use_and_revives_afterwards() => Verify("""
        class C
        {
            void M(Token token)
            {
                Owner.Take(token);
                Owner.Swap(ref {|CSA3001:token|});
                Owner.Look(token);
            }
        }
        """);

    // ---- Aliasing ----------------------------------------------------------------------------

    [Fact]
    public Task Alias_of_a_consumed_value_is_consumed() => Verify("""
        class C
        {
            void M(Token token)
            {
                var alias = token;
                Owner.Take(token);
                Owner.Look({|CSA3001:alias|});
            }
        }
        """);

    [Fact]
    public Task Consuming_through_an_alias_consumes_the_original() => Verify("""
        class C
        {
            void M(Token token)
            {
                var alias = token;
                Owner.Take(alias);
                Owner.Look({|CSA3001:token|});
            }
        }
        """);

    [Fact]
    public Task Alias_that_was_reassigned_is_not_consumed() => Verify("""
        class C
        {
            void M(Token token)
            {
                var alias = token;
                alias = new Token();
                Owner.Take(token);
                Owner.Look(alias);
            }
        }
        """);

    [Fact]
    public Task Alias_on_only_one_path_is_not_assumed() => Verify("""
        class C
        {
            void M(Token token, bool flag)
            {
                var other = new Token();
                if (flag)
                {
                    other = token;
                }

                Owner.Take(token);
                Owner.Look(other);
            }
        }
        """);

    // ---- try / finally -----------------------------------------------------------------------

    [Fact]
    public Task Use_in_finally_after_consume_in_try_is_reported() => Verify("""
        class C
        {
            void M(Token token)
            {
                try
                {
                    Owner.Take(token);
                }
                finally
                {
                    Owner.Look({|CSA3001:token|});
                }
            }
        }
        """);

    [Fact]
    public Task Consume_in_finally_counts_after_the_try_statement() => Verify("""
        class C
        {
            void M(Token token)
            {
                try
                {
                    Owner.Look(token);
                }
                finally
                {
                    Owner.Take(token);
                }

                Owner.Look({|CSA3001:token|});
            }
        }
        """);

    [Fact]
    public Task Dispose_in_finally_after_consume_is_not_a_use() => Verify("""
        class C
        {
            string M()
            {
                var builder = new Builder();
                try
                {
                    return builder.Build();
                }
                finally
                {
                    builder.Dispose();
                }
            }
        }
        """);

    [Fact]
    public Task Use_in_catch_when_try_may_have_consumed_is_reported() => Verify("""
        class C
        {
            void M(Token token)
            {
                try
                {
                    Owner.Take(token);
                    System.Console.WriteLine();
                }
                catch (System.Exception)
                {
                    Owner.Look({|CSA3001:token|});
                }
            }
        }
        """);

    [Fact]
    public Task Use_in_catch_before_any_consume_is_not_reported() => Verify("""
        class C
        {
            void M(Token token)
            {
                try
                {
                    System.Console.WriteLine();
                }
                catch (System.Exception)
                {
                    Owner.Look(token);
                }

                Owner.Take(token);
            }
        }
        """);

    // ---- Fields ------------------------------------------------------------------------------

    [Fact]
    public Task Field_used_after_consume_is_reported() => Verify("""
        class C
        {
            private Token _token = new();

            void M()
            {
                Owner.Take(_token);
                Owner.Look({|CSA3001:_token|});
            }
        }
        """);

    [Fact]
    public Task Field_is_forgotten_after_a_call_that_may_reassign_it() => Verify("""
        class C
        {
            private Token _token = new();

            void Reset() => _token = new Token();

            void M()
            {
                Owner.Take(_token);
                Reset();
                Owner.Look(_token);
            }
        }
        """);

    // ---- Non-uses ----------------------------------------------------------------------------

    [Fact]
    public Task Nameof_is_not_a_use() => Verify("""
        class C
        {
            string M(Token token)
            {
                Owner.Take(token);
                return nameof(token);
            }
        }
        """);

    [Fact]
    public Task Using_declaration_disposing_a_consumed_value_is_not_a_use() => Verify("""
        class C
        {
            string M()
            {
                using var builder = new Builder();
                return builder.Build();
            }
        }
        """);

    [Fact]
    public Task Conditional_access_after_consume_is_a_use() => Verify("""
        class C
        {
            int? M(Token? token)
            {
                Owner.Take(token!);
                return {|CSA3001:token|}?.Id;
            }
        }
        """);

    [Fact]
    public Task Conditional_consume_through_null_propagation_then_reassignment_is_fine() => Verify("""
        class C
        {
            int M(Builder? builder)
            {
                var text = builder?.Build();
                builder = new Builder();
                return builder.Count + (text?.Length ?? 0);
            }
        }
        """);

    [Fact]
    public Task Use_after_await_following_consume_is_reported() => Verify("""
        class C
        {
            async System.Threading.Tasks.Task M(Token token)
            {
                Owner.Take(token);
                await System.Threading.Tasks.Task.Yield();
                Owner.Look({|CSA3001:token|});
            }
        }
        """);

    [Fact]
    public Task Consumption_inside_a_switch_expression_arm_and_use_in_another_is_fine() => Verify("""
        class C
        {
            string M(Builder builder, int n) => n switch
            {
                1 => builder.Build(),
                _ => builder.Count.ToString(),
            };
        }
        """);

    [Fact]
    public Task Ternary_consume_on_one_side_then_use_after_is_reported() => Verify("""
        class C
        {
            int M(Builder builder, bool flag)
            {
                var text = flag ? builder.Build() : "";
                return {|CSA3001:builder|}.Count + text.Length;
            }
        }
        """);

    [Fact]
    public Task Value_passed_through_ref_local_and_reassigned_is_fine() => Verify("""
        class C
        {
            void M(Token token)
            {
                Owner.Take(token);
                (token, var other) = (new Token(), 1);
                Owner.Look(token);
            }
        }
        """);

    [Fact]
    public Task Consumes_on_an_interface_member_applies_to_its_implementation() => Verify("""
        class C
        {
            void ThroughClass(ChannelEnd end)
            {
                end.Close();
                {|CSA3001:end|}.Touch();
            }

            void ThroughInterface(IChannelEnd end)
            {
                end.Close();
                {|CSA3001:end|}.Touch();
            }
        }
        """);

    [Fact]
    public Task Non_consuming_interface_member_is_not_a_consume() => Verify("""
        class C
        {
            void M(ChannelEnd end)
            {
                end.Touch();
                end.Touch();
                end.Close();
            }
        }
        """);

    [Fact]
    public Task Constructor_parameter_consumes_its_argument() => Verify("""
        class C
        {
            Worker M(Token token)
            {
                var worker = new Worker(token, token.Id);
                Owner.Look({|CSA3001:token|});
                return worker;
            }
        }
        """);

    [Fact]
    public Task Argument_read_before_the_consuming_call_is_fine() => Verify("""
        class C
        {
            Worker M(Token token) => new Worker(token, token.Id);
        }
        """);

    [Fact]
    public Task Code_without_consuming_calls_is_not_analysed() => Verify("""
        class C
        {
            void M(Token token)
            {
                Owner.Look(token);
                Owner.Look(token);
            }
        }
        """);
}
