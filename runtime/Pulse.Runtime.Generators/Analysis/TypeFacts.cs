using System.Collections.Generic;
using System.Linq;
using System.Text;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;

namespace Pulse.Runtime.Generators.Analysis;

/// <summary>Names, formats and type questions shared by the model builders.</summary>
internal static class TypeFacts
{
    public const string GrainWithStringKeyName = "Pulse.Runtime.IGrainWithStringKey";
    public const string GrainName = "Pulse.Runtime.Grain";
    public const string GrainTypeAttributeName = "Pulse.Runtime.GrainTypeAttribute";
    public const string GenerateSerializerAttributeName = "Pulse.Runtime.Serialization.GenerateSerializerAttribute";
    public const string ImmutableAttributeName = "Pulse.Runtime.Serialization.ImmutableAttribute";
    public const string IdAttributeName = "Pulse.Runtime.Serialization.IdAttribute";
    public const string PersistentStateAttributeName = "Pulse.Runtime.Storage.PersistentStateAttribute";

    /// <summary>Fully qualified names with nullable annotations, for code that must match declarations exactly.</summary>
    public static readonly SymbolDisplayFormat CodeFormat = SymbolDisplayFormat.FullyQualifiedFormat
        .AddMiscellaneousOptions(SymbolDisplayMiscellaneousOptions.IncludeNullableReferenceTypeModifier);

    /// <summary>Fully qualified code name with nullable annotations.</summary>
    public static string Code(ITypeSymbol type) => type.ToDisplayString(CodeFormat);

    /// <summary>Fully qualified code name without a top-level nullable reference annotation (for notnull type arguments).</summary>
    public static string CodeNotNull(ITypeSymbol type) =>
        type.WithNullableAnnotation(NullableAnnotation.NotAnnotated).ToDisplayString(CodeFormat);

    /// <summary>The name used in method signatures and default aliases: FullyQualifiedFormat without "global::".</summary>
    public static string SignatureName(ITypeSymbol type) =>
        type.ToDisplayString(SymbolDisplayFormat.FullyQualifiedFormat).Replace("global::", string.Empty);

    /// <summary>The method signature whose stable hash is the method id: <c>Name(T1,T2)</c> without cancellation tokens.</summary>
    public static string MethodSignature(IMethodSymbol method)
    {
        StringBuilder builder = new();
        builder.Append(method.Name).Append('(');
        bool first = true;
        foreach (IParameterSymbol parameter in method.Parameters)
        {
            if (IsCancellationToken(parameter.Type))
            {
                continue;
            }

            if (!first)
            {
                builder.Append(',');
            }

            builder.Append(SignatureName(parameter.Type));
            first = false;
        }

        return builder.Append(')').ToString();
    }

    /// <summary>A name usable as part of a C# identifier, unique per type within a compilation.</summary>
    public static string FlatName(INamedTypeSymbol type)
    {
        string name = type.ToDisplayString(SymbolDisplayFormat.FullyQualifiedFormat).Replace("global::", string.Empty);
        StringBuilder builder = new(name.Length);
        foreach (char c in name)
        {
            builder.Append(char.IsLetterOrDigit(c) || c == '_' ? c : '_');
        }

        return builder.ToString();
    }

    /// <summary>Escapes identifiers that are C# keywords.</summary>
    public static string Escape(string identifier) =>
        SyntaxFacts.GetKeywordKind(identifier) != SyntaxKind.None ? "@" + identifier
            : identifier;

    public static bool IsCancellationToken(ITypeSymbol type) =>
        type.Name == "CancellationToken" && type.ContainingNamespace?.ToDisplayString() == "System.Threading";

    public static bool HasAttribute(ISymbol symbol, string metadataName) =>
        symbol.GetAttributes().Any(a => a.AttributeClass?.ToDisplayString() == metadataName);

    public static AttributeData? GetAttribute(ISymbol symbol, string metadataName) =>
        symbol.GetAttributes().FirstOrDefault(a => a.AttributeClass?.ToDisplayString() == metadataName);

    /// <summary>Whether <paramref name="type"/> is an interface deriving from IGrainWithStringKey.</summary>
    public static bool IsGrainInterface(ITypeSymbol type) =>
        type.TypeKind == TypeKind.Interface
        && type.ToDisplayString() != GrainWithStringKeyName
        && type.AllInterfaces.Any(i => i.ToDisplayString() == GrainWithStringKeyName);

