using System.Collections.Concurrent;
using System.Reflection;
using System.Runtime.CompilerServices;

namespace Pulse.Runtime.Invocation;

/// <summary>Marks an assembly that holds Pulse generated code; its module initializer registers it.</summary>
[AttributeUsage(AttributeTargets.Assembly)]
public sealed class PulseGeneratedCodeAttribute : Attribute
{
}

/// <summary>A grain interface as the generator saw it.</summary>
public sealed class GrainInterfaceDescriptor
{
    /// <summary>Creates a descriptor.</summary>
    public GrainInterfaceDescriptor(
        Type interfaceType,
        GrainType grainType,
        Func<GrainId, IGrainCallInvoker, GrainReference> createReference,
        Func<uint, GrainRequest?> createRequest,
        IReadOnlyList<GrainMethodDescriptor> methods)
    {
        InterfaceType = interfaceType;
        GrainType = grainType;
        CreateReference = createReference;
        CreateRequest = createRequest;
        Methods = methods;
    }

    /// <summary>The interface.</summary>
    public Type InterfaceType { get; }

    /// <summary>Its alias: the grain type of every reference created through it.</summary>
    public GrainType GrainType { get; }

    /// <summary>Creates a reference (the generated proxy) for a grain id.</summary>
    public Func<GrainId, IGrainCallInvoker, GrainReference> CreateReference { get; }

    /// <summary>Creates an empty request for a method id (null for an unknown id), to be filled by deserialization.</summary>
    public Func<uint, GrainRequest?> CreateRequest { get; }

    /// <summary>All methods callable through the interface, inherited ones included.</summary>
    public IReadOnlyList<GrainMethodDescriptor> Methods { get; }
}

/// <summary>A grain class as the generator saw it.</summary>
public sealed class GrainClassDescriptor
{
    /// <summary>Creates a descriptor.</summary>
    public GrainClassDescriptor(Type grainClass, IReadOnlyList<Type> grainInterfaces, Func<IServiceProvider, IGrainContext, object> activator)
    {
        GrainClass = grainClass;
        GrainInterfaces = grainInterfaces;
        Activator = activator;
    }

    /// <summary>The class.</summary>
    public Type GrainClass { get; }

    /// <summary>The grain interfaces it implements (those deriving from <see cref="IGrainWithStringKey"/>).</summary>
    public IReadOnlyList<Type> GrainInterfaces { get; }

    /// <summary>
    /// Constructs an instance, resolving constructor parameters from services and creating the
    /// <see cref="Storage.PersistentStateAttribute"/>-marked states through <see cref="Storage.IPersistentStateFactory"/>.
    /// The runtime sets <see cref="RuntimeContext.Current"/> around the call.
    /// </summary>
    public Func<IServiceProvider, IGrainContext, object> Activator { get; }
}

/// <summary>
/// Where generated code registers grain interfaces, grain classes, codecs and copiers. Types are
/// process-wide, so this registry is too; each silo picks the classes it hosts from it.
/// </summary>
public static class GeneratedCodeRegistry
{
    private static readonly ConcurrentDictionary<Type, GrainInterfaceDescriptor> s_interfacesByType = new();
    private static readonly ConcurrentDictionary<GrainType, GrainInterfaceDescriptor> s_interfacesByGrainType = new();
    private static readonly ConcurrentDictionary<Type, GrainClassDescriptor> s_classes = new();
    private static readonly ConcurrentDictionary<Assembly, bool> s_loadedAssemblies = new();

    /// <summary>Registers a grain interface (generated module initializers call this).</summary>
    /// <exception cref="InvalidOperationException">Another interface already uses the same alias.</exception>
    public static void RegisterGrainInterface(GrainInterfaceDescriptor descriptor)
    {
        ArgumentNullException.ThrowIfNull(descriptor);
        GrainInterfaceDescriptor existing = s_interfacesByGrainType.GetOrAdd(descriptor.GrainType, descriptor);
        if (existing.InterfaceType != descriptor.InterfaceType)
        {
            throw new InvalidOperationException(
                $"Grain interfaces {existing.InterfaceType} and {descriptor.InterfaceType} both use the grain type alias '{descriptor.GrainType}'.");
        }

        s_interfacesByType[descriptor.InterfaceType] = descriptor;
    }

    /// <summary>Registers a grain class (generated module initializers call this).</summary>
    public static void RegisterGrainClass(GrainClassDescriptor descriptor)
    {
        ArgumentNullException.ThrowIfNull(descriptor);
        s_classes[descriptor.GrainClass] = descriptor;
    }

    /// <summary>Finds a grain interface by its CLR type.</summary>
    public static bool TryGetGrainInterface(Type interfaceType, out GrainInterfaceDescriptor descriptor) =>
        s_interfacesByType.TryGetValue(interfaceType, out descriptor!);

    /// <summary>Finds a grain interface by its grain type alias.</summary>
    public static bool TryGetGrainInterface(GrainType grainType, out GrainInterfaceDescriptor descriptor) =>
        s_interfacesByGrainType.TryGetValue(grainType, out descriptor!);

    /// <summary>Every grain class registered so far.</summary>
    public static IReadOnlyCollection<GrainClassDescriptor> GrainClasses => (IReadOnlyCollection<GrainClassDescriptor>)s_classes.Values;

    /// <summary>
    /// Runs the module initializers of <paramref name="assembly"/> and of every assembly it references
    /// that carries <see cref="PulseGeneratedCodeAttribute"/>, so their generated code is registered
    /// even if none of their types was touched yet.
    /// </summary>
    public static void EnsureLoaded(Assembly assembly)
    {
        ArgumentNullException.ThrowIfNull(assembly);
        if (!s_loadedAssemblies.TryAdd(assembly, true))
        {
            return;
        }

        if (assembly.IsDefined(typeof(PulseGeneratedCodeAttribute), inherit: false))
        {
            RuntimeHelpers.RunModuleConstructor(assembly.ManifestModule.ModuleHandle);
        }

        foreach (AssemblyName reference in assembly.GetReferencedAssemblies())
        {
            if (IsFrameworkAssembly(reference))
            {
                continue;
            }

            Assembly loaded;
            try
            {
                loaded = Assembly.Load(reference);
            }
            catch (FileNotFoundException)
            {
                continue;
            }

            EnsureLoaded(loaded);
        }
    }

    private static bool IsFrameworkAssembly(AssemblyName name)
    {
        string? simple = name.Name;
        return simple is null
            || simple.StartsWith("System", StringComparison.Ordinal)
            || simple.StartsWith("Microsoft.", StringComparison.Ordinal)
            || simple is "mscorlib" or "netstandard"
            || simple.StartsWith("xunit", StringComparison.Ordinal);
    }
}
