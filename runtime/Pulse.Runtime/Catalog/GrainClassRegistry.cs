using System.Reflection;
using Microsoft.Extensions.Options;
using Pulse.Runtime.Configuration;
using Pulse.Runtime.Invocation;

namespace Pulse.Runtime.Catalog;

/// <summary>Options naming extra assemblies whose grain classes a silo hosts.</summary>
public sealed class GrainAssemblyOptions
{
    /// <summary>Assemblies to load generated code from, besides the entry assembly and loaded ones.</summary>
    public List<Assembly> Assemblies { get; } = [];
}

/// <summary>
/// Maps each grain type (interface alias) to the one class that implements it. Built once at start
/// from the generated code of the grain assemblies. A grain type implemented by two classes is
/// ambiguous: calls to it fail with a message naming both.
/// </summary>
internal sealed class GrainClassRegistry
{
    private readonly Dictionary<GrainType, GrainClassInfo> _classes = [];
    private readonly Dictionary<GrainType, string> _ambiguous = [];

    public GrainClassRegistry(IOptions<GrainAssemblyOptions> assemblies, IOptions<GrainCollectionOptions> collection)
    {
        LoadGeneratedCode(assemblies.Value.Assemblies);
        foreach (GrainClassDescriptor descriptor in GeneratedCodeRegistry.GrainClasses)
        {
            foreach (Type grainInterface in descriptor.GrainInterfaces)
            {
                if (!GeneratedCodeRegistry.TryGetGrainInterface(grainInterface, out GrainInterfaceDescriptor interfaceDescriptor))
                {
                    GeneratedCodeRegistry.EnsureLoaded(grainInterface.Assembly);
                    if (!GeneratedCodeRegistry.TryGetGrainInterface(grainInterface, out interfaceDescriptor))
                    {
                        continue;
                    }
                }

                GrainType grainType = interfaceDescriptor.GrainType;
                if (_ambiguous.ContainsKey(grainType))
                {
                    continue;
                }

                if (_classes.TryGetValue(grainType, out GrainClassInfo? existing) && existing.Descriptor.GrainClass != descriptor.GrainClass)
                {
                    // A base interface shared by several classes is fine until someone calls it directly.
                    _ambiguous[grainType] = $"Grain type '{grainType}' is implemented by both {existing.ClassName} and {descriptor.GrainClass.FullName}; call it through a more specific interface.";
                    _classes.Remove(grainType);
                    continue;
                }

                _classes[grainType] = new GrainClassInfo(grainType, descriptor, collection.Value.CollectionAge);
            }
        }

    }

    public IReadOnlyCollection<GrainClassInfo> Classes => _classes.Values;

    public bool TryGetClass(GrainType grainType, out GrainClassInfo info) => _classes.TryGetValue(grainType, out info!);

    /// <summary>Why a grain type has no class here: ambiguous, or not implemented by any loaded class.</summary>
    public string DescribeMissing(GrainType grainType) =>
        _ambiguous.TryGetValue(grainType, out string? reason)
            ? reason
            : $"No grain class implements grain type '{grainType}' in this silo.";

    private static void LoadGeneratedCode(IEnumerable<Assembly> extra)
    {
        if (Assembly.GetEntryAssembly() is { } entry)
        {
            GeneratedCodeRegistry.EnsureLoaded(entry);
        }

        foreach (Assembly assembly in extra)
        {
            GeneratedCodeRegistry.EnsureLoaded(assembly);
        }

        // Test runners and plug-in hosts load grain assemblies that the entry assembly does not reference.
        foreach (Assembly assembly in AppDomain.CurrentDomain.GetAssemblies())
        {
            if (!assembly.IsDynamic && assembly.IsDefined(typeof(PulseGeneratedCodeAttribute), inherit: false))
            {
                GeneratedCodeRegistry.EnsureLoaded(assembly);
            }
        }
    }
}
