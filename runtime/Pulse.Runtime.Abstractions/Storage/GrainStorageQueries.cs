using Microsoft.Extensions.DependencyInjection;

namespace Pulse.Runtime.Storage;

/// <summary>Finds the <see cref="IGrainStorageQuery"/> of a grain storage provider.</summary>
public static class GrainStorageQueries
{
    /// <summary>
    /// The name of the storage provider used when a state names none (see
    /// <see cref="PersistentStateAttribute.StorageName"/>): <c>Default</c>.
    /// </summary>
    public const string DefaultStorageName = "Default";

    /// <summary>
    /// Returns the query capability of the grain storage provider registered as
    /// <paramref name="storageName"/>, or null when no such provider is registered or it cannot query.
    /// </summary>
    /// <remarks>
    /// Grain code passes its <c>ServiceProvider</c>, and the same storage name as the
    /// <see cref="PersistentStateAttribute"/> of the states it wants to list:
    /// <code>
    /// IGrainStorageQuery? query = GrainStorageQueries.Find(ServiceProvider);
    /// if (query is not null)
    /// {
    ///     await foreach (StoredGrainState&lt;CacheEntryState&gt; entry in query.QueryAsync&lt;CacheEntryState&gt;(
    ///         "entry", new GrainType("cache.entry"), tenantId + "/", cancellationToken))
    ///     {
    ///         // entry.GrainId.Key is "{tenantId}/{cacheKey}".
    ///     }
    /// }
    /// </code>
    /// </remarks>
    /// <param name="services">The silo's services, e.g. a grain's <c>ServiceProvider</c>.</param>
    /// <param name="storageName">The provider's name; null means <see cref="DefaultStorageName"/>.</param>
    /// <exception cref="ArgumentNullException"><paramref name="services"/> is null.</exception>
    /// <exception cref="ArgumentException"><paramref name="storageName"/> is empty.</exception>
    public static IGrainStorageQuery? Find(IServiceProvider services, string? storageName = null)
    {
        ArgumentNullException.ThrowIfNull(services);
        if (storageName is not null)
        {
            ArgumentException.ThrowIfNullOrEmpty(storageName);
        }

        // Providers are keyed singletons (AddMemoryGrainStorage and the like); a container without
        // keyed services cannot hold one.
        return services is IKeyedServiceProvider keyed
            ? keyed.GetKeyedService(typeof(IGrainStorage), storageName ?? DefaultStorageName) as IGrainStorageQuery
            : null;
    }
}
