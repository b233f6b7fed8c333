using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Pulse.Gateway.Api.Logging;

namespace Pulse.Gateway.Api.Caching;

/// <summary>Registers the cache API.</summary>
public static class CacheServiceCollectionExtensions
{
    /// <summary>Adds the cache API's options (<c>Pulse:Cache</c>, validated at start and logged) and its JSON metadata. Safe to call twice.</summary>
    public static IServiceCollection AddPulseCaching(this IServiceCollection services, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        if (services.Any(descriptor => descriptor.ServiceType == typeof(CacheApiMarker)))
        {
            return services;
        }

        services.AddSingleton<CacheApiMarker>();
        services.AddOptions<CacheApiOptions>().Bind(configuration.GetSection(CacheApiOptions.SectionName)).ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<CacheApiOptions>, CacheApiOptionsValidator>());
        services.AddHostedService<CacheApiStartupLog>();
        services.ConfigureHttpJsonOptions(options => options.SerializerOptions.TypeInfoResolverChain.Add(CacheJsonContext.Default));
        return services;
    }

    /// <summary>Marks that the cache API was added, so a second call changes nothing.</summary>
    private sealed class CacheApiMarker;
}

/// <summary>Logs the cache API's settings once at start.</summary>
internal sealed class CacheApiStartupLog(IOptions<CacheApiOptions> options, ILogger<CacheApiStartupLog> logger) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken)
    {
        CacheApiOptions value = options.Value;
        GatewayApiLog.CacheOptionsInEffect(logger, value.MaxValueBytes, value.MaxBatchBodyBytes, value.MaxWait, value.MaxLease);
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
