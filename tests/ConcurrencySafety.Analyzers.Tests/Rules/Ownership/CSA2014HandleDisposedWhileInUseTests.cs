using Verify = ConcurrencySafety.Analyzers.Tests.Verifiers.CSharpAnalyzerVerifier<ConcurrencySafety.Analyzers.Rules.CSA2014HandleDisposedWhileInUseAnalyzer>;
using Fix = ConcurrencySafety.Analyzers.Tests.Verifiers.CSharpCodeFixVerifier<ConcurrencySafety.Analyzers.Rules.CSA2014HandleDisposedWhileInUseAnalyzer, ConcurrencySafety.CodeFixes.CSA2014HandleDisposedWhileInUseCodeFix>;

namespace ConcurrencySafety.Analyzers.Tests.Rules.Ownership;

public class CSA2014HandleDisposedWhileInUseTests
{
    // The example: four workers each do using (jobsRx) on one receiver.
    [Fact]
    public Task Shared_receiver_disposed_by_each_worker() => Verify.VerifyAnalyzerAsync("""
        using System.Threading.Tasks;
        using ConcurrencySafety;
        class C
        {
            async Task M()
            {
                var (jobsTx, jobsRx) = Chan.Bounded<int>(16);
                var workers = new Task[4];
                for (int w = 0; w < workers.Length; w++)
                {
                    workers[w] = Task.Run(() =>
                    {
                        using ({|CSA2014:jobsRx|})
                        {
                            foreach (var job in jobsRx) { }
                        }
                    });
                }
                using (jobsTx) for (int i = 0; i < 10; i++) await jobsTx.SendAsync(i);
                await Task.WhenAll(workers);
            }
        }
        """);

    // A results sender disposed while the workers still send; a stream disposed before the
    // task that reads it was awaited.
    [Fact]
    public Task Disposed_before_the_join() => Verify.VerifyAnalyzerAsync("""
        using System.IO;
        using System.Threading.Tasks;
        using ConcurrencySafety;
        class C
        {
            async Task Results()
            {
                var (tx, rx) = Chan.Unbounded<int>();
                var worker = Task.Run(() => tx.Send(1));
                {|CSA2014:tx.Dispose()|};
                await worker;
                foreach (var r in rx) { }
            }
            async Task<int> Read(string path)
            {
                var stream = File.OpenRead(path);
                var read = Task.Run(() => stream.ReadByte());
                {|CSA2014:stream.Dispose()|};
                return await read;
            }
            async Task<int> Scoped(string path)
            {
                Task<int> read;
                {
                    using var {|CSA2014:stream|} = File.OpenRead(path);
                    read = Task.Run(() => stream.ReadByte());
                }
                return await read;
            }
            async Task Sibling(Receiver<int> shared)
            {
                var (tx, rx) = Chan.Bounded<int>(1);
                var a = Task.Run(() => { using ({|CSA2014:rx|}) rx.Receive(); });
                var b = Task.Run(() => rx.Receive());
                await Task.WhenAll(a, b);
                tx.Dispose();
            }
        }
        """);

    // ---- must stay silent ----

    // The valid twins: a worker that owns its clone; disposal after the join.
    [Fact]
    public Task Per_worker_clones_and_disposal_after_the_join_are_silent() => Verify.VerifyAnalyzerAsync("""
        using System.IO;
        using System.Threading.Tasks;
        using ConcurrencySafety;
        class C
        {
            async Task M()
            {
                var (jobsTx, jobsRx) = Chan.Bounded<int>(16);
                var workers = new Task[4];
                for (int w = 0; w < workers.Length; w++)
                {
                    var mine = jobsRx.Clone();
                    workers[w] = Task.Run(() =>
                    {
                        using (mine)
                        {
                            foreach (var job in mine) { }
                        }
                    });
                }
                jobsRx.Dispose();
                using (jobsTx) for (int i = 0; i < 10; i++) await jobsTx.SendAsync(i);
                await Task.WhenAll(workers);
            }
            async Task<int> Read(string path)
            {
                using var stream = File.OpenRead(path);
                var read = Task.Run(() => stream.ReadByte());
                return await read;
            }
            async Task<int> DisposeAfterJoin(string path)
            {
                var stream = File.OpenRead(path);
                var read = Task.Run(() => stream.ReadByte());
                var b = await read;
                stream.Dispose();
                return b;
            }
            async Task Producer()
            {
                var (tx, rx) = Chan.Bounded<int>(1);
                var producer = Task.Run(async () => { using (tx) await tx.SendAsync(1); });
                await foreach (var x in rx) { }
                await producer;
                rx.Dispose();
            }
        }
        """);

    // ---- code fix: a clone per worker ----

