// Regression test: a select with a default took the default although one of its arms was ready
// at every instant of the select (found by the port of Go's TestNonblockSelectRace, see
// Crossbeam/GolangTests.cs). The try pass tries the arms one after another, not at one instant:
// an arm tried early may become ready before a later one is found empty. Go locks every channel
// of a select at once; this library registers on every arm and takes the default only if no arm
// was ready at the instant it finishes its own registration (SelectEngine.TryDefault).
namespace ConcurrencySafety.Tests.Select;

public class SelectDefaultRaceTests
{
    /// <summary>
    /// A biased select tries c2 first, then many idle arms (a wide window), then c1, which holds
    /// an item. Meanwhile another thread fills c2 and then drains c1, so one of the two is ready
    /// throughout. The default must never run. Before the fix, the window made it run in most
    /// runs of this test (the other thread acted between the select's try of c2 and its try of
    /// c1); after it, the second pass finds c2 full every time (c2 stays full once filled).
    /// </summary>
    [Fact]
    public void A_default_is_not_taken_while_an_arm_stays_ready_throughout()
    {
        const int Rounds = 2_000;
        const int IdleArms = 300;
        var idle = Enumerable.Range(0, IdleArms).Select(_ => Chan.Rendezvous<int>()).ToList();
        var defaults = 0;
        for (var round = 0; round < Rounds; round++)
        {
            var (c1Tx, c1Rx) = Chan.Bounded<int>(1);
            var (c2Tx, c2Rx) = Chan.Bounded<int>(1);
            c1Tx.Send(1);
            var selector = new Selector { Biased = true }.Receive(c2Rx, _ => { });
            foreach (var (_, rx) in idle)
            {
                selector.Receive(rx, _ => Assert.Fail("idle arm"));
            }

            selector.Receive(c1Rx, _ => { }).Default(() => Interlocked.Increment(ref defaults));
            // Both threads spin, so that the other one acts within the select's window (a
            // blocking signal would wake it too late); the spins are bounded by the other side.
            var ready = 0;
            var go = 0;
            var other = new Thread(() =>
            {
                Volatile.Write(ref ready, 1);
                while (Volatile.Read(ref go) == 0)
                {
                }

                c2Tx.Send(1);
                c1Rx.TryReceive(out _);
            })
            { IsBackground = true };
            other.Start();
            while (Volatile.Read(ref ready) == 0)
            {
                Thread.Yield();
            }

            Volatile.Write(ref go, 1);
            selector.Select();
            Assert.True(other.Join(TimeSpan.FromMinutes(1)));
        }

        Assert.True(defaults == 0, $"the default ran in {defaults} of {Rounds} rounds");
    }

    /// <summary>
    /// A partner that switches the ready arm again and again: fill c2, drain c1, fill c1, drain
    /// c2, and so on, so that c1 or c2 holds an item at every instant until the select takes one.
    /// Any fixed number of try passes can be fooled by this (each pass can see c2 idle, then c1
    /// idle); a first fix that tried every arm twice took the default in about 1 round in 60
    /// against it. The default must never run.
    /// </summary>
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void A_default_is_not_taken_while_the_ready_arm_keeps_switching(bool biased)
    {
        const int Rounds = 2_000;
        const int IdleArms = 30;
        var idle = Enumerable.Range(0, IdleArms).Select(_ => Chan.Rendezvous<int>()).ToList();
        var defaults = 0;
        for (var round = 0; round < Rounds; round++)
        {
            var (c1Tx, c1Rx) = Chan.Bounded<int>(1);
            var (c2Tx, c2Rx) = Chan.Bounded<int>(1);
            c1Tx.Send(1);
            var selector = new Selector { Biased = biased }.Receive(c2Rx, _ => { });
            foreach (var (_, rx) in idle)
            {
                selector.Receive(rx, _ => Assert.Fail("idle arm"));
            }

            selector.Receive(c1Rx, _ => { }).Default(() => Interlocked.Increment(ref defaults));
            var done = 0;
            var ready = 0;
            var other = new Thread(() =>
            {
                // Until the select takes an item every step succeeds, and one channel is full
                // throughout; after it, steps may fail, which no longer matters.
                Volatile.Write(ref ready, 1);
                while (Volatile.Read(ref done) == 0)
                {
                    c2Tx.TrySend(1);
                    c1Rx.TryReceive(out _);
                    c1Tx.TrySend(1);
                    c2Rx.TryReceive(out _);
                }
            })
            { IsBackground = true };
            other.Start();
            while (Volatile.Read(ref ready) == 0)
            {
                Thread.Yield();
            }

            selector.Select();
            Volatile.Write(ref done, 1);
            Assert.True(other.Join(TimeSpan.FromMinutes(1)));
        }

        Assert.True(defaults == 0, $"the default ran in {defaults} of {Rounds} rounds");
    }
}
