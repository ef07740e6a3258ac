// Systematic exploration (issue 13 part B) of channel and select interleavings under the
// ControlledScheduler: each test runs 10,000 schedules (half random, half PCT) in the suite;
// CSA_EXPLORE_ITERATIONS=1000000 runs more, CSA_EXPLORE_SEED picks the first seed (and replays a
// failing one with CSA_EXPLORE_ITERATIONS=1).
using System.Runtime.CompilerServices;
using Microsoft.Extensions.Time.Testing;

namespace ConcurrencySafety.Tests.Exploration;

public class ChannelExplorationTests
{
    public static TheoryData<string> Flavours() => new() { "rendezvous", "bounded1", "bounded3", "unbounded" };

    public static TheoryData<string> BufferedFlavours() => new() { "bounded1", "bounded3", "unbounded" };

    // Synchronous continuations keep a completed asynchronous wait's bookkeeping on the thread
    // that completed it (the scheduler's own thread), instead of the thread pool.
    private static readonly ChanOptions Inline = new() { AllowSynchronousContinuations = true };

    private static (Sender<int> Sender, Receiver<int> Receiver) Create(string flavour, TimeProvider? time = null)
    {
        var options = new ChanOptions { AllowSynchronousContinuations = true, TimeProvider = time };
        return flavour switch
        {
            "rendezvous" => Chan.Rendezvous<int>(options),
            "bounded1" => Chan.Bounded<int>(1, options),
            "bounded3" => Chan.Bounded<int>(3, options),
            _ => Chan.Unbounded<int>(options),
        };
    }

    /// <summary>
    /// Two producers (one asynchronous, one with TrySend), two consumers (one asynchronous, one
    /// with TryReceive), a canceller that cancels the asynchronous producer's and consumer's
    /// tokens at a random step, and the disposal of each sender racing blocked receivers. Every
    /// item whose send succeeded is received exactly once; no cancelled or unsent item is
    /// received; every consumer ends by seeing the channel disconnected.
    /// </summary>
    [Theory]
    [MemberData(nameof(Flavours))]
    public void Send_receive_close_and_cancel_races(string flavour)
    {
        Exploration.Explore((scheduler, seed) =>
        {
            var random = new Random(~seed);
            var (tx, rx) = Create(flavour);
            var tx2 = tx.Clone();
            var rx2 = rx.Clone();
            var sent = new List<int>();
            var lost = new List<int>(); // cancelled or refused: must never be received
            var received = new List<int>();
            var disconnectedSeen = 0;
            var sendCancel = new CancellationTokenSource();
            var receiveCancel = new CancellationTokenSource();
            var cancelSend = random.Next(2) == 0;
            var cancelReceive = random.Next(2) == 0;

            IEnumerable<bool> AsyncProducer(Sender<int> sender, int first, int count)
            {
                for (var v = first; v < first + count; v++)
                {
                    var pending = ControlledScheduler.Start(async () => { await sender.SendAsync(v, sendCancel.Token); return true; });
                    while (!pending.IsCompleted)
                    {
                        yield return ControlledScheduler.Poll();
                    }

                    try
                    {
                        pending.GetAwaiter().GetResult();
                        sent.Add(v);
                    }
                    catch (OperationCanceledException)
                    {
                        lost.Add(v);
                    }

                    yield return true;
                }

                sender.Dispose();
            }

            IEnumerable<bool> TryProducer(Sender<int> sender, int first, int count)
            {
                for (var v = first; v < first + count; v++)
                {
                    SendResult<int> result;
                    while ((result = sender.TrySend(v)).Status == SendStatus.Full)
                    {
                        yield return true;
                    }

                    Assert.Equal(SendStatus.Sent, result.Status); // a receiver never leaves before disconnection here
                    sent.Add(v);
                    yield return true;
                }

                sender.Dispose();
            }

            IEnumerable<bool> AsyncConsumer(Receiver<int> receiver)
            {
                while (true)
                {
                    var token = receiveCancel.IsCancellationRequested ? CancellationToken.None : receiveCancel.Token;
                    var pending = ControlledScheduler.Start(() => receiver.ReceiveAsync(token));
                    while (!pending.IsCompleted)
                    {
                        yield return ControlledScheduler.Poll();
                    }

                    try
                    {
                        received.Add(pending.GetAwaiter().GetResult());
                    }
                    catch (OperationCanceledException)
                    {
                        // Cancelled before an item arrived: nothing was taken; try again without a token.
                    }
                    catch (ChannelDisconnectedException)
                    {
                        disconnectedSeen++;
                        break;
                    }

                    yield return true;
                }

                receiver.Dispose();
            }

            IEnumerable<bool> TryConsumer(Receiver<int> receiver)
            {
                while (true)
                {
                    var result = receiver.TryReceive();
                    if (result.IsReceived)
                    {
                        received.Add(result.Value);
                    }
                    else if (result.IsDisconnected)
                    {
                        disconnectedSeen++;
                        break;
                    }

                    yield return true;
                }

                receiver.Dispose();
            }

            IEnumerable<bool> Canceller()
            {
                for (var i = random.Next(40); i > 0; i--)
                {
                    yield return true;
                }

                if (cancelSend)
                {
                    sendCancel.Cancel();
                }

                if (cancelReceive)
                {
                    receiveCancel.Cancel();
                }
            }

            scheduler.Spawn("P1", AsyncProducer(tx, 0, 4));
            scheduler.Spawn("P2", TryProducer(tx2, 100, 4));
            scheduler.Spawn("C1", AsyncConsumer(rx));
            scheduler.Spawn("C2", TryConsumer(rx2));
            scheduler.Spawn("X", Canceller());
            return () =>
            {
                Assert.Equal(sent.Order(), received.Order());
                Assert.Empty(lost.Intersect(received));
                Assert.Equal(2, disconnectedSeen);
            };
        });
    }

