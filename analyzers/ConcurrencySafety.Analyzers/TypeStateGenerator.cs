using System;
using System.Collections.Generic;
using System.Collections.Immutable;
using System.Linq;
using System.Text;
using System.Threading;
using ConcurrencySafety.Analyzers.TypeState;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Text;

namespace ConcurrencySafety.Analyzers;

/// <summary>
/// Writes type-state machines from a declaration: a <c>partial</c> class annotated with
/// <c>[TypeStates("A", "B", ...)]</c> and <c>[Transition("Name", From = "A", To = "B")]</c> gets
/// one nested sealed class per state (deriving from <c>ConcurrencySafety.Consumable</c>), a
/// <c>[Consumes]</c> method per transition on its source state, a consuming <c>Begin()</c> that
/// enters the first state, and a <c>partial void On&lt;Name&gt;()</c> hook per transition.
/// </summary>
/// <remarks>
/// It lives in the analyzer assembly rather than a project of its own: it shares the pinned
/// Roslyn version, the rule identifiers and release tracking (CSA3004), and the package then
/// ships one analyzer DLL that both generates the consuming methods and checks their use.
/// </remarks>
[Generator(LanguageNames.CSharp)]
public sealed class TypeStateGenerator : IIncrementalGenerator
{
    internal const string TypeStatesAttributeName = "ConcurrencySafety.TypeStatesAttribute";
    internal const string TransitionAttributeName = "ConcurrencySafety.TransitionAttribute";

    internal static readonly DiagnosticDescriptor InvalidDeclaration = new(
        RuleIdentifiers.InvalidTypeStateDeclaration,
        title: "Invalid type-state declaration",
        messageFormat: "Type-state declaration of '{0}' is invalid: {1}",
        category: "TypeState",
        defaultSeverity: DiagnosticSeverity.Error,
        isEnabledByDefault: true,
        description: "The type-state generator writes state classes and transition methods from [TypeStates] and [Transition] attributes. It cannot when the class (or a class containing it) is not partial, when a state or transition name is not a C# identifier or is declared twice, or when a transition names a state that was not declared. Nothing is generated for an invalid declaration.",
        helpLinkUri: RuleIdentifiers.GetHelpUri(RuleIdentifiers.InvalidTypeStateDeclaration));

    /// <inheritdoc/>
    public void Initialize(IncrementalGeneratorInitializationContext context)
    {
        var machines = context.SyntaxProvider.ForAttributeWithMetadataName(
            TypeStatesAttributeName,
            static (node, _) => node is ClassDeclarationSyntax,
            static (ctx, ct) => Describe(ctx, ct));

        context.RegisterSourceOutput(machines, static (spc, result) =>
        {
            foreach (var problem in result.Problems)
            {
                spc.ReportDiagnostic(Diagnostic.Create(InvalidDeclaration, problem.ToLocation(), result.Machine?.Name ?? problem.Subject, problem.Message));
            }

            if (result.Machine is { } machine && result.Problems.Length == 0)
            {
                spc.AddSource(machine.HintName, SourceText.From(Emit(machine), Encoding.UTF8));
            }
        });
    }

