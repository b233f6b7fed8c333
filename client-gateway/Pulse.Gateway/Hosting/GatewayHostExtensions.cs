using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Options;
using Pulse.Runtime;
using Pulse.Runtime.Client;
using Pulse.Runtime.Configuration;
using Pulse.Runtime.Hosting;
using Pulse.Runtime.Membership;

namespace Pulse.Gateway.Hosting;

/// <summary>Wires the cluster client and the health checks into the gateway's web host.</summary>
public static partial class GatewayHostExtensions
{
    /// <summary>Tag of health checks that say whether the process is alive.</summary>
    public const string LiveTag = Pulse.Gateway.Api.Hosting.GatewayHealthTags.Live;

    /// <summary>Tag of health checks that say whether the gateway can serve calls.</summary>
    public const string ReadyTag = Pulse.Gateway.Api.Hosting.GatewayHealthTags.Ready;

    /// <summary>
    /// Adds the gateway: options from the <c>Pulse</c> section, and, when a PostgreSQL connection string
    /// is configured, a cluster client that follows that database's membership table.
    /// </summary>
    public static IServiceCollection AddPulseGateway(this IServiceCollection services, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        IConfigurationSection pulse = configuration.GetSection("Pulse");
        services.AddOptions<GatewayOptions>().Bind(pulse.GetSection("Gateway")).ValidateOnStart();
        services.AddSingleton<IValidateOptions<GatewayOptions>, GatewayOptionsValidator>();

        GatewayOptions gateway = pulse.GetSection("Gateway").Get<GatewayOptions>() ?? new GatewayOptions();
        if (gateway.HasCluster)
        {
            services.AddOptions<ClusterOptions>().Bind(pulse.GetSection("Cluster"));
            services.AddOptions<NetworkingOptions>().Bind(pulse.GetSection("Networking"));
            services.AddOptions<MessagingOptions>().Bind(pulse.GetSection("Messaging"));
            services.AddOptions<ClusterClientOptions>().Bind(pulse.GetSection("Client"));
            services.UsePostgresMembership(options => options.ConnectionString = gateway.PostgresConnectionString);
            services.AddPulseClient();
        }
        else
        {
            // The API still starts (health, OpenAPI, problem details); calls that need grains answer 503.
            services.AddSingleton<IGrainFactory, NoClusterGrainFactory>();
        }

        services.AddHealthChecks()
            .AddCheck("process", () => HealthCheckResult.Healthy(), tags: [LiveTag])
            .AddCheck<GatewayReadinessCheck>("cluster", tags: [ReadyTag]);
        return services;
    }

    /// <summary>Logs the settings in effect, the connection string redacted.</summary>
    public static void LogSettings(ILogger logger, GatewayOptions options, ClusterOptions? cluster)
    {
        ArgumentNullException.ThrowIfNull(options);
        LogOptionsInEffect(
            logger,
            options.Url,
            options.HasCluster ? "(set)" : "(not set: no cluster)",
            cluster?.ClusterId ?? "-",
            options.SiloStaleAfter,
            options.ReadinessTimeout);
    }

    [LoggerMessage(EventId = 9600, Level = LogLevel.Information,
        Message = "Gateway options: Url={Url} PostgresConnectionString={ConnectionString} ClusterId={ClusterId} SiloStaleAfter={SiloStaleAfter} ReadinessTimeout={ReadinessTimeout}")]
    private static partial void LogOptionsInEffect(ILogger logger, string url, string connectionString, string clusterId, TimeSpan siloStaleAfter, TimeSpan readinessTimeout);
}

/// <summary>
/// Ready when the membership table is readable, it holds at least one Active silo with a fresh
/// heartbeat, and the cluster client routes to at least one silo. Each failure has its own reason.
/// </summary>
internal sealed class GatewayReadinessCheck(IServiceProvider services, IOptions<GatewayOptions> options, TimeProvider timeProvider) : IHealthCheck
{
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        ClusterClient? client = services.GetService<ClusterClient>();
        IMembershipTable? table = services.GetService<IMembershipTable>();
        if (client is null || table is null)
        {
            return HealthCheckResult.Unhealthy("No cluster is configured: set PULSE_POSTGRES (Pulse:Gateway:PostgresConnectionString).");
        }

        MembershipTableSnapshot snapshot;
        try
        {
            using var limit = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            limit.CancelAfter(options.Value.ReadinessTimeout);
            snapshot = await table.ReadAllAsync(limit.Token).ConfigureAwait(false);
        }
        catch (Exception exception) when (exception is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            return HealthCheckResult.Unhealthy($"The membership table is not readable: {exception.GetType().Name}: {exception.Message}");
        }

        DateTimeOffset freshAfter = timeProvider.GetUtcNow() - options.Value.SiloStaleAfter;
        int active = 0;
        int stale = 0;
        foreach ((MembershipEntry entry, _) in snapshot.Entries)
        {
            if (entry.Status != SiloStatus.Active)
            {
                continue;
            }

            if (entry.IAmAliveTime >= freshAfter)
            {
                active++;
            }
            else
            {
                stale++;
            }
        }

        if (active == 0)
        {
            return HealthCheckResult.Unhealthy(stale == 0
                ? "No Active silo in the membership table."
                : $"No Active silo with a fresh heartbeat ({stale} Active rows older than {options.Value.SiloStaleAfter}).");
        }

        return client.IsConnected
            ? HealthCheckResult.Healthy($"{active} Active silos; the client routes to {client.ActiveSilos.Count}.")
            : HealthCheckResult.Unhealthy($"{active} Active silos in the table, but the client has not seen them yet.");
    }
}