    /// <summary>
    /// The last sender's disposal racing non-blocking receives (on the unbounded flavour, its
    /// receive without the lock) and a reader of the channel's completion: two senders send two
    /// items each with TrySend and dispose, two consumers take items with TryReceive until they
    /// see the channel disconnected, and an observer asks for
    /// <c>AsChannelReader().Completion</c> at a random step, then waits for it. The completion
    /// always comes (no lost signal, whichever of the last take, the last disposal and the
    /// observer's request comes first), and never before the channel is closed and drained:
    /// when it is seen complete, both senders are gone and every item sent was received.
    /// Granularity: the three race between calls; the instructions inside one call (a take's
    /// dequeue and its read of the sender count) stay the stress tests' job. Not on the
    /// rendezvous flavour: it buffers nothing, so a non-blocking send never meets a
    /// non-blocking receive there.
    /// </summary>
    [Theory]
    [MemberData(nameof(BufferedFlavours))]
    public void Last_sender_disposal_racing_unlocked_receives_and_completion(string flavour)
    {
        Exploration.Explore((scheduler, seed) =>
        {
            var random = new Random(~seed);
            var (tx, rx) = Create(flavour);
            var tx2 = tx.Clone();
            var rx2 = rx.Clone();
            var sendersGone = 0;
            var sent = 0;
            var received = new List<int>();
            var completionSeen = false;
            var observeAt = random.Next(30);

            IEnumerable<bool> Producer(Sender<int> sender, int first)
            {
                for (var v = first; v < first + 2; v++)
                {
                    while (sender.TrySend(v).Status == SendStatus.Full)
                    {
                        yield return true;
                    }

                    sent++;
                    yield return true;
                }

                sender.Dispose();
                sendersGone++;
            }

            IEnumerable<bool> Consumer(Receiver<int> receiver)
            {
                while (true)
                {
                    var result = receiver.TryReceive();
                    if (result.IsReceived)
                    {
                        received.Add(result.Value);
                    }
                    else if (result.IsDisconnected)
                    {
                        break;
                    }

                    yield return true;
                }
            }

            IEnumerable<bool> Observer()
            {
                for (var i = observeAt; i > 0; i--)
                {
                    yield return true;
                }

                // The completion task is created on request (the Drained getter), so asking at a
                // random step puts its creation anywhere among the takes and disposals.
                var completion = rx.AsChannelReader().Completion;
                while (!completion.IsCompleted)
                {
                    yield return ControlledScheduler.Poll();
                }

                Assert.True(completion.IsCompletedSuccessfully, $"completion ended {completion.Status}");
                Assert.Equal(2, sendersGone);
                Assert.Equal(sent, received.Count);
                completionSeen = true;
            }

            scheduler.Spawn("P1", Producer(tx, 0));
            scheduler.Spawn("P2", Producer(tx2, 100));
            scheduler.Spawn("C1", Consumer(rx));
            scheduler.Spawn("C2", Consumer(rx2));
            scheduler.Spawn("O", Observer());
            return () =>
            {
                Assert.True(completionSeen);
                Assert.Equal(4, sent);
                Assert.Equal([0, 1, 100, 101], received.Order());
                rx.Dispose();
                rx2.Dispose();
            };
        });
    }