    [Fact]
    public Task Fix_gives_each_worker_its_own_clone() => Fix.VerifyCodeFixAsync("""
        using System.Threading.Tasks;
        using ConcurrencySafety;
        class C
        {
            async Task M()
            {
                var (jobsTx, jobsRx) = Chan.Bounded<int>(16);
                var workers = new Task[4];
                for (int w = 0; w < workers.Length; w++)
                {
                    workers[w] = Task.Run(() =>
                    {
                        using ({|CSA2014:jobsRx|})
                        {
                            foreach (var job in jobsRx) { }
                        }
                    });
                }
                using (jobsTx) for (int i = 0; i < 10; i++) await jobsTx.SendAsync(i);
                await Task.WhenAll(workers);
            }
        }
        """, """
        using System.Threading.Tasks;
        using ConcurrencySafety;
        class C
        {
            async Task M()
            {
                var (jobsTx, jobsRx) = Chan.Bounded<int>(16);
                var workers = new Task[4];
                for (int w = 0; w < workers.Length; w++)
                {
                    var jobsRxClone = jobsRx.Clone();
                    workers[w] = Task.Run(() =>
                    {
                        using (jobsRxClone)
                        {
                            foreach (var job in jobsRxClone) { }
                        }
                    });
                }
                jobsRx.Dispose();
                using (jobsTx) for (int i = 0; i < 10; i++) await jobsTx.SendAsync(i);
                await Task.WhenAll(workers);
            }
        }
        """);

    [Fact]
    public Task Fix_clones_a_results_sender_for_workers_started_by_a_loop_statement() => Fix.VerifyCodeFixAsync("""
        using System.Collections.Generic;
        using System.Threading;
        using System.Threading.Tasks;
        using ConcurrencySafety;
        class C
        {
            List<int> M(int[] inputs)
            {
                var (resultsTx, resultsRx) = Chan.Unbounded<int>();
                var threads = new List<Thread>();
                foreach (var input in inputs)
                    threads.Add(new Thread(() => { resultsTx.Send(input * 2); {|CSA2014:resultsTx.Dispose()|}; }));
                threads.ForEach(t => t.Start());
                var results = new List<int>();
                foreach (var r in resultsRx) results.Add(r);
                threads.ForEach(t => t.Join());
                return results;
            }
        }
        """, """
        using System.Collections.Generic;
        using System.Threading;
        using System.Threading.Tasks;
        using ConcurrencySafety;
        class C
        {
            List<int> M(int[] inputs)
            {
                var (resultsTx, resultsRx) = Chan.Unbounded<int>();
                var threads = new List<Thread>();
                foreach (var input in inputs)
                {
                    var resultsTxClone = resultsTx.Clone();
                    threads.Add(new Thread(() => { resultsTxClone.Send(input * 2); resultsTxClone.Dispose(); }));
                }
                resultsTx.Dispose();
                threads.ForEach(t => t.Start());
                var results = new List<int>();
                foreach (var r in resultsRx) results.Add(r);
                threads.ForEach(t => t.Join());
                return results;
            }
        }
        """);

    [Fact]
    public Task Fix_not_offered_outside_the_loop_shape() => Fix.VerifyCodeFixAsync("""
        using System.IO;
        using System.Threading.Tasks;
        using ConcurrencySafety;
        class C
        {
            async Task M(Stream stream)
            {
                var (jobsTx, jobsRx) = Chan.Bounded<int>(16);
                var workers = new Task[4];
                for (int w = 0; w < workers.Length; w++)
                    workers[w] = Task.Run(() => { using ({|CSA2014:jobsRx|}) foreach (var job in jobsRx) { } });
                jobsTx.Dispose();
                foreach (var left in jobsRx) { }          // still used after the loop
                await Task.WhenAll(workers);

                var local = stream;
                var readers = new Task[2];
                for (int w = 0; w < readers.Length; w++)
                    readers[w] = Task.Run(() => { using ({|CSA2014:local|}) local.ReadByte(); }); // a stream has no Clone
                await Task.WhenAll(readers);

                var (tx, rx) = Chan.Unbounded<int>();
                var a = Task.Run(() => { using ({|CSA2014:tx|}) tx.Send(1); });   // two different bodies
                var b = Task.Run(() => tx.Send(2));
                await Task.WhenAll(a, b);
                rx.Dispose();
            }
        }
        """, """
        using System.IO;
        using System.Threading.Tasks;
        using ConcurrencySafety;
        class C
        {
            async Task M(Stream stream)
            {
                var (jobsTx, jobsRx) = Chan.Bounded<int>(16);
                var workers = new Task[4];
                for (int w = 0; w < workers.Length; w++)
                    workers[w] = Task.Run(() => { using ({|CSA2014:jobsRx|}) foreach (var job in jobsRx) { } });
                jobsTx.Dispose();
                foreach (var left in jobsRx) { }          // still used after the loop
                await Task.WhenAll(workers);

                var local = stream;
                var readers = new Task[2];
                for (int w = 0; w < readers.Length; w++)
                    readers[w] = Task.Run(() => { using ({|CSA2014:local|}) local.ReadByte(); }); // a stream has no Clone
                await Task.WhenAll(readers);

                var (tx, rx) = Chan.Unbounded<int>();
                var a = Task.Run(() => { using ({|CSA2014:tx|}) tx.Send(1); });   // two different bodies
                var b = Task.Run(() => tx.Send(2));
                await Task.WhenAll(a, b);
                rx.Dispose();
            }
        }
        """);
}
