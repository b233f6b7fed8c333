using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Options;
using Pulse.Runtime.Catalog;
using Pulse.Runtime.Configuration;
using Pulse.Runtime.Hosting;
using Pulse.Runtime.Membership;

namespace Pulse.Silo.Hosting;

/// <summary>Wires the silo runtime, its storage, its cluster membership and its health checks into a web host.</summary>
public static class SiloHostExtensions
{
    /// <summary>Tag of health checks that say whether the process is alive.</summary>
    public const string LiveTag = "live";

    /// <summary>Tag of health checks that say whether the silo should receive work (Active in its cluster).</summary>
    public const string ReadyTag = "ready";

    /// <summary>
    /// Adds the silo with the storage and membership chosen by <see cref="SiloHostOptions"/> and options
    /// bound from the <c>Pulse</c> configuration section.
    /// </summary>
    public static IServiceCollection AddPulseSiloHost(this IServiceCollection services, IConfiguration configuration)
    {
        IConfigurationSection pulse = configuration.GetSection("Pulse");
        services.AddOptions<SiloHostOptions>().Bind(pulse.GetSection("Silo")).ValidateOnStart();
        services.AddSingleton<IValidateOptions<SiloHostOptions>, SiloHostOptionsValidator>();
        services.AddOptions<ClusterOptions>().Bind(pulse.GetSection("Cluster"));
        services.AddOptions<GrainCollectionOptions>().Bind(pulse.GetSection("Collection"));
        services.AddOptions<MessagingOptions>().Bind(pulse.GetSection("Messaging"));
        services.AddOptions<NetworkingOptions>().Bind(pulse.GetSection("Networking"));
        services.AddOptions<MembershipOptions>().Bind(pulse.GetSection("Membership"));

        SiloHostOptions host = pulse.GetSection("Silo").Get<SiloHostOptions>() ?? new SiloHostOptions();

        // The membership table publishes the HTTP port so operators can find each silo's health endpoint.
        services.PostConfigure<ClusterOptions>(options =>
        {
            if (options.HttpPort == 0)
            {
                options.HttpPort = host.HttpPort;
            }
        });

        // Loaded when the silo first reads its grain assemblies (at start, after options were validated).
        services.AddOptions<GrainAssemblyOptions>().Configure<IOptions<SiloHostOptions>, ILoggerFactory>(
            (options, hostOptions, loggers) => GrainAssemblyLoader.LoadInto(options, hostOptions.Value.GrainAssemblies, loggers.CreateLogger(typeof(GrainAssemblyLoader))));

        services.AddPulseSilo(silo =>
        {
            silo.AddGrainAssembly(typeof(Pulse.Grains.GrainsAssembly).Assembly);
            switch (host.EffectiveStorage)
            {
                case SiloStorageProvider.Postgres:
                    silo.AddPostgresGrainStorage("Default", options => options.ConnectionString = host.PostgresConnectionString);
                    break;
                case SiloStorageProvider.Memory:
                    silo.AddMemoryGrainStorage("Default");
                    break;
                default:
                    silo.AddSqliteGrainStorage("Default", options => options.DataSource = host.SqlitePath);
                    break;
            }

            switch (host.EffectiveMembership)
            {
                case SiloMembershipProvider.Postgres:
                    silo.UsePostgresMembership(options => options.ConnectionString = host.PostgresConnectionString);
                    break;
                case SiloMembershipProvider.Sqlite:
                    silo.UseSqliteMembership(options => options.DataSource = host.SqliteMembershipPath);
                    break;
            }
        });

        services.Configure<HostOptions>(options => options.ShutdownTimeout = host.ShutdownTimeout);
        services.AddHealthChecks()
            .AddCheck<SiloLivenessCheck>("silo", tags: [LiveTag])
            .AddCheck<SiloReadinessCheck>("silo-ready", tags: [ReadyTag]);
        return services;
    }
}

/// <summary>Healthy while the silo runtime is started and not stopping.</summary>
internal sealed class SiloLivenessCheck(Pulse.Runtime.Hosting.Silo silo) : IHealthCheck
{
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default) =>
        Task.FromResult(silo.IsActive
            ? HealthCheckResult.Healthy($"{silo.ActivationCount} activations")
            : HealthCheckResult.Unhealthy("The silo is not active (starting or stopping)."));
}

/// <summary>
/// Healthy when the silo can take grain calls: started and, in a cluster, Active in its own view of the
/// membership table. Joining, ShuttingDown and Dead are not ready, so a load balancer drains a silo
/// that is leaving before its process goes away.
/// </summary>
internal sealed class SiloReadinessCheck(Pulse.Runtime.Hosting.Silo silo) : IHealthCheck
{
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        if (!silo.IsActive)
        {
            return Task.FromResult(HealthCheckResult.Unhealthy("The silo is starting or stopping."));
        }

        SiloStatus? status = silo.ClusterStatus;
        return Task.FromResult(status switch
        {
            null => HealthCheckResult.Healthy("Running alone (no membership table)."),
            SiloStatus.Active => HealthCheckResult.Healthy($"Active in the cluster as {silo.SiloAddress}."),
            _ => HealthCheckResult.Unhealthy($"The silo is {status} in the cluster, not Active."),
        });
    }
}
