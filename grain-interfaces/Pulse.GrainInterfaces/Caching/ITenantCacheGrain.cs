using Pulse.Runtime;
using Pulse.Runtime.Serialization;

namespace Pulse.GrainInterfaces.Caching;

/// <summary>
/// A tenant's cache index, keyed by tenant id: every live entry's key, version, size, priority, tags,
/// expiry and last access; the tenant's statistics; its memory quota and eviction. Entries admit
/// themselves here before a write is acknowledged, so the index is exact for pattern and tag deletes.
/// Silos report reads in batches (hits, misses, last access), not one message per read.
/// </summary>
[GrainType("cache.tenant")]
public interface ITenantCacheGrain : IGrainWithStringKey
{
    /// <summary>
    /// Admits a write of <paramref name="entry"/>: evicts expired, then lower-priority, then least
    /// recently used entries while the tenant would be over quota, and records the entry. Refuses
    /// (<see cref="CacheAdmission.Admitted"/> false, nothing evicted) when even that cannot make room.
    /// </summary>
    ValueTask<CacheAdmission> AdmitAsync(CacheIndexEntry entry);

    /// <summary>Forgets <paramref name="key"/> if the index still holds <paramref name="version"/> of it.</summary>
    ValueTask RemovedAsync(string key, long version, CacheRemovalReason reason);

    /// <summary>
    /// A silo's reads since its last report. Returns this activation's incarnation: a silo that sees it
    /// change re-registers its entries with <see cref="RegisterAsync"/> (the index was rebuilt elsewhere).
    /// </summary>
    ValueTask<long> ReportAsync(CacheActivityReport report);

    /// <summary>Re-registers every entry a silo holds for this tenant (after the index moved or restarted).</summary>
    ValueTask RegisterAsync(string siloInstance, CacheIndexEntry[] entries);

    /// <summary>
    /// Deletes every entry whose key matches the glob <paramref name="pattern"/> or that carries <paramref name="tag"/>
    /// (exactly one of them), across the cluster; returns how many were deleted.
    /// </summary>
    ValueTask<long> DeleteMatchingAsync(string? pattern, string? tag);

    /// <summary>The tenant's statistics.</summary>
    ValueTask<CacheStats> GetStatsAsync();

    /// <summary>Reclaims expired entries and evicts down to the quota now.</summary>
    ValueTask<CacheMaintenanceResult> RunMaintenanceAsync();

    /// <summary>Sets the tenant's quota in bytes (0: the silo's configured default).</summary>
    ValueTask SetQuotaAsync(long quotaBytes);

    /// <summary>Frees about <paramref name="bytes"/> of the entries held by one silo, in eviction order (the silo is short of memory).</summary>
    ValueTask<long> ShedAsync(string siloInstance, long bytes);
}

/// <summary>What the index keeps of one entry.</summary>
/// <param name="Key">The cache key.</param>
/// <param name="Version">The entry version (its ETag).</param>
/// <param name="SizeBytes">Bytes charged to the quota: key, value and tags.</param>
/// <param name="Priority">Eviction priority.</param>
/// <param name="Tags">Its tags.</param>
/// <param name="ExpiresAtUnixMs">Expiry (0: none).</param>
/// <param name="StaleMs">Stale grace after expiry.</param>
/// <param name="Durable">Whether it is in the grain store.</param>
/// <param name="LastAccessUnixMs">Last write or read.</param>
/// <param name="SiloInstance">The silo (instance id) holding the activation.</param>
[GenerateSerializer]
[Immutable]
public sealed record CacheIndexEntry(
    [property: Id(0)] string Key,
    [property: Id(1)] long Version,
    [property: Id(2)] long SizeBytes,
    [property: Id(3)] CachePriority Priority,
    [property: Id(4)] string[] Tags,
    [property: Id(5)] long ExpiresAtUnixMs,
    [property: Id(6)] long StaleMs,
    [property: Id(7)] bool Durable,
    [property: Id(8)] long LastAccessUnixMs,
    [property: Id(9)] string SiloInstance);

