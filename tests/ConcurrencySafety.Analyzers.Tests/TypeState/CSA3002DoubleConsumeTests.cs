using ConcurrencySafety.Analyzers.Tests.Verifiers;
using Microsoft.CodeAnalysis.Testing;
using Sources = ConcurrencySafety.Analyzers.Tests.TypeState.TypeStateTestSources;

namespace ConcurrencySafety.Analyzers.Tests.TypeState;

public class CSA3002DoubleConsumeTests
{
    private static Task Verify(string source, params DiagnosticResult[] expected) =>
        Sources.VerifyAsync<CSA3002DoubleConsumeAnalyzer>(source, expected);

    [Fact]
    public Task Seed_start_called_twice_on_the_same_machine_is_reported() => Verify("""
        class C
        {
            void M()
            {
                var machine = StateMachine.New();
                var first = machine.Start();
                var second = {|CSA3002:machine|}.Start();
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
                var stopped = running.Stop();
                stopped.Finish();
            }
        }
        """);

    [Fact]
    public Task Message_names_the_first_consuming_call() => Verify("""
        class C
        {
            void M(Token token)
            {
                {|#1:Owner.Take(token)|};
                Owner.Take({|#0:token|});
            }
        }
        """,
        CSharpAnalyzerVerifier<CSA3002DoubleConsumeAnalyzer>.Diagnostic("CSA3002").WithLocation(0).WithLocation(1)
            .WithArguments("token", "Owner.Take(token)", "line 5"));

    [Fact]
    public Task Same_value_passed_to_two_consuming_parameters_is_reported() => Verify("""
        class C
        {
            void M(Token token) => Owner.TakeTwo(token, {|CSA3002:token|});
        }
        """);

    [Fact]
    public Task Same_call_message_does_not_mention_a_loop() => Verify("""
        class C
        {
            void M(Token token) => {|#1:Owner.TakeTwo(token, {|#0:token|})|};
        }
        """,
        CSharpAnalyzerVerifier<CSA3002DoubleConsumeAnalyzer>.Diagnostic("CSA3002").WithLocation(0).WithLocation(1)
            .WithArguments("token", "Owner.TakeTwo(token, token)", "line 3"));

    [Fact]
    public Task Out_variable_refilled_by_the_loop_condition_is_fine() => Verify("""
        class C
        {
            static bool TryNext(out Token token) { token = new Token(); return true; }

            void M()
            {
                while (TryNext(out var token))
                {
                    Owner.Take(token);
                }
            }
        }
        """);

    [Fact]
    public Task Consumed_and_replaced_every_iteration_is_fine() => Verify("""
        class C
        {
            string M(int n)
            {
                var builder = new Builder();
                for (var i = 0; i < n; i++)
                {
                    builder = builder.With(i);
                }

                return builder.Build();
            }
        }
        """);

    [Fact]
    public Task Two_different_values_to_two_consuming_parameters_is_fine() => Verify("""
        class C
        {
            void M(Token a, Token b) => Owner.TakeTwo(a, b);
        }
        """);

    [Fact]
    public Task Consuming_in_every_iteration_of_a_loop_is_reported() => Verify("""
        class C
        {
            void M(Token token, int n)
            {
                for (var i = 0; i < n; i++)
                {
                    Owner.Take({|CSA3002:token|});
                }
            }
        }
        """);

    [Fact]
    public Task Loop_message_says_earlier_iteration() => Verify("""
        class C
        {
            void M(Token token)
            {
                while (true)
                {
                    {|#1:Owner.Take({|#0:token|})|};
                }
            }
        }
        """,
        CSharpAnalyzerVerifier<CSA3002DoubleConsumeAnalyzer>.Diagnostic("CSA3002").WithLocation(0).WithLocation(1)
            .WithArguments("token", "Owner.Take(token)", "line 7, in an earlier iteration of the loop"));

    [Fact]
    public Task Consuming_once_then_breaking_out_of_the_loop_is_fine() => Verify("""
        class C
        {
            void M(Token token, int n)
            {
                for (var i = 0; i < n; i++)
                {
                    if (i == 3)
                    {
                        Owner.Take(token);
                        break;
                    }
                }
            }
        }
        """);

    [Fact]
    public Task Consumption_in_exclusive_branches_is_fine() => Verify("""
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
                    Owner.Take(token);
                }
            }
        }
        """);

    [Fact]
    public Task Consumption_in_one_branch_then_after_the_join_is_reported() => Verify("""
        class C
        {
            void M(Token token, bool flag)
            {
                if (flag)
                {
                    Owner.Take(token);
                }

                Owner.Take({|CSA3002:token|});
            }
        }
        """);

    [Fact]
    public Task Consuming_an_alias_of_a_consumed_value_is_reported() => Verify("""
        class C
        {
            void M(Token token)
            {
                var alias = token;
                Owner.Take(token);
                Owner.Take({|CSA3002:alias|});
            }
        }
        """);

    [Fact]
    public Task Builder_chain_assigned_back_is_fine() => Verify("""
        class C
        {
            string M()
            {
                var builder = new Builder();
                builder = builder.With(1);
                builder = builder.With(2);
                return builder.Build();
            }
        }
        """);

    [Fact]
    public Task Consume_in_try_and_again_in_finally_is_reported() => Verify("""
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
                    Owner.Take({|CSA3002:token|});
                }
            }
        }
        """);

    [Fact]
    public Task Consume_inside_a_lambda_is_analysed_on_its_own() => Verify("""
        class C
        {
            void M(Token token)
            {
                Owner.Run(() => Owner.Take(token));
                Owner.Run(() => Owner.Take(token));
            }
        }
        """);
}
