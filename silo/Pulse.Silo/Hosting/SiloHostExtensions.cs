using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Options;
using Pulse.Runtime.Configuration;
using Pulse.Runtime.Hosting;

namespace Pulse.Silo.Hosting;

/// <summary>Wires the silo runtime, its storage and its health checks into a web host.</summary>
public static class SiloHostExtensions
{
    /// <summary>Tag of health checks that say whether the process is alive.</summary>
    public const string LiveTag = "live";

    /// <summary>
    /// Adds the silo with the storage chosen by <see cref="SiloHostOptions"/> and options bound from
    /// the <c>Pulse</c> configuration section.
    /// </summary>
    public static IServiceCollection AddPulseSiloHost(this IServiceCollection services, IConfiguration configuration)
    {
        IConfigurationSection pulse = configuration.GetSection("Pulse");
        services.AddOptions<SiloHostOptions>().Bind(pulse.GetSection("Silo")).ValidateOnStart();
        services.AddSingleton<IValidateOptions<SiloHostOptions>, SiloHostOptionsValidator>();
        services.AddOptions<ClusterOptions>().Bind(pulse.GetSection("Cluster"));
        services.AddOptions<GrainCollectionOptions>().Bind(pulse.GetSection("Collection"));
        services.AddOptions<MessagingOptions>().Bind(pulse.GetSection("Messaging"));

        SiloHostOptions host = pulse.GetSection("Silo").Get<SiloHostOptions>() ?? new SiloHostOptions();
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
        });

        services.Configure<HostOptions>(options => options.ShutdownTimeout = host.ShutdownTimeout);
        services.AddHealthChecks().AddCheck<SiloLivenessCheck>("silo", tags: [LiveTag]);
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
