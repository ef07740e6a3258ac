using System.Collections.Immutable;
using System.Composition;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using ConcurrencySafety.Analyzers;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CodeActions;
using Microsoft.CodeAnalysis.CodeFixes;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace ConcurrencySafety.CodeFixes;

/// <summary>
/// Fixes CSA3001 when the consuming call's result was thrown away (<c>machine.Start();</c>):
/// either assigns it back (<c>builder = builder.With(1);</c>) when it fits the variable's type,
/// or declares a new variable for it (<c>var running = machine.Start();</c>) and uses that
/// afterwards. Offered only when the edited method compiles with no new error.
/// </summary>
[ExportCodeFixProvider(LanguageNames.CSharp, Name = nameof(CSA3001UseAfterConsumeCodeFix))]
[Shared]
public sealed class CSA3001UseAfterConsumeCodeFix : CodeFixProvider
{
    /// <summary>
    /// The equivalence key of both actions ("assign back" and "use the returned value"): they
    /// are never offered for the same diagnostic, so they are variants of the rule's one default fix.
    /// </summary>
    public const string AssignBackKey = RuleIdentifiers.UseAfterConsume;

    /// <summary>The equivalence key of the "use the returned value" action: the same default key.</summary>
    public const string UseReturnedValueKey = RuleIdentifiers.UseAfterConsume;

    /// <inheritdoc/>
    public override ImmutableArray<string> FixableDiagnosticIds => ImmutableArray.Create(RuleIdentifiers.UseAfterConsume);

    /// <inheritdoc/>
    public override FixAllProvider GetFixAllProvider() => DefaultKeyFixAllProvider.Batch;

    /// <inheritdoc/>
    public override async Task RegisterCodeFixesAsync(CodeFixContext context)
    {
        foreach (var diagnostic in context.Diagnostics)
        {
            if (!diagnostic.Properties.TryGetValue("ConsumerDiscarded", out var discarded) || discarded != "true" || diagnostic.AdditionalLocations.Count == 0)
            {
                continue;
            }

            var document = context.Document;
            var root = await document.GetSyntaxRootAsync(context.CancellationToken).ConfigureAwait(false);
            var model = await document.GetSemanticModelAsync(context.CancellationToken).ConfigureAwait(false);
            if (root is null || model is null)
            {
                continue;
            }

            var use = root.FindNode(diagnostic.Location.SourceSpan, getInnermostNodeForTie: true) as IdentifierNameSyntax;
            var consumer = root.FindNode(diagnostic.AdditionalLocations[0].SourceSpan, getInnermostNodeForTie: true) as InvocationExpressionSyntax;
            if (use is null || consumer?.Parent is not ExpressionStatementSyntax statement || statement.Parent is not BlockSyntax block)
            {
                continue;
            }

            var variable = model.GetSymbolInfo(use, context.CancellationToken).Symbol;
            var returned = model.GetTypeInfo(consumer, context.CancellationToken).Type;
            if (variable is not (ILocalSymbol or IParameterSymbol) || returned is null || returned.SpecialType == SpecialType.System_Void
                || !block.Span.Contains(use.Span) || use.SpanStart < statement.Span.End)
            {
                continue;
            }

            var body = statement.FirstAncestorOrSelf<SyntaxNode>(n => n is BaseMethodDeclarationSyntax or LocalFunctionStatementSyntax or AnonymousFunctionExpressionSyntax or AccessorDeclarationSyntax) ?? block;
            var errorsBefore = CountErrors(model, body, context.CancellationToken);

            if (IsAssignable(variable) && CanAssign(model.Compilation, returned, VariableType(variable)))
            {
                var assigned = statement.WithExpression(SyntaxFactory.AssignmentExpression(
                    SyntaxKind.SimpleAssignmentExpression,
                    SyntaxFactory.IdentifierName(variable.Name),
                    consumer.WithoutTrivia()).WithTriviaFrom(consumer));
                var changed = document.WithSyntaxRoot(root.ReplaceNode(statement, assigned));
                if (await CompilesAsWellAsync(changed, statement.SpanStart, errorsBefore, context.CancellationToken).ConfigureAwait(false))
                {
                    context.RegisterCodeFix(
                        CodeAction.Create($"Assign the result of '{consumer}' back to '{variable.Name}'", _ => Task.FromResult(changed), AssignBackKey),
                        diagnostic);
                }

                continue;
            }

            // A new variable for the value the transition returned, used instead of the consumed
            // one from here to the end of the block. Not offered when the old variable is
            // assigned again later: the rename would then change which value is meant.
            var later = block.DescendantNodes().OfType<IdentifierNameSyntax>()
                .Where(id => id.SpanStart > statement.Span.End && id.Identifier.ValueText == variable.Name
                    && SymbolEqualityComparer.Default.Equals(model.GetSymbolInfo(id, context.CancellationToken).Symbol, variable))
                .ToList();
            if (later.Any(IsWritten))
            {
                continue;
            }

            var name = PickName(model, block, returned, statement.SpanStart);
            var declaration = SyntaxFactory.LocalDeclarationStatement(
                SyntaxFactory.VariableDeclaration(
                    SyntaxFactory.IdentifierName("var"),
                    SyntaxFactory.SingletonSeparatedList(
                        SyntaxFactory.VariableDeclarator(SyntaxFactory.Identifier(name))
                            .WithInitializer(SyntaxFactory.EqualsValueClause(consumer.WithoutTrivia())))))
                .WithTriviaFrom(statement);
            var newRoot = root.ReplaceNodes(
                later.Cast<SyntaxNode>().Append(statement),
                (original, _) => original == statement
                    ? declaration
                    : SyntaxFactory.IdentifierName(name).WithTriviaFrom(original));
            var renamed = document.WithSyntaxRoot(newRoot);
            if (await CompilesAsWellAsync(renamed, statement.SpanStart, errorsBefore, context.CancellationToken).ConfigureAwait(false))
            {
                context.RegisterCodeFix(
                    CodeAction.Create($"Use the value returned by '{consumer}' as '{name}'", _ => Task.FromResult(renamed), UseReturnedValueKey),
                    diagnostic);
            }
        }
    }

