using System.Collections.Generic;
using System.Collections.Immutable;
using System.Linq;
using System.Threading;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Pulse.Runtime.Generators.Analysis;
using Pulse.Runtime.Generators.Emit;
using Pulse.Runtime.Generators.Model;

namespace Pulse.Runtime.Generators;

/// <summary>
/// Generates grain references, requests, grain class activators and serializers for the types
/// declared in the compilation, plus one module initializer that registers them all with
/// <c>GeneratedCodeRegistry</c> and <c>CodecRegistry</c>.
/// </summary>
/// <remarks>
/// Each pipeline turns symbols into equatable models right away, so an edit that does not change a
/// model (a method body, a comment) re-emits nothing.
/// </remarks>
[Generator(LanguageNames.CSharp)]
public sealed class PulseGenerator : IIncrementalGenerator
{
    /// <inheritdoc />
    public void Initialize(IncrementalGeneratorInitializationContext context)
    {
        IncrementalValueProvider<string> generatedNamespace = context.CompilationProvider
            .Select(static (compilation, _) => RegistrationEmitter.GeneratedNamespace(compilation.AssemblyName));

        IncrementalValuesProvider<InterfaceModel> interfaces = context.SyntaxProvider
            .CreateSyntaxProvider(
                static (node, _) => node is InterfaceDeclarationSyntax { BaseList: not null },
                static (ctx, ct) => TransformInterface(ctx, ct))
            .Where(static model => model is not null)
            .Select(static (model, _) => model!);

        IncrementalValuesProvider<GrainClassModel> classes = context.SyntaxProvider
            .CreateSyntaxProvider(
                static (node, _) => node is ClassDeclarationSyntax { BaseList: not null },
                static (ctx, ct) => TransformClass(ctx, ct))
            .Where(static model => model is not null)
            .Select(static (model, _) => model!);

        IncrementalValuesProvider<SerializerModel> serializers = context.SyntaxProvider
            .ForAttributeWithMetadataName(
                TypeFacts.GenerateSerializerAttributeName,
                static (node, _) => node is TypeDeclarationSyntax,
                static (ctx, _) => ctx.TargetSymbol is INamedTypeSymbol type ? SerializerModelBuilder.Build(type) : null)
            .Where(static model => model is not null)
            .Select(static (model, _) => model!);

        context.RegisterSourceOutput(interfaces.Combine(generatedNamespace), static (spc, pair) =>
        {
            InterfaceModel model = pair.Left;
            Report(spc, model.Diagnostics);
            if (!model.HasErrors)
            {
                spc.AddSource(model.ContainerName + ".g.cs", InterfaceEmitter.Emit(model, pair.Right));
            }
        });

        context.RegisterSourceOutput(classes.Combine(generatedNamespace), static (spc, pair) =>
        {
            GrainClassModel model = pair.Left;
            Report(spc, model.Diagnostics);
            if (!model.HasErrors)
            {
                spc.AddSource(model.ContainerName + ".g.cs", GrainClassEmitter.Emit(model, pair.Right));
            }
        });

        context.RegisterSourceOutput(serializers.Combine(generatedNamespace), static (spc, pair) =>
        {
            SerializerModel model = pair.Left;
            Report(spc, model.Diagnostics);
            if (!model.HasErrors && !model.IsAbstract)
            {
                spc.AddSource(model.ContainerName + ".g.cs", SerializerEmitter.Emit(model, pair.Right));
            }
        });

        // The registration file needs only names (and aliases, to catch duplicates), so editing a
        // method changes none of its inputs.
        IncrementalValueProvider<ImmutableArray<(string Container, string Alias, string Interface, LocationInfo? Location)>> interfaceNames = interfaces
            .Where(static m => !m.HasErrors)
            .Select(static (m, _) => (m.ContainerName, m.Alias, m.FullName, m.Location))
            .Collect();
        IncrementalValueProvider<ImmutableArray<string>> classNames = classes
            .Where(static m => !m.HasErrors)
            .Select(static (m, _) => m.ContainerName)
            .Collect();
        IncrementalValueProvider<ImmutableArray<string>> serializerNames = serializers
            .Where(static m => !m.HasErrors && !m.IsAbstract)
            .Select(static (m, _) => m.ContainerName)
            .Collect();

        context.RegisterSourceOutput(
            serializerNames.Combine(interfaceNames).Combine(classNames).Combine(generatedNamespace),
            static (spc, input) =>
            {
                ImmutableArray<string> serializerContainers = input.Left.Left.Left;
                var interfaceEntries = input.Left.Left.Right;
                ImmutableArray<string> classContainers = input.Left.Right;
                ReportDuplicateAliases(spc, interfaceEntries);

                // Serializers first: a grain class or interface registration never needs them, but
                // anything a module initializer of a later assembly does may.
                ImmutableArray<string> containers = serializerContainers
                    .Concat(interfaceEntries.Select(e => e.Container))
                    .Concat(classContainers)
                    .ToImmutableArray();
                if (containers.Length > 0)
                {
                    spc.AddSource("PulseModuleInitializer.g.cs", RegistrationEmitter.Emit(containers, input.Right));
                }
            });
    }

