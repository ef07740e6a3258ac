using ConcurrencySafety.Analyzers.Tests.Verifiers;
using Verify = ConcurrencySafety.Analyzers.Tests.Verifiers.CSharpAnalyzerVerifier<ConcurrencySafety.Analyzers.Rules.CSA2004PermitNotReleasedAnalyzer>;
using Fix = ConcurrencySafety.Analyzers.Tests.Verifiers.CSharpCodeFixVerifier<ConcurrencySafety.Analyzers.Rules.CSA2004PermitNotReleasedAnalyzer, ConcurrencySafety.CodeFixes.CSA2004PermitNotReleasedCodeFix>;

namespace ConcurrencySafety.Analyzers.Tests.Rules.Lifecycle;

/// <summary>
/// Issue 15, point 7: CSA2004 on every acquire/release pair of the BCL's synchronization types
/// (Monitor, ReaderWriterLockSlim, Mutex, Semaphore, SpinLock, .NET 9's Lock), each flagged
/// shape next to its silent twin.
/// </summary>
public class CSA2004PermitNotReleasedBclLockTests
{
    // ---- Monitor ----

    [Fact]
    public Task Monitor_exit_outside_finally() => Verify.VerifyAnalyzerAsync("""
        using System;
        using System.Threading;
        class C
        {
            private readonly object _sync = new();
            private int _n;
            void Enter()
            {
                {|CSA2004:Monitor.Enter(_sync)|};
                _n++;
                Monitor.Exit(_sync);
            }
            void TryEnter()
            {
                if ({|CSA2004:Monitor.TryEnter(_sync)|}) { _n++; Monitor.Exit(_sync); }
            }
            bool TimedTryEnter()
            {
                if (!{|CSA2004:Monitor.TryEnter(_sync, 100)|}) return false;
                _n++;
                Monitor.Exit(_sync);
                return true;
            }
            void FlagOutsideTry()
            {
                // Enter(o, ref taken) before any try: the flag is set, and an exception in the
                // work still leaves the monitor held.
                var taken = false;
                {|CSA2004:Monitor.Enter(_sync, ref taken)|};
                _n++;
                if (taken) Monitor.Exit(_sync);
            }
            void OnThis()
            {
                {|CSA2004:Monitor.Enter(this)|};
                _n++;
                Monitor.Exit(this);
            }
        }
        """);

    [Fact]
    public Task Monitor_exit_in_finally_ref_flag_and_hand_off_are_silent() => Verify.VerifyAnalyzerAsync("""
        using System;
        using System.Threading;
        class C
        {
            private readonly object _sync = new();
            private readonly object _other = new();
            private int _n;
            void Enter()
            {
                Monitor.Enter(_sync);
                try { _n++; }
                finally { Monitor.Exit(_sync); }
            }
            void TryEnter()
            {
                if (Monitor.TryEnter(_sync))
                {
                    try { _n++; } finally { Monitor.Exit(_sync); }
                }
            }
            bool TimedTryEnter()
            {
                if (!Monitor.TryEnter(_sync, TimeSpan.FromMilliseconds(100))) return false;
                try { _n++; return true; }
                finally { Monitor.Exit(_sync); }
            }
            void WhatLockLowersTo()
            {
                var lockTaken = false;
                try
                {
                    Monitor.Enter(_sync, ref lockTaken);
                    _n++;
                }
                finally
                {
                    if (lockTaken) Monitor.Exit(_sync);
                }
            }
            void TryEnterWithFlag()
            {
                var taken = false;
                try
                {
                    Monitor.TryEnter(_sync, 10, ref taken);
                    if (taken) _n++;
                }
                finally
                {
                    if (taken) Monitor.Exit(_sync);
                }
            }
            void OnThis()
            {
                Monitor.Enter(this);
                try { _n++; } finally { Monitor.Exit(this); }
            }
            void Gate()
            {
                // Wait for my turn, let the next one go: nothing runs in between.
                Monitor.Enter(_sync);
                Monitor.Exit(_sync);
            }
            void OtherObject()
            {
                // The exit is of another object: not this pair.
                Monitor.Enter(_sync);
                _n++;
                Monitor.Exit(_other);
            }
            // A hand-off: entered in one method, exited in another.
            public void Begin() => Monitor.Enter(_sync);
            public void End() => Monitor.Exit(_sync);
            void LetGoAroundACallback(Action callback)
            {
                // A re-acquisition: the lock statement holds _sync; the body lets it go around
                // the callback and takes it back, and the lock statement's own exit releases it.
                lock (_sync)
                {
                    _n++;
                    Monitor.Exit(_sync);
                    callback();
                    Monitor.Enter(_sync);
                    _n--;
                }
            }
        }
        """);

