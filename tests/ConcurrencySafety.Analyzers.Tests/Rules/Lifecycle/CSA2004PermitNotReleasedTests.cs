using Verify = ConcurrencySafety.Analyzers.Tests.Verifiers.CSharpAnalyzerVerifier<ConcurrencySafety.Analyzers.Rules.CSA2004PermitNotReleasedAnalyzer>;
using Fix = ConcurrencySafety.Analyzers.Tests.Verifiers.CSharpCodeFixVerifier<ConcurrencySafety.Analyzers.Rules.CSA2004PermitNotReleasedAnalyzer, ConcurrencySafety.CodeFixes.CSA2004PermitNotReleasedCodeFix>;

namespace ConcurrencySafety.Analyzers.Tests.Rules.Lifecycle;

public class CSA2004PermitNotReleasedTests
{
    [Fact]
    public Task Semaphore_released_outside_finally() => Verify.VerifyAnalyzerAsync("""
        using System.Threading;
        using System.Threading.Tasks;
        class C
        {
            private readonly SemaphoreSlim _gate = new(1, 1);
            private int _count;
            async Task M()
            {
                await {|CSA2004:_gate.WaitAsync()|};
                _count++;
                _gate.Release();
            }
            void N()
            {
                {|CSA2004:_gate.Wait()|};
                try { _count++; } finally { }
                _gate.Release();
            }
        }
        """);

    [Fact]
    public Task Library_guards_dropped_or_not_using() => Verify.VerifyAnalyzerAsync("""
        using System.Threading.Tasks;
        using ConcurrencySafety;
        class C
        {
            private readonly PermitSemaphore _permits = new(2);
            private readonly Locked<int> _count = new(0);
            async Task M()
            {
                {|CSA2004:_permits.Acquire()|};
                {|CSA2004:await _permits.AcquireAsync()|};
                var {|CSA2004:g|} = _count.Lock();
                g.Value++;
                g.Dispose();
                var {|CSA2004:p|} = await _permits.AcquireAsync();
                if (_permits.TryAcquire(out var {|CSA2004:q|})) { }
            }
        }
        """);

    [Fact]
    public Task Timed_waits_in_an_if_without_finally() => Verify.VerifyAnalyzerAsync("""
        using System;
        using System.Threading;
        using System.Threading.Tasks;
        class C
        {
            private readonly SemaphoreSlim _gate = new(1, 1);
            private int _count;
            async Task M(CancellationToken ct)
            {
                if (await {|CSA2004:_gate.WaitAsync(TimeSpan.FromSeconds(1), ct)|})
                {
                    _count++;
                    _gate.Release();
                }
            }
            void N()
            {
                if ({|CSA2004:_gate.Wait(0)|}) { _count++; _gate.Release(); }
                if (!{|CSA2004:_gate.Wait(10)|}) { Console.WriteLine("busy"); }
                else { _count++; _gate.Release(); }
            }
            async Task<bool> O()
            {
                if (!await {|CSA2004:_gate.WaitAsync(100)|}.ConfigureAwait(false)) return false;
                _count++;
                _gate.Release();
                return true;
            }
            async Task P(CancellationToken ct)
            {
                await {|CSA2004:_gate.WaitAsync(ct)|}.ConfigureAwait(false);
                _count++;
                _gate.Release();
            }
            async Task Q()
            {
                var entered = await {|CSA2004:_gate.WaitAsync(100)|};
                if (!entered) throw new TimeoutException();
                _count++;
                _gate.Release();
                bool ok = {|CSA2004:_gate.Wait(10)|};
                if (ok)
                {
                    _count++;
                    _gate.Release();
                }
            }
        }
        """);

