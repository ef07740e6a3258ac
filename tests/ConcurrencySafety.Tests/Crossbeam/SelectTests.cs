// Ported from crossbeam-channel's tests/select.rs (https://github.com/crossbeam-rs/crossbeam,
// crossbeam-channel/tests/select.rs, MIT OR Apache-2.0), rewritten for Selector and SelectSet.
// crossbeam's Select hands back a SelectedOperation that must be completed; Selector runs a
// handler instead, and SelectSet gives back a SelectedOperation as crossbeam does. Timing:
// events are ordered by signals, a timeout is only expected to expire where nothing can
// arrive. Not ported, and why: see README.md in this folder.
namespace ConcurrencySafety.Tests.Crossbeam;

/// <summary>select.rs.</summary>
public sealed class SelectTests
{
    private static readonly TimeSpan Short = TimeSpan.FromMilliseconds(10);

    [Fact]
    public void Smoke1()
    {
        var (s1, r1) = Chan.Unbounded<int>();
        var (s2, r2) = Chan.Unbounded<int>();
        s1.Send(1);
        var got = 0;
        Assert.Equal(0, new Selector().Receive(r1, x => got = x).Receive(r2, _ => Assert.Fail("r2")).Select());
        Assert.Equal(1, got);
        s2.Send(2);
        Assert.Equal(1, new Selector().Receive(r1, _ => Assert.Fail("r1")).Receive(r2, x => got = x).Select());
        Assert.Equal(2, got);
    }

    [Fact]
    public void Smoke2()
    {
        var channels = Enumerable.Range(0, 5).Select(_ => Chan.Unbounded<int>()).ToList();
        channels[4].Sender.Send(5);
        var selector = new Selector();
        var got = -1;
        foreach (var (_, r) in channels)
        {
            selector.Receive(r, x => got = x);
        }

        Assert.Equal(4, selector.Select());
        Assert.Equal(5, got);
    }

    [Fact]
    public void Disconnected()
    {
        // A closed and drained channel's arm is chosen with its disconnected handler.
        var (s1, r1) = Chan.Unbounded<int>();
        var (s2, r2) = Chan.Unbounded<int>();
        s1.Dispose();
        var disconnected = false;
        Assert.Equal(0, new Selector().Receive(r1, _ => Assert.Fail("item"), () => disconnected = true).Receive(r2, _ => Assert.Fail("r2")).Select());
        Assert.True(disconnected);
        s2.Dispose();
    }

    [Fact]
    public void Default()
    {
        var (s1, r1) = Chan.Unbounded<int>();
        var (_, r2) = Chan.Unbounded<int>();
        var defaulted = false;
        Assert.Equal(-1, new Selector().Receive(r1, _ => { }).Receive(r2, _ => { }).Default(() => defaulted = true).Select());
        Assert.True(defaulted);
        s1.Dispose();
        Assert.Equal(0, new Selector().Receive(r1, _ => { }, () => { }).Receive(r2, _ => { }).Default(() => Assert.Fail("default")).Select());
    }

    [Fact]
    public void Timeout()
    {
        // Nothing can arrive: the timeout arm is chosen.
        var (_, r1) = Chan.Unbounded<int>();
        var (_, r2) = Chan.Unbounded<int>();
        var timedOut = false;
        Assert.Equal(-2, new Selector().Receive(r1, _ => { }).Receive(r2, _ => { }).Timeout(Short, () => timedOut = true).Select());
        Assert.True(timedOut);
    }

    [Fact]
    public void Unblocks()
    {
        // A blocked select is completed by a send from another thread, and a blocked send
        // select by a receive.
        var (s1, r1) = Chan.Rendezvous<int>();
        var (_, r2) = Chan.Rendezvous<int>();
        Threads.Run(
            () =>
            {
                Threads.Pause();
                s1.Send(1);
            },
            () => Assert.Equal(0, new Selector().Receive(r1, x => Assert.Equal(1, x)).Receive(r2, _ => Assert.Fail("r2")).Select()));
        var (s3, r3) = Chan.Rendezvous<int>();
        var (s4, _) = Chan.Rendezvous<int>();
        Threads.Run(
            () =>
            {
                Threads.Pause();
                Assert.Equal(3, r3.Receive());
            },
            () => Assert.Equal(0, new Selector().Send(s3, 3).Send(s4, 4).Select()));
    }