    // ---- ReaderWriterLockSlim ----

    [Fact]
    public Task ReaderWriterLockSlim_exit_outside_finally() => Verify.VerifyAnalyzerAsync("""
        using System;
        using System.Collections.Generic;
        using System.Threading;
        class Cache
        {
            private readonly ReaderWriterLockSlim _rw = new();
            private readonly Dictionary<int, string> _map = new();
            string Get(int key)
            {
                {|CSA2004:_rw.EnterReadLock()|};
                var value = _map[key];
                _rw.ExitReadLock();
                return value;
            }
            void Set(int key, string value)
            {
                {|CSA2004:_rw.EnterWriteLock()|};
                _map[key] = value;
                _rw.ExitWriteLock();
            }
            void AddIfMissing(int key, string value)
            {
                {|CSA2004:_rw.EnterUpgradeableReadLock()|};
                if (!_map.ContainsKey(key)) _map.Add(key, value);
                _rw.ExitUpgradeableReadLock();
            }
            void TrySet(int key, string value)
            {
                if ({|CSA2004:_rw.TryEnterWriteLock(100)|})
                {
                    _map[key] = value;
                    _rw.ExitWriteLock();
                }
            }
            string? TryGet(int key)
            {
                if (!{|CSA2004:_rw.TryEnterReadLock(TimeSpan.FromSeconds(1))|}) return null;
                var value = _map[key];
                _rw.ExitReadLock();
                return value;
            }
        }
        """);

    [Fact]
    public Task ReaderWriterLockSlim_exit_in_finally_other_mode_or_hand_off_is_silent() => Verify.VerifyAnalyzerAsync("""
        using System;
        using System.Collections.Generic;
        using System.Threading;
        class Cache
        {
            private readonly ReaderWriterLockSlim _rw = new();
            private readonly Dictionary<int, string> _map = new();
            string Get(int key)
            {
                _rw.EnterReadLock();
                try { return _map[key]; }
                finally { _rw.ExitReadLock(); }
            }
            void AddIfMissing(int key, string value)
            {
                // The upgradeable pattern: a write lock nested in the upgradeable read lock.
                _rw.EnterUpgradeableReadLock();
                try
                {
                    if (_map.ContainsKey(key)) return;
                    _rw.EnterWriteLock();
                    try { _map.Add(key, value); }
                    finally { _rw.ExitWriteLock(); }
                }
                finally
                {
                    _rw.ExitUpgradeableReadLock();
                }
            }
            bool TrySet(int key, string value)
            {
                if (!_rw.TryEnterWriteLock(TimeSpan.FromMilliseconds(100))) return false;
                try { _map[key] = value; return true; }
                finally { _rw.ExitWriteLock(); }
            }
            void Downgrade(int key)
            {
                // Only the write lock is exited here: the read lock is a different pair, and
                // without its ExitReadLock in this method it is handed to the caller.
                _rw.EnterReadLock();
                _map.Remove(key);
                _rw.ExitWriteLock();
            }
            // Hand-off: the lock is exited by another method.
            public void BeginWrite() => _rw.EnterWriteLock();
            public void EndWrite() => _rw.ExitWriteLock();
        }
        """);

    // ---- Mutex and Semaphore ----

    [Fact]
    public Task Mutex_and_Semaphore_released_outside_finally() => Verify.VerifyAnalyzerAsync("""
        using System;
        using System.Threading;
        class C
        {
            private readonly Mutex _mutex = new();
            private readonly Semaphore _pool = new(2, 2);
            private int _n;
            void M()
            {
                {|CSA2004:_mutex.WaitOne()|};
                _n++;
                _mutex.ReleaseMutex();
                if ({|CSA2004:_mutex.WaitOne(100)|}) { _n++; _mutex.ReleaseMutex(); }
            }
            void S()
            {
                {|CSA2004:_pool.WaitOne()|};
                _n++;
                _pool.Release();
                if (!{|CSA2004:_pool.WaitOne(TimeSpan.FromSeconds(1))|}) return;
                _n++;
                _pool.Release();
            }
        }
        """);

