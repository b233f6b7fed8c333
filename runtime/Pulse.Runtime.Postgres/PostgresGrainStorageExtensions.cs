using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Pulse.Runtime.Configuration;
using Pulse.Runtime.Persistence;
using Pulse.Runtime.Postgres;
using Pulse.Runtime.Storage;

namespace Pulse.Runtime.Hosting;

/// <summary>Registers <see cref="PostgresGrainStorage"/>.</summary>
public static class PostgresGrainStorageExtensions
{
    /// <summary>
    /// Adds a PostgreSQL grain storage provider named <paramref name="name"/>; its schema is created or
    /// migrated at silo start and its options are validated then. Calling it again with the same name
    /// adds no second provider; the extra <paramref name="configure"/> still applies.
    /// </summary>
    /// <param name="builder">The silo builder.</param>
    /// <param name="name">The provider's name; <c>Default</c> is the provider used when a state names none.</param>
    /// <param name="configure">Sets <see cref="PostgresGrainStorageOptions.ConnectionString"/> and optionally the schema and timeout.</param>
    public static ISiloBuilder AddPostgresGrainStorage(
        this ISiloBuilder builder, string name, Action<PostgresGrainStorageOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentException.ThrowIfNullOrEmpty(name);
        ArgumentNullException.ThrowIfNull(configure);
        IServiceCollection services = builder.Services;
        services.AddOptions<PostgresGrainStorageOptions>(name).Configure(configure).ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<PostgresGrainStorageOptions>, PostgresGrainStorageOptionsValidator>());
        if (services.IsGrainStorageRegistered(name))
        {
            return builder;
        }

        services.AddGrainStateSerializer();
        services.AddKeyedSingleton<IGrainStorage>(name, (sp, _) => new PostgresGrainStorage(
            name,
            sp.GetRequiredService<IOptionsMonitor<PostgresGrainStorageOptions>>().Get(name),
            sp.GetRequiredService<IGrainStateSerializer>(),
            sp.GetRequiredService<IOptions<ClusterOptions>>(),
            sp.GetRequiredService<ILogger<PostgresGrainStorage>>()));
        services.AddGrainStorageInitializer(name);
        return builder;
    }
}