    [Fact]
    public void Both_ready()
    {
        // A thread selecting send and receive against one that does the complementary work:
        // both operations happen, each once.
        var (s1, r1) = Chan.Rendezvous<int>();
        var (s2, r2) = Chan.Rendezvous<int>();
        Threads.Run(
            () =>
            {
                Threads.Pause();
                s1.Send(1);
                Assert.Equal(2, r2.Receive());
            },
            () =>
            {
                var selector = new Selector().Receive(r1, x => Assert.Equal(1, x)).Send(s2, 2);
                var chosen = new HashSet<int> { selector.Select(), selector.Select() };
                Assert.Equal(new HashSet<int> { 0, 1 }, chosen);
            });
    }

    [Fact]
    public void Cloning1()
    {
        // The clone of a receiver in a select is the same channel.
        var (s1, r1) = Chan.Unbounded<int>();
        using var r1Clone = r1.Clone();
        s1.Send(7);
        var got = 0;
        Assert.Equal(0, new Selector().Receive(r1Clone, x => got = x).Select());
        Assert.Equal(7, got);
        Assert.Equal(ReceiveStatus.Empty, r1.TryReceive().Status);
    }

    [Fact]
    public void Duplicate_operations()
    {
        // The same receiver (and sender) in several arms: one arm completes, once.
        var (s, r) = Chan.Unbounded<int>();
        var hits = 0;
        s.Send(0);
        var chosen = new Selector().Receive(r, _ => hits++).Receive(r, _ => hits++).Send(s, 0).Send(s, 0).Select();
        Assert.InRange(chosen, 0, 3);
        Assert.Equal(chosen < 2 ? 1 : 0, hits);
        Assert.Equal(chosen < 2 ? 0 : 2, r.Count);
    }

    [Fact]
    public void Nesting()
    {
        // A handler that selects again: the inner select sees the state the outer one left.
        var (s, r) = Chan.Unbounded<int>();
        s.Send(0);
        var depth = 0;
        void Level(int n)
        {
            new Selector().Receive(r, x =>
            {
                depth = x;
                if (n > 0)
                {
                    s.Send(x + 1);
                    Level(n - 1);
                }
            }).Select();
        }

        Level(4);
        Assert.Equal(4, depth);
    }

    [Fact]
    public void Stress_recv()
    {
        // Items arrive on one of two channels, alternately; the select takes each once.
        const int Count = 10_000;
        var (s1, r1) = Chan.Unbounded<int>();
        var (s2, r2) = Chan.Bounded<int>(5);
        var (s3, r3) = Chan.Bounded<int>(100);
        Threads.Run(
            () =>
            {
                for (var i = 0; i < Count; i++)
                {
                    s1.Send(i);
                    r3.Receive();
                    s2.Send(i);
                    r3.Receive();
                }
            },
            () =>
            {
                var got = -1;
                var selector = new Selector().Receive(r1, x => got = x).Receive(r2, x => got = x);
                for (var i = 0; i < Count; i++)
                {
                    for (var k = 0; k < 2; k++)
                    {
                        selector.Select();
                        Assert.Equal(i, got);
                        s3.Send(0);
                    }
                }
            });
    }

