using System.Collections.Immutable;
using System.Composition;
using System.Threading.Tasks;
using ConcurrencySafety.Analyzers;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CodeFixes;

namespace ConcurrencySafety.CodeFixes;

/// <summary>CSA1001: a captured counter (<c>x++</c>, <c>x += n</c>) becomes an Interlocked call.</summary>
[ExportCodeFixProvider(LanguageNames.CSharp, Name = nameof(CSA1001CapturedVariableWrittenConcurrentlyCodeFix))]
[Shared]
public sealed class CSA1001CapturedVariableWrittenConcurrentlyCodeFix : CodeFixProvider
{
    public override ImmutableArray<string> FixableDiagnosticIds => ImmutableArray.Create(RuleIdentifiers.CapturedVariableWrittenConcurrently);

    public override FixAllProvider GetFixAllProvider() => InterlockedRewrite.FixAll;

    public override Task RegisterCodeFixesAsync(CodeFixContext context)
    {
        foreach (var diagnostic in context.Diagnostics)
        {
            if (InterlockedRewrite.TryGetKind(diagnostic, out var kind))
            {
                context.RegisterCodeFix(InterlockedRewrite.Action(context.Document, diagnostic, kind, RuleIdentifiers.CapturedVariableWrittenConcurrently), diagnostic);
            }
        }

        return Task.CompletedTask;
    }
}
