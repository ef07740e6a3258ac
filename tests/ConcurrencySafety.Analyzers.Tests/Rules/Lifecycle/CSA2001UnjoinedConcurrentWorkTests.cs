using Verify = ConcurrencySafety.Analyzers.Tests.Verifiers.CSharpAnalyzerVerifier<ConcurrencySafety.Analyzers.Rules.CSA2001UnjoinedConcurrentWorkAnalyzer>;
using Fix = ConcurrencySafety.Analyzers.Tests.Verifiers.CSharpCodeFixVerifier<ConcurrencySafety.Analyzers.Rules.CSA2001UnjoinedConcurrentWorkAnalyzer, ConcurrencySafety.CodeFixes.CSA2001UnjoinedConcurrentWorkCodeFix>;

using ConcurrencySafety.Analyzers.Rules;
using ConcurrencySafety.Analyzers.Tests.Verifiers;

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
    public Task Fix_runs_sync_work_in_place_as_a_person_would_write_it() => Fix.VerifyCodeFixAsync("""
        using System.IO;
        using System.Threading.Tasks;
        class C
        {
            void M(string path)
            {
                {|CSA2001:Task.Run(() => File.Delete(path))|};
                {|CSA2001:Task.Run(Work)|};
                {|CSA2001:Task.Run(() => { Work(); })|};
                {|CSA2001:Task.Run(() =>
                {
                    var copy = path + ".bak";
                    File.Delete(copy);
                })|};
            }
            static void Work() { }
        }
        """, """
        using System.IO;
        using System.Threading.Tasks;
        class C
        {
            void M(string path)
            {
                File.Delete(path);
                Work();
                Work();
                {
                    var copy = path + ".bak";
                    File.Delete(copy);
                }
            }
            static void Work() { }
        }
        """);

    [Fact]
    public Task Fix_runs_sync_work_that_returns_in_a_thread_scope() => Fix.VerifyCodeFixAsync("""
        using System.Threading.Tasks;
        class C
        {
            void M(bool quick)
            {
                {|CSA2001:Task.Run(() =>
                {
                    if (quick) return;
                    Work();
                })|};
            }
            static void Work() { }
        }
        """, """
        using ConcurrencySafety;
        using System.Threading.Tasks;
        class C
        {
            void M(bool quick)
            {
                Scope.Run(scope => scope.Spawn(() =>
                {
                    if (quick) return;
                    Work();
                }));
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

    // ---- task scope fix ----

    private static Task VerifyTaskScopeFixAsync(string source, string fixedSource)
    {
        var test = new Fix.Test
        {
            TestCode = source,
            FixedCode = fixedSource,
            CodeActionEquivalenceKey = "CSA2001.TaskScope",
        };
        return test.RunAsync();
    }

    [Fact]
    public Task Task_scope_fix_spawns_sync_async_and_method_group_work() => VerifyTaskScopeFixAsync("""
        using System.Threading;
        using System.Threading.Tasks;
        class C
        {
            private int _n;
            async Task M(CancellationToken token)
            {
                {|CSA2001:Task.Run(() => Work())|};
                {|CSA2001:Task.Run(async () =>
                {
                    await Task.Delay(1);
                    _n++;
                })|};
                {|CSA2001:Task.Run(Work)|}; // keep this comment
                {|CSA2001:Task.Run(() => Compute())|};
                {|CSA2001:Task.Run(() => Work(), token)|};
                {|CSA2001:Task.Run(delegate { _n++; })|};
            }
            static void Work() { }
            static int Compute() => 1;
        }
        """, """
        using ConcurrencySafety;
        using System.Threading;
        using System.Threading.Tasks;
        class C
        {
            private int _n;
            async Task M(CancellationToken token)
            {
                await TaskScope.RunAsync(scope =>
                {
                    scope.Spawn(ct => Work());
                    return Task.CompletedTask;
                });
                await TaskScope.RunAsync(scope =>
                {
                    scope.Spawn(async ct =>
                    {
                        await Task.Delay(1);
                        _n++;
                    });
                    return Task.CompletedTask;
                });
                await TaskScope.RunAsync(scope =>
                {
                    scope.Spawn(ct => Work());
                    return Task.CompletedTask;
                }); // keep this comment
                await TaskScope.RunAsync(scope =>
                {
                    scope.Spawn(ct => Compute());
                    return Task.CompletedTask;
                });
                await TaskScope.RunAsync(scope =>
                {
                    scope.Spawn(ct => Work());
                    return Task.CompletedTask;
                }, token);
                await TaskScope.RunAsync(scope =>
                {
                    scope.Spawn(ct => { _n++; });
                    return Task.CompletedTask;
                });
            }
            static void Work() { }
            static int Compute() => 1;
        }
        """);

    [Fact]
    public Task Task_scope_fix_in_async_lambda_with_fresh_names_and_existing_using() => VerifyTaskScopeFixAsync("""
        using System;
        using System.Threading.Tasks;
        using ConcurrencySafety;
        class C
        {
            Func<Task> M(object scope, int ct)
            {
                return async () =>
                {
                    {|CSA2001:Task.Run(() => Use(scope, ct))|};
                    await Task.Yield();
                };
            }
            static void Use(object o, int i) { }
        }
        """, """
        using System;
        using System.Threading.Tasks;
        using ConcurrencySafety;
        class C
        {
            Func<Task> M(object scope, int ct)
            {
                return async () =>
                {
                    await TaskScope.RunAsync(taskScope =>
                    {
                        taskScope.Spawn(cancellationToken => Use(scope, ct));
                        return Task.CompletedTask;
                    });
                    await Task.Yield();
                };
            }
            static void Use(object o, int i) { }
        }
        """);

    [Fact]
    public Task Task_scope_fix_applies_to_explicit_discards_too() => new CSharpCodeFixVerifier<CSA2009DiscardedConcurrentWorkAnalyzer, ConcurrencySafety.CodeFixes.CSA2001UnjoinedConcurrentWorkCodeFix>.Test
    {
        TestCode = """
            using System.Threading.Tasks;
            class C
            {
                async Task M()
                {
                    {|CSA2009:_ = Task.Run(() => Work())|};
                }
                static void Work() { }
            }
            """,
        FixedCode = """
            using ConcurrencySafety;
            using System.Threading.Tasks;
            class C
            {
                async Task M()
                {
                    await TaskScope.RunAsync(scope =>
                    {
                        scope.Spawn(ct => Work());
                        return Task.CompletedTask;
                    });
                }
                static void Work() { }
            }
            """,
        CodeActionEquivalenceKey = "CSA2009.TaskScope",
    }.RunAsync();

    [Fact]
    public Task Task_scope_fix_not_offered_where_the_rewrite_is_not_mechanical() => VerifyTaskScopeFixAsync("""
        using System;
        using System.Threading.Tasks;
        struct S
        {
            async Task M(Action action)
            {
                {|CSA2001:Task.Run(action)|};
                {|CSA2001:Task.Run(Work)|};
                {|CSA2001:Task.Run(() => { return 1; })|};
                {|CSA2001:Task.Run(() => 1 + 2)|};
                {|CSA2001:Task.Run(() => { return Later(); })|};
                {|CSA2001:Task.Run(() => Later(), cancellationToken: default)|};
                {|CSA2001:Task.Factory.StartNew(() => { })|};
                await Task.Yield();
            }
            void Work() { }
            static ValueTask Later() => default;
        }
        """, """
        using System;
        using System.Threading.Tasks;
        struct S
        {
            async Task M(Action action)
            {
                {|CSA2001:Task.Run(action)|};
                {|CSA2001:Task.Run(Work)|};
                {|CSA2001:Task.Run(() => { return 1; })|};
                {|CSA2001:Task.Run(() => 1 + 2)|};
                {|CSA2001:Task.Run(() => { return Later(); })|};
                {|CSA2001:Task.Run(() => Later(), cancellationToken: default)|};
                {|CSA2001:Task.Factory.StartNew(() => { })|};
                await Task.Yield();
            }
            void Work() { }
            static ValueTask Later() => default;
        }
        """);

    [Fact]
    public Task No_await_or_scope_fix_inside_lock_unsafe_or_beside_ref_struct_locals() => Fix.VerifyCodeFixAsync("""
        using System;
        using System.Threading.Tasks;
        class C
        {
            private readonly object _gate = new();
            async Task M()
            {
                lock (_gate)
                {
                    {|CSA2001:Task.Run(() => Work())|};
                }
                await Task.Yield();
            }
            async Task N()
            {
                unsafe
                {
                    {|CSA2001:Task.Run(() => Work())|};
                }
                await Task.Yield();
            }
            async Task O()
            {
                {|CSA2001:Task.Factory.StartNew(async () => await Task.Yield())|};
                await Task.Yield();
            }
            static void Work() { }
        }
        """, """
        using System;
        using System.Threading.Tasks;
        class C
        {
            private readonly object _gate = new();
            async Task M()
            {
                lock (_gate)
                {
                    {|CSA2001:Task.Run(() => Work())|};
                }
                await Task.Yield();
            }
            async Task N()
            {
                unsafe
                {
                    {|CSA2001:Task.Run(() => Work())|};
                }
                await Task.Yield();
            }
            async Task O()
            {
                {|CSA2001:Task.Factory.StartNew(async () => await Task.Yield())|};
                await Task.Yield();
            }
            static void Work() { }
        }
        """);

    [Fact]
    public Task Await_fix_all_reaches_nested_statements() => Fix.VerifyCodeFixAsync("""
        using System;
        using System.Threading.Tasks;
        class C
        {
            async Task M()
            {
                {|CSA2001:Task.Run(async () =>
                {
                    {|CSA2001:Task.Run(() => Work())|};
                    await Task.Yield();
                })|};
                Func<Task> f = async () => { {|CSA2001:Task.Run(() => Work())|}; await Task.Yield(); };
                await f();
            }
            static void Work() { }
        }
        """, """
        using System;
        using System.Threading.Tasks;
        class C
        {
            async Task M()
            {
                await Task.Run(async () =>
                {
                    await Task.Run(() => Work());
                    await Task.Yield();
                });
                Func<Task> f = async () => { await Task.Run(() => Work()); await Task.Yield(); };
                await f();
            }
            static void Work() { }
        }
        """);

    [Fact]
    public Task Task_scope_fix_all_nests_scopes_with_distinct_names() => VerifyTaskScopeFixAsync("""
        using System.Threading.Tasks;
        class C
        {
            async Task M()
            {
                {|CSA2001:Task.Run(async () =>
                {
                    {|CSA2001:Task.Run(() => Work())|};
                    await Task.Yield();
                })|};
            }
            static void Work() { }
        }
        """, """
        using ConcurrencySafety;
        using System.Threading.Tasks;
        class C
        {
            async Task M()
            {
                await TaskScope.RunAsync(scope =>
                {
                    scope.Spawn(async ct =>
                    {
                        await TaskScope.RunAsync(taskScope =>
                        {
                            taskScope.Spawn(cancellationToken => Work());
                            return Task.CompletedTask;
                        });
                        await Task.Yield();
                    });
                    return Task.CompletedTask;
                });
            }
            static void Work() { }
        }
        """);

    [Fact]
    public Task Task_scope_fix_lays_out_an_embedded_statement_against_its_line() => VerifyTaskScopeFixAsync("""
        using System.Threading.Tasks;
        class C
        {
            async Task M(bool warm)
            {
                if (warm) {|CSA2001:Task.Run(() => Work())|};
                await Task.Yield();
            }
            static void Work() { }
        }
        """, """
        using ConcurrencySafety;
        using System.Threading.Tasks;
        class C
        {
            async Task M(bool warm)
            {
                if (warm) await TaskScope.RunAsync(scope =>
                {
                    scope.Spawn(ct => Work());
                    return Task.CompletedTask;
                });
                await Task.Yield();
            }
            static void Work() { }
        }
        """);
}
