using System.Collections.Immutable;
using System.Composition;
using System.Threading;
using System.Threading.Tasks;
using ConcurrencySafety.Analyzers;
using ConcurrencySafety.Analyzers.Rules;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CodeActions;
using Microsoft.CodeAnalysis.CodeFixes;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Simplification;

namespace ConcurrencySafety.CodeFixes;

/// <summary>
/// CSA1002: a local List/Queue/Stack/Dictionary becomes ConcurrentBag/ConcurrentQueue/
/// ConcurrentStack/ConcurrentDictionary. The analyzer only sets the replacement when the local
/// is created empty in the member and every use exists on the concurrent type with the same
/// meaning; otherwise no fix is offered.
/// </summary>
[ExportCodeFixProvider(LanguageNames.CSharp, Name = nameof(CSA1002NonThreadSafeObjectSharedCodeFix))]
[Shared]
public sealed class CSA1002NonThreadSafeObjectSharedCodeFix : CodeFixProvider
{
    public override ImmutableArray<string> FixableDiagnosticIds => ImmutableArray.Create(RuleIdentifiers.NonThreadSafeObjectShared);

    public override FixAllProvider GetFixAllProvider() => DefaultKeyFixAllProvider.Batch;

    public override async Task RegisterCodeFixesAsync(CodeFixContext context)
    {
        var root = await context.Document.GetSyntaxRootAsync(context.CancellationToken).ConfigureAwait(false);
        var model = await context.Document.GetSemanticModelAsync(context.CancellationToken).ConfigureAwait(false);
        if (root is null || model is null)
        {
            return;
        }

        foreach (var diagnostic in context.Diagnostics)
        {
            if (!diagnostic.Properties.TryGetValue(CSA1002NonThreadSafeObjectSharedAnalyzer.ReplacementKey, out var replacement) || replacement is null)
            {
                continue;
            }

            if (root.FindNode(diagnostic.Location.SourceSpan, getInnermostNodeForTie: true) is not IdentifierNameSyntax identifier
                || model.GetSymbolInfo(identifier, context.CancellationToken).Symbol is not ILocalSymbol local
                || local.DeclaringSyntaxReferences.Length != 1
                || local.DeclaringSyntaxReferences[0].GetSyntax(context.CancellationToken) is not VariableDeclaratorSyntax { Parent: VariableDeclarationSyntax { Variables.Count: 1 } declaration } declarator)
            {
                continue;
            }

            var simpleName = replacement.Substring(replacement.LastIndexOf('.') + 1);
            simpleName = simpleName.Substring(0, simpleName.IndexOf('`'));
            var ns = replacement.Substring(0, replacement.LastIndexOf('.'));
            var typeArguments = TypeArgumentsOf(declaration.Type) ?? TypeArgumentsOf((declarator.Initializer?.Value as ObjectCreationExpressionSyntax)?.Type);
            if (typeArguments is null)
            {
                continue;
            }

            context.RegisterCodeFix(
                CodeAction.Create(
                    $"Use {simpleName}",
                    ct => ReplaceAsync(context.Document, declaration, declarator, ns, simpleName, typeArguments, ct),
                    equivalenceKey: FixKeys.Default(RuleIdentifiers.NonThreadSafeObjectShared)),
                diagnostic);
        }
    }

    private static TypeArgumentListSyntax? TypeArgumentsOf(TypeSyntax? type) => type switch
    {
        GenericNameSyntax generic => generic.TypeArgumentList,
        QualifiedNameSyntax { Right: GenericNameSyntax generic } => generic.TypeArgumentList,
        AliasQualifiedNameSyntax { Name: GenericNameSyntax generic } => generic.TypeArgumentList,
        _ => null,
    };

    private static async Task<Document> ReplaceAsync(Document document, VariableDeclarationSyntax declaration, VariableDeclaratorSyntax declarator, string ns, string simpleName, TypeArgumentListSyntax typeArguments, CancellationToken cancellationToken)
    {
        var root = await document.GetSyntaxRootAsync(cancellationToken).ConfigureAwait(false);
        if (root is null)
        {
            return document;
        }

        TypeSyntax NewType() => SyntaxFactory.QualifiedName(
                SyntaxFactory.ParseName("global::" + ns),
                SyntaxFactory.GenericName(SyntaxFactory.Identifier(simpleName), typeArguments.WithoutTrivia()))
            .WithAdditionalAnnotations(Simplifier.Annotation);

        var newDeclarator = declarator;
        if (declarator.Initializer?.Value is ObjectCreationExpressionSyntax creation)
        {
            newDeclarator = declarator.WithInitializer(declarator.Initializer.WithValue(creation.WithType(NewType().WithTriviaFrom(creation.Type))));
        }

        var newDeclaration = declaration.WithVariables(SyntaxFactory.SingletonSeparatedList(newDeclarator));
        if (!declaration.Type.IsVar)
        {
            newDeclaration = newDeclaration.WithType(NewType().WithTriviaFrom(declaration.Type));
        }

        return document.WithSyntaxRoot(await Imports.EnsureAsync(document, root.ReplaceNode(declaration, newDeclaration), ns, simpleName, declaration.SpanStart, cancellationToken).ConfigureAwait(false));
    }
}
