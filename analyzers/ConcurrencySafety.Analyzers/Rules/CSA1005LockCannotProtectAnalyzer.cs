using System.Collections.Concurrent;
using System.Collections.Immutable;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Operations;

namespace ConcurrencySafety.Analyzers.Rules;

/// <summary>
/// CSA1005: a <c>lock</c> whose object is not the same for every thread it should exclude: a
/// newly created object, a value boxed anew on each lock, a local created in the member and never
/// shared, a property whose getter creates a new object, or a field that the locking member itself
/// assigns again (threads before and after the assignment lock different objects).
/// </summary>
[DiagnosticAnalyzer(LanguageNames.CSharp)]
public sealed class CSA1005LockCannotProtectAnalyzer : DiagnosticAnalyzer
{
    /// <summary>Property key set when the lock expression creates the object (the fix applies).</summary>
    internal const string FreshObjectKey = "FreshObject";

    internal static readonly DiagnosticDescriptor Rule = new(
        RuleIdentifiers.LockCannotProtect,
        title: "Lock on an object no other thread can see",
        messageFormat: "This lock {0}, so threads do not all lock the same object and the lock does not exclude them; lock on a shared readonly field instead",
        category: "Concurrency",
        defaultSeverity: DiagnosticSeverity.Error,
        isEnabledByDefault: true,
        description: "A lock only excludes other threads that lock the same object. Locking an object created by the lock statement itself, a value boxed on each lock, a local created on each call and never shared, "
            + "or a property whose getter returns a new object gives every thread its own object; locking a field that is assigned again after construction lets threads before and after the assignment hold different objects. "
            + "The code compiles, looks synchronized, and is not. Lock on a readonly field that every access shares.",
        helpLinkUri: RuleIdentifiers.GetHelpUri(RuleIdentifiers.LockCannotProtect));

    public override ImmutableArray<DiagnosticDescriptor> SupportedDiagnostics => ImmutableArray.Create(Rule);

    public override void Initialize(AnalysisContext context)
    {
        context.EnableConcurrentExecution();
        context.ConfigureGeneratedCodeAnalysis(GeneratedCodeAnalysisFlags.None);
        context.RegisterOperationAction(AnalyzeLock, OperationKind.Lock);
        context.RegisterSymbolStartAction(AnalyzeType, SymbolKind.NamedType);
    }

    // Locks on a mutable field of the type, reported at the end of the type when the member that
    // locks it also assigns it again (outside the constructors): a lazy `_gate ??= new object()`
    // before the lock, or a swap inside it. Assignments in other members are left alone: they
    // are usually initialization (a constructor helper, a two-phase Initialize() that runs before
    // any lock), and the rule prefers silence to a guess.
    private static void AnalyzeType(SymbolStartAnalysisContext context)
    {
        var type = (INamedTypeSymbol)context.Symbol;
        var locks = new ConcurrentBag<(ILockOperation Lock, IFieldSymbol Field, ISymbol Member)>();
        var reassigned = new ConcurrentDictionary<(IFieldSymbol Field, ISymbol Member), bool>();
        context.RegisterOperationAction(
            c =>
            {
                var lockOperation = (ILockOperation)c.Operation;
                var value = lockOperation.LockedValue;
                while (value is IConversionOperation conversion && !conversion.GetConversion().IsBoxing)
                {
                    value = conversion.Operand;
                }

                if (value is IFieldReferenceOperation { Field: { IsReadOnly: false, IsConst: false, Type.IsReferenceType: true } field }
                    && SymbolEqualityComparer.Default.Equals(field.ContainingType.OriginalDefinition, type))
                {
                    locks.Add((lockOperation, field.OriginalDefinition, c.ContainingSymbol));
                }
            },
            OperationKind.Lock);
        context.RegisterOperationAction(
            c =>
            {
                if (c.Operation is IAssignmentOperation { Target: IFieldReferenceOperation target }
                    && SymbolEqualityComparer.Default.Equals(target.Field.ContainingType.OriginalDefinition, type)
                    && c.ContainingSymbol is IMethodSymbol member
                    && !IsConstructorFor(member, target.Field, type))
                {
                    reassigned.TryAdd((target.Field.OriginalDefinition, member), true);
                }
            },
            OperationKind.SimpleAssignment,
            OperationKind.CompoundAssignment,
            OperationKind.CoalesceAssignment);
        context.RegisterSymbolEndAction(end =>
        {
            foreach (var (lockOperation, field, owner) in locks)
            {
                if (owner is IMethodSymbol { } method && reassigned.ContainsKey((field, method)))
                {
                    var member = method.AssociatedSymbol?.Name ?? method.Name;
                    end.ReportDiagnostic(Diagnostic.Create(
                        Rule,
                        lockOperation.LockedValue.Syntax.GetLocation(),
                        $"locks field '{field.Name}', which '{member}' also assigns again (threads before and after the assignment lock different objects)"));
                }
            }
        });
    }

    private static bool IsConstructorFor(IMethodSymbol member, IFieldSymbol field, INamedTypeSymbol type) =>
        SymbolEqualityComparer.Default.Equals(member.ContainingType?.OriginalDefinition, type)
        && member.MethodKind == (field.IsStatic ? MethodKind.StaticConstructor : MethodKind.Constructor);

