using Verify = ConcurrencySafety.Analyzers.Tests.Verifiers.CSharpAnalyzerVerifier<ConcurrencySafety.Analyzers.Rules.CSA1001CapturedVariableWrittenConcurrentlyAnalyzer>;

namespace ConcurrencySafety.Analyzers.Tests.Rules;

/// <summary>samples/Tour's WaitGroupReplacement: spawns in a loop inside a scope lambda, then a second scope in a try (the graph walk once indexed a block of the wrong graph here).</summary>
public class CSA1001ScopeSampleTests
{
    [Fact]
    public Task Spawns_in_a_loop_of_a_scope_lambda_then_a_scope_in_a_try() => Verify.VerifyAnalyzerAsync("""
        using System;
        using System.Threading;
        using System.Threading.Tasks;
        using ConcurrencySafety;
        class C
        {
            public static async Task M()
            {
                string[] urls = ["a", "bb"];
                int[] sizes = new int[urls.Length];
                await TaskScope.RunAsync(scope =>
                {
                    for (int i = 0; i < urls.Length; i++)
                    {
                        int index = i;
                        scope.Spawn(async ct =>
                        {
                            await Task.Delay(10, ct);
                            sizes[index] = urls[index].Length;
                        });
                    }
                    return Task.CompletedTask;
                });
                Console.WriteLine(string.Join(", ", sizes));
                try
                {
                    await TaskScope.RunAsync(scope =>
                    {
                        scope.Spawn(async ct => await Task.Delay(Timeout.Infinite, ct));
                        scope.Spawn(async ct =>
                        {
                            await Task.Delay(10, ct);
                            throw new InvalidOperationException("backend down");
                        });
                        return Task.CompletedTask;
                    });
                }
                catch (InvalidOperationException ex)
                {
                    Console.WriteLine(ex.Message);
                }
            }
        }
        """);
}