    private static DescribeResult Describe(GeneratorAttributeSyntaxContext context, CancellationToken cancellationToken)
    {
        var type = (INamedTypeSymbol)context.TargetSymbol;
        var syntax = (ClassDeclarationSyntax)context.TargetNode;
        var problems = new List<Problem>();
        var here = syntax.Identifier.GetLocation();

        void Fail(Location? location, string message) => problems.Add(Problem.Create(location ?? here, type.Name, message));

        // Every declaration of the class and of its containing types must be partial so that the
        // generated part can join it.
        var containers = new List<ContainingType>();
        for (var t = type; t is not null; t = t.ContainingType)
        {
            foreach (var reference in t.DeclaringSyntaxReferences)
            {
                if (reference.GetSyntax(cancellationToken) is TypeDeclarationSyntax declaration && !declaration.Modifiers.Any(SyntaxKind.PartialKeyword))
                {
                    Fail(declaration.Identifier.GetLocation(), $"'{t.Name}' must be declared partial");
                }
            }

            if (!SymbolEqualityComparer.Default.Equals(t, type))
            {
                containers.Insert(0, new ContainingType(Keyword(t), NameWithTypeParameters(t)));
            }
        }

        var statesAttribute = context.Attributes[0];
        var states = new List<string>();
        var statesLocation = statesAttribute.ApplicationSyntaxReference?.GetSyntax(cancellationToken).GetLocation();
        if (statesAttribute.ConstructorArguments.Length == 1 && statesAttribute.ConstructorArguments[0] is { Kind: TypedConstantKind.Array } array)
        {
            foreach (var value in array.Values)
            {
                var name = value.Value as string;
                if (!IsIdentifier(name))
                {
                    Fail(statesLocation, $"state name '{name}' is not a valid C# identifier");
                }
                else if (states.Contains(name!))
                {
                    Fail(statesLocation, $"state '{name}' is declared twice");
                }
                else if (name == type.Name || name == "Data" || name == "Begin")
                {
                    Fail(statesLocation, $"state name '{name}' would clash with a member of '{type.Name}'");
                }
                else
                {
                    states.Add(name!);
                }
            }
        }

        if (states.Count == 0 && problems.Count == 0)
        {
            Fail(statesLocation, "it declares no states");
        }

        var mustReachFinal = statesAttribute.NamedArguments.Any(a => a.Key == "MustReachFinalState" && a.Value.Value is true);

        var transitions = new List<TransitionModel>();
        foreach (var attribute in type.GetAttributes())
        {
            if (attribute.AttributeClass?.ToDisplayString() != TransitionAttributeName)
            {
                continue;
            }

            var location = attribute.ApplicationSyntaxReference?.GetSyntax(cancellationToken).GetLocation();
            var name = attribute.ConstructorArguments.FirstOrDefault().Value as string;
            var from = attribute.NamedArguments.FirstOrDefault(a => a.Key == "From").Value.Value as string;
            var to = attribute.NamedArguments.FirstOrDefault(a => a.Key == "To").Value.Value as string;
            if (!IsIdentifier(name))
            {
                Fail(location, $"transition name '{name}' is not a valid C# identifier");
                continue;
            }

            if (from is null || !states.Contains(from))
            {
                Fail(location, $"transition '{name}' starts from '{from}', which is not a declared state");
                continue;
            }

            if (to is null || !states.Contains(to))
            {
                Fail(location, $"transition '{name}' ends in '{to}', which is not a declared state");
                continue;
            }

            if (name == from || transitions.Any(t => t.Name == name && t.From == from))
            {
                Fail(location, $"state '{from}' already has a member named '{name}'");
                continue;
            }

            transitions.Add(new TransitionModel(name!, from, to));
        }

        var ns = type.ContainingNamespace is { IsGlobalNamespace: false } n ? n.ToDisplayString() : null;
        var machine = new MachineModel(
            ns,
            type.Name,
            NameWithTypeParameters(type),
            new EquatableArray<ContainingType>(containers.ToImmutableArray()),
            new EquatableArray<string>(states.ToImmutableArray()),
            new EquatableArray<TransitionModel>(transitions.ToImmutableArray()),
            mustReachFinal,
            (ns is null ? "" : ns + ".") + string.Join(".", containers.Select(c => c.Name)) + (containers.Count > 0 ? "." : "") + type.MetadataName + ".TypeStates.g.cs");
        return new DescribeResult(machine, new EquatableArray<Problem>(problems.ToImmutableArray()));
    }

