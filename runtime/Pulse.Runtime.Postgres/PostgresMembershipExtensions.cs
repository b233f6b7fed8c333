using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Pulse.Runtime.Configuration;
using Pulse.Runtime.Membership;
using Pulse.Runtime.Postgres;

namespace Pulse.Runtime.Hosting;

/// <summary>Registers <see cref="PostgresMembershipTable"/>.</summary>
public static class PostgresMembershipExtensions
{
    /// <summary>
    /// Uses a PostgreSQL membership table, replacing any membership table registered before. Its schema
    /// is created or migrated at silo start and its options are validated then. Safe to call twice:
    /// one table, and every <paramref name="configure"/> applies.
    /// </summary>
    /// <param name="builder">The silo builder.</param>
    /// <param name="configure">Sets <see cref="PostgresMembershipOptions.ConnectionString"/> and optionally the schema and timeout.</param>
    public static ISiloBuilder UsePostgresMembership(this ISiloBuilder builder, Action<PostgresMembershipOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.Services.UsePostgresMembership(configure);
        return builder;
    }

    /// <summary>
    /// Uses a PostgreSQL membership table in a process without a silo builder (the gateway's cluster
    /// client). See <see cref="UsePostgresMembership(ISiloBuilder, Action{PostgresMembershipOptions})"/>.
    /// </summary>
    /// <param name="services">The host's services.</param>
    /// <param name="configure">Sets the connection string and optionally the schema and timeout.</param>
    public static IServiceCollection UsePostgresMembership(this IServiceCollection services, Action<PostgresMembershipOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(configure);
        services.AddLogging();
        services.AddOptions<PostgresMembershipOptions>().Configure(configure).ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<PostgresMembershipOptions>, PostgresMembershipOptionsValidator>());
        return services.ReplaceMembershipTable(sp => new PostgresMembershipTable(
            sp.GetRequiredService<IOptions<PostgresMembershipOptions>>().Value,
            sp.GetRequiredService<IOptions<ClusterOptions>>(),
            sp.GetRequiredService<ILogger<PostgresMembershipTable>>()));
    }
}
