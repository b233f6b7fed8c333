using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using Pulse.Gateway.Api.Authentication;

namespace Pulse.Gateway.Api.RateLimiting;

/// <summary>Registers the rate-limit API.</summary>
public static class RateLimitServiceCollectionExtensions
{
    /// <summary>Adds the rate-limit services, the tenant request quota and their options (<c>Pulse:RateLimit</c>).</summary>
    public static IServiceCollection AddPulseRateLimiting(this IServiceCollection services, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        services.AddOptions<RateLimitOptions>().Bind(configuration.GetSection("Pulse:RateLimit")).ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<RateLimitOptions>, RateLimitOptionsValidator>());
        services.TryAddSingleton<RateLimitPolicyCache>();
        services.TryAddSingleton<RateLimitRequestResolver>();
        services.TryAddSingleton<RateLimitService>();
        services.TryAddSingleton<RateLimitStatsCollector>();
        services.AddHostedService(sp => sp.GetRequiredService<RateLimitStatsCollector>());
        services.TryAddSingleton<ITenantRequestQuota, TenantRequestQuota>();
        services.ConfigureHttpJsonOptions(options => options.SerializerOptions.TypeInfoResolverChain.Add(RateLimitJsonContext.Default));
        return services;
    }
}