    /// <summary>
    /// Two selectors on both sides of two rendezvous channels: A selects receive-from-1 or
    /// send-to-2, B selects send-to-1 or receive-from-2, four rounds each, a canceller cancels
    /// one of A's rounds at a random step. Every select completes exactly one arm, every item a
    /// send arm reports sent is received exactly once by the other side, and nothing else is.
    /// </summary>
    [Fact]
    public void Select_exactly_once_on_both_sides_of_rendezvous()
    {
        Exploration.Explore((scheduler, seed) =>
        {
            var random = new Random(~seed);
            var (s1, r1) = Chan.Rendezvous<int>(Inline);
            var (s2, r2) = Chan.Rendezvous<int>(Inline);
            var gate = new object();
            var aSent = new List<int>();
            var aReceived = new List<int>();
            var bSent = new List<int>();
            var bReceived = new List<int>();
            int aHandlers = 0, bHandlers = 0, aRounds = 0, bRounds = 0;
            var cancel = new CancellationTokenSource();
            var cancelAt = random.Next(60);
            var nextA = 1000;
            var nextB = 2000;
            var a = new Selector()
                .Receive(r1, x => { lock (gate) { aReceived.Add(x); aHandlers++; } })
                .Send(s2, () => nextA, onSent: () => { lock (gate) { aSent.Add(nextA++); aHandlers++; } });
            var b = new Selector()
                .Send(s1, () => nextB, onSent: () => { lock (gate) { bSent.Add(nextB++); bHandlers++; } })
                .Receive(r2, x => { lock (gate) { bReceived.Add(x); bHandlers++; } });

            IEnumerable<bool> Rounds(Selector selector, bool cancellable, Action completed, int rounds)
            {
                for (var done = 0; done < rounds;)
                {
                    var pending = ControlledScheduler.Start(() => selector.SelectAsync(cancellable ? cancel.Token : CancellationToken.None));
                    while (!pending.IsCompleted)
                    {
                        yield return ControlledScheduler.Poll();
                    }

                    try
                    {
                        var chosen = pending.GetAwaiter().GetResult();
                        Assert.InRange(chosen, 0, 1);
                        completed();
                        done++;
                    }
                    catch (OperationCanceledException)
                    {
                        cancellable = false; // cancelled rounds complete nothing; the round is retried
                    }

                    yield return true;
                }
            }

            IEnumerable<bool> Canceller()
            {
                for (var i = cancelAt; i > 0; i--)
                {
                    yield return true;
                }

                cancel.Cancel();
            }

            scheduler.Spawn("A", Rounds(a, cancellable: true, () => aRounds++, 4));
            scheduler.Spawn("B", Rounds(b, cancellable: false, () => bRounds++, 4));
            scheduler.Spawn("X", Canceller());
            return () =>
            {
                // The handlers of the chosen arms ran, one per completed round; what one side
                // sent is exactly what the other received, in order.
                SpinWait.SpinUntil(() => { lock (gate) { return aHandlers == aRounds && bHandlers == bRounds; } }, TimeSpan.FromSeconds(30));
                lock (gate)
                {
                    Assert.Equal((4, 4), (aRounds, bRounds));
                    Assert.Equal((aRounds, bRounds), (aHandlers, bHandlers));
                    Assert.Equal(aSent, bReceived);
                    Assert.Equal(bSent, aReceived);
                }
            };
        });
    }

