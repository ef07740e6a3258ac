using Verify = ConcurrencySafety.Analyzers.Tests.Verifiers.CSharpAnalyzerVerifier<ConcurrencySafety.Analyzers.Rules.CSA2001UnjoinedConcurrentWorkAnalyzer>;
using Fix = ConcurrencySafety.Analyzers.Tests.Verifiers.CSharpCodeFixVerifier<ConcurrencySafety.Analyzers.Rules.CSA2001UnjoinedConcurrentWorkAnalyzer, ConcurrencySafety.CodeFixes.CSA2001UnjoinedConcurrentWorkCodeFix>;

namespace ConcurrencySafety.Analyzers.Tests.Rules.Lifecycle;

/// <summary>Issue 15: CSA2001 covers every dropped Task/ValueTask, whatever produced it.</summary>
public class CSA2001DroppedTasksTests
{
    [Fact]
    public Task Tasks_of_ordinary_async_methods_dropped_from_sync_code() => Verify.VerifyAnalyzerAsync("""
        using System.Threading.Channels;
        using System.Threading.Tasks;
        class C
        {
            static async Task SaveAsync() => await Task.Delay(1);
            static ValueTask<int> CountAsync() => new(1);
            void M(ChannelWriter<int> writer)
            {
                {|CSA2001:SaveAsync()|};
                {|CSA2001:CountAsync()|};
                {|CSA2001:writer.WriteAsync(1)|};
                {|CSA2001:Task.Delay(10)|};
                System.Action later = () => {|CSA2001:SaveAsync()|};
            }
        }
        """);

    // The case: await Task.Factory.StartNew(async ...) waits only for the start.
    [Fact]
    public Task StartNew_of_an_async_lambda_awaited_without_Unwrap() => Verify.VerifyAnalyzerAsync("""
        using System.Threading.Tasks;
        class C
        {
            async Task M()
            {
                {|CSA2001:await Task.Factory.StartNew(async () => await Task.Delay(10))|};
            }
        }
        """);

    [Fact]
    public Task Fix_appends_Unwrap_to_an_awaited_StartNew_of_an_async_lambda() => Fix.VerifyCodeFixAsync("""
        using System.Threading.Tasks;
        class C
        {
            async Task M()
            {
                {|CSA2001:await Task.Factory.StartNew(async () => await Task.Delay(10))|};
                {|CSA2001:await Task.Factory.StartNew(async () =>
                {
                    await Task.Delay(1);
                }, TaskCreationOptions.LongRunning)|}; // long job
            }
        }
        """, """
        using System.Threading.Tasks;
        class C
        {
            async Task M()
            {
                await Task.Factory.StartNew(async () => await Task.Delay(10)).Unwrap();
                await Task.Factory.StartNew(async () =>
                {
                    await Task.Delay(1);
                }, TaskCreationOptions.LongRunning).Unwrap(); // long job
            }
        }
        """);

    // Task.Factory written in full: the fix adds the using that brings Unwrap into scope.
    [Fact]
    public Task Fix_adds_the_using_of_TaskExtensions_only_when_missing() => Fix.VerifyCodeFixAsync("""
        class C
        {
            async System.Threading.Tasks.Task M()
            {
                {|CSA2001:await System.Threading.Tasks.Task.Factory.StartNew(async () => await System.Threading.Tasks.Task.Yield())|};
            }
        }
        """, """
        using System.Threading.Tasks;

        class C
        {
            async System.Threading.Tasks.Task M()
            {
                await System.Threading.Tasks.Task.Factory.StartNew(async () => await System.Threading.Tasks.Task.Yield()).Unwrap();
            }
        }
        """);

    // The case: var w = TaskScope.RunAsync(...) never awaited.
    [Fact]
    public Task Task_kept_in_a_local_that_is_never_used() => Verify.VerifyAnalyzerAsync("""
        using System.Threading.Tasks;
        using ConcurrencySafety;
        class C
        {
            static Task WorkAsync() => Task.CompletedTask;
            async Task M()
            {
                var w = {|CSA2001:TaskScope.RunAsync(scope => Task.CompletedTask)|};
                var t = {|CSA2001:WorkAsync()|};
                await Task.Yield();
            }
        }
        """);

    // ---- must stay silent ----

    [Fact]
    public Task Awaited_unwrapped_used_and_observer_tasks_are_silent() => Verify.VerifyAnalyzerAsync("""
        using System;
        using System.Threading.Tasks;
        using ConcurrencySafety;
        class C
        {
            static Task WorkAsync() => Task.CompletedTask;
            async Task M(Task running)
            {
                await WorkAsync();
                await Task.Factory.StartNew(async () => await Task.Delay(1)).Unwrap();
                var inner = await Task.Factory.StartNew(async () => await Task.Delay(1));
                await inner;
                var w = TaskScope.RunAsync(scope => Task.CompletedTask);
                await w;
                running.ContinueWith(t => Console.WriteLine(t.Exception), TaskContinuationOptions.OnlyOnFaulted);
                Task.FromResult(1);
                _ = WorkAsync();
                Func<Task> f = () => WorkAsync();
                await f();
            }
        }
        """);

    // ---- code fix (the existing CSA2001 fixer, through the AwaitFix property) ----

    [Fact]
    public Task Fix_awaits_a_dropped_task_in_an_async_function() => Fix.VerifyCodeFixAsync("""
        using System.Threading.Tasks;
        class C
        {
            static Task SaveAsync() => Task.CompletedTask;
            async Task M()
            {
                {|CSA2001:SaveAsync()|};
                await Task.Yield();
            }
        }
        """, """
        using System.Threading.Tasks;
        class C
        {
            static Task SaveAsync() => Task.CompletedTask;
            async Task M()
            {
                await SaveAsync();
                await Task.Yield();
            }
        }
        """);
}
