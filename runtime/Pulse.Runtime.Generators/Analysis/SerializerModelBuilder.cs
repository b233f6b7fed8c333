using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using Microsoft.CodeAnalysis;
using Pulse.Runtime.Generators.Model;

namespace Pulse.Runtime.Generators.Analysis;

/// <summary>Turns a [GenerateSerializer] type into a <see cref="SerializerModel"/>, validating it on the way.</summary>
internal static class SerializerModelBuilder
{
    private sealed class Member
    {
        public Member(ISymbol symbol, uint id, ITypeSymbol type)
        {
            Symbol = symbol;
            Id = id;
            Type = type;
        }

        public ISymbol Symbol { get; }

        public uint Id { get; }

        public ITypeSymbol Type { get; }
    }

    public static SerializerModel? Build(INamedTypeSymbol symbol)
    {
        if (symbol.TypeKind is not (TypeKind.Class or TypeKind.Struct))
        {
            // Enums are serialized by the built-in enum codec; nothing to generate.
            return null;
        }

        List<DiagnosticInfo> diagnostics = new();
        LocationInfo? location = LocationInfo.From(symbol.Locations.FirstOrDefault());
        string display = TypeFacts.SignatureName(symbol);
        if (symbol.IsGenericType)
        {
            diagnostics.Add(InterfaceModelBuilder.Diagnostic(DiagnosticDescriptors.GenericSerializableType, location, display));
        }

        if (!TypeFacts.IsAccessibleFromAssembly(symbol))
        {
            diagnostics.Add(InterfaceModelBuilder.Diagnostic(DiagnosticDescriptors.InaccessibleType, location, display));
        }

        List<Member> members = CollectMembers(symbol, display, location, diagnostics);

        // Abstract types are only validated: their members are serialized by each concrete subclass.
        List<string> constructorMembers = new();
        List<SerializerMemberModel> models = new();
        if (!symbol.IsAbstract)
        {
            IMethodSymbol? constructor = ChooseConstructor(symbol, members);
            HashSet<string> inConstructor = new(StringComparer.OrdinalIgnoreCase);
            if (constructor is null)
            {
                diagnostics.Add(InterfaceModelBuilder.Diagnostic(DiagnosticDescriptors.NoUsableConstructor, location, display));
            }
            else
            {
                foreach (IParameterSymbol parameter in constructor.Parameters)
                {
                    Member member = members.First(m => string.Equals(m.Symbol.Name, parameter.Name, StringComparison.OrdinalIgnoreCase));
                    constructorMembers.Add(TypeFacts.Escape(member.Symbol.Name));
                    inConstructor.Add(member.Symbol.Name);
                }
            }

            foreach (Member member in members)
            {
                MemberAssignment? assignment = inConstructor.Contains(member.Symbol.Name)
                    ? MemberAssignment.Constructor
                    : GetSettableAssignment(member.Symbol);
                if (assignment is null)
                {
                    diagnostics.Add(InterfaceModelBuilder.Diagnostic(
                        DiagnosticDescriptors.MemberNotConstructible,
                        LocationInfo.From(member.Symbol.Locations.FirstOrDefault()) ?? location,
                        display,
                        member.Symbol.Name));
                    continue;
                }

                models.Add(new SerializerMemberModel(
                    member.Id,
                    TypeFacts.Escape(member.Symbol.Name),
                    TypeFacts.Code(member.Type),
                    TypeFacts.IsKnownImmutable(member.Type),
                    assignment.Value));
            }
        }

        return new SerializerModel(
            TypeFacts.Code(symbol),
            display,
            "PulseSerializer_" + TypeFacts.FlatName(symbol),
            symbol.IsValueType,
            symbol.IsAbstract,
            !symbol.IsGenericType && TypeFacts.IsProvablyImmutable(symbol),
            new EquatableArray<SerializerMemberModel>(models.ToArray()),
            new EquatableArray<string>(constructorMembers.ToArray()),
            new EquatableArray<DiagnosticInfo>(diagnostics.ToArray()));
    }

    private static List<Member> CollectMembers(INamedTypeSymbol symbol, string display, LocationInfo? location, List<DiagnosticInfo> diagnostics)
    {
        List<Member> members = new();
        Dictionary<uint, string> names = new();
        foreach ((ISymbol symbolMember, uint id) in TypeFacts.GetIdMembers(symbol))
        {
            LocationInfo? memberLocation = LocationInfo.From(symbolMember.Locations.FirstOrDefault()) ?? location;
            if (names.TryGetValue(id, out string? existing))
            {
                diagnostics.Add(InterfaceModelBuilder.Diagnostic(
                    DiagnosticDescriptors.DuplicateMemberId, memberLocation, display, existing, symbolMember.Name, id.ToString(CultureInfo.InvariantCulture)));
                continue;
            }

            names.Add(id, symbolMember.Name);
            ITypeSymbol? type = symbolMember switch
            {
                IFieldSymbol field when TypeFacts.IsAccessible(field.DeclaredAccessibility) => field.Type,
                IPropertySymbol { IsIndexer: false, GetMethod: not null } property
                    when TypeFacts.IsAccessible(property.DeclaredAccessibility) && TypeFacts.IsAccessible(property.GetMethod.DeclaredAccessibility) => property.Type,
                _ => null,
            };
            if (type is null)
            {
                diagnostics.Add(InterfaceModelBuilder.Diagnostic(DiagnosticDescriptors.InaccessibleMember, memberLocation, display, symbolMember.Name));
                continue;
            }

            members.Add(new Member(symbolMember, id, type));
        }

        return members;
    }

    /// <summary>
    /// The accessible constructor whose parameters all match members (name case-insensitive, same
    /// type) and that covers the most members, e.g. a record's primary constructor.
    /// </summary>
    private static IMethodSymbol? ChooseConstructor(INamedTypeSymbol symbol, List<Member> members)
    {
        IMethodSymbol? best = null;
        foreach (IMethodSymbol constructor in symbol.InstanceConstructors)
        {
            if (!TypeFacts.IsAccessible(constructor.DeclaredAccessibility))
            {
                continue;
            }

            bool allMatch = constructor.Parameters.All(p =>
                p.RefKind == RefKind.None
                && members.Any(m =>
                    string.Equals(m.Symbol.Name, p.Name, StringComparison.OrdinalIgnoreCase)
                    && SymbolEqualityComparer.Default.Equals(m.Type, p.Type)));
            if (allMatch && (best is null || constructor.Parameters.Length > best.Parameters.Length))
            {
                best = constructor;
            }
        }

        return best;
    }

    private static MemberAssignment? GetSettableAssignment(ISymbol member)
    {
        switch (member)
        {
            case IFieldSymbol field:
                if (field.IsReadOnly || field.IsConst)
                {
                    return null;
                }

                return field.IsRequired ? MemberAssignment.Initializer : MemberAssignment.Settable;
            case IPropertySymbol { SetMethod: { } setter } property when TypeFacts.IsAccessible(setter.DeclaredAccessibility):
                return setter.IsInitOnly || property.IsRequired ? MemberAssignment.Initializer : MemberAssignment.Settable;
            default:
                return null;
        }
    }
}
