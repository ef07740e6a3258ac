using System.Collections.Immutable;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Operations;

namespace ConcurrencySafety.Analyzers.Rules;

/// <summary>
/// CSA1005: a <c>lock</c> whose object no other thread can ever lock: a newly created object,
/// a value boxed anew on each lock, or a local created in the member and never shared.
/// </summary>
[DiagnosticAnalyzer(LanguageNames.CSharp)]
public sealed class CSA1005LockCannotProtectAnalyzer : DiagnosticAnalyzer
{
    /// <summary>Property key set when the lock expression creates the object (the fix applies).</summary>
    internal const string FreshObjectKey = "FreshObject";

    internal static readonly DiagnosticDescriptor Rule = new(
        RuleIdentifiers.LockCannotProtect,
        title: "Lock on an object no other thread can see",
        messageFormat: "This lock {0}, so no other thread can hold the same object and the lock protects nothing; lock on a shared readonly field instead",
        category: "Concurrency",
        defaultSeverity: DiagnosticSeverity.Error,
        isEnabledByDefault: true,
        description: "A lock only excludes other threads that lock the same object. Locking an object created by the lock statement itself, a value boxed on each lock, or a local created on each call and never shared "
            + "gives every thread its own object: the code compiles, looks synchronized, and is not. Lock on a readonly field that every access shares.",
        helpLinkUri: RuleIdentifiers.GetHelpUri(RuleIdentifiers.LockCannotProtect));

    public override ImmutableArray<DiagnosticDescriptor> SupportedDiagnostics => ImmutableArray.Create(Rule);

    public override void Initialize(AnalysisContext context)
    {
        context.EnableConcurrentExecution();
        context.ConfigureGeneratedCodeAnalysis(GeneratedCodeAnalysisFlags.None);
        context.RegisterOperationAction(AnalyzeLock, OperationKind.Lock);
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
