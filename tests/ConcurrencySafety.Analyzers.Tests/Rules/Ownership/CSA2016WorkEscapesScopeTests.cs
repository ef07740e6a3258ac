using Verify = ConcurrencySafety.Analyzers.Tests.Verifiers.CSharpAnalyzerVerifier<ConcurrencySafety.Analyzers.Rules.CSA2016WorkEscapesScopeAnalyzer>;
using Fix = ConcurrencySafety.Analyzers.Tests.Verifiers.CSharpCodeFixVerifier<ConcurrencySafety.Analyzers.Rules.CSA2016WorkEscapesScopeAnalyzer, ConcurrencySafety.CodeFixes.CSA2016WorkEscapesScopeCodeFix>;

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
                await Task.WhenAll(outer);
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

    // The "new Thread" form: a thread kept in a variable of the code outside the scope,
    // started in the body and joined, if at all, after the scope returned.
    [Fact]
    public Task Thread_kept_outside_the_scope() => Verify.VerifyAnalyzerAsync("""
        using System.Threading;
        using System.Threading.Tasks;
        using ConcurrencySafety;
        class C
        {
            async Task M()
            {
                Thread? worker = null;
                await TaskScope.RunAsync(async scope =>
                {
                    worker = new Thread(() => { });
                    {|CSA2016:worker.Start()|};
                    await Task.Yield();
                });
                worker!.Join();

                var outer = new Thread(() => { });
                Scope.Run(s => {|CSA2016:outer.Start()|});
                outer.Join();
            }
        }
        """);

    [Fact]
    public Task Threads_joined_in_the_body_or_local_to_it_are_not_this_rules() => Verify.VerifyAnalyzerAsync("""
        using System.Threading;
        using System.Threading.Tasks;
        using ConcurrencySafety;
        class C
        {
            async Task M()
            {
                var outer = new Thread(() => { });
                await TaskScope.RunAsync(async scope =>
                {
                    outer.Start();
                    await Task.Yield();
                    outer.Join();                       // joined inside the body
                });
                Scope.Run(s =>
                {
                    var mine = new Thread(() => { });   // local to the body: joined here
                    mine.Start();
                    mine.Join();
                });
                var started = new Thread(() => { });
                started.Start();                        // outside any scope
                started.Join();
            }
        }
        """);

    // ---- code fix: scope.Spawn ----

    [Fact]
    public Task Fix_spawns_into_the_task_scope() => Fix.VerifyCodeFixAsync("""
        using System.Collections.Generic;
        using System.Threading;
        using System.Threading.Tasks;
        using ConcurrencySafety;
        class C
        {
            async Task M(string[] urls)
            {
                await TaskScope.RunAsync(async scope =>
                {
                    var pending = new List<Task>();
                    foreach (var url in urls)
                        pending.Add({|CSA2016:Task.Run(() => Fetch(url))|});
                    var slow = {|CSA2016:Task.Run(async () => await FetchAsync("slow"))|};
                    {|CSA2016:ThreadPool.QueueUserWorkItem(_ => Fetch("pool"))|};
                    await Task.Yield();
                });
            }
            static void Fetch(string url) { }
            static Task FetchAsync(string url) => Task.CompletedTask;
        }
        """, """
        using System.Collections.Generic;
        using System.Threading;
        using System.Threading.Tasks;
        using ConcurrencySafety;
        class C
        {
            async Task M(string[] urls)
            {
                await TaskScope.RunAsync(async scope =>
                {
                    var pending = new List<Task>();
                    foreach (var url in urls)
                        scope.Spawn(ct => Fetch(url));
                    scope.Spawn(async ct => await FetchAsync("slow"));
                    scope.Spawn(ct => Fetch("pool"));
                    await Task.Yield();
                });
            }
            static void Fetch(string url) { }
            static Task FetchAsync(string url) => Task.CompletedTask;
        }
        """);

    [Fact]
    public Task Fix_spawns_into_the_thread_scope() => Fix.VerifyCodeFixAsync("""
        using System.Threading;
        using System.Threading.Tasks;
        using ConcurrencySafety;
        class C
        {
            void M(int ct)
            {
                Scope.Run(s =>
                {
                    var t = {|CSA2016:Task.Run(() => Work(ct))|};
                    {|CSA2016:ThreadPool.QueueUserWorkItem(state => Work(2))|};
                });
            }
            static void Work(int i) { }
        }
        """, """
        using System.Threading;
        using System.Threading.Tasks;
        using ConcurrencySafety;
        class C
        {
            void M(int ct)
            {
                Scope.Run(s =>
                {
                    s.Spawn(() => Work(ct));
                    s.Spawn(() => Work(2));
                });
            }
            static void Work(int i) { }
        }
        """);

    [Fact]
    public Task Fix_not_offered_where_the_task_type_or_meaning_would_change() => Fix.VerifyCodeFixAsync("""
        using System.Collections.Generic;
        using System.Threading;
        using System.Threading.Tasks;
        using ConcurrencySafety;
        class C
        {
            async Task M(CancellationToken token)
            {
                var outer = new List<Task>();
                await TaskScope.RunAsync(async scope =>
                {
                    outer.Add({|CSA2016:Task.Run(() => Work(1))|});                 // joined outside: its type matters there
                    var withToken = {|CSA2016:Task.Run(() => Work(2), token)|};     // the token has no place in Spawn
                    var value = {|CSA2016:Task.Run(() => { return Work(3); })|};    // no Spawn takes a value-returning action
                    {|CSA2016:ThreadPool.QueueUserWorkItem(state => Work((int)state!), 4)|};
                    await Task.Yield();
                });
                await Task.WhenAll(outer);
                Scope.Run(s =>
                {
                    var async = {|CSA2016:Task.Run(async () => await Task.Delay(1))|}; // a thread child would end at its first await
                });
                await TaskScope.RunAsync(async _ =>
                {
                    var unnamed = {|CSA2016:Task.Run(() => Work(5))|};              // no scope name to spawn on
                    await Task.Yield();
                });
            }
            static int Work(int i) => i;
        }
        """, """
        using System.Collections.Generic;
        using System.Threading;
        using System.Threading.Tasks;
        using ConcurrencySafety;
        class C
        {
            async Task M(CancellationToken token)
            {
                var outer = new List<Task>();
                await TaskScope.RunAsync(async scope =>
                {
                    outer.Add({|CSA2016:Task.Run(() => Work(1))|});                 // joined outside: its type matters there
                    var withToken = {|CSA2016:Task.Run(() => Work(2), token)|};     // the token has no place in Spawn
                    var value = {|CSA2016:Task.Run(() => { return Work(3); })|};    // no Spawn takes a value-returning action
                    {|CSA2016:ThreadPool.QueueUserWorkItem(state => Work((int)state!), 4)|};
                    await Task.Yield();
                });
                await Task.WhenAll(outer);
                Scope.Run(s =>
                {
                    var async = {|CSA2016:Task.Run(async () => await Task.Delay(1))|}; // a thread child would end at its first await
                });
                await TaskScope.RunAsync(async _ =>
                {
                    var unnamed = {|CSA2016:Task.Run(() => Work(5))|};              // no scope name to spawn on
                    await Task.Yield();
                });
            }
            static int Work(int i) => i;
        }
        """);
}
