using System.Reflection;
using Pulse.Runtime.Invocation;

namespace Pulse.Runtime.Catalog;

/// <summary>What the catalog needs to know about the grain class that implements a grain type.</summary>
internal sealed class GrainClassInfo
{
    private ActivationCatalog? _catalog;

    public GrainClassInfo(GrainType grainType, GrainClassDescriptor descriptor, TimeSpan defaultCollectionAge)
    {
        GrainType = grainType;
        Descriptor = descriptor;
        Type grainClass = descriptor.GrainClass;
        IsReentrant = grainClass.GetCustomAttribute<ReentrantAttribute>(inherit: true) is not null;
        CollectionAge = grainClass.GetCustomAttribute<CollectionAgeLimitAttribute>(inherit: true)?.Age ?? defaultCollectionAge;
    }

    public GrainType GrainType { get; }

    /// <summary>
    /// The catalog of the silo whose registry holds this class info, so an activation reaches both
    /// through one field.
    /// </summary>
    public ActivationCatalog Catalog => _catalog ?? throw new InvalidOperationException($"The class info of {ClassName} is not bound to a catalog yet.");

    public GrainClassDescriptor Descriptor { get; }

    public string ClassName => Descriptor.GrainClass.FullName ?? Descriptor.GrainClass.Name;

    /// <summary>Binds the class info to the one catalog of its silo.</summary>
    public void Bind(ActivationCatalog catalog)
    {
        if (Interlocked.CompareExchange(ref _catalog, catalog, null) is { } bound && !ReferenceEquals(bound, catalog))
        {
            throw new InvalidOperationException($"The class info of {ClassName} is already bound to another catalog; each silo has its own registry.");
        }
    }

    /// <summary>Whether every request may interleave (<see cref="ReentrantAttribute"/>).</summary>
    public bool IsReentrant { get; }

    /// <summary>Idle time after which activations are collected.</summary>
    public TimeSpan CollectionAge { get; }
}
