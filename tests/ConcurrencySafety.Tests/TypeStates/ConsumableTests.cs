using System;
using System.Threading;

namespace ConcurrencySafety.Tests.TypeStates;

public class ConsumableTests
{
    private sealed class Ticket : Consumable
    {
        public int Redeemed { get; private set; }

        public Ticket Redeem()
        {
            Consume();
            return new Ticket { Redeemed = Redeemed + 1 };
        }

        public int Peek()
        {
            ThrowIfConsumed();
            return Redeemed;
        }

        public bool Spent => IsConsumed;
    }

    [Fact]
    public void Fresh_value_is_usable()
    {
        var ticket = new Ticket();
        Assert.Equal(0, ticket.Peek());
        Assert.False(ticket.Spent);
    }

    [Fact]
    public void Consumed_value_throws_on_use_with_a_message_that_says_what_to_do()
    {
        var ticket = new Ticket();
        var next = ticket.Redeem();

        var error = Assert.Throws<InvalidOperationException>(() => ticket.Peek());
        Assert.Contains("Ticket", error.Message, StringComparison.Ordinal);
        Assert.Contains("Use the value that call returned", error.Message, StringComparison.Ordinal);
        Assert.True(ticket.Spent);
        Assert.Equal(1, next.Peek());
    }

    [Fact]
    public void Second_consume_throws()
    {
        var ticket = new Ticket();
        _ = ticket.Redeem();
        Assert.Throws<InvalidOperationException>(() => ticket.Redeem());
    }

    [Fact]
    public void Racing_consumers_exactly_one_wins()
    {
        // Many rounds of two threads released together against one value: never both.
        for (var round = 0; round < 200; round++)
        {
            var ticket = new Ticket();
            var wins = 0;
            using var barrier = new Barrier(2);
            void Race()
            {
                barrier.SignalAndWait();
                try
                {
                    _ = ticket.Redeem();
                    Interlocked.Increment(ref wins);
                }
                catch (InvalidOperationException)
                {
                }
            }

            var other = new Thread(Race);
            other.Start();
            Race();
            other.Join();
            Assert.Equal(1, wins);
        }
    }
}
