namespace Pulse.Runtime.Invocation;

/// <summary>Creates grain references bound to an invoker (the local silo, or later a cluster client).</summary>
internal sealed class GrainFactory : IGrainFactory
{
    private IGrainCallInvoker? _invoker;

    /// <summary>Set once at start: the invoker needs the factory and the factory needs the invoker.</summary>
    internal void Bind(IGrainCallInvoker invoker) => _invoker = invoker;

    public TGrainInterface GetGrain<TGrainInterface>(string key)
        where TGrainInterface : IGrainWithStringKey
    {
        IGrainCallInvoker invoker = _invoker ?? throw new InvalidOperationException("The grain factory is not bound to a runtime yet.");
        GrainInterfaceDescriptor descriptor = GrainInterfaceCache<TGrainInterface>.Descriptor;
        return (TGrainInterface)(object)descriptor.CreateReference(new GrainId(descriptor.GrainType, key), invoker);
    }

    /// <summary>The generated descriptor of one grain interface, looked up once per interface type.</summary>
    private static class GrainInterfaceCache<TGrainInterface>
    {
        public static readonly GrainInterfaceDescriptor Descriptor = Resolve();

        private static GrainInterfaceDescriptor Resolve()
        {
            Type type = typeof(TGrainInterface);
            if (!GeneratedCodeRegistry.TryGetGrainInterface(type, out GrainInterfaceDescriptor descriptor))
            {
                GeneratedCodeRegistry.EnsureLoaded(type.Assembly);
                if (!GeneratedCodeRegistry.TryGetGrainInterface(type, out descriptor))
                {
                    throw new InvalidOperationException(
                        $"{type} has no generated grain reference. Is it an interface deriving from IGrainWithStringKey in a project with PulseCodeGen enabled?");
                }
            }

            return descriptor;
        }
    }
}
