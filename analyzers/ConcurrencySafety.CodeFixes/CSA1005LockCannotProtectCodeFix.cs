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
using Microsoft.CodeAnalysis.Formatting;

namespace ConcurrencySafety.CodeFixes;

/// <summary>
/// CSA1005: <c>lock (new object())</c> becomes a lock on a <c>private static readonly object</c>
/// field of the containing type (added, or reused when a field of that name already is one).
/// A static lock is coarser than a per-instance one but always correct. Offered only when the
/// lock statement itself creates the object.
/// </summary>
[ExportCodeFixProvider(LanguageNames.CSharp, Name = nameof(CSA1005LockCannotProtectCodeFix))]
[Shared]
public sealed class CSA1005LockCannotProtectCodeFix : CodeFixProvider
{
    private const string FieldName = "s_lock";

    public override ImmutableArray<string> FixableDiagnosticIds => ImmutableArray.Create(RuleIdentifiers.LockCannotProtect);

    public override FixAllProvider GetFixAllProvider() => DefaultKeyFixAllProvider.Batch;

    public override async Task RegisterCodeFixesAsync(CodeFixContext context)
    {
        var root = await context.Document.GetSyntaxRootAsync(context.CancellationToken).ConfigureAwait(false);
        if (root is null)
        {
            return;
        }

        foreach (var diagnostic in context.Diagnostics)
        {
            if (!diagnostic.Properties.ContainsKey(CSA1005LockCannotProtectAnalyzer.FreshObjectKey)
                || root.FindNode(diagnostic.Location.SourceSpan, getInnermostNodeForTie: true)?.FirstAncestorOrSelf<LockStatementSyntax>() is not { } lockStatement
                || lockStatement.FirstAncestorOrSelf<TypeDeclarationSyntax>() is not { } type
                || type is InterfaceDeclarationSyntax)
            {
                continue;
            }

            context.RegisterCodeFix(
                CodeAction.Create(
                    "Lock on a shared static readonly object",
                    ct => FixAsync(context.Document, lockStatement, type, ct),
                    equivalenceKey: FixKeys.Default(RuleIdentifiers.LockCannotProtect)),
                diagnostic);
        }
    }

    private static async Task<Document> FixAsync(Document document, LockStatementSyntax lockStatement, TypeDeclarationSyntax type, CancellationToken cancellationToken)
    {
        var root = await document.GetSyntaxRootAsync(cancellationToken).ConfigureAwait(false);
        var model = await document.GetSemanticModelAsync(cancellationToken).ConfigureAwait(false);
        if (root is null || model is null || model.GetDeclaredSymbol(type, cancellationToken) is not { } typeSymbol)
        {
            return document;
        }

        // Reuse a field made by an earlier fix in the same type; otherwise pick a free name.
        var name = FieldName;
        var reuse = false;
        for (var i = 2; ; i++)
        {
            var members = typeSymbol.GetMembers(name);
            if (members.IsEmpty)
            {
                break;
            }

            if (members.Length == 1 && members[0] is IFieldSymbol { IsStatic: true, IsReadOnly: true, Type.SpecialType: SpecialType.System_Object })
            {
                reuse = true;
                break;
            }

            name = FieldName + i;
        }

        var newType = type.ReplaceNode(lockStatement.Expression, SyntaxFactory.IdentifierName(name).WithTriviaFrom(lockStatement.Expression));
        if (!reuse)
        {
            var field = SyntaxFactory.FieldDeclaration(
                    SyntaxFactory.VariableDeclaration(
                        SyntaxFactory.PredefinedType(SyntaxFactory.Token(SyntaxKind.ObjectKeyword)),
                        SyntaxFactory.SingletonSeparatedList(
                            SyntaxFactory.VariableDeclarator(name).WithInitializer(
                                SyntaxFactory.EqualsValueClause(
                                    SyntaxFactory.ObjectCreationExpression(SyntaxFactory.PredefinedType(SyntaxFactory.Token(SyntaxKind.ObjectKeyword)))
                                        .WithArgumentList(SyntaxFactory.ArgumentList()))))))
                .WithModifiers(SyntaxFactory.TokenList(
                    SyntaxFactory.Token(SyntaxKind.PrivateKeyword),
                    SyntaxFactory.Token(SyntaxKind.StaticKeyword),
                    SyntaxFactory.Token(SyntaxKind.ReadOnlyKeyword)))
                .WithAdditionalAnnotations(Formatter.Annotation);
            newType = newType.WithMembers(newType.Members.Insert(0, field));
        }

        return document.WithSyntaxRoot(root.ReplaceNode(type, newType));
    }
}
