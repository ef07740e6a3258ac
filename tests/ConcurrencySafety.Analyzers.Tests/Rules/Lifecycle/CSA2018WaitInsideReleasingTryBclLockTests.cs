using Verify = ConcurrencySafety.Analyzers.Tests.Verifiers.CSharpAnalyzerVerifier<ConcurrencySafety.Analyzers.Rules.CSA2018WaitInsideReleasingTryAnalyzer>;
using Fix = ConcurrencySafety.Analyzers.Tests.Verifiers.CSharpCodeFixVerifier<ConcurrencySafety.Analyzers.Rules.CSA2018WaitInsideReleasingTryAnalyzer, ConcurrencySafety.CodeFixes.CSA2018WaitInsideReleasingTryCodeFix>;

namespace ConcurrencySafety.Analyzers.Tests.Rules.Lifecycle;

/// <summary>
/// Issue 15, point 7: CSA2018 on the BCL's acquires that can give up without taking the lock (a
/// timeout, a busy lock), placed inside the try whose finally releases unconditionally; the
/// acquires that take or throw (Enter, EnterWriteLock, WaitOne()) stay silent there.
/// </summary>
public class CSA2018WaitInsideReleasingTryBclLockTests
{
    [Fact]
    public Task Timed_or_trying_acquire_with_its_answer_ignored_inside_the_try_that_releases() => Verify.VerifyAnalyzerAsync("""
        using System;
        using System.Threading;
        using System.Threading.Tasks;
        class C
        {
            private readonly object _sync = new();
            private readonly ReaderWriterLockSlim _rw = new();
            private readonly Mutex _mutex = new();
            private readonly Semaphore _pool = new(2, 2);
            private readonly SemaphoreSlim _gate = new(1, 1);
            private SpinLock _spin = new(false);
            private int _n;
            void M()
            {
                try { {|CSA2018:Monitor.TryEnter(_sync, 100)|}; _n++; }
                finally { Monitor.Exit(_sync); }
                var taken = false;
                try { {|CSA2018:Monitor.TryEnter(_sync, TimeSpan.FromSeconds(1), ref taken)|}; _n++; }
                finally { Monitor.Exit(_sync); }
            }
            void N()
            {
                try { {|CSA2018:_rw.TryEnterWriteLock(100)|}; _n++; }
                finally { _rw.ExitWriteLock(); }
                try { {|CSA2018:_rw.TryEnterReadLock(100)|}; _n++; }
                finally { _rw.ExitReadLock(); }
            }
            void O()
            {
                try { {|CSA2018:_mutex.WaitOne(100)|}; _n++; }
                finally { _mutex.ReleaseMutex(); }
                try { {|CSA2018:_pool.WaitOne(TimeSpan.FromSeconds(1))|}; _n++; }
                finally { _pool.Release(); }
            }
            async Task P(CancellationToken ct)
            {
                try { {|CSA2018:_gate.Wait(100)|}; _n++; }
                finally { _gate.Release(); }
                try { await {|CSA2018:_gate.WaitAsync(100, ct)|}; _n++; }
                finally { _gate.Release(); }
            }
            void Q()
            {
                var taken = false;
                try { {|CSA2018:_spin.TryEnter(10, ref taken)|}; _n++; }
                finally { _spin.Exit(); }
            }
        }
        """);

    [Fact]
    public Task Timed_acquire_whose_failed_branch_leaves_through_the_finally() => Verify.VerifyAnalyzerAsync("""
        using System;
        using System.Threading;
        using System.Threading.Tasks;
        class C
        {
            private readonly object _sync = new();
            private readonly ReaderWriterLockSlim _rw = new();
            private readonly SemaphoreSlim _gate = new(1, 1);
            private int _n;
            bool M()
            {
                try
                {
                    if (!{|CSA2018:Monitor.TryEnter(_sync, 100)|}) return false;
                    _n++;
                    return true;
                }
                finally
                {
                    Monitor.Exit(_sync);
                }
            }
            async Task N(CancellationToken ct)
            {
                try
                {
                    if (!await {|CSA2018:_gate.WaitAsync(100, ct)|}) { Console.WriteLine("busy"); return; }
                    _n++;
                }
                finally
                {
                    _gate.Release();
                }
            }
            void O()
            {
                try
                {
                    if ({|CSA2018:_rw.TryEnterWriteLock(100)|}) _n++;
                    else throw new TimeoutException();
                }
                finally
                {
                    _rw.ExitWriteLock();
                }
            }
        }
        """);