    private static string Emit(MachineModel machine)
    {
        var b = new StringBuilder();
        b.AppendLine("// <auto-generated>Generated by ConcurrencySafety.Analyzers.TypeStateGenerator from [TypeStates] and [Transition].</auto-generated>");
        b.AppendLine("#nullable enable");
        b.AppendLine();
        if (machine.Namespace is not null)
        {
            b.Append("namespace ").Append(machine.Namespace).AppendLine(";");
            b.AppendLine();
        }

        foreach (var container in machine.Containers)
        {
            b.Append("partial ").Append(container.Keyword).Append(' ').AppendLine(container.Name).AppendLine("{");
        }

        var self = machine.NameWithTypeParameters;
        var initial = machine.States[0];
        b.Append("partial class ").AppendLine(self).AppendLine("{");
        b.Append("    /// <summary>Enters the first state, <see cref=\"").Append(initial).AppendLine("\"/>. This object is consumed: from now on, use the returned state.</summary>");
        b.AppendLine("    [global::ConcurrencySafety.Consumes]");
        b.Append("    public ").Append(initial).Append(" Begin() => new ").Append(initial).AppendLine("(this);");

        foreach (var hook in machine.Transitions.Select(t => t.Name).Distinct())
        {
            b.AppendLine();
            b.Append("    /// <summary>Runs during every <c>").Append(hook).AppendLine("</c> transition, before the next state is returned. Implement it to add behaviour.</summary>");
            b.Append("    partial void On").Append(hook).AppendLine("();");
        }

        foreach (var state in machine.States)
        {
            var outgoing = machine.Transitions.Where(t => t.From == state).ToList();
            b.AppendLine();
            b.Append("    /// <summary>The state <c>").Append(state).Append("</c> of <see cref=\"").Append(machine.Name).Append("\"/>. ");
            b.Append(outgoing.Count == 0 ? "A final state: no transition leaves it." : "Transitions: " + string.Join(", ", outgoing.Select(t => $"<see cref=\"{t.Name}\"/> to <c>{t.To}</c>")) + ".");
            b.AppendLine("</summary>");
            if (machine.MustReachFinalState && outgoing.Count > 0)
            {
                b.AppendLine("    [global::ConcurrencySafety.MustConsume]");
            }

            b.Append("    public sealed partial class ").Append(state).AppendLine(" : global::ConcurrencySafety.Consumable");
            b.AppendLine("    {");
            b.Append("        private readonly ").Append(self).AppendLine(" _data;");
            b.AppendLine();
            b.Append("        internal ").Append(state).Append('(').Append(self).AppendLine(" data) => _data = data;");
            b.AppendLine();
            b.AppendLine("        /// <summary>Gets the data shared by all states.</summary>");
            b.AppendLine("        /// <exception cref=\"global::System.InvalidOperationException\">This state was already left by a transition.</exception>");
            b.Append("        public ").Append(self).AppendLine(" Data");
            b.AppendLine("        {");
            b.AppendLine("            get");
            b.AppendLine("            {");
            b.AppendLine("                ThrowIfConsumed();");
            b.AppendLine("                return _data;");
            b.AppendLine("            }");
            b.AppendLine("        }");
            foreach (var transition in outgoing)
            {
                b.AppendLine();
                b.Append("        /// <summary>Leaves <c>").Append(state).Append("</c> for <c>").Append(transition.To).AppendLine("</c>. This value is consumed: use the returned state.</summary>");
                b.AppendLine("        /// <exception cref=\"global::System.InvalidOperationException\">This state was already left by a transition.</exception>");
                b.AppendLine("        [global::ConcurrencySafety.Consumes]");
                b.Append("        public ").Append(transition.To).Append(' ').Append(transition.Name).AppendLine("()");
                b.AppendLine("        {");
                b.AppendLine("            Consume();");
                b.Append("            _data.On").Append(transition.Name).AppendLine("();");
                b.Append("            return new ").Append(transition.To).AppendLine("(_data);");
                b.AppendLine("        }");
            }

            b.AppendLine("    }");
        }

        b.AppendLine("}");
        foreach (var _ in machine.Containers)
        {
            b.AppendLine("}");
        }

        return b.ToString();
    }

    private static bool IsIdentifier(string? name) =>
        name is { Length: > 0 } && SyntaxFacts.IsValidIdentifier(name) && SyntaxFacts.GetKeywordKind(name) == SyntaxKind.None;

    private static string Keyword(INamedTypeSymbol type) => type switch
    {
        { IsRecord: true, TypeKind: TypeKind.Struct } => "record struct",
        { IsRecord: true } => "record",
        { TypeKind: TypeKind.Struct } => "struct",
        { TypeKind: TypeKind.Interface } => "interface",
        _ => "class",
    };

    private static string NameWithTypeParameters(INamedTypeSymbol type) =>
        type.TypeParameters.Length == 0 ? type.Name : type.Name + "<" + string.Join(", ", type.TypeParameters.Select(p => p.Name)) + ">";

