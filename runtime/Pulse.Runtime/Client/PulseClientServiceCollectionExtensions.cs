using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using Pulse.Runtime.Client;
using Pulse.Runtime.Configuration;
using Pulse.Runtime.Invocation;
using Pulse.Runtime.Networking;

namespace Pulse.Runtime.Hosting;

/// <summary>Registers a Pulse cluster client (a node that calls grains but hosts none).</summary>
public static class PulseClientServiceCollectionExtensions
{
    /// <summary>
    /// Adds a <see cref="ClusterClient"/> started with the host. Register the cluster's membership table
    /// too (<c>UsePostgresMembership</c>, <c>UseSqliteMembership</c>, <c>UseInMemoryMembership</c>). Safe to call twice.
    /// </summary>
    public static IServiceCollection AddPulseClient(this IServiceCollection services, Action<ClusterClientOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(services);
        if (configure is not null)
        {
            services.Configure(configure);
        }

        if (services.Any(descriptor => descriptor.ServiceType == typeof(ClusterClient)))
        {
            return services;
        }

        services.TryAddSingleton(TimeProvider.System);
        services.AddLogging();
        services.AddOptions<ClusterOptions>().ValidateOnStart();
        services.AddOptions<NetworkingOptions>().ValidateOnStart();
        services.AddOptions<MessagingOptions>().ValidateOnStart();
        services.AddOptions<ClusterClientOptions>().ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<ClusterOptions>, ClusterOptionsValidator>());
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<NetworkingOptions>, NetworkingOptionsValidator>());
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<MessagingOptions>, MessagingOptionsValidator>());
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<ClusterClientOptions>, ClusterClientOptionsValidator>());
        services.TryAddSingleton<INetworkFaults>(NoNetworkFaults.Instance);
        services.TryAddSingleton<PendingCallTable>();
        services.TryAddSingleton<GrainFactory>();
        services.TryAddSingleton<IGrainFactory>(sp => sp.GetRequiredService<GrainFactory>());
        services.TryAddSingleton<GrainCallInvoker>();
        services.TryAddSingleton<IGrainCallInvoker>(sp => sp.GetRequiredService<GrainCallInvoker>());
        services.AddSingleton<ClusterClient>();
        services.AddHostedService(sp => sp.GetRequiredService<ClusterClient>());
        return services;
    }
}
