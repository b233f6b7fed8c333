using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Pulse.Runtime.Configuration;
using Pulse.Runtime.Persistence;
using Pulse.Runtime.Sqlite;
using Pulse.Runtime.Storage;

namespace Pulse.Runtime.Hosting;

/// <summary>Registers <see cref="SqliteGrainStorage"/>.</summary>
public static class SqliteGrainStorageExtensions
{
    /// <summary>
    /// Adds a SQLite grain storage provider named <paramref name="name"/>; its schema is created at
    /// silo start and its options are validated then. Calling it again with the same name adds no
    /// second provider; the extra <paramref name="configure"/> still applies.
    /// </summary>
    /// <param name="builder">The silo builder.</param>
    /// <param name="name">The provider's name; <c>Default</c> is the provider used when a state names none.</param>
    /// <param name="configure">Sets the database (<see cref="SqliteConnectionOptions.DataSource"/> or <see cref="SqliteConnectionOptions.ConnectionString"/>).</param>
    public static ISiloBuilder AddSqliteGrainStorage(
        this ISiloBuilder builder, string name, Action<SqliteGrainStorageOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentException.ThrowIfNullOrEmpty(name);
        ArgumentNullException.ThrowIfNull(configure);
        IServiceCollection services = builder.Services;
        services.AddOptions<SqliteGrainStorageOptions>(name).Configure(configure).ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<SqliteGrainStorageOptions>, SqliteGrainStorageOptionsValidator>());
        if (services.IsGrainStorageRegistered(name))
        {
            return builder;
        }

        services.AddGrainStateSerializer();
        services.AddKeyedSingleton<IGrainStorage>(name, (sp, _) => new SqliteGrainStorage(
            name,
            sp.GetRequiredService<IOptionsMonitor<SqliteGrainStorageOptions>>().Get(name),
            sp.GetRequiredService<IGrainStateSerializer>(),
            sp.GetRequiredService<IOptions<ClusterOptions>>(),
            sp.GetRequiredService<ILogger<SqliteGrainStorage>>()));
        services.AddGrainStorageInitializer(name);
        return builder;
    }
}
