using System.Reflection;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using Pulse.Runtime.Catalog;
using Pulse.Runtime.Configuration;
using Pulse.Runtime.Diagnostics;
using Pulse.Runtime.Invocation;
using Pulse.Runtime.Persistence;
using Pulse.Runtime.Storage;

namespace Pulse.Runtime.Hosting;

/// <summary>Registers a Pulse silo in a host.</summary>
public static class PulseSiloServiceCollectionExtensions
{
    /// <summary>
    /// Adds the silo runtime (catalog, scheduler, local calls, persistence plumbing, hosted lifecycle)
    /// and lets <paramref name="configure"/> add storage providers and grain assemblies. Safe to call
    /// more than once: the runtime is registered once, every <paramref name="configure"/> runs.
    /// </summary>
    public static IServiceCollection AddPulseSilo(this IServiceCollection services, Action<ISiloBuilder>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(services);
        if (!services.Any(descriptor => descriptor.ServiceType == typeof(SiloMarker)))
        {
            AddRuntimeServices(services);
        }

        configure?.Invoke(new SiloBuilder(services));
        return services;
    }

    /// <summary>Adds an assembly whose grain classes this silo hosts (the entry assembly and loaded ones are found anyway).</summary>
    public static ISiloBuilder AddGrainAssembly(this ISiloBuilder builder, Assembly assembly)
    {
        ArgumentNullException.ThrowIfNull(assembly);
        foreach (GrainServicesAttribute attribute in assembly.GetCustomAttributes<GrainServicesAttribute>())
        {
            if (Activator.CreateInstance(attribute.Configurator) is not IGrainServicesConfigurator configurator)
            {
                throw new InvalidOperationException(
                    $"{attribute.Configurator} named by [GrainServices] in {assembly.GetName().Name} does not implement {nameof(IGrainServicesConfigurator)}.");
            }

            configurator.ConfigureServices(builder.Services);
        }

        builder.Services.Configure<GrainAssemblyOptions>(options =>
        {
            if (!options.Assemblies.Contains(assembly))
            {
                options.Assemblies.Add(assembly);
            }
        });
        return builder;
    }

    /// <summary>Configures cluster identity.</summary>
    public static ISiloBuilder ConfigureCluster(this ISiloBuilder builder, Action<ClusterOptions> configure)
    {
        builder.Services.Configure(configure);
        return builder;
    }

    /// <summary>Configures activation collection and lifecycle timeouts.</summary>
    public static ISiloBuilder ConfigureCollection(this ISiloBuilder builder, Action<GrainCollectionOptions> configure)
    {
        builder.Services.Configure(configure);
        return builder;
    }

    /// <summary>Configures the silo's listeners and connections (cluster mode).</summary>
    public static ISiloBuilder ConfigureNetworking(this ISiloBuilder builder, Action<NetworkingOptions> configure)
    {
        builder.Services.Configure(configure);
        return builder;
    }

    /// <summary>Configures failure detection and membership timings (cluster mode).</summary>
    public static ISiloBuilder ConfigureMembership(this ISiloBuilder builder, Action<MembershipOptions> configure)
    {
        builder.Services.Configure(configure);
        return builder;
    }

    /// <summary>Configures grain calls.</summary>
    public static ISiloBuilder ConfigureMessaging(this ISiloBuilder builder, Action<MessagingOptions> configure)
    {
        builder.Services.Configure(configure);
        return builder;
    }

    private static void AddRuntimeServices(IServiceCollection services)
    {
        services.AddSingleton<SiloMarker>();
        services.TryAddSingleton(TimeProvider.System);
        services.AddMetrics();
        services.AddLogging();

        services.AddOptions<ClusterOptions>().ValidateOnStart();
        services.AddOptions<GrainCollectionOptions>().ValidateOnStart();
        services.AddOptions<MessagingOptions>().ValidateOnStart();
        services.AddOptions<NetworkingOptions>().ValidateOnStart();
        services.AddOptions<MembershipOptions>().ValidateOnStart();
        services.AddOptions<GrainAssemblyOptions>();
        services.AddOptions<GrainStateSerializerOptions>();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<ClusterOptions>, ClusterOptionsValidator>());
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<GrainCollectionOptions>, GrainCollectionOptionsValidator>());
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<MessagingOptions>, MessagingOptionsValidator>());
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<NetworkingOptions>, NetworkingOptionsValidator>());
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<MembershipOptions>, MembershipOptionsValidator>());
        services.TryAddSingleton<Networking.INetworkFaults>(Networking.NoNetworkFaults.Instance);

        services.TryAddSingleton<IGrainStateSerializer, JsonGrainStateSerializer>();
        services.AddSingleton<IPersistentStateFactory, PersistentStateFactory>();
        services.AddSingleton<RuntimeInstruments>();
        services.AddSingleton<GrainClassRegistry>();
        services.AddSingleton<ActivationCatalog>();
        services.AddSingleton<ILocalActivations>(sp => sp.GetRequiredService<ActivationCatalog>());
        services.AddSingleton<PendingCallTable>();
        services.AddSingleton<GrainFactory>();
        services.AddSingleton<IGrainFactory>(sp => sp.GetRequiredService<GrainFactory>());
        services.AddSingleton<GrainCallInvoker>();
        services.AddSingleton<IGrainCallInvoker>(sp => sp.GetRequiredService<GrainCallInvoker>());
        services.AddSingleton<Silo>();
        services.AddHostedService(sp => sp.GetRequiredService<Silo>());
    }

    /// <summary>Marks that the runtime services were added.</summary>
    private sealed class SiloMarker;
}
