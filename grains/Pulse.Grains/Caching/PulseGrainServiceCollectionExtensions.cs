using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace Pulse.Grains.Caching;

/// <summary>Registers the silo-side services of Pulse's grains.</summary>
public static class PulseGrainServiceCollectionExtensions
{
    /// <summary>
    /// Adds the per-silo services the grains of <c>Pulse.Grains</c> need (the cache's read reporter and
    /// memory-pressure watcher), with <see cref="CacheOptions"/> validated at start-up.
    /// </summary>
    public static IServiceCollection AddPulseGrainServices(this IServiceCollection services)
    {
        ArgumentNullException.ThrowIfNull(services);
        if (services.Any(static service => service.ServiceType == typeof(CacheSiloActivity)))
        {
            return services;
        }

        services.AddOptions<CacheOptions>().BindConfiguration(CacheOptions.SectionName).ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<CacheOptions>, CacheOptionsValidator>());
        services.AddSingleton<CacheSiloActivity>();
        services.AddHostedService(sp => sp.GetRequiredService<CacheSiloActivity>());
        return services;
    }
}