    [Fact]
    public void Stress_mixed()
    {
        // One thread selects send-or-receive over rendezvous channels whose partners the other
        // thread alternates: every operation completes exactly once.
        const int Count = 10_000;
        var (s1, r1) = Chan.Rendezvous<int>();
        var (s2, r2) = Chan.Rendezvous<int>();
        Threads.Run(
            () =>
            {
                for (var i = 0; i < Count; i++)
                {
                    s1.Send(i);
                    Assert.Equal(i, r2.Receive());
                }
            },
            () =>
            {
                var got = -1;
                var next = 0;
                var selector = new Selector().Receive(r1, x => got = x).Send(s2, () => next);
                for (var i = 0; i < Count; i++)
                {
                    Assert.Equal(0, selector.Select());
                    Assert.Equal(i, got);
                    next = i;
                    Assert.Equal(1, selector.Select());
                }
            });
    }

    [Fact]
    public void Matching()
    {
        // Threads that all select send-or-receive on one rendezvous channel pair off: every
        // thread completes once, and each sent value is received exactly once.
        const int ThreadCount = 44;
        var (s, r) = Chan.Rendezvous<int>();
        var received = new System.Collections.Concurrent.ConcurrentBag<int>();
        var sent = new System.Collections.Concurrent.ConcurrentBag<int>();
        Threads.Run(ThreadCount, i =>
        {
            new Selector().Receive(r, x => received.Add(x)).Send(s, i, () => sent.Add(i)).Select();
        });
        Assert.Equal(ThreadCount / 2, received.Count);
        Assert.Equal(sent.Order(), received.Order());
    }

    [Fact]
    public void Linearizable_try()
    {
        // A select with default right after a send on the same thread must see the item.
        const int Count = 10_000;
        var (s1, r1) = Chan.Unbounded<int>();
        var (s2, r2) = Chan.Unbounded<int>();
        Threads.Run(2, t =>
        {
            for (var i = 0; i < Count; i++)
            {
                (t == 0 ? s1 : s2).Send(1);
                var chosen = new Selector().Receive(r1, _ => { }).Receive(r2, _ => { }).Default(() => Assert.Fail("nothing ready after a send")).Select();
                Assert.InRange(chosen, 0, 1);
            }
        });
    }

    [Fact]
    public void Fairness1()
    {
        const int Count = 10_000;
        var (s1, r1) = Chan.Bounded<int>(Count);
        var (s2, r2) = Chan.Unbounded<int>();
        for (var i = 0; i < Count; i++)
        {
            s1.Send(0);
            s2.Send(0);
        }

        var hits = new int[2];
        var selector = new Selector().Receive(r1, _ => hits[0]++).Receive(r2, _ => hits[1]++);
        for (var i = 0; i < Count; i++)
        {
            selector.Select();
        }

        Assert.All(hits, h => Assert.True(h >= Count / 4, $"hits {hits[0]} and {hits[1]}"));
    }

    [Fact]
    public void Reuse()
    {
        // One selector used for many selects, on a send arm and a receive arm in turn.
        const int Count = 1_000;
        var (s1, r1) = Chan.Rendezvous<int>();
        var (s2, r2) = Chan.Rendezvous<int>();
        var (s3, r3) = Chan.Rendezvous<int>();
        Threads.Run(
            () =>
            {
                for (var i = 0; i < Count; i++)
                {
                    s1.Send(i);
                    Assert.Equal(i, r2.Receive());
                    s3.Send(0);
                }
            },
            () =>
            {
                var got = -1;
                var selector = new Selector().Receive(r1, x => got = x).Send(s2, () => got);
                for (var i = 0; i < Count; i++)
                {
                    selector.Select();
                    selector.Select();
                    r3.Receive();
                }
            });
    }

    [Fact]
    public void Select_set_completes_the_selected_operation()
    {
        // crossbeam's Select: the caller completes the selected operation itself.
        var (s1, r1) = Chan.Unbounded<int>();
        var (_, r2) = Chan.Unbounded<int>();
        s1.Send(5);
        var set = new SelectSet();
        var i1 = set.AddReceive(r1);
        set.AddReceive(r2);
        var selected = set.Select();
        Assert.Equal(i1, selected.Index);
        Assert.Equal(5, selected.Receive(r1));
    }
}