    private static InterfaceModel? TransformInterface(GeneratorSyntaxContext context, CancellationToken cancellationToken)
    {
        if (context.SemanticModel.GetDeclaredSymbol(context.Node, cancellationToken) is not INamedTypeSymbol symbol
            || !TypeFacts.IsGrainInterface(symbol)
            || !IsFirstDeclarationWithBaseList(symbol, context.Node, cancellationToken))
        {
            return null;
        }

        return InterfaceModelBuilder.Build(symbol, cancellationToken);
    }

    private static GrainClassModel? TransformClass(GeneratorSyntaxContext context, CancellationToken cancellationToken)
    {
        if (context.SemanticModel.GetDeclaredSymbol(context.Node, cancellationToken) is not INamedTypeSymbol symbol
            || !IsFirstDeclarationWithBaseList(symbol, context.Node, cancellationToken))
        {
            return null;
        }

        return GrainClassModelBuilder.Build(symbol);
    }

    /// <summary>
    /// A partial type can list base types in several declarations; only the first of them produces
    /// a model, so the type is generated (and its diagnostics reported) once.
    /// </summary>
    private static bool IsFirstDeclarationWithBaseList(INamedTypeSymbol symbol, SyntaxNode node, CancellationToken cancellationToken)
    {
        foreach (SyntaxReference reference in symbol.DeclaringSyntaxReferences)
        {
            if (reference.GetSyntax(cancellationToken) is TypeDeclarationSyntax { BaseList: not null } declaration)
            {
                return declaration == node;
            }
        }

        return false;
    }

    private static void Report(SourceProductionContext context, EquatableArray<DiagnosticInfo> diagnostics)
    {
        foreach (DiagnosticInfo diagnostic in diagnostics)
        {
            context.ReportDiagnostic(diagnostic.ToDiagnostic());
        }
    }

    private static void ReportDuplicateAliases(
        SourceProductionContext context,
        ImmutableArray<(string Container, string Alias, string Interface, LocationInfo? Location)> interfaces)
    {
        Dictionary<string, string> seen = new();
        foreach (var entry in interfaces.OrderBy(e => e.Interface, System.StringComparer.Ordinal))
        {
            if (seen.TryGetValue(entry.Alias, out string? first))
            {
                context.ReportDiagnostic(Diagnostic.Create(
                    DiagnosticDescriptors.DuplicateGrainTypeAlias,
                    entry.Location?.ToLocation(),
                    entry.Alias,
                    first.Replace("global::", string.Empty),
                    entry.Interface.Replace("global::", string.Empty)));
                continue;
            }

            seen.Add(entry.Alias, entry.Interface);
        }
    }
}
