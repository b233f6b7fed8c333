using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Pulse.Runtime.Configuration;
using Pulse.Runtime.Persistence;
using Pulse.Runtime.Storage;

namespace Pulse.Runtime.Hosting;

/// <summary>Registers <see cref="MemoryGrainStorage"/>.</summary>
public static class MemoryGrainStorageExtensions
{
    /// <summary>The name of the storage provider that states without an explicit storage name use.</summary>
    public const string DefaultStorageName = GrainStorageQueries.DefaultStorageName;

    /// <summary>
    /// Adds an in-memory grain storage provider named <paramref name="name"/>. Calling it again with
    /// the same name adds no second provider; a store passed again replaces the earlier one.
    /// </summary>
    /// <param name="builder">The silo builder.</param>
    /// <param name="name">The provider's name; <c>Default</c> is the provider used when a state names none.</param>
    /// <param name="store">
    /// A store shared with other silos in this process (or with a later silo, to test that state
    /// survives a restart); null gives the provider a private store.
    /// </param>
    public static ISiloBuilder AddMemoryGrainStorage(
        this ISiloBuilder builder, string name = DefaultStorageName, MemoryGrainStorageStore? store = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentException.ThrowIfNullOrEmpty(name);
        IServiceCollection services = builder.Services;
        OptionsBuilder<MemoryGrainStorageOptions> options = services.AddOptions<MemoryGrainStorageOptions>(name);
        if (store is not null)
        {
            options.Configure(o => o.Store = store);
        }

        if (services.IsGrainStorageRegistered(name))
        {
            return builder;
        }

        services.AddGrainStateSerializer();
        services.AddKeyedSingleton<IGrainStorage>(name, (sp, _) => new MemoryGrainStorage(
            name,
            sp.GetRequiredService<IOptionsMonitor<MemoryGrainStorageOptions>>().Get(name),
            sp.GetRequiredService<IGrainStateSerializer>(),
            sp.GetRequiredService<IOptions<ClusterOptions>>(),
            sp.GetRequiredService<ILogger<MemoryGrainStorage>>()));
        services.AddGrainStorageInitializer(name);
        return builder;
    }
}
