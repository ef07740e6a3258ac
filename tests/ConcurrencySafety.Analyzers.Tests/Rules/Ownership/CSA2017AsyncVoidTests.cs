using Verify = ConcurrencySafety.Analyzers.Tests.Verifiers.CSharpAnalyzerVerifier<ConcurrencySafety.Analyzers.Rules.CSA2017AsyncVoidAnalyzer>;
using Fix = ConcurrencySafety.Analyzers.Tests.Verifiers.CSharpCodeFixVerifier<ConcurrencySafety.Analyzers.Rules.CSA2017AsyncVoidAnalyzer, ConcurrencySafety.CodeFixes.CSA2017AsyncVoidCodeFix>;

namespace ConcurrencySafety.Analyzers.Tests.Rules.Ownership;

public class CSA2017AsyncVoidTests
{
    [Fact]
    public Task Async_void_methods_and_local_functions() => Verify.VerifyAnalyzerAsync("""
        using System.Threading.Tasks;
        class C
        {
            async void {|CSA2017:Save|}() => await Task.Delay(1);
            void M()
            {
                async void {|CSA2017:Local|}(int x) => await Task.Delay(x);
                Local(1);
            }
        }
        """);

    // The disguises: an async lambda where an Action is expected, run concurrently or per item.
    [Fact]
    public Task Async_lambdas_given_to_concurrent_or_per_item_invokers() => Verify.VerifyAnalyzerAsync("""
        using System.Collections.Generic;
        using System.Threading;
        using System.Threading.Tasks;
        class C
        {
            void M(List<int> items, int[] array)
            {
                Parallel.ForEach(items, {|CSA2017:async|} item => await Task.Delay(item));
                Parallel.For(0, 4, {|CSA2017:async|} i => await Task.Delay(i));
                items.ForEach({|CSA2017:async|} item => await Task.Delay(item));
                System.Array.ForEach(array, {|CSA2017:async|} item => await Task.Delay(item));
                ThreadPool.QueueUserWorkItem({|CSA2017:async|} _ => await Task.Delay(1));
                using var timer = new Timer({|CSA2017:async|} _ => await Task.Delay(1), null, 0, 1000);
                new Thread({|CSA2017:async|} () => await Task.Delay(1)).Start();
            }
        }
        """);

    // ---- must stay silent ----

    // The valid twin: event handlers that are async void.
    [Fact]
    public Task Event_handlers_overrides_and_task_returning_async_are_silent() => Verify.VerifyAnalyzerAsync("""
        using System;
        using System.Collections.Generic;
        using System.Threading.Tasks;
        abstract class Base { public abstract void OnLoaded(); }
        interface IPlugin { void Start(); }
        class C : Base, IPlugin
        {
            public event EventHandler? Changed;
            async void OnClick(object? sender, EventArgs e) => await Task.Delay(1);
            public override async void OnLoaded() => await Task.Delay(1);
            public async void Start() => await Task.Delay(1);
            async Task SaveAsync() => await Task.Delay(1);
            async Task M(List<int> items)
            {
                Changed += async (s, e) => await Task.Delay(1);
                await Task.Run(async () => await Task.Delay(1));
                await Parallel.ForEachAsync(items, async (item, ct) => await Task.Delay(item, ct));
                items.ForEach(item => Console.WriteLine(item));
                Action later = async () => await Task.Delay(1);
            }
        }
        """);

    // ---- code fix ----

    [Fact]
    public Task Fix_returns_Task_and_uses_ForEachAsync() => Fix.VerifyCodeFixAsync("""
        using System.Collections.Generic;
        using System.Threading.Tasks;
        class C
        {
            async void {|CSA2017:Save|}() => await Task.Delay(1);
            async Task M(List<int> items)
            {
                Parallel.ForEach(items, {|CSA2017:async|} item => await Task.Delay(item));
            }
        }
        """, """
        using System.Collections.Generic;
        using System.Threading.Tasks;
        class C
        {
            async Task Save() => await Task.Delay(1);
            async Task M(List<int> items)
            {
                await Parallel.ForEachAsync(items, async (item, ct) => await Task.Delay(item));
            }
        }
        """);

    [Fact]
    public Task Fix_adds_the_tasks_using_only_when_needed() => Fix.VerifyCodeFixAsync("""
        class C
        {
            async void {|CSA2017:Save|}() => await System.Threading.Tasks.Task.Delay(1);
        }
        """, """
        using System.Threading.Tasks;

        class C
        {
            async Task Save() => await System.Threading.Tasks.Task.Delay(1);
        }
        """);
}
