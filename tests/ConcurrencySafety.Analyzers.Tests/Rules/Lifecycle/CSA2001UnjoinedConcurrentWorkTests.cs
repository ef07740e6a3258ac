using Verify = ConcurrencySafety.Analyzers.Tests.Verifiers.CSharpAnalyzerVerifier<ConcurrencySafety.Analyzers.Rules.CSA2001UnjoinedConcurrentWorkAnalyzer>;
using Fix = ConcurrencySafety.Analyzers.Tests.Verifiers.CSharpCodeFixVerifier<ConcurrencySafety.Analyzers.Rules.CSA2001UnjoinedConcurrentWorkAnalyzer, ConcurrencySafety.CodeFixes.CSA2001UnjoinedConcurrentWorkCodeFix>;

namespace ConcurrencySafety.Analyzers.Tests.Rules.Lifecycle;

public class CSA2001UnjoinedConcurrentWorkTests
{
    [Fact]
    public Task Dropped_task_run_and_start_new() => Verify.VerifyAnalyzerAsync("""
        using System.Threading.Tasks;
        class C
        {
            void M()
            {
                {|CSA2001:Task.Run(() => Work())|};
                {|CSA2001:Task.Factory.StartNew(() => Work())|};
            }
            static void Work() { }
        }
        """);

    [Fact]
    public Task Dropped_scope_task() => Verify.VerifyAnalyzerAsync("""
        using System.Threading.Tasks;
        using ConcurrencySafety;
        class C
        {
            void M()
            {
                {|CSA2001:TaskScope.RunAsync(scope => { scope.Spawn(ct => { }); return Task.CompletedTask; })|};
            }
        }
        """);

    [Fact]
    public Task Thread_started_and_never_joined() => Verify.VerifyAnalyzerAsync("""
        using System.Threading;
        class C
        {
            void M()
            {
                var t = new Thread(() => { });
                t.Name = "worker";
                {|CSA2001:t.Start()|};
                {|CSA2001:new Thread(() => { }).Start()|};
            }
        }
        """);

    // ---- must stay silent ----

    [Fact]
    public Task Joined_awaited_returned_stored_or_passed_tasks_are_silent() => Verify.VerifyAnalyzerAsync("""
        using System.Collections.Generic;
        using System.Threading.Tasks;
        class C
        {
            private Task? _background;
            private readonly List<Task> _tasks = new();
            async Task M()
            {
                await Task.Run(() => Work());
                var t = Task.Run(() => Work());
                _background = Task.Run(() => Work());
                _tasks.Add(Task.Run(() => Work()));
                Observe(Task.Run(() => Work()));
                await t;
            }
            Task N() => Task.Run(() => Work());
            Task O() { return Task.Factory.StartNew(() => Work()); }
            static void Observe(Task t) { }
            static void Work() { }
        }
        """);

    [Fact]
    public Task Explicit_discard_is_not_CSA2001() => Verify.VerifyAnalyzerAsync("""
        using System.Threading.Tasks;
        class C
        {
            void M() { _ = Task.Run(() => { }); }
        }
        """);

    [Fact]
    public Task Joined_stored_and_background_threads_are_silent() => Verify.VerifyAnalyzerAsync("""
        using System.Collections.Generic;
        using System.Threading;
        class C
        {
            private Thread? _pump;
            void M(List<Thread> threads)
            {
                var joined = new Thread(() => { });
                joined.Start();
                joined.Join();

                var stored = new Thread(() => { });
                stored.Start();
                _pump = stored;

                var listed = new Thread(() => { });
                listed.Start();
                threads.Add(listed);

                var daemon = new Thread(() => { }) { IsBackground = true };
                daemon.Start();
                var daemon2 = new Thread(() => { });
                daemon2.IsBackground = true;
                daemon2.Start();
                new Thread(() => { }) { IsBackground = true }.Start();
            }
        }
        """);

    [Fact]
    public Task Spawn_in_a_scope_is_silent() => Verify.VerifyAnalyzerAsync("""
        using System.Threading.Tasks;
        using ConcurrencySafety;
        class C
        {
            async Task M()
            {
                await TaskScope.RunAsync(async scope =>
                {
                    scope.Spawn(ct => { });
                    await Task.Yield();
                });
                Scope.Run(s => { s.Spawn(() => { }); });
            }
        }
        """);

    // ---- code fix ----

    [Fact]
    public Task Fix_awaits_dropped_tasks_in_async_functions() => Fix.VerifyCodeFixAsync("""
        using System.Threading.Tasks;
        class C
        {
            async Task M()
            {
                {|CSA2001:Task.Run(() => Work())|};
                await Task.Yield();
                {|CSA2001:Task.Factory.StartNew(() => Work())|}; // start
            }
            static void Work() { }
        }
        """, """
        using System.Threading.Tasks;
        class C
        {
            async Task M()
            {
                await Task.Run(() => Work());
                await Task.Yield();
                await Task.Factory.StartNew(() => Work()); // start
            }
            static void Work() { }
        }
        """);

    [Fact]
    public Task Fix_runs_sync_work_in_a_thread_scope() => Fix.VerifyCodeFixAsync("""
        using System.Threading.Tasks;
        class C
        {
            void M()
            {
                {|CSA2001:Task.Run(() => Work())|};
            }
            static void Work() { }
        }
        """, """
        using ConcurrencySafety;
        using System.Threading.Tasks;
        class C
        {
            void M()
            {
                Scope.Run(scope => scope.Spawn(() => Work()));
            }
            static void Work() { }
        }
        """);

    [Fact]
    public Task Fix_not_offered_for_async_work_in_sync_functions_or_for_threads() => Fix.VerifyCodeFixAsync("""
        using System.Threading;
        using System.Threading.Tasks;
        class C
        {
            void M()
            {
                {|CSA2001:Task.Run(async () => await Task.Yield())|};
                {|CSA2001:Task.Factory.StartNew(() => { })|};
                {|CSA2001:new Thread(() => { }).Start()|};
            }
        }
        """, """
        using System.Threading;
        using System.Threading.Tasks;
        class C
        {
            void M()
            {
                {|CSA2001:Task.Run(async () => await Task.Yield())|};
                {|CSA2001:Task.Factory.StartNew(() => { })|};
                {|CSA2001:new Thread(() => { }).Start()|};
            }
        }
        """);
}
