using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Testing;

namespace ConcurrencySafety.Analyzers.Tests.TypeState;

/// <summary>
/// The seed's type-state machine and a few consuming APIs, compiled next to every CSA300x test
/// source so that tests read like user code.
/// </summary>
internal static class TypeStateTestSources
{
    public const string Prelude = """
        using ConcurrencySafety;

        [MustConsume] public abstract class Initialized : ITypeState { private Initialized() { } }
        [MustConsume] public abstract class Running : ITypeState { private Running() { } }
        public abstract class Stopped : ITypeState { private Stopped() { } }

        public sealed class StateMachine<TState> where TState : ITypeState
        {
            internal StateMachine() { }
            public int Processed { get; set; }
        }

        public static class StateMachine
        {
            public static StateMachine<Initialized> New() => new();
            [Consumes] public static StateMachine<Running> Start(this StateMachine<Initialized> machine) => new();
            public static void Process(this StateMachine<Running> machine) => machine.Processed++;
            [Consumes] public static StateMachine<Stopped> Stop(this StateMachine<Running> machine) => new();
            public static void Finish(this StateMachine<Stopped> machine) { }
        }

        public sealed class Builder : System.IDisposable
        {
            [Consumes] public Builder With(int value) => new();
            [Consumes] public string Build() => "built";
            public int Count => 0;
            public void Dispose() { }
        }

        [MustConsume]
        public sealed class Lease : System.IDisposable
        {
            public int Id => 1;
            public void Dispose() { }
        }

        [MustConsume]
        public sealed class Handle
        {
            public System.Runtime.CompilerServices.TaskAwaiter GetAwaiter() => System.Threading.Tasks.Task.CompletedTask.GetAwaiter();
            public static Handle Spawn() => new();
        }

        public interface IChannelEnd
        {
            [Consumes] void Close();
            void Touch();
        }

        public sealed class ChannelEnd : IChannelEnd
        {
            public void Close() { }
            public void Touch() { }
        }

        public sealed class Token
        {
            public int Id { get; set; }
        }

        public sealed class Worker
        {
            public Worker([Consumes] Token token, int id) { }
        }

        public static class Owner
        {
            public static void Take([Consumes] Token token) { }
            public static void TakeTwo([Consumes] Token first, [Consumes] Token second) { }
            public static void Look(Token token) { }
            public static void Fill(out Token token) => token = new Token();
            public static void Swap(ref Token token) => token = new Token();
            public static void Run(System.Action action) => action();
        }
        """;

    /// <summary>Runs <typeparamref name="TAnalyzer"/> over <paramref name="source"/> plus the prelude.</summary>
    public static Task VerifyAsync<TAnalyzer>(string source, params DiagnosticResult[] expected)
        where TAnalyzer : DiagnosticAnalyzer, new()
    {
        var test = new Verifiers.CSharpAnalyzerVerifier<TAnalyzer>.Test();
        test.TestState.Sources.Add(("/0/Test0.cs", source));
        test.TestState.Sources.Add(("/0/Prelude.cs", Prelude));
        test.ExpectedDiagnostics.AddRange(expected);
        return test.RunAsync();
    }

    /// <summary>Runs the analyzer and the fix over <paramref name="source"/> plus the prelude; expects <paramref name="fixedSource"/> (Fix All included).</summary>
    public static Task VerifyFixAsync<TAnalyzer, TFix>(string source, string fixedSource, string? equivalenceKey = null)
        where TAnalyzer : DiagnosticAnalyzer, new()
        where TFix : Microsoft.CodeAnalysis.CodeFixes.CodeFixProvider, new()
    {
        var test = new Verifiers.CSharpCodeFixVerifier<TAnalyzer, TFix>.Test { CodeActionEquivalenceKey = equivalenceKey };
        test.TestState.Sources.Add(("/0/Test0.cs", source));
        test.TestState.Sources.Add(("/0/Prelude.cs", Prelude));
        test.FixedState.Sources.Add(("/0/Test0.cs", fixedSource));
        test.FixedState.Sources.Add(("/0/Prelude.cs", Prelude));
        return test.RunAsync();
    }
}
