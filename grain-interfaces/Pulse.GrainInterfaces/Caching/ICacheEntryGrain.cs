using Pulse.Runtime;

namespace Pulse.GrainInterfaces.Caching;

/// <summary>
/// One cache entry of one tenant, keyed <c>{tenantId}/{cacheKey}</c> (<see cref="CacheKeys.Entry"/>).
/// It holds the value, its expiry, priority, tags and ETag, and the stampede lease. Memory-only entries
/// live as long as their activation; durable ones are also in the grain store.
/// </summary>
[GrainType("cache.entry")]
public interface ICacheEntryGrain : IGrainWithStringKey
{
    /// <summary>
    /// Reads the entry. With <paramref name="leaseMs"/> &gt; 0, a miss or stale hit grants a lease to this caller unless another caller holds one.
    /// Idempotent: a read retried after its silo died at worst grants a lease the first attempt's silo took with it.
    /// </summary>
    [Idempotent]
    ValueTask<CacheGetResult> GetAsync(long leaseMs);

    /// <summary>
    /// Waits up to <paramref name="waitMs"/> for a value while another caller holds the lease: answers as soon
    /// as the holder writes, or when the lease ends (then a waiter that asks for a lease with
    /// <paramref name="leaseMs"/> &gt; 0 may be granted it). Runs beside other requests.
    /// </summary>
    [AlwaysInterleave]
    ValueTask<CacheGetResult> WaitAsync(long waitMs, long leaseMs);

    /// <summary>Writes the entry, subject to its conditions, its lease and the tenant's quota.</summary>
    ValueTask<CachePutResult> PutAsync(CachePut put);

    /// <summary>Deletes the entry; returns whether a live (or stale) entry was there.</summary>
    ValueTask<bool> DeleteAsync();

    /// <summary>
    /// Removes the entry if it still has <paramref name="version"/> (for <see cref="CacheRemovalReason.Expired"/>:
    /// only if it really is past its expiry and grace). Called by the tenant's index; it does not call
    /// the index back. Runs beside other requests, so an entry waiting on its tenant never deadlocks it.
    /// </summary>
    [AlwaysInterleave]
    [Idempotent]
    ValueTask<CacheEvictResult> EvictAsync(long version, CacheRemovalReason reason);
}

/// <summary>Grain keys and ETags of the cache grains.</summary>
public static class CacheKeys
{
    /// <summary>The <see cref="ICacheEntryGrain"/> key of a tenant's cache key.</summary>
    public static string Entry(string tenantId, string cacheKey) => string.Concat(tenantId, "/", cacheKey);

    /// <summary>Splits an entry grain key into tenant id and cache key (tenant ids contain no '/').</summary>
    public static (string TenantId, string CacheKey) Split(string entryKey)
    {
        int slash = entryKey.IndexOf('/', StringComparison.Ordinal);
        return slash < 0 ? (entryKey, string.Empty) : (entryKey[..slash], entryKey[(slash + 1)..]);
    }

    /// <summary>The ETag text (without quotes) of an entry version.</summary>
    public static string ETag(long version) => version.ToString("x16", System.Globalization.CultureInfo.InvariantCulture);
}
