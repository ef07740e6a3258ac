using System.Collections.Immutable;
using System.Composition;
using System.Threading.Tasks;
using ConcurrencySafety.Analyzers;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CodeFixes;

namespace ConcurrencySafety.CodeFixes;

/// <summary>CSA1003: a field counter (<c>_count++</c>, <c>_sum += n</c>) becomes an Interlocked call.</summary>
[ExportCodeFixProvider(LanguageNames.CSharp, Name = nameof(CSA1003FieldWrittenConcurrentlyCodeFix))]
[Shared]
public sealed class CSA1003FieldWrittenConcurrentlyCodeFix : CodeFixProvider
{
    public override ImmutableArray<string> FixableDiagnosticIds => ImmutableArray.Create(RuleIdentifiers.FieldWrittenConcurrently);

    public override FixAllProvider GetFixAllProvider() => InterlockedRewrite.FixAll;

    public override Task RegisterCodeFixesAsync(CodeFixContext context)
    {
        foreach (var diagnostic in context.Diagnostics)
        {
            if (InterlockedRewrite.TryGetKind(diagnostic, out var kind))
            {
                context.RegisterCodeFix(InterlockedRewrite.Action(context.Document, diagnostic, kind, RuleIdentifiers.FieldWrittenConcurrently), diagnostic);
            }
        }

        return Task.CompletedTask;
    }
}