    /// <summary>Whether the class derives (transitively) from Pulse.Runtime.Grain.</summary>
    public static bool DerivesFromGrain(INamedTypeSymbol type)
    {
        for (INamedTypeSymbol? current = type.BaseType; current is not null; current = current.BaseType)
        {
            if (current.ToDisplayString() == GrainName)
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>Whether generated code in the same assembly can name the type (no private or protected nesting).</summary>
    public static bool IsAccessibleFromAssembly(INamedTypeSymbol type)
    {
        for (INamedTypeSymbol? current = type; current is not null; current = current.ContainingType)
        {
            if (current.DeclaredAccessibility is not (Accessibility.Public or Accessibility.Internal or Accessibility.ProtectedOrInternal))
            {
                return false;
            }
        }

        return true;
    }

    public static bool IsAccessible(Accessibility accessibility) =>
        accessibility is Accessibility.Public or Accessibility.Internal or Accessibility.ProtectedOrInternal;

    /// <summary>
    /// Whether values of the type can cross a grain boundary without a copy: primitives, strings,
    /// enums, common immutable structs, grain references, [Immutable] types and
    /// [GenerateSerializer] types whose members are all read-only and themselves immutable.
    /// </summary>
    public static bool IsKnownImmutable(ITypeSymbol type) => IsKnownImmutable(type, new HashSet<ITypeSymbol>(SymbolEqualityComparer.Default));

    private static bool IsKnownImmutable(ITypeSymbol type, HashSet<ITypeSymbol> visiting)
    {
        switch (type.SpecialType)
        {
            case SpecialType.System_Boolean:
            case SpecialType.System_Char:
            case SpecialType.System_SByte:
            case SpecialType.System_Byte:
            case SpecialType.System_Int16:
            case SpecialType.System_UInt16:
            case SpecialType.System_Int32:
            case SpecialType.System_UInt32:
            case SpecialType.System_Int64:
            case SpecialType.System_UInt64:
            case SpecialType.System_Single:
            case SpecialType.System_Double:
            case SpecialType.System_Decimal:
            case SpecialType.System_String:
            case SpecialType.System_DateTime:
                return true;
        }

        if (type.TypeKind == TypeKind.Enum)
        {
            return true;
        }

        if (type is INamedTypeSymbol { OriginalDefinition.SpecialType: SpecialType.System_Nullable_T } nullable)
        {
            return IsKnownImmutable(nullable.TypeArguments[0], visiting);
        }

        if (type.ContainingNamespace?.ToDisplayString() == "System"
            && type.Name is "DateTimeOffset" or "TimeSpan" or "Guid" or "DateOnly" or "TimeOnly"
            && type is INamedTypeSymbol { IsGenericType: false })
        {
            return true;
        }

        if (IsGrainInterface(type))
        {
            return true;
        }

        if (HasAttribute(type, ImmutableAttributeName))
        {
            return true;
        }

        if (type is INamedTypeSymbol named && !named.IsGenericType && HasAttribute(named, GenerateSerializerAttributeName))
        {
            return IsProvablyImmutable(named, visiting);
        }

        return false;
    }

    /// <summary>
    /// Whether a [GenerateSerializer] type cannot change after construction. A struct is copied by
    /// value, so only its members' types matter; a class also needs every member read-only.
    /// Cycles are treated as mutable, which only costs an unneeded copy.
    /// </summary>
    public static bool IsProvablyImmutable(INamedTypeSymbol type) =>
        HasAttribute(type, ImmutableAttributeName) || IsProvablyImmutable(type, new HashSet<ITypeSymbol>(SymbolEqualityComparer.Default));

    private static bool IsProvablyImmutable(INamedTypeSymbol type, HashSet<ITypeSymbol> visiting)
    {
        if (!visiting.Add(type))
        {
            return false;
        }

        try
        {
            foreach ((ISymbol member, _) in GetIdMembers(type))
            {
                ITypeSymbol memberType;
                bool readOnly;
                switch (member)
                {
                    case IFieldSymbol field:
                        memberType = field.Type;
                        readOnly = field.IsReadOnly;
                        break;
                    case IPropertySymbol property:
                        memberType = property.Type;
                        readOnly = property.SetMethod is null || property.SetMethod.IsInitOnly;
                        break;
                    default:
                        return false;
                }

                if ((!readOnly && !type.IsValueType) || !IsKnownImmutable(memberType, visiting))
                {
                    return false;
                }
            }

            return true;
        }
        finally
        {
            visiting.Remove(type);
        }
    }

    /// <summary>
    /// The [Id] members of a serializable type, base [GenerateSerializer] classes first. An [Id] on a
    /// positional record parameter counts for the property of the same name.
    /// </summary>
    public static List<(ISymbol Member, uint Id)> GetIdMembers(INamedTypeSymbol type)
    {
        List<INamedTypeSymbol> chain = new() { type };
        for (INamedTypeSymbol? current = type.BaseType; current is not null && HasAttribute(current, GenerateSerializerAttributeName); current = current.BaseType)
        {
            chain.Insert(0, current);
        }

        List<(ISymbol, uint)> members = new();
        foreach (INamedTypeSymbol declaring in chain)
        {
            Dictionary<string, uint> parameterIds = new();
            foreach (IMethodSymbol constructor in declaring.InstanceConstructors)
            {
                foreach (IParameterSymbol parameter in constructor.Parameters)
                {
                    if (TryGetId(parameter, out uint id) && IsPrimaryConstructorParameter(parameter))
                    {
                        parameterIds[parameter.Name] = id;
                    }
                }
            }

            foreach (ISymbol member in declaring.GetMembers())
            {
                if (member.IsStatic || member.IsImplicitlyDeclared && member is IFieldSymbol || member is not (IFieldSymbol or IPropertySymbol))
                {
                    continue;
                }

                if (TryGetId(member, out uint id) || parameterIds.TryGetValue(member.Name, out id))
                {
                    members.Add((member, id));
                }
            }
        }

        return members;
    }

    private static bool IsPrimaryConstructorParameter(IParameterSymbol parameter) =>
        parameter.ContainingSymbol is IMethodSymbol method
        && method.ContainingType.IsRecord
        && method.DeclaringSyntaxReferences.Any(r => r.GetSyntax() is Microsoft.CodeAnalysis.CSharp.Syntax.TypeDeclarationSyntax);

    public static bool TryGetId(ISymbol symbol, out uint id)
    {
        AttributeData? attribute = GetAttribute(symbol, IdAttributeName);
        if (attribute is { ConstructorArguments.Length: 1 } && attribute.ConstructorArguments[0].Value is uint value)
        {
            id = value;
            return true;
        }

        id = 0;
        return false;
    }
}
