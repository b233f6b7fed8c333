using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Pulse.Runtime.Configuration;
using Pulse.Runtime.Membership;

namespace Pulse.Runtime.Hosting;

/// <summary>Registers <see cref="InMemoryMembershipTable"/>.</summary>
public static class InMemoryMembershipTableExtensions
{
    /// <summary>
    /// Uses an in-memory membership table, replacing any membership table registered before (a silo has
    /// one). Safe to call twice: the last call wins.
    /// </summary>
    /// <param name="builder">The silo builder.</param>
    /// <param name="table">
    /// A table shared with the other silos of this process (pass the same instance to each); the silo
    /// uses its rows for the silo's own cluster id (<see cref="InMemoryMembershipTable.ForCluster"/>).
    /// Null gives the silo a private table, which only makes sense for a one-silo cluster.
    /// </param>
    public static ISiloBuilder UseInMemoryMembership(this ISiloBuilder builder, InMemoryMembershipTable? table = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.Services.UseInMemoryMembership(table);
        return builder;
    }

    /// <summary>
    /// Uses an in-memory membership table in a process without a silo builder (the gateway's cluster
    /// client), replacing any earlier one. See <see cref="UseInMemoryMembership(ISiloBuilder, InMemoryMembershipTable?)"/>.
    /// </summary>
    /// <param name="services">The host's services.</param>
    /// <param name="table">The table shared with the silos of this process; null for a private one.</param>
    public static IServiceCollection UseInMemoryMembership(this IServiceCollection services, InMemoryMembershipTable? table = null)
    {
        ArgumentNullException.ThrowIfNull(services);
        services.AddLogging();
        return services.ReplaceMembershipTable(sp =>
        {
            string clusterId = sp.GetRequiredService<IOptions<ClusterOptions>>().Value.ClusterId;
            return table is null
                ? new InMemoryMembershipTable(clusterId, sp.GetRequiredService<ILogger<InMemoryMembershipTable>>())
                : table.ForCluster(clusterId);
        });
    }
}