    [Fact]
    public Task Library_guards_released_on_some_paths_or_outside_finally() => Verify.VerifyAnalyzerAsync("""
        using System;
        using System.Threading;
        using System.Threading.Tasks;
        using ConcurrencySafety;
        class C
        {
            private readonly PermitSemaphore _permits = new(2);
            private readonly Locked<int> _count = new(0);
            private readonly RwLocked<int> _value = new(0);
            async Task M(CancellationToken ct)
            {
                var {|CSA2004:g|} = await _count.LockAsync(ct);
                if (g.Value > 10) { g.Dispose(); return; }
                g.Value++;
            }
            async Task N(CancellationToken ct)
            {
                var {|CSA2004:r|} = await _value.ReadAsync(ct);
                Console.WriteLine(r.Value);
                r.Dispose();
                var {|CSA2004:p|} = await _permits.AcquireAsync(ct).ConfigureAwait(false);
                Work();
                p.Dispose();
                {|CSA2004:await _count.LockAsync(ct)|};
            }
            void O()
            {
                if (_value.TryWrite(TimeSpan.FromSeconds(1), out var {|CSA2004:w|})) { w.Value = 1; w.Dispose(); }
                if (_count.TryLock(TimeSpan.Zero, out var {|CSA2004:l|})) { l.Value++; }
                var {|CSA2004:q|} = _permits.Acquire(2, CancellationToken.None);
                Work();
                q.Dispose();
            }
            static void Work() { }
        }
        """);

    // ---- must stay silent ----

    [Fact]
    public Task Release_in_finally_is_silent() => Verify.VerifyAnalyzerAsync("""
        using System.Threading;
        using System.Threading.Tasks;
        class C
        {
            private readonly SemaphoreSlim _gate = new(1, 1);
            private int _count;
            async Task M()
            {
                await _gate.WaitAsync();
                try { _count++; }
                finally { _gate.Release(); }
            }
            void N(SemaphoreSlim local)
            {
                try
                {
                    local.Wait();
                    _count++;
                }
                finally { local.Release(); }
            }
            async Task<int> EarlyExit(bool done)
            {
                await _gate.WaitAsync();
                if (done) { _gate.Release(); return 0; }
                try { return ++_count; }
                finally { _gate.Release(); }
            }
        }
        """);

    [Fact]
    public Task Timed_waits_and_loops_with_finally_are_silent() => Verify.VerifyAnalyzerAsync("""
        using System;
        using System.Collections.Generic;
        using System.Threading;
        using System.Threading.Tasks;
        class C
        {
            private readonly SemaphoreSlim _gate = new(1, 1);
            private int _count;
            async Task<bool> M(CancellationToken ct)
            {
                if (await _gate.WaitAsync(TimeSpan.FromSeconds(1), ct))
                {
                    try { _count++; }
                    finally { _gate.Release(); }
                    return true;
                }

                return false;
            }
            async Task<bool> N()
            {
                if (!await _gate.WaitAsync(100).ConfigureAwait(false))
                {
                    return false;
                }

                try { _count++; return true; }
                finally { _gate.Release(); }
            }
            void O()
            {
                if (_gate.Wait(0)) _gate.Release();
                if (!_gate.Wait(10)) { }
                else
                {
                    try { _count++; } finally { _gate.Release(); }
                }
            }
            async Task P(IEnumerable<int> items, CancellationToken ct)
            {
                foreach (var item in items)
                {
                    await _gate.WaitAsync(ct).ConfigureAwait(false);
                    try { _count += item; }
                    finally { _gate.Release(); }
                }

                for (var i = 0; i < 3; i++)
                {
                    if (!_gate.Wait(10)) continue;
                    try { _count++; }
                    finally { _gate.Release(); }
                }
            }
            async Task Q(List<Task> running)
            {
                // Throttling: the slot is handed to the task, which releases it in its finally.
                await _gate.WaitAsync();
                running.Add(Task.Run(async () =>
                {
                    try { await Task.Delay(1); }
                    finally { _gate.Release(); }
                }));
            }
            async Task R()
            {
                // Limits (documented): a failed branch that does not leave, or a wait result
                // kept in a local that is also used elsewhere, is not followed.
                if (!await _gate.WaitAsync(100)) { Console.WriteLine("late"); }
                _count++;
                _gate.Release();
                var acquired = await _gate.WaitAsync(100);
                if (!acquired) return;
                Console.WriteLine(acquired);
                _count++;
                _gate.Release();
            }
            async Task S()
            {
                var acquired = false;
                try
                {
                    acquired = await _gate.WaitAsync(100);
                    if (!acquired) return;
                    _count++;
                }
                finally
                {
                    if (acquired) _gate.Release();
                }

                var entered = await _gate.WaitAsync(100);
                if (!entered) throw new TimeoutException();
                try { _count++; }
                finally { _gate.Release(); }
            }
        }
        """);

