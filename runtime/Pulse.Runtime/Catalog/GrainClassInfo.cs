using System.Reflection;
using Pulse.Runtime.Invocation;

namespace Pulse.Runtime.Catalog;

/// <summary>What the catalog needs to know about the grain class that implements a grain type.</summary>
internal sealed class GrainClassInfo
{
    public GrainClassInfo(GrainType grainType, GrainClassDescriptor descriptor, TimeSpan defaultCollectionAge)
    {
        GrainType = grainType;
        Descriptor = descriptor;
        Type grainClass = descriptor.GrainClass;
        IsReentrant = grainClass.GetCustomAttribute<ReentrantAttribute>(inherit: true) is not null;
        CollectionAge = grainClass.GetCustomAttribute<CollectionAgeLimitAttribute>(inherit: true)?.Age ?? defaultCollectionAge;
    }

    public GrainType GrainType { get; }

    public GrainClassDescriptor Descriptor { get; }

    public string ClassName => Descriptor.GrainClass.FullName ?? Descriptor.GrainClass.Name;

    /// <summary>Whether every request may interleave (<see cref="ReentrantAttribute"/>).</summary>
    public bool IsReentrant { get; }

    /// <summary>Idle time after which activations are collected.</summary>
    public TimeSpan CollectionAge { get; }
}