    /// <summary>
    /// Timed receives and sends on a fake clock racing completion: a clock thread advances time
    /// at random steps while a producer sends with a timeout and a consumer receives with one.
    /// An item is received exactly when its send reported Sent; a timed-out send's item never
    /// arrives.
    /// </summary>
    [Theory]
    [MemberData(nameof(Flavours))]
    public void Timeouts_racing_completion(string flavour)
    {
        Exploration.Explore((scheduler, seed) =>
        {
            var random = new Random(~seed);
            var time = new FakeTimeProvider();
            var (tx, rx) = Create(flavour, time);
            var sent = new List<int>();
            var timedOut = new List<int>();
            var received = new List<int>();
            var producerDone = false;

            IEnumerable<bool> Producer()
            {
                for (var v = 0; v < 4; v++)
                {
                    var pending = tx.TrySendAsync(v, TimeSpan.FromMilliseconds(10));
                    while (!pending.IsCompleted)
                    {
                        yield return ControlledScheduler.Poll();
                    }

                    var result = pending.GetAwaiter().GetResult();
                    (result.IsSent ? sent : timedOut).Add(v);
                    if (!result.IsSent)
                    {
                        Assert.Equal(SendStatus.Timeout, result.Status);
                        Assert.Equal(v, result.UnsentItem);
                    }

                    yield return true;
                }

                tx.Dispose();
                producerDone = true;
            }

            IEnumerable<bool> Consumer()
            {
                while (true)
                {
                    var pending = rx.TryReceiveAsync(TimeSpan.FromMilliseconds(random.Next(1, 20)));
                    while (!pending.IsCompleted)
                    {
                        yield return ControlledScheduler.Poll();
                    }

                    var result = pending.GetAwaiter().GetResult();
                    if (result.IsReceived)
                    {
                        received.Add(result.Value);
                    }
                    else if (result.IsDisconnected)
                    {
                        break;
                    }

                    yield return true;
                }

                rx.Dispose();
            }

            IEnumerable<bool> Clock()
            {
                while (!producerDone || !rx.IsClosedSafe())
                {
                    if (random.Next(3) == 0)
                    {
                        time.Advance(TimeSpan.FromMilliseconds(random.Next(1, 15)));
                    }

                    yield return true;
                }
            }

            scheduler.Spawn("P", Producer());
            scheduler.Spawn("C", Consumer());
            scheduler.Spawn("T", Clock());
            return () =>
            {
                Assert.Equal(sent, received);
                Assert.Empty(timedOut.Intersect(received));
            };
        });
    }

    /// <summary>
    /// Permit grants racing cancellation: three acquirers of a two-permit semaphore, each
    /// asynchronous with a token a canceller cancels at a random step, holding for a few steps.
    /// Never more than two held at once, a cancelled acquisition holds nothing, and all permits
    /// are back at the end with nobody left waiting.
    /// </summary>
    [Fact]
    public void Permit_grants_racing_cancellation()
    {
        Exploration.Explore((scheduler, seed) =>
        {
            var random = new Random(~seed);
            var semaphore = new PermitSemaphore(2);
            var held = 0;
            var cancel = new CancellationTokenSource();

            IEnumerable<bool> Acquirer(bool cancellable)
            {
                for (var round = 0; round < 2; round++)
                {
                    var pending = ControlledScheduler.Start(() => semaphore.AcquireAsync(cancellable ? cancel.Token : CancellationToken.None));
                    while (!pending.IsCompleted)
                    {
                        yield return ControlledScheduler.Poll();
                    }

                    Permit permit;
                    try
                    {
                        permit = pending.GetAwaiter().GetResult();
                    }
                    catch (OperationCanceledException)
                    {
                        cancellable = false;
                        continue;
                    }

                    held++;
                    Assert.InRange(held, 1, 2);
                    for (var i = random.Next(4); i > 0; i--)
                    {
                        yield return true;
                    }

                    held--;
                    permit.Dispose();
                    yield return true;
                }
            }

            IEnumerable<bool> Canceller()
            {
                for (var i = random.Next(30); i > 0; i--)
                {
                    yield return true;
                }

                cancel.Cancel();
            }

            scheduler.Spawn("A", Acquirer(true));
            scheduler.Spawn("B", Acquirer(true));
            scheduler.Spawn("C", Acquirer(false));
            scheduler.Spawn("X", Canceller());
            return () =>
            {
                Assert.Equal(0, held);
                Assert.Equal(2, semaphore.Available);
                Assert.Equal(0, semaphore.WaitingCount);
            };
        });
    }
}

internal static class ReceiverExtensions
{
    /// <summary>Whether the receiver was disposed or its channel closed and drained (a disposed handle counts as closed here).</summary>
    public static bool IsClosedSafe<T>(this Receiver<T> receiver)
    {
        try
        {
            return receiver.IsClosed;
        }
        catch (ObjectDisposedException)
        {
            return true;
        }
    }
}