    [Fact]
    public Task Library_guards_handed_on_or_released_in_finally_are_silent() => Verify.VerifyAnalyzerAsync("""
        using System;
        using System.Collections.Generic;
        using System.Threading;
        using System.Threading.Tasks;
        using ConcurrencySafety;
        class C
        {
            private readonly PermitSemaphore _permits = new(2);
            private readonly Locked<int> _count = new(0);
            private readonly RwLocked<int> _value = new(0);
            private readonly List<Permit> _held = new();
            async Task M(CancellationToken ct)
            {
                using var g = await _count.LockAsync(ct);
                g.Value++;
                using (var w = await _value.WriteAsync(ct)) { w.Value = 2; }
                if (_count.TryLock(TimeSpan.Zero, out var l))
                {
                    try { l.Value++; } finally { l.Dispose(); }
                }
                var kept = await _permits.AcquireAsync(ct);
                _held.Add(kept);
                var passed = _permits.Acquire();
                Hold(passed);
            }
            async Task N(List<Task> running, CancellationToken ct)
            {
                // The permit moves into the task, which gives it back in its finally.
                var p = await _permits.AcquireAsync(ct);
                running.Add(Task.Run(() =>
                {
                    try { Work(); }
                    finally { p.Dispose(); }
                }));
            }
            async ValueTask<Permit> Take(CancellationToken ct)
            {
                var p = await _permits.AcquireAsync(ct);
                return p;
            }
            ReadGuard<int> Peek() => _value.Read();
            static void Hold(Permit p) => p.Dispose();
            static void Work() { }
        }
        """);

    [Fact]
    public Task Semaphore_used_as_a_signal_is_silent() => Verify.VerifyAnalyzerAsync("""
        using System.Collections.Concurrent;
        using System.Threading;
        class Queue
        {
            private readonly SemaphoreSlim _items = new(0);
            private readonly ConcurrentQueue<int> _queue = new();
            public void Add(int x) { _queue.Enqueue(x); _items.Release(); }
            public int Take() { _items.Wait(); _queue.TryDequeue(out var x); return x; }
        }
        """);

    [Fact]
    public Task Guards_with_using_finally_or_handed_on_are_silent() => Verify.VerifyAnalyzerAsync("""
        using System.Threading.Tasks;
        using ConcurrencySafety;
        class C
        {
            private readonly PermitSemaphore _permits = new(2);
            private readonly Locked<int> _count = new(0);
            private readonly RwLocked<int> _value = new(0);
            private Permit _held;
            async Task M()
            {
                using (await _permits.AcquireAsync()) { }
                using var g = _count.Lock();
                g.Value++;
                using (var r = _value.Read()) { _ = r.Value; }
                var w = _value.Write();
                try { w.Value = 1; } finally { w.Dispose(); }
                if (_permits.TryAcquire(out var p)) { using (p) { } }
                _held = _permits.Acquire();
                var kept = _permits.Acquire();
                _held = kept;
            }
            void Gate(System.Threading.SemaphoreSlim turn)
            {
                var g2 = _count.Lock();
                g2.Dispose();
                turn.Wait();
                turn.Release();
            }
            Permit Take() => _permits.Acquire();
            Permit Take2() { var p = _permits.Acquire(); return p; }
        }
        """);

    // ---- code fix ----

