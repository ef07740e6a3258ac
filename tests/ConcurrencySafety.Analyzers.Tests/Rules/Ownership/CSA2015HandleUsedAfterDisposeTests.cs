using Verify = ConcurrencySafety.Analyzers.Tests.Verifiers.CSharpAnalyzerVerifier<ConcurrencySafety.Analyzers.Rules.CSA2015HandleUsedAfterDisposeAnalyzer>;

namespace ConcurrencySafety.Analyzers.Tests.Rules.Ownership;

public class CSA2015HandleUsedAfterDisposeTests
{
    // The example: a sender used after its using block has ended.
    [Fact]
    public Task Used_after_the_using_block_or_Dispose() => Verify.VerifyAnalyzerAsync("""
        using System.Threading.Tasks;
        using ConcurrencySafety;
        class C
        {
            async Task M(bool early)
            {
                var (tx, rx) = Chan.Bounded<int>(4);
                using (tx)
                {
                    await tx.SendAsync(1);
                }
                {|CSA2015:tx|}.Send(2);
                if (early) rx.Dispose();
                var n = {|CSA2015:rx|}.Count;
                rx.Dispose();
            }
            void Parameter(Receiver<int> rx)
            {
                rx.Dispose();
                foreach (var x in {|CSA2015:rx|}) { }
            }
            void Loop(Sender<int> tx)
            {
                for (int i = 0; i < 3; i++)
                {
                    {|CSA2015:tx|}.TrySend(i);
                    tx.Dispose();
                }
            }
        }
        """);

    // ---- must stay silent ----

    [Fact]
    public Task Use_inside_the_block_a_fresh_clone_and_a_second_Dispose_are_silent() => Verify.VerifyAnalyzerAsync("""
        using System.Threading.Tasks;
        using ConcurrencySafety;
        class C
        {
            void M(Sender<int> shared)
            {
                var (tx, rx) = Chan.Bounded<int>(4);
                using (tx) tx.Send(1);
                tx.Dispose();
                for (int i = 0; i < 3; i++)
                {
                    var worker = shared.Clone();
                    using (worker) worker.Send(i);
                }
                var mine = shared.Clone();
                mine.Dispose();
                mine = shared.Clone();
                mine.Send(5);
                mine.Dispose();
                foreach (var x in rx) { }
                rx.Dispose();
            }
        }
        """);

    // Regression (samples/Tour): a lambda started in a loop disposes its captured handle; the
    // lambda's graph chains on to the loop's try region of the enclosing graph, whose handler
    // was once taken for one of the lambda's own blocks.
    [Fact]
    public Task Lambda_in_a_loop_that_disposes_its_handle_is_silent() => Verify.VerifyAnalyzerAsync("""
        using System.Threading.Tasks;
        using ConcurrencySafety;
        class C
        {
            static void M(TaskScope scope, Receiver<int>[] ends)
            {
                foreach (var input in ends)
                {
                    scope.Spawn(async ct =>
                    {
                        using (input)
                        {
                            foreach (int n in input) { }
                        }
                        await Task.Yield();
                    });
                }
            }
        }
        """);
}
