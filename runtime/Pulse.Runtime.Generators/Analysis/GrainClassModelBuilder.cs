using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Pulse.Runtime.Generators.Model;

namespace Pulse.Runtime.Generators.Analysis;

/// <summary>Turns a grain class into a <see cref="GrainClassModel"/>: its interfaces and activator arguments.</summary>
internal static class GrainClassModelBuilder
{
    private const string Helpers = "global::Pulse.Runtime.Invocation.GrainActivatorHelpers";

    public static GrainClassModel? Build(INamedTypeSymbol symbol)
    {
        if (symbol.IsAbstract || symbol.IsStatic || !TypeFacts.DerivesFromGrain(symbol))
        {
            return null;
        }

        string[] interfaces = symbol.AllInterfaces
            .Where(TypeFacts.IsGrainInterface)
            .Select(TypeFacts.Code)
            .ToArray();
        if (interfaces.Length == 0)
        {
            return null;
        }

        List<DiagnosticInfo> diagnostics = new();
        LocationInfo? location = LocationInfo.From(symbol.Locations.FirstOrDefault());
        string display = TypeFacts.SignatureName(symbol);
        if (symbol.IsGenericType)
        {
            diagnostics.Add(InterfaceModelBuilder.Diagnostic(DiagnosticDescriptors.GenericGrainClass, location, display));
        }

        if (!TypeFacts.IsAccessibleFromAssembly(symbol))
        {
            diagnostics.Add(InterfaceModelBuilder.Diagnostic(DiagnosticDescriptors.InaccessibleType, location, display));
        }

        IMethodSymbol[] constructors = symbol.InstanceConstructors
            .Where(c => c.DeclaredAccessibility == Accessibility.Public)
            .ToArray();
        List<string> arguments = new();
        if (constructors.Length != 1)
        {
            diagnostics.Add(InterfaceModelBuilder.Diagnostic(
                DiagnosticDescriptors.GrainClassConstructor, location, display, constructors.Length.ToString(CultureInfo.InvariantCulture)));
        }
        else
        {
            int index = 0;
            foreach (IParameterSymbol parameter in constructors[0].Parameters)
            {
                arguments.Add(ResolveArgument(parameter, index++));
            }
        }

        return new GrainClassModel(
            TypeFacts.Code(symbol),
            "PulseGrainClass_" + TypeFacts.FlatName(symbol),
            new EquatableArray<string>(interfaces),
            new EquatableArray<string>(arguments.ToArray()),
            new EquatableArray<DiagnosticInfo>(diagnostics.ToArray()));
    }

    /// <summary>The C# expression that produces one constructor argument from (sp, ctx).</summary>
    private static string ResolveArgument(IParameterSymbol parameter, int index)
    {
        ITypeSymbol type = parameter.Type;
        AttributeData? state = TypeFacts.GetAttribute(parameter, TypeFacts.PersistentStateAttributeName);
        if (state is not null
            && type is INamedTypeSymbol { Name: "IPersistentState", TypeArguments.Length: 1 } persistent
            && persistent.ContainingNamespace.ToDisplayString() == "Pulse.Runtime.Storage")
        {
            string stateName = state.ConstructorArguments.Length > 0 ? state.ConstructorArguments[0].Value as string ?? string.Empty : string.Empty;
            string? storageName = state.ConstructorArguments.Length > 1 ? state.ConstructorArguments[1].Value as string : null;
            return $"{Helpers}.GetPersistentState<{TypeFacts.Code(persistent.TypeArguments[0])}>(sp, ctx, {Literal(stateName)}, {(storageName is null ? "null" : Literal(storageName))})";
        }

        switch (type.ToDisplayString(SymbolDisplayFormat.FullyQualifiedFormat))
        {
            case "global::Pulse.Runtime.IGrainContext":
                return "ctx";
            case "global::Pulse.Runtime.IGrainFactory":
                return "ctx.GrainFactory";
            case "global::System.IServiceProvider":
                return "sp";
        }

        if (parameter.HasExplicitDefaultValue)
        {
            // The declared default applies when the service is missing, as for an ordinary call.
            string typeName = TypeFacts.Code(type);
            string local = "__p" + index.ToString(CultureInfo.InvariantCulture);

            // A pattern cannot test for Nullable<T>; services of such parameters are registered as T.
            string serviceType = type is INamedTypeSymbol { OriginalDefinition.SpecialType: SpecialType.System_Nullable_T } nullable
                ? TypeFacts.Code(nullable.TypeArguments[0])
                : TypeFacts.CodeNotNull(type);
            return $"(sp.GetService(typeof({serviceType})) is {serviceType} {local} ? {local} : {DefaultValue(type, parameter.ExplicitDefaultValue, typeName)})";
        }

        if (type.NullableAnnotation == NullableAnnotation.Annotated)
        {
            return $"{Helpers}.GetService<{TypeFacts.Code(type)}>(sp)";
        }

        return $"{Helpers}.GetRequiredService<{TypeFacts.CodeNotNull(type)}>(sp)";
    }

    private static string DefaultValue(ITypeSymbol type, object? value, string typeName)
    {
        if (value is null)
        {
            return $"default({typeName})";
        }

        if (type.TypeKind == TypeKind.Enum || (type is INamedTypeSymbol { OriginalDefinition.SpecialType: SpecialType.System_Nullable_T } n && n.TypeArguments[0].TypeKind == TypeKind.Enum))
        {
            return $"({typeName})({SymbolDisplay.FormatPrimitive(value, quoteStrings: true, useHexadecimalNumbers: false)})";
        }

        return value switch
        {
            string text => Literal(text),
            char c => SymbolDisplay.FormatLiteral(c, quote: true),
            bool b => b ? "true" : "false",
            double d when double.IsNaN(d) || double.IsInfinity(d) => $"({typeName})(double.{(double.IsNaN(d) ? "NaN" : d > 0 ? "PositiveInfinity" : "NegativeInfinity")})",
            float f when float.IsNaN(f) || float.IsInfinity(f) => $"({typeName})(float.{(float.IsNaN(f) ? "NaN" : f > 0 ? "PositiveInfinity" : "NegativeInfinity")})",
            double d => $"({typeName})({d.ToString("R", CultureInfo.InvariantCulture)}d)",
            float f => $"({typeName})({f.ToString("R", CultureInfo.InvariantCulture)}f)",
            decimal m => $"({typeName})({m.ToString(CultureInfo.InvariantCulture)}m)",
            _ => $"({typeName})({SymbolDisplay.FormatPrimitive(value, quoteStrings: true, useHexadecimalNumbers: false)})",
        };
    }

    private static string Literal(string value) => SymbolDisplay.FormatLiteral(value, quote: true);
}