    [Fact]
    public Task Bcl_locks_released_outside_finally_or_on_some_paths() => Verify.VerifyAnalyzerAsync("""
        using System;
        using System.Threading;
        class C
        {
            private readonly object _sync = new();
            private readonly ReaderWriterLockSlim _rw = new();
            private readonly Mutex _mutex = new();
            private SpinLock _spin = new(false);
            private int _count;
            void Monitors(int n)
            {
                {|CSA2004:Monitor.Enter(_sync)|};
                _count += Check(n);
                Monitor.Exit(_sync);
                if ({|CSA2004:Monitor.TryEnter(_sync, 10)|})
                {
                    _count++;
                    Monitor.Exit(_sync);
                }
            }
            void ReaderWriter(int n)
            {
                {|CSA2004:_rw.EnterReadLock()|};
                var read = _count;
                _rw.ExitReadLock();
                {|CSA2004:_rw.EnterWriteLock()|};
                if (n < 0) return;
                _count = read + n;
                _rw.ExitWriteLock();
                {|CSA2004:_rw.EnterUpgradeableReadLock()|};
                _count += Check(n);
                _rw.ExitUpgradeableReadLock();
                if (!{|CSA2004:_rw.TryEnterWriteLock(10)|}) return;
                _count++;
                _rw.ExitWriteLock();
            }
            void Mutexes(int n)
            {
                {|CSA2004:_mutex.WaitOne()|};
                _count += Check(n);
                _mutex.ReleaseMutex();
                if ({|CSA2004:_mutex.WaitOne(TimeSpan.FromSeconds(1))|}) { _count++; _mutex.ReleaseMutex(); }
            }
            void Spin(int n)
            {
                var taken = false;
                {|CSA2004:_spin.Enter(ref taken)|};
                _count += Check(n);
                if (taken) _spin.Exit();
            }
            private static int Check(int n) => n >= 0 ? n : throw new ArgumentOutOfRangeException(nameof(n));
        }
        """);

    [Fact]
    public Task Bcl_locks_released_in_finally_or_paired_elsewhere_are_silent() => Verify.VerifyAnalyzerAsync("""
        using System;
        using System.Threading;
        class C : IDisposable
        {
            private readonly object _sync = new();
            private readonly object _other = new();
            private readonly ReaderWriterLockSlim _rw = new();
            private readonly Mutex _mutex = new();
            private SpinLock _spin = new(false);
            private int _count;
            void Statement() { lock (_sync) { _count++; } }
            void TryFinally()
            {
                Monitor.Enter(_sync);
                try { _count++; } finally { Monitor.Exit(_sync); }
                _rw.EnterReadLock();
                try { _ = _count; } finally { _rw.ExitReadLock(); }
                _rw.EnterWriteLock();
                try { _count++; } finally { _rw.ExitWriteLock(); }
                _rw.EnterUpgradeableReadLock();
                try { _count++; } finally { _rw.ExitUpgradeableReadLock(); }
                _mutex.WaitOne();
                try { _count++; } finally { _mutex.ReleaseMutex(); }
            }
            void LockTaken()
            {
                var taken = false;
                try
                {
                    Monitor.Enter(_sync, ref taken);
                    _count++;
                }
                finally
                {
                    if (taken) Monitor.Exit(_sync);
                }
                var entered = false;
                try
                {
                    Monitor.TryEnter(_sync, 10, ref entered);
                    if (entered) _count++;
                }
                finally
                {
                    if (entered) Monitor.Exit(_sync);
                }
                var spun = false;
                try
                {
                    _spin.Enter(ref spun);
                    _count++;
                }
                finally
                {
                    if (spun) _spin.Exit();
                }
            }
            void TimedInIf()
            {
                if (Monitor.TryEnter(_sync, 10))
                {
                    try { _count++; } finally { Monitor.Exit(_sync); }
                }
                if (!_rw.TryEnterReadLock(10)) return;
                try { _ = _count; } finally { _rw.ExitReadLock(); }
                if (_mutex.WaitOne(10))
                {
                    try { _count++; } finally { _mutex.ReleaseMutex(); }
                }
            }
            // Acquired here, released in another method: the pairing is not this function's.
            public void Begin() => Monitor.Enter(_sync);
            public void End() => Monitor.Exit(_sync);
            void Held() { _rw.EnterWriteLock(); _count++; }
            public void Dispose() { _rw.ExitWriteLock(); _mutex.ReleaseMutex(); }
            // A different lock released, or a different kind of release: not this lock's pair.
            void Mismatch()
            {
                Monitor.Enter(_sync);
                _count++;
                Monitor.Exit(_other);
                _rw.EnterReadLock();
                _count++;
                _rw.ExitWriteLock();
            }
            // A release right after the acquire leaves no path in between.
            void Gate() { Monitor.Enter(_sync); Monitor.Exit(_sync); }
        }
        """);

