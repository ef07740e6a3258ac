using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Testing;
using Verify3002 = ConcurrencySafety.Analyzers.Tests.Verifiers.CSharpAnalyzerVerifier<ConcurrencySafety.Analyzers.CSA3002DoubleConsumeAnalyzer>;
using Verify3003 = ConcurrencySafety.Analyzers.Tests.Verifiers.CSharpAnalyzerVerifier<ConcurrencySafety.Analyzers.CSA3003MustConsumeDroppedAnalyzer>;

namespace ConcurrencySafety.Analyzers.Tests.TypeState;

/// <summary>The library's own SelectedOperation is must-consume: the select protocol checked at compile time.</summary>
public class SelectedOperationConsumeTests
{
    [Fact]
    public Task A_selected_operation_dropped_unread_is_reported() => Verify3003.VerifyAnalyzerAsync("""
        using ConcurrencySafety;
        class C
        {
            void M(Receiver<int> a, Receiver<string> b)
            {
                var set = new SelectSet();
                set.AddReceive(a);
                set.AddReceive(b);
                {|#0:set.Select()|};
            }
        }
        """,
        new DiagnosticResult("CSA3003", DiagnosticSeverity.Warning).WithLocation(0).WithArguments("SelectedOperation", "the result is discarded"));

    [Fact]
    public Task A_selected_operation_read_once_is_fine() => Verify3003.VerifyAnalyzerAsync("""
        using ConcurrencySafety;
        class C
        {
            int M(Receiver<int> a, Receiver<int> b)
            {
                var set = new SelectSet();
                int ia = set.AddReceive(a);
                set.AddReceive(b);
                var op = set.Select();
                return op.Index == ia ? op.Receive(a) : op.Receive(b);
            }
        }
        """);

    [Fact]
    public Task Reading_a_selected_operation_twice_is_reported() => Verify3002.VerifyAnalyzerAsync("""
        using ConcurrencySafety;
        class C
        {
            int M(Receiver<int> a)
            {
                var set = new SelectSet();
                set.AddReceive(a);
                var op = set.Select();
                int first = op.Receive(a);
                return first + {|CSA3002:op|}.Receive(a);
            }
        }
        """);
}
