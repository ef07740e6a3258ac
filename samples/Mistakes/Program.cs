// Each class in this project holds one of the unsafe examples. None of this compiles:
// the analyzers reject every example, with the rule ID named in its comment. The fixed version
// of each is in the rule's page under docs/rules, and in samples/Tour.
using ConcurrencySafety.Mistakes;

Console.WriteLine(Races.CounterRace());
Console.WriteLine(Races.SharedList().Count);
Console.WriteLine(new Races.PageCounter().CountPages(["a", "b"]));
Races.ForLoopCapture(["a", "b"]);
new Races.Account().Deposit(1m);
TypeStateMistakes.UseAfterConsume();
TypeStateMistakes.DoubleConsume();
TypeStateMistakes.DroppedWithoutStopping(ready: false);