    [Fact]
    public Task Timed_acquire_tested_before_the_try_or_retried_is_silent() => Verify.VerifyAnalyzerAsync("""
        using System;
        using System.Threading;
        class C
        {
            private readonly object _sync = new();
            private int _n;
            bool M()
            {
                if (!Monitor.TryEnter(_sync, 100)) return false;
                try { _n++; return true; }
                finally { Monitor.Exit(_sync); }
            }
            void N()
            {
                try
                {
                    // Try fast, then block: the failed branch takes the lock before going on.
                    if (!Monitor.TryEnter(_sync)) Monitor.Enter(_sync);
                    _n++;
                }
                finally
                {
                    Monitor.Exit(_sync);
                }
            }
            void O()
            {
                try
                {
                    // A retry loop: the failed test loops, and the body runs holding the lock.
                    while (!Monitor.TryEnter(_sync, 100)) Console.WriteLine("waiting");
                    _n++;
                }
                finally
                {
                    Monitor.Exit(_sync);
                }
            }
        }
        """);

    // ---- must stay silent ----

    [Fact]
    public Task Acquires_that_take_or_throw_and_flag_guarded_releases_are_silent() => Verify.VerifyAnalyzerAsync("""
        using System;
        using System.Threading;
        class C
        {
            private readonly object _sync = new();
            private readonly ReaderWriterLockSlim _rw = new();
            private readonly Mutex _mutex = new();
            private readonly Semaphore _pool = new(2, 2);
            private SpinLock _spin = new(false);
            private int _n;
            void TakeOrThrow()
            {
                // No timeout, no cancellation: nothing to give up on (and an abandoned mutex is
                // taken even though WaitOne throws, so its release here is right).
                try { Monitor.Enter(_sync); _n++; } finally { Monitor.Exit(_sync); }
                try { _rw.EnterWriteLock(); _n++; } finally { _rw.ExitWriteLock(); }
                try { _mutex.WaitOne(); _n++; } finally { _mutex.ReleaseMutex(); }
                try { _pool.WaitOne(); _n++; } finally { _pool.Release(); }
            }
            void FlagGuarded()
            {
                var taken = false;
                try { Monitor.TryEnter(_sync, 100, ref taken); if (taken) _n++; }
                finally { if (taken) Monitor.Exit(_sync); }
                var entered = false;
                try { entered = _rw.TryEnterWriteLock(100); if (entered) _n++; }
                finally { if (entered) _rw.ExitWriteLock(); }
                var spun = false;
                try { _spin.TryEnter(10, ref spun); if (spun) _n++; }
                finally { if (spun) _spin.Exit(); }
            }
            void OtherPair()
            {
                // The finally exits the read lock, the try enters the write lock: another pair.
                try { _rw.TryEnterWriteLock(100); } finally { _rw.ExitReadLock(); }
            }
        }
        """);

    [Fact]
    public Task Lock_TryEnter_with_its_answer_ignored() => new Verify.Test(Verifiers.TargetRuntime.Net10)
    {
        TestCode = """
            using System.Threading;
            class C
            {
                private readonly Lock _lock = new();
                private int _n;
                void M()
                {
                    try { {|CSA2018:_lock.TryEnter(100)|}; _n++; } finally { _lock.Exit(); }
                    try { _lock.Enter(); _n++; } finally { _lock.Exit(); }
                }
            }
            """,
    }.RunAsync();

    // ---- code fix ----

    [Fact]
    public Task Fix_not_offered_for_a_timed_acquire() => Fix.VerifyCodeFixAsync("""
        using System.Threading;
        class C
        {
            private readonly object _sync = new();
            private int _n;
            void M()
            {
                // Moving it before the try would still ignore its answer.
                try
                {
                    {|CSA2018:Monitor.TryEnter(_sync, 100)|};
                    _n++;
                }
                finally
                {
                    Monitor.Exit(_sync);
                }
            }
        }
        """, """
        using System.Threading;
        class C
        {
            private readonly object _sync = new();
            private int _n;
            void M()
            {
                // Moving it before the try would still ignore its answer.
                try
                {
                    {|CSA2018:Monitor.TryEnter(_sync, 100)|};
                    _n++;
                }
                finally
                {
                    Monitor.Exit(_sync);
                }
            }
        }
        """);
}