    [Fact]
    public Task Fix_wraps_the_work_in_try_finally() => Fix.VerifyCodeFixAsync("""
        using System.Threading;
        using System.Threading.Tasks;
        class C
        {
            private readonly SemaphoreSlim _gate = new(1, 1);
            private int _count;
            async Task M()
            {
                await {|CSA2004:_gate.WaitAsync()|};
                _count++;
                _count *= 2;
                _gate.Release();
            }
        }
        """, """
        using System.Threading;
        using System.Threading.Tasks;
        class C
        {
            private readonly SemaphoreSlim _gate = new(1, 1);
            private int _count;
            async Task M()
            {
                await _gate.WaitAsync();
                try
                {
                    _count++;
                    _count *= 2;
                }
                finally
                {
                    _gate.Release();
                }
            }
        }
        """);

    [Fact]
    public Task Fix_wraps_the_work_after_a_failed_wait_exit_and_after_ConfigureAwait() => Fix.VerifyCodeFixAsync("""
        using System.Threading;
        using System.Threading.Tasks;
        class C
        {
            private readonly SemaphoreSlim _gate = new(1, 1);
            private int _count;
            async Task<bool> M()
            {
                if (!await {|CSA2004:_gate.WaitAsync(100)|}) return false;
                _count++;
                _gate.Release();
                return true;
            }
            async Task N(CancellationToken ct)
            {
                await {|CSA2004:_gate.WaitAsync(ct)|}.ConfigureAwait(false);
                _count++;
                _gate.Release();
            }
        }
        """, """
        using System.Threading;
        using System.Threading.Tasks;
        class C
        {
            private readonly SemaphoreSlim _gate = new(1, 1);
            private int _count;
            async Task<bool> M()
            {
                if (!await _gate.WaitAsync(100)) return false;
                try
                {
                    _count++;
                }
                finally
                {
                    _gate.Release();
                }

                return true;
            }
            async Task N(CancellationToken ct)
            {
                await _gate.WaitAsync(ct).ConfigureAwait(false);
                try
                {
                    _count++;
                }
                finally
                {
                    _gate.Release();
                }
            }
        }
        """);

    [Fact]
    public Task Fix_declares_the_guard_with_using() => Fix.VerifyCodeFixAsync("""
        using ConcurrencySafety;
        class C
        {
            private readonly Locked<int> _count = new(0);
            private readonly PermitSemaphore _permits = new(2);
            void M()
            {
                var {|CSA2004:g|} = _count.Lock();
                g.Value++;
                g.Dispose();
            }
            void N()
            {
                {|CSA2004:_permits.Acquire()|};
                Work();
            }
            void Work() { }
        }
        """, """
        using ConcurrencySafety;
        class C
        {
            private readonly Locked<int> _count = new(0);
            private readonly PermitSemaphore _permits = new(2);
            void M()
            {
                using var g = _count.Lock();
                g.Value++;
            }
            void N()
            {
                using var permit = _permits.Acquire();
                Work();
            }
            void Work() { }
        }
        """);

    [Fact]
    public Task Fix_not_offered_for_out_guards_or_discards() => Fix.VerifyCodeFixAsync("""
        using ConcurrencySafety;
        class C
        {
            private readonly PermitSemaphore _permits = new(2);
            void M()
            {
                if (_permits.TryAcquire(out var {|CSA2004:p|})) { }
                {|CSA2004:_ = _permits.Acquire()|};
            }
            private readonly System.Threading.SemaphoreSlim _gate = new(1, 1);
            private int _count;
            async System.Threading.Tasks.Task O()
            {
                // The failed wait's branch is after the wait: a try from the wait on would cover it.
                var entered = await {|CSA2004:_gate.WaitAsync(100)|};
                if (!entered) return;
                _count++;
                _gate.Release();
            }
        }
        """, """
        using ConcurrencySafety;
        class C
        {
            private readonly PermitSemaphore _permits = new(2);
            void M()
            {
                if (_permits.TryAcquire(out var {|CSA2004:p|})) { }
                {|CSA2004:_ = _permits.Acquire()|};
            }
            private readonly System.Threading.SemaphoreSlim _gate = new(1, 1);
            private int _count;
            async System.Threading.Tasks.Task O()
            {
                // The failed wait's branch is after the wait: a try from the wait on would cover it.
                var entered = await {|CSA2004:_gate.WaitAsync(100)|};
                if (!entered) return;
                _count++;
                _gate.Release();
            }
        }
        """);
}