/// <summary>The answer to <see cref="ITenantCacheGrain.AdmitAsync"/>.</summary>
/// <param name="Admitted">Whether the entry was recorded.</param>
/// <param name="Evicted">How many entries were evicted to make room.</param>
/// <param name="QuotaBytes">The quota in force.</param>
/// <param name="Incarnation">
/// The index incarnation that recorded it: a silo whose entries were all admitted by the incarnation
/// it reports to has nothing to register again.
/// </param>
[GenerateSerializer]
[Immutable]
public sealed record CacheAdmission(
    [property: Id(0)] bool Admitted,
    [property: Id(1)] int Evicted,
    [property: Id(2)] long QuotaBytes,
    [property: Id(3)] long Incarnation = 0);

/// <summary>A read of one entry, as a silo reports it.</summary>
/// <param name="Key">The cache key.</param>
/// <param name="Version">The entry version read.</param>
/// <param name="LastAccessUnixMs">When it was last read.</param>
/// <param name="ExpiresAtUnixMs">Its expiry after the read (sliding entries move it).</param>
[GenerateSerializer]
[Immutable]
public readonly record struct CacheTouch(
    [property: Id(0)] string Key,
    [property: Id(1)] long Version,
    [property: Id(2)] long LastAccessUnixMs,
    [property: Id(3)] long ExpiresAtUnixMs);

/// <summary>One silo's reads of one tenant's entries since its previous report.</summary>
/// <param name="SiloInstance">The reporting silo.</param>
/// <param name="KnownIncarnation">The index incarnation the silo last registered with (0: none).</param>
/// <param name="Hits">Reads that found a live or stale entry.</param>
/// <param name="Misses">Reads that found none.</param>
/// <param name="Touches">Entries read, with their new last access and expiry.</param>
/// <param name="EntriesHeld">How many of the tenant's entries the silo holds.</param>
/// <param name="Lost">Memory-only entries whose activations ended (collected, moved to another silo): key and version.</param>
[GenerateSerializer]
public sealed record CacheActivityReport(
    [property: Id(0)] string SiloInstance,
    [property: Id(1)] long KnownIncarnation,
    [property: Id(2)] long Hits,
    [property: Id(3)] long Misses,
    [property: Id(4)] CacheTouch[] Touches,
    [property: Id(5)] int EntriesHeld,
    [property: Id(6)] CacheTouch[]? Lost = null);

/// <summary>A tenant's cache statistics.</summary>
/// <param name="Entries">Live entries (expired ones not yet reclaimed included until reclaimed).</param>
/// <param name="Bytes">Bytes charged to the quota.</param>
/// <param name="Hits">Reads that found an entry (stale included).</param>
/// <param name="Misses">Reads that found none.</param>
/// <param name="Evictions">Entries evicted for the quota or memory pressure.</param>
/// <param name="Expirations">Entries reclaimed after expiry.</param>
/// <param name="QuotaBytes">The quota in force.</param>
/// <param name="DurableEntries">Entries kept in the store.</param>
/// <param name="ExpiredEntries">Entries past expiry and grace, not reclaimed yet.</param>
[GenerateSerializer]
[Immutable]
public sealed record CacheStats(
    [property: Id(0)] long Entries,
    [property: Id(1)] long Bytes,
    [property: Id(2)] long Hits,
    [property: Id(3)] long Misses,
    [property: Id(4)] long Evictions,
    [property: Id(5)] long Expirations,
    [property: Id(6)] long QuotaBytes,
    [property: Id(7)] long DurableEntries,
    [property: Id(8)] long ExpiredEntries)
{
    /// <summary>Hits over reads, 0 when nothing was read.</summary>
    public double HitRate => Hits + Misses == 0 ? 0 : (double)Hits / (Hits + Misses);
}

/// <summary>What an expiry and eviction run did.</summary>
/// <param name="Expired">Expired entries reclaimed.</param>
/// <param name="Evicted">Entries evicted to get under the quota.</param>
[GenerateSerializer]
[Immutable]
public sealed record CacheMaintenanceResult(
    [property: Id(0)] long Expired,
    [property: Id(1)] long Evicted);
