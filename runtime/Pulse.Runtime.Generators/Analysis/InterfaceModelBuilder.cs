using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Threading;
using Microsoft.CodeAnalysis;
using Pulse.Runtime.Generators.Model;

namespace Pulse.Runtime.Generators.Analysis;

/// <summary>Turns a grain interface symbol into an <see cref="InterfaceModel"/>, validating it on the way.</summary>
internal static class InterfaceModelBuilder
{
    private const int ReadOnlyOption = 1;
    private const int AlwaysInterleaveOption = 2;
    private const int OneWayOption = 4;
    private const int IdempotentOption = 8;
    private const int ReturnsTaskOption = 16;

    public static InterfaceModel Build(INamedTypeSymbol symbol, CancellationToken cancellationToken)
    {
        List<DiagnosticInfo> diagnostics = new();
        LocationInfo? location = LocationInfo.From(symbol.Locations.FirstOrDefault());
        string display = TypeFacts.SignatureName(symbol);

        if (symbol.IsGenericType)
        {
            diagnostics.Add(Diagnostic(DiagnosticDescriptors.GenericGrainInterface, location, display));
        }

        if (!TypeFacts.IsAccessibleFromAssembly(symbol))
        {
            diagnostics.Add(Diagnostic(DiagnosticDescriptors.InaccessibleType, location, display));
        }

        string alias = display;
        AttributeData? aliasAttribute = TypeFacts.GetAttribute(symbol, TypeFacts.GrainTypeAttributeName);
        if (aliasAttribute is { ConstructorArguments.Length: 1 })
        {
            alias = aliasAttribute.ConstructorArguments[0].Value as string ?? string.Empty;
            if (alias.Length == 0)
            {
                diagnostics.Add(Diagnostic(DiagnosticDescriptors.InvalidGrainTypeAlias, location, display));
            }
        }

        // The interface's own members first, then inherited ones, so ids and names read naturally.
        List<INamedTypeSymbol> declaringInterfaces = new() { symbol };
        // Non-grain base interfaces count too: the proxy must implement them, and validation then
        // rejects members that cannot be called remotely. Only the markers are skipped.
        declaringInterfaces.AddRange(symbol.AllInterfaces.Where(i => !IsMarkerInterface(i)));

        List<MethodModel> methods = new();
        Dictionary<uint, string> methodsById = new();
        foreach (INamedTypeSymbol declaring in declaringInterfaces)
        {
            foreach (ISymbol member in declaring.GetMembers())
            {
                cancellationToken.ThrowIfCancellationRequested();
                if (member.IsStatic)
                {
                    continue;
                }

                LocationInfo? memberLocation = LocationInfo.From(member.Locations.FirstOrDefault()) ?? location;
                switch (member)
                {
                    case IPropertySymbol property:
                        diagnostics.Add(Diagnostic(DiagnosticDescriptors.PropertyOrEventOnGrainInterface, memberLocation, TypeFacts.SignatureName(declaring), "property", property.Name));
                        continue;
                    case IEventSymbol @event:
                        diagnostics.Add(Diagnostic(DiagnosticDescriptors.PropertyOrEventOnGrainInterface, memberLocation, TypeFacts.SignatureName(declaring), "event", @event.Name));
                        continue;
                    case IMethodSymbol { MethodKind: MethodKind.Ordinary } method:
                        MethodModel? model = BuildMethod(method, declaring, memberLocation, diagnostics);
                        if (model is null)
                        {
                            continue;
                        }

                        if (methodsById.TryGetValue(model.MethodId, out string? existing))
                        {
                            diagnostics.Add(Diagnostic(
                                DiagnosticDescriptors.MethodIdCollision,
                                memberLocation,
                                display,
                                existing,
                                model.Signature,
                                model.MethodId.ToString("X8", CultureInfo.InvariantCulture)));
                            continue;
                        }

                        methodsById.Add(model.MethodId, model.Signature);
                        methods.Add(model);
                        break;
                }
            }
        }

        return new InterfaceModel(
            TypeFacts.Code(symbol),
            "PulseInterface_" + TypeFacts.FlatName(symbol),
            alias,
            location,
            new EquatableArray<MethodModel>(methods.ToArray()),
            new EquatableArray<DiagnosticInfo>(diagnostics.ToArray()));
    }