    // A property whose getter is `=> new ...` or returns only newly created objects.
    private static bool GetterCreatesNew(IPropertySymbol property)
    {
        if (property.GetMethod is not { } getter || getter.DeclaringSyntaxReferences.Length != 1)
        {
            return false;
        }

        switch (getter.DeclaringSyntaxReferences[0].GetSyntax())
        {
            case ArrowExpressionClauseSyntax arrow:
                return IsCreation(arrow.Expression);
            case AccessorDeclarationSyntax { ExpressionBody: { } body }:
                return IsCreation(body.Expression);
            case AccessorDeclarationSyntax { Body: { } block }:
                var any = false;
                foreach (var node in block.DescendantNodes(static n => n is not (AnonymousFunctionExpressionSyntax or LocalFunctionStatementSyntax)))
                {
                    if (node is ReturnStatementSyntax ret)
                    {
                        if (ret.Expression is null || !IsCreation(ret.Expression))
                        {
                            return false;
                        }

                        any = true;
                    }
                }

                return any;
            default:
                return false;
        }
    }

    private static bool IsCreation(ExpressionSyntax expression)
    {
        while (expression is ParenthesizedExpressionSyntax or CastExpressionSyntax)
        {
            expression = expression is ParenthesizedExpressionSyntax parenthesized ? parenthesized.Expression : ((CastExpressionSyntax)expression).Expression;
        }

        return expression is BaseObjectCreationExpressionSyntax or ArrayCreationExpressionSyntax or ImplicitArrayCreationExpressionSyntax or AnonymousObjectCreationExpressionSyntax;
    }

    private static void AnalyzeLock(OperationAnalysisContext context)
    {
        var lockOperation = (ILockOperation)context.Operation;
        var value = lockOperation.LockedValue;
        while (value is IConversionOperation conversion)
        {
            if (conversion.GetConversion().IsBoxing)
            {
                Report(context, lockOperation, "locks a value that is boxed anew each time", fresh: false);
                return;
            }

            value = conversion.Operand;
        }

        switch (value)
        {
            case IObjectCreationOperation or IAnonymousObjectCreationOperation or IArrayCreationOperation or ITypeParameterObjectCreationOperation:
                Report(context, lockOperation, "locks a newly created object", fresh: value is IObjectCreationOperation);
                return;
            case IInterpolatedStringOperation:
            case IBinaryOperation { OperatorKind: BinaryOperatorKind.Add, Type.SpecialType: SpecialType.System_String }:
                Report(context, lockOperation, "locks a string built on each call", fresh: false);
                return;
            case IPropertyReferenceOperation property when GetterCreatesNew(property.Property):
                Report(context, lockOperation, $"locks property '{property.Property.Name}', whose getter returns a new object each time", fresh: false);
                return;
            case ILocalReferenceOperation local when IsUnsharedFreshLocal(local, lockOperation):
                Report(context, lockOperation, $"locks local '{local.Local.Name}', which is created on each call and never shared", fresh: false);
                return;
        }
    }

    // The local is created in this function, and every use of it is a lock statement of this
    // same function (no lambda, no local function, no call, no store): no other thread can
    // ever reach the object.
    private static bool IsUnsharedFreshLocal(ILocalReferenceOperation reference, ILockOperation lockOperation)
    {
        var function = EnclosingFunction(lockOperation);
        var root = function;
        while (root.Parent is not null)
        {
            root = root.Parent;
        }

        var createdFresh = false;
        foreach (var operation in root.Descendants())
        {
            switch (operation)
            {
                case IVariableDeclaratorOperation declarator when SymbolEqualityComparer.Default.Equals(declarator.Symbol, reference.Local):
                    var initial = declarator.Initializer?.Value;
                    while (initial is IConversionOperation conversion)
                    {
                        initial = conversion.Operand;
                    }

                    if (initial is not IObjectCreationOperation || EnclosingFunction(declarator) != function)
                    {
                        return false;
                    }

                    createdFresh = true;
                    break;
                case ILocalReferenceOperation other when SymbolEqualityComparer.Default.Equals(other.Local, reference.Local):
                    if (other.Parent is not ILockOperation || EnclosingFunction(other) != function)
                    {
                        return false;
                    }

                    break;
            }
        }

        return createdFresh;
    }

    private static IOperation EnclosingFunction(IOperation operation)
    {
        var current = operation;
        while (current.Parent is not null)
        {
            current = current.Parent;
            if (current is IAnonymousFunctionOperation or ILocalFunctionOperation)
            {
                return current;
            }
        }

        return current;
    }

    private static void Report(OperationAnalysisContext context, ILockOperation lockOperation, string what, bool fresh)
    {
        var properties = fresh
            ? ImmutableDictionary<string, string?>.Empty.Add(FreshObjectKey, "true")
            : ImmutableDictionary<string, string?>.Empty;
        context.ReportDiagnostic(Diagnostic.Create(Rule, lockOperation.LockedValue.Syntax.GetLocation(), properties, what));
    }
}
