using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Pulse.Runtime.Configuration;
using Pulse.Runtime.Membership;
using Pulse.Runtime.Sqlite;

namespace Pulse.Runtime.Hosting;

/// <summary>Registers <see cref="SqliteMembershipTable"/>.</summary>
public static class SqliteMembershipExtensions
{
    /// <summary>
    /// Uses a SQLite membership table (the silos of one host sharing a database file), replacing any
    /// membership table registered before. Its schema is created at silo start and its options are
    /// validated then. Safe to call twice: one table, and every <paramref name="configure"/> applies.
    /// </summary>
    /// <param name="builder">The silo builder.</param>
    /// <param name="configure">Sets the database (<see cref="SqliteConnectionOptions.DataSource"/> or <see cref="SqliteConnectionOptions.ConnectionString"/>).</param>
    public static ISiloBuilder UseSqliteMembership(this ISiloBuilder builder, Action<SqliteMembershipOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.Services.UseSqliteMembership(configure);
        return builder;
    }

    /// <summary>
    /// Uses a SQLite membership table in a process without a silo builder (the gateway's cluster
    /// client). See <see cref="UseSqliteMembership(ISiloBuilder, Action{SqliteMembershipOptions})"/>.
    /// </summary>
    /// <param name="services">The host's services.</param>
    /// <param name="configure">Sets the database.</param>
    public static IServiceCollection UseSqliteMembership(this IServiceCollection services, Action<SqliteMembershipOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(configure);
        services.AddLogging();
        services.AddOptions<SqliteMembershipOptions>().Configure(configure).ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<SqliteMembershipOptions>, SqliteMembershipOptionsValidator>());
        return services.ReplaceMembershipTable(sp => new SqliteMembershipTable(
            sp.GetRequiredService<IOptions<SqliteMembershipOptions>>().Value,
            sp.GetRequiredService<IOptions<ClusterOptions>>(),
            sp.GetRequiredService<ILogger<SqliteMembershipTable>>()));
    }
}