    // The models are plain classes with value equality rather than records: records need a
    // polyfill (IsExternalInit) on netstandard2.0, which would clash with any other copy.
    private sealed class DescribeResult : IEquatable<DescribeResult>
    {
        public DescribeResult(MachineModel? machine, EquatableArray<Problem> problems) => (Machine, Problems) = (machine, problems);

        public MachineModel? Machine { get; }

        public EquatableArray<Problem> Problems { get; }

        public bool Equals(DescribeResult? other) => other is not null && Equals(Machine, other.Machine) && Problems.Equals(other.Problems);

        public override bool Equals(object? obj) => Equals(obj as DescribeResult);

        public override int GetHashCode() => (Machine?.GetHashCode() ?? 0) ^ Problems.GetHashCode();
    }

    private sealed class MachineModel : IEquatable<MachineModel>
    {
        public MachineModel(string? ns, string name, string nameWithTypeParameters, EquatableArray<ContainingType> containers, EquatableArray<string> states, EquatableArray<TransitionModel> transitions, bool mustReachFinalState, string hintName)
        {
            Namespace = ns;
            Name = name;
            NameWithTypeParameters = nameWithTypeParameters;
            Containers = containers;
            States = states;
            Transitions = transitions;
            MustReachFinalState = mustReachFinalState;
            HintName = hintName;
        }

        public string? Namespace { get; }

        public string Name { get; }

        public string NameWithTypeParameters { get; }

        public EquatableArray<ContainingType> Containers { get; }

        public EquatableArray<string> States { get; }

        public EquatableArray<TransitionModel> Transitions { get; }

        public bool MustReachFinalState { get; }

        public string HintName { get; }

        public bool Equals(MachineModel? other) => other is not null
            && Namespace == other.Namespace && Name == other.Name && NameWithTypeParameters == other.NameWithTypeParameters
            && Containers.Equals(other.Containers) && States.Equals(other.States) && Transitions.Equals(other.Transitions)
            && MustReachFinalState == other.MustReachFinalState && HintName == other.HintName;

        public override bool Equals(object? obj) => Equals(obj as MachineModel);

        public override int GetHashCode() => HintName.GetHashCode() ^ States.GetHashCode() ^ Transitions.GetHashCode();
    }

    private sealed class ContainingType : IEquatable<ContainingType>
    {
        public ContainingType(string keyword, string name) => (Keyword, Name) = (keyword, name);

        public string Keyword { get; }

        public string Name { get; }

        public bool Equals(ContainingType? other) => other is not null && Keyword == other.Keyword && Name == other.Name;

        public override bool Equals(object? obj) => Equals(obj as ContainingType);

        public override int GetHashCode() => Name.GetHashCode();
    }

    private sealed class TransitionModel : IEquatable<TransitionModel>
    {
        public TransitionModel(string name, string from, string to) => (Name, From, To) = (name, from, to);

        public string Name { get; }

        public string From { get; }

        public string To { get; }

        public bool Equals(TransitionModel? other) => other is not null && Name == other.Name && From == other.From && To == other.To;

        public override bool Equals(object? obj) => Equals(obj as TransitionModel);

        public override int GetHashCode() => Name.GetHashCode() ^ From.GetHashCode() ^ To.GetHashCode();
    }

    /// <summary>A problem with its location kept as plain data, so that the model stays cacheable.</summary>
    private sealed class Problem : IEquatable<Problem>
    {
        private Problem(string subject, string message, string path, TextSpan span, LinePositionSpan lines) => (Subject, Message, Path, Span, Lines) = (subject, message, path, span, lines);

        public string Subject { get; }

        public string Message { get; }

        public string Path { get; }

        public TextSpan Span { get; }

        public LinePositionSpan Lines { get; }

        public static Problem Create(Location location, string subject, string message)
        {
            var lines = location.GetLineSpan();
            return new Problem(subject, message, lines.Path ?? "", location.SourceSpan, lines.Span);
        }

        public bool Equals(Problem? other) => other is not null && Subject == other.Subject && Message == other.Message && Path == other.Path && Span == other.Span && Lines == other.Lines;

        public override bool Equals(object? obj) => Equals(obj as Problem);

        public override int GetHashCode() => Message.GetHashCode() ^ Span.GetHashCode();

        public Location ToLocation() => Location.Create(Path, Span, Lines);
    }
}
