using Verify = ConcurrencySafety.Analyzers.Tests.Verifiers.CSharpAnalyzerVerifier<ConcurrencySafety.Analyzers.Rules.CSA2016WorkEscapesScopeAnalyzer>;

namespace ConcurrencySafety.Analyzers.Tests.Rules.Ownership;

public class CSA2016WorkEscapesScopeTests
{
    // The example: Task.Run inside a TaskScope body, kept in a list that is never awaited.
    [Fact]
    public Task Task_run_in_a_scope_body_not_joined_inside_it() => Verify.VerifyAnalyzerAsync("""
        using System.Collections.Generic;
        using System.Threading;
        using System.Threading.Tasks;
        using ConcurrencySafety;
        class C
        {
            async Task M(int[] items)
            {
                var outer = new List<Task>();
                await TaskScope.RunAsync(async scope =>
                {
                    var pending = new List<Task>();
                    foreach (var item in items) pending.Add({|CSA2016:Task.Run(() => Work(item))|});
                    var single = {|CSA2016:Task.Factory.StartNew(() => Work(0))|};
                    outer.Add({|CSA2016:Task.Run(() => Work(1))|});
                    {|CSA2016:ThreadPool.QueueUserWorkItem(_ => Work(2))|};
                    await Task.Yield();
                });
                Scope.Run(s =>
                {
                    var t = {|CSA2016:Task.Run(() => Work(3))|};
                });
                await Task.WhenAll(outer);
            }
            static void Work(int i) { }
        }
        """);

    // ---- must stay silent ----

    [Fact]
    public Task Spawned_awaited_or_joined_work_is_silent() => Verify.VerifyAnalyzerAsync("""
        using System.Collections.Generic;
        using System.Threading.Tasks;
        using ConcurrencySafety;
        class C
        {
            async Task M(int[] items)
            {
                await TaskScope.RunAsync(async scope =>
                {
                    foreach (var item in items) scope.Spawn(ct => Work(item));
                    var pending = new List<Task>();
                    foreach (var item in items) pending.Add(Task.Run(() => Work(item)));
                    await Task.WhenAll(pending);
                    var single = Task.Run(() => Work(0));
                    await single;
                    await Task.Run(() => Work(1));
                    await Task.Run(async () => { var inner = Task.Run(() => Work(2)); await Task.Yield(); await inner; });
                });
                Scope.Run(s =>
                {
                    var t = Task.Run(() => Work(3));
                    t.Wait();
                });
                var outside = Task.Run(() => Work(4));
                await outside;
            }
            static void Work(int i) { }
        }
        """);
}