    private static bool IsWritten(IdentifierNameSyntax identifier) => identifier.Parent switch
    {
        AssignmentExpressionSyntax assignment => assignment.Left == identifier,
        ArgumentSyntax argument => !argument.RefKindKeyword.IsKind(SyntaxKind.None),
        PrefixUnaryExpressionSyntax or PostfixUnaryExpressionSyntax => true,
        _ => false,
    };

    private static bool IsAssignable(ISymbol variable) => variable switch
    {
        ILocalSymbol local => !local.IsConst && !local.IsRef
            && local.DeclaringSyntaxReferences.FirstOrDefault()?.GetSyntax() is VariableDeclaratorSyntax { Parent.Parent: LocalDeclarationStatementSyntax declaration }
            && declaration.UsingKeyword.IsKind(SyntaxKind.None),
        IParameterSymbol parameter => parameter.RefKind is RefKind.None or RefKind.Ref or RefKind.Out,
        _ => false,
    };

    private static ITypeSymbol VariableType(ISymbol variable) => variable is ILocalSymbol local ? local.Type : ((IParameterSymbol)variable).Type;

    private static bool CanAssign(Compilation compilation, ITypeSymbol from, ITypeSymbol to)
    {
        var conversion = compilation.ClassifyConversion(from, to);
        return conversion.IsImplicit && (conversion.IsIdentity || conversion.IsReference);
    }

    /// <summary>A camelCase name from the returned type: its last type argument for a generic state (StateMachine&lt;Running&gt; → running), else its own name.</summary>
    private static string PickName(SemanticModel model, BlockSyntax block, ITypeSymbol type, int position)
    {
        var source = type is INamedTypeSymbol { TypeArguments.Length: > 0 } generic ? generic.TypeArguments[generic.TypeArguments.Length - 1].Name : type.Name;
        var stem = source.Length == 0 ? "next" : char.ToLowerInvariant(source[0]) + source.Substring(1);
        if (SyntaxFacts.GetKeywordKind(stem) != SyntaxKind.None || SyntaxFacts.GetContextualKeywordKind(stem) != SyntaxKind.None)
        {
            stem = "@" + stem;
        }

        var declared = block.DescendantNodes().OfType<VariableDeclaratorSyntax>().Select(d => d.Identifier.ValueText)
            .Concat(block.DescendantNodes().OfType<SingleVariableDesignationSyntax>().Select(d => d.Identifier.ValueText))
            .ToImmutableHashSet();
        var name = stem;
        for (var i = 2; declared.Contains(name.TrimStart('@')) || !model.LookupSymbols(position, name: name.TrimStart('@')).IsEmpty; i++)
        {
            name = stem + i.ToString(System.Globalization.CultureInfo.InvariantCulture);
        }

        return name;
    }

    private static int CountErrors(SemanticModel model, SyntaxNode body, CancellationToken cancellationToken) =>
        model.GetDiagnostics(body.Span, cancellationToken).Count(d => d.Severity == DiagnosticSeverity.Error);

    /// <summary>The soundness check: the method still compiles with no more errors than before.</summary>
    private static async Task<bool> CompilesAsWellAsync(Document changed, int position, int errorsBefore, CancellationToken cancellationToken)
    {
        var root = await changed.GetSyntaxRootAsync(cancellationToken).ConfigureAwait(false);
        var model = await changed.GetSemanticModelAsync(cancellationToken).ConfigureAwait(false);
        if (root is null || model is null)
        {
            return false;
        }

        var body = root.FindToken(position).Parent?.FirstAncestorOrSelf<SyntaxNode>(n => n is BaseMethodDeclarationSyntax or LocalFunctionStatementSyntax or AnonymousFunctionExpressionSyntax or AccessorDeclarationSyntax);
        return body is not null && CountErrors(model, body, cancellationToken) <= errorsBefore;
    }
}
