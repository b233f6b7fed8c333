using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Pulse.Runtime.Storage;

namespace Pulse.Runtime.Persistence;

/// <summary>
/// The registration steps every grain storage provider shares, so that each provider's
/// <c>AddXGrainStorage</c> is safe to call twice and registers the same way.
/// </summary>
public static class GrainStorageRegistrationExtensions
{
    /// <summary>Whether a grain storage provider named <paramref name="name"/> is already registered.</summary>
    public static bool IsGrainStorageRegistered(this IServiceCollection services, string name)
    {
        ArgumentNullException.ThrowIfNull(services);
        foreach (ServiceDescriptor descriptor in services)
        {
            if (descriptor.IsKeyedService
                && descriptor.ServiceType == typeof(IGrainStorage)
                && Equals(descriptor.ServiceKey, name))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>Adds the default JSON state serializer (<see cref="JsonGrainStateSerializer"/>) unless a serializer is registered.</summary>
    public static IServiceCollection AddGrainStateSerializer(this IServiceCollection services)
    {
        ArgumentNullException.ThrowIfNull(services);
        services.AddOptions<GrainStateSerializerOptions>();
        services.TryAddSingleton<IGrainStateSerializer, JsonGrainStateSerializer>();
        return services;
    }

    /// <summary>
    /// Registers the keyed provider named <paramref name="name"/> as an <see cref="IStorageInitializer"/>
    /// too, so the silo creates its schema at start. The provider must implement that interface.
    /// </summary>
    public static IServiceCollection AddGrainStorageInitializer(this IServiceCollection services, string name)
    {
        ArgumentNullException.ThrowIfNull(services);
        services.AddSingleton<IStorageInitializer>(sp => (IStorageInitializer)sp.GetRequiredKeyedService<IGrainStorage>(name));
        return services;
    }
}