    [Fact]
    public Task Mutex_and_Semaphore_released_in_finally_or_used_as_a_signal_are_silent() => Verify.VerifyAnalyzerAsync("""
        using System;
        using System.Threading;
        class C
        {
            private readonly Mutex _mutex = new();
            private readonly Semaphore _pool = new(2, 2);
            private readonly Semaphore _items = new(0, int.MaxValue);
            private readonly EventWaitHandle _ready = new(false, EventResetMode.AutoReset);
            private int _n;
            void M()
            {
                _mutex.WaitOne();
                try { _n++; } finally { _mutex.ReleaseMutex(); }
                if (_mutex.WaitOne(100))
                {
                    try { _n++; } finally { _mutex.ReleaseMutex(); }
                }
            }
            void S()
            {
                _pool.WaitOne();
                try { _n++; } finally { _pool.Release(); }
            }
            // A signal: released by the producer, waited on by the consumer.
            public void Produce() { Interlocked.Increment(ref _n); _items.Release(); }
            public void Consume() { _items.WaitOne(); Interlocked.Decrement(ref _n); }
            void OtherHandles()
            {
                // A wait handle that is not a lock: not a pair.
                _ready.WaitOne();
                _n++;
                _ready.Set();
            }
        }
        """);

    // ---- SpinLock ----

    [Fact]
    public Task SpinLock_exit_outside_finally() => Verify.VerifyAnalyzerAsync("""
        using System.Threading;
        class C
        {
            private SpinLock _spin = new(enableThreadOwnerTracking: false);
            private int _n;
            void M()
            {
                var taken = false;
                {|CSA2004:_spin.Enter(ref taken)|};
                _n++;
                if (taken) _spin.Exit();
            }
            void N()
            {
                var taken = false;
                {|CSA2004:_spin.Enter(ref taken)|};
                _n++;
                _spin.Exit(useMemoryBarrier: false);
            }
        }
        """);

    [Fact]
    public Task SpinLock_entered_inside_the_try_whose_finally_exits_is_silent() => Verify.VerifyAnalyzerAsync("""
        using System.Threading;
        class C
        {
            private SpinLock _spin = new(enableThreadOwnerTracking: false);
            private int _n;
            void M()
            {
                var taken = false;
                try
                {
                    _spin.Enter(ref taken);
                    _n++;
                }
                finally
                {
                    if (taken) _spin.Exit();
                }
            }
            void N()
            {
                var taken = false;
                try
                {
                    _spin.TryEnter(10, ref taken);
                    if (taken) _n++;
                }
                finally
                {
                    if (taken) _spin.Exit(false);
                }
            }
        }
        """);

    // ---- System.Threading.Lock (.NET 9+: the .NET 10 references only) ----

    private const string LockFlagged = """
        using System.Threading;
        class C
        {
            private readonly Lock _lock = new();
            private int _n;
            void M()
            {
                {|CSA2004:_lock.Enter()|};
                _n++;
                _lock.Exit();
                if ({|CSA2004:_lock.TryEnter()|}) { _n++; _lock.Exit(); }
                if (!{|CSA2004:_lock.TryEnter(100)|}) return;
                _n++;
                _lock.Exit();
            }
            void N()
            {
                {|CSA2004:_lock.EnterScope()|};
                var {|CSA2004:scope|} = _lock.EnterScope();
                _n++;
                scope.Dispose();
            }
        }
        """;

    private const string LockSilent = """
        using System;
        using System.Threading;
        class C
        {
            private readonly Lock _lock = new();
            private int _n;
            void M()
            {
                _lock.Enter();
                try { _n++; } finally { _lock.Exit(); }
                if (_lock.TryEnter(TimeSpan.FromMilliseconds(10)))
                {
                    try { _n++; } finally { _lock.Exit(); }
                }
            }
            void N()
            {
                lock (_lock) { _n++; }
                using (_lock.EnterScope()) { _n++; }
                using var scope = _lock.EnterScope();
                _n++;
            }
            void O()
            {
                var scope = _lock.EnterScope();
                try { _n++; } finally { scope.Dispose(); }
            }
            // Hand-off.
            public void Begin() => _lock.Enter();
            public void End() => _lock.Exit();
        }
        """;