    private static MethodModel? BuildMethod(IMethodSymbol method, INamedTypeSymbol declaring, LocationInfo? location, List<DiagnosticInfo> diagnostics)
    {
        string methodDisplay = TypeFacts.SignatureName(declaring) + "." + method.Name;
        bool valid = true;
        if (method.IsGenericMethod)
        {
            diagnostics.Add(Diagnostic(DiagnosticDescriptors.GenericGrainMethod, location, methodDisplay));
            valid = false;
        }

        int options = 0;
        options |= TypeFacts.HasAttribute(method, "Pulse.Runtime.ReadOnlyAttribute") ? ReadOnlyOption : 0;
        options |= TypeFacts.HasAttribute(method, "Pulse.Runtime.AlwaysInterleaveAttribute") ? AlwaysInterleaveOption : 0;
        options |= TypeFacts.HasAttribute(method, "Pulse.Runtime.OneWayAttribute") ? OneWayOption : 0;
        options |= TypeFacts.HasAttribute(method, "Pulse.Runtime.IdempotentAttribute") ? IdempotentOption : 0;

        ReturnKind? kind = ClassifyReturn(method.ReturnType, out string resultType);
        if (kind is null)
        {
            diagnostics.Add(Diagnostic(DiagnosticDescriptors.InvalidReturnType, location, methodDisplay, method.ReturnType.ToDisplayString()));
            valid = false;
        }
        else if ((options & OneWayOption) != 0 && kind is ReturnKind.TaskOfT or ReturnKind.ValueTaskOfT)
        {
            diagnostics.Add(Diagnostic(DiagnosticDescriptors.OneWayWithResult, location, methodDisplay, method.ReturnType.ToDisplayString()));
            valid = false;
        }

        if (kind is ReturnKind.Task or ReturnKind.TaskOfT)
        {
            options |= ReturnsTaskOption;
        }

        List<ParameterModel> parameters = new();
        uint fieldId = 0;
        foreach (IParameterSymbol parameter in method.Parameters)
        {
            if (parameter.RefKind != RefKind.None)
            {
                diagnostics.Add(Diagnostic(DiagnosticDescriptors.ByRefParameter, LocationInfo.From(parameter.Locations.FirstOrDefault()) ?? location, methodDisplay, parameter.Name));
                valid = false;
                continue;
            }

            bool isToken = TypeFacts.IsCancellationToken(parameter.Type);
            parameters.Add(new ParameterModel(
                TypeFacts.Escape(parameter.Name),
                TypeFacts.Code(parameter.Type),
                isToken,
                isToken || TypeFacts.IsKnownImmutable(parameter.Type),
                isToken ? string.Empty : "Arg" + fieldId.ToString(CultureInfo.InvariantCulture),
                isToken ? 0 : fieldId));
            if (!isToken)
            {
                fieldId++;
            }
        }

        if (!valid)
        {
            return null;
        }

        string signature = TypeFacts.MethodSignature(method);
        uint methodId = MurmurHash3.Compute(signature);
        return new MethodModel(
            method.Name,
            TypeFacts.Code(declaring),
            kind!.Value,
            TypeFacts.Code(method.ReturnType),
            resultType,
            methodId,
            signature,
            options,
            "Request_" + method.Name + "_" + methodId.ToString("X8", CultureInfo.InvariantCulture),
            new EquatableArray<ParameterModel>(parameters.ToArray()));
    }

    private static bool IsMarkerInterface(INamedTypeSymbol type) =>
        type.ToDisplayString() is TypeFacts.GrainWithStringKeyName or "Pulse.Runtime.IGrain" or "Pulse.Runtime.IAddressable";

    private static ReturnKind? ClassifyReturn(ITypeSymbol returnType, out string resultType)
    {
        resultType = "global::Pulse.Runtime.Invocation.NoResult";
        if (returnType is not INamedTypeSymbol named || named.ContainingNamespace?.ToDisplayString() != "System.Threading.Tasks")
        {
            return null;
        }

        switch (named.Name)
        {
            case "Task" when named.TypeArguments.Length == 0:
                return ReturnKind.Task;
            case "ValueTask" when named.TypeArguments.Length == 0:
                return ReturnKind.ValueTask;
            case "Task" when named.TypeArguments.Length == 1:
                resultType = TypeFacts.Code(named.TypeArguments[0]);
                return ReturnKind.TaskOfT;
            case "ValueTask" when named.TypeArguments.Length == 1:
                resultType = TypeFacts.Code(named.TypeArguments[0]);
                return ReturnKind.ValueTaskOfT;
            default:
                return null;
        }
    }

    internal static DiagnosticInfo Diagnostic(DiagnosticDescriptor descriptor, LocationInfo? location, params string[] arguments) =>
        new(descriptor, location, new EquatableArray<string>(arguments));
}