    [Fact]
    public Task Lock_exit_outside_finally_and_scope_not_in_using() => new Verify.Test(TargetRuntime.Net10) { TestCode = LockFlagged }.RunAsync();

    [Fact]
    public Task Lock_exit_in_finally_and_scope_in_using_are_silent() => new Verify.Test(TargetRuntime.Net10) { TestCode = LockSilent }.RunAsync();

    // ---- code fix ----

    [Fact]
    public Task Fix_wraps_the_work_between_enter_and_exit_in_try_finally() => Fix.VerifyCodeFixAsync("""
        using System.Collections.Generic;
        using System.Threading;
        class C
        {
            private readonly object _sync = new();
            private readonly ReaderWriterLockSlim _rw = new();
            private readonly Mutex _mutex = new();
            private readonly Dictionary<int, int> _map = new();
            private int _n;
            void M()
            {
                {|CSA2004:Monitor.Enter(_sync)|};
                _n++;
                Monitor.Exit(_sync);
            }
            void N(int key)
            {
                {|CSA2004:_rw.EnterWriteLock()|};
                _map[key] = 1;
                _n++;
                _rw.ExitWriteLock();
            }
            bool O()
            {
                if (!{|CSA2004:_mutex.WaitOne(100)|}) return false;
                _n++;
                _mutex.ReleaseMutex();
                return true;
            }
        }
        """, """
        using System.Collections.Generic;
        using System.Threading;
        class C
        {
            private readonly object _sync = new();
            private readonly ReaderWriterLockSlim _rw = new();
            private readonly Mutex _mutex = new();
            private readonly Dictionary<int, int> _map = new();
            private int _n;
            void M()
            {
                Monitor.Enter(_sync);
                try
                {
                    _n++;
                }
                finally
                {
                    Monitor.Exit(_sync);
                }
            }
            void N(int key)
            {
                _rw.EnterWriteLock();
                try
                {
                    _map[key] = 1;
                    _n++;
                }
                finally
                {
                    _rw.ExitWriteLock();
                }
            }
            bool O()
            {
                if (!_mutex.WaitOne(100)) return false;
                try
                {
                    _n++;
                }
                finally
                {
                    _mutex.ReleaseMutex();
                }

                return true;
            }
        }
        """);

    [Fact]
    public Task Fix_for_Lock_enter_and_a_dropped_scope() => Fix.VerifyCodeFixAsync("""
        using System.Threading;
        class C
        {
            private readonly Lock _lock = new();
            private int _n;
            void M()
            {
                {|CSA2004:_lock.Enter()|};
                _n++;
                _lock.Exit();
            }
            void N()
            {
                {|CSA2004:_lock.EnterScope()|};
                _n++;
            }
        }
        """, """
        using System.Threading;
        class C
        {
            private readonly Lock _lock = new();
            private int _n;
            void M()
            {
                _lock.Enter();
                try
                {
                    _n++;
                }
                finally
                {
                    _lock.Exit();
                }
            }
            void N()
            {
                using var scope = _lock.EnterScope();
                _n++;
            }
        }
        """);

    [Fact]
    public Task Fix_not_offered_when_the_release_is_not_a_statement_of_the_block() => Fix.VerifyCodeFixAsync("""
        using System.Threading;
        class C
        {
            private SpinLock _spin = new(false);
            private int _n;
            void M()
            {
                // The exit is under the flag's if: where the try goes is for the author to say.
                var taken = false;
                {|CSA2004:_spin.Enter(ref taken)|};
                _n++;
                if (taken) _spin.Exit();
            }
        }
        """, """
        using System.Threading;
        class C
        {
            private SpinLock _spin = new(false);
            private int _n;
            void M()
            {
                // The exit is under the flag's if: where the try goes is for the author to say.
                var taken = false;
                {|CSA2004:_spin.Enter(ref taken)|};
                _n++;
                if (taken) _spin.Exit();
            }
        }
        """);
}
