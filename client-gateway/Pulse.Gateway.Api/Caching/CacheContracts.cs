using System.Text.Json;
using System.Text.Json.Serialization;

namespace Pulse.Gateway.Api.Caching;

// The JSON shapes of the cache routes. Request fields are nullable (or JsonElement, whose Undefined kind
// means "absent") so a missing field is reported by name instead of silently becoming a default.

/// <summary>Answer of a write: <c>PUT /api/v1/cache/{key}</c> (201 or 200).</summary>
public sealed class CachePutResponse
{
    /// <summary>The key written.</summary>
    public string Key { get; set; } = "";

    /// <summary>The entry's new ETag (without quotes; the <c>ETag</c> header has it quoted).</summary>
    [JsonPropertyName("etag")]
    public string ETag { get; set; } = "";

    /// <summary>Whether the entry was created (201) rather than replaced (200).</summary>
    public bool Created { get; set; }
}

/// <summary>Answer of <c>DELETE /api/v1/cache?pattern=</c> or <c>?tag=</c>.</summary>
public sealed class CacheDeleteResponse
{
    /// <summary>How many entries were deleted.</summary>
    public long Deleted { get; set; }
}

/// <summary>A tenant's cache statistics: <c>GET /api/v1/cache/stats</c>.</summary>
public class CacheStatsResponse
{
    /// <summary>Entries held (expired ones count until reclaimed).</summary>
    public long Entries { get; set; }

    /// <summary>Bytes charged to the quota: keys, values and tags.</summary>
    public long Bytes { get; set; }

    /// <summary>Reads that found an entry (stale ones included).</summary>
    public long Hits { get; set; }

    /// <summary>Reads that found none.</summary>
    public long Misses { get; set; }

    /// <summary>Hits over reads, 0 to 1; 0 before the first read.</summary>
    public double HitRate { get; set; }

    /// <summary>Entries evicted for the quota or memory pressure.</summary>
    public long Evictions { get; set; }

    /// <summary>Entries reclaimed after expiry.</summary>
    public long Expirations { get; set; }

    /// <summary>The quota in force, in bytes.</summary>
    public long QuotaBytes { get; set; }

    /// <summary>Entries kept in the grain store.</summary>
    public long DurableEntries { get; set; }

    /// <summary>Entries past expiry and grace, not reclaimed yet.</summary>
    public long ExpiredEntries { get; set; }
}

/// <summary>Answer of <c>POST /api/v1/cache/evict</c>.</summary>
public sealed class CacheMaintenanceResponse
{
    /// <summary>Expired entries reclaimed.</summary>
    public long Expired { get; set; }

    /// <summary>Entries evicted to get under the quota.</summary>
    public long Evicted { get; set; }
}

/// <summary>Body of <c>POST /api/v1/cache/mget</c>.</summary>
public sealed class CacheMgetRequest
{
    /// <summary>1 to 1,000 keys; a key named twice is answered once.</summary>
    public List<string?>? Keys { get; set; }
}

/// <summary>Answer of <c>POST /api/v1/cache/mget</c> (written by hand, so values go out as stored; this type documents the shape).</summary>
public sealed class CacheMgetResponse
{
    /// <summary>Each key found and its value, in the order of the request.</summary>
    public Dictionary<string, JsonElement> Found { get; set; } = [];

    /// <summary>The keys not found, in the order of the request.</summary>
    public List<string> Missing { get; set; } = [];
}

/// <summary>Body of <c>POST /api/v1/cache/mset</c>.</summary>
public sealed class CacheMsetRequest
{
    /// <summary>1 to 1,000 entries, written in order (a key named twice ends with its last value).</summary>
    public List<CacheMsetEntry?>? Entries { get; set; }
}

/// <summary>One entry of an mset: the key, the value and the options of <c>PUT</c>'s query.</summary>
public sealed class CacheMsetEntry
{
    /// <summary>The key: 1 to 1,024 bytes of UTF-8, no control characters.</summary>
    public string? Key { get; set; }

    /// <summary>Any JSON value, stored as sent.</summary>
    public JsonElement Value { get; set; }

    /// <summary>Time to live: seconds (a number) or a string of seconds or an ISO 8601 duration; absent for no expiry.</summary>
    public JsonElement Ttl { get; set; }

    /// <summary>Whether reads restart the time to live (needs <see cref="Ttl"/>).</summary>
    public bool? Sliding { get; set; }

    /// <summary><c>low</c>, <c>normal</c> (default), <c>high</c> or <c>never_remove</c>.</summary>
    public string? Priority { get; set; }

    /// <summary>Tags: an array of strings or one comma-separated string.</summary>
    public JsonElement Tags { get; set; }

    /// <summary>Whether the entry is written to the grain store before the write is acknowledged.</summary>
    public bool? Durable { get; set; }

    /// <summary>Grace after expiry during which the entry is still served, marked stale (like <see cref="Ttl"/>; needs it).</summary>
    public JsonElement Stale { get; set; }
}

/// <summary>Answer of <c>POST /api/v1/cache/mset</c>.</summary>
public sealed class CacheMsetResponse
{
    /// <summary>One result per entry, in order.</summary>
    public List<CacheMsetResult> Results { get; set; } = [];
}

/// <summary>The outcome of one mset entry.</summary>
public sealed class CacheMsetResult
{
    /// <summary>The key.</summary>
    public string Key { get; set; } = "";

    /// <summary><c>created</c>, <c>replaced</c> or <c>insufficient_storage</c> (the tenant's quota is full of entries that may not be evicted).</summary>
    public string Status { get; set; } = "";

    /// <summary>The entry's ETag after the write; null when the write failed and the entry is absent.</summary>
    [JsonPropertyName("etag")]
    public string? ETag { get; set; }
}

/// <summary>One tenant's line of <c>GET /api/v1/admin/cache/stats</c>.</summary>
public sealed class TenantCacheStatsResponse : CacheStatsResponse
{
    /// <summary>The tenant id.</summary>
    public string TenantId { get; set; } = "";

    /// <summary>The tenant's name.</summary>
    public string Name { get; set; } = "";
}

/// <summary>Cluster totals: the statistics summed over every tenant.</summary>
public sealed class CacheTotalsResponse : CacheStatsResponse
{
    /// <summary>How many tenants were summed.</summary>
    public long Tenants { get; set; }
}

/// <summary>Answer of <c>GET /api/v1/admin/cache/stats</c>: totals over every tenant and one page of tenants.</summary>
public sealed class CacheClusterStatsResponse
{
    /// <summary>Sums over every tenant (the hit rate is over the summed reads; the quota is the sum of quotas).</summary>
    public CacheTotalsResponse Totals { get; set; } = new();

    /// <summary>This page of tenants, in creation order.</summary>
    public List<TenantCacheStatsResponse> Items { get; set; } = [];

    /// <summary>Pass as <c>?cursor=</c> for the next page; null on the last page.</summary>
    public string? NextCursor { get; set; }
}

/// <summary>Body of the salesmate-compatible <c>POST /api/performance/cache</c>.</summary>
public sealed class LegacyCacheSetRequest
{
    /// <summary>The key.</summary>
    public string? Key { get; set; }

    /// <summary>Any JSON value.</summary>
    public JsonElement Value { get; set; }

    /// <summary>Time to live in seconds; absent or 0 for no expiry.</summary>
    public JsonElement Ttl { get; set; }
}

/// <summary>Answer of the salesmate-compatible write.</summary>
public sealed class LegacyCacheSetResponse
{
    /// <summary>Always true.</summary>
    public bool Success { get; set; } = true;

    /// <summary>The key.</summary>
    public string Key { get; set; } = "";

    /// <summary>The entry's ETag.</summary>
    [JsonPropertyName("etag")]
    public string ETag { get; set; } = "";

    /// <summary>Whether the entry was created rather than replaced.</summary>
    public bool Created { get; set; }
}

/// <summary>Answer of the salesmate-compatible delete.</summary>
public sealed class LegacyCacheDeleteResponse
{
    /// <summary>Always true.</summary>
    public bool Success { get; set; } = true;

    /// <summary>How many entries were deleted.</summary>
    public long Deleted { get; set; }
}

/// <summary>Answer of the salesmate-compatible eviction run.</summary>
public sealed class LegacyCacheEvictResponse
{
    /// <summary>Always true.</summary>
    public bool Success { get; set; } = true;

    /// <summary>Expired entries reclaimed.</summary>
    public long Expired { get; set; }

    /// <summary>Entries evicted to get under the quota.</summary>
    public long Evicted { get; set; }
}

/// <summary>The salesmate-compatible failure, e.g. <c>{"success":false,"error":"Cache miss"}</c>.</summary>
public sealed class LegacyCacheError
{
    /// <summary>Always false.</summary>
    public bool Success { get; set; }

    /// <summary>What went wrong.</summary>
    public string Error { get; set; } = "";
}

/// <summary>Answer of the salesmate-compatible <c>GET /api/performance/cache/stats</c>.</summary>
public sealed class LegacyCacheStatsResponse
{
    /// <summary>Always true.</summary>
    public bool Success { get; set; } = true;

    /// <summary>The in-memory side: entries, hits, misses and the hit rate as a percentage string.</summary>
    public LegacyCacheMemoryStats Memory { get; set; } = new();

    /// <summary>The stored side: durable entries and expired ones not reclaimed yet.</summary>
    public LegacyCacheDatabaseStats Database { get; set; } = new();
}

/// <summary>The <c>memory</c> part of the salesmate statistics.</summary>
public sealed class LegacyCacheMemoryStats
{
    /// <summary>Entries held.</summary>
    public long Entries { get; set; }

    /// <summary>Reads that found an entry.</summary>
    public long Hits { get; set; }

    /// <summary>Reads that found none.</summary>
    public long Misses { get; set; }

    /// <summary>Hits over reads as a percentage, e.g. <c>"87.5%"</c>.</summary>
    public string HitRate { get; set; } = "0%";
}

/// <summary>The <c>database</c> part of the salesmate statistics.</summary>
public sealed class LegacyCacheDatabaseStats
{
    /// <summary>Durable entries (kept in the grain store).</summary>
    [JsonPropertyName("total_entries")]
    public long TotalEntries { get; set; }

    /// <summary>Entries past expiry and grace, not reclaimed yet.</summary>
    [JsonPropertyName("expired_entries")]
    public long ExpiredEntries { get; set; }
}

/// <summary>Source-generated JSON metadata of the cache API.</summary>
[JsonSourceGenerationOptions(JsonSerializerDefaults.Web)]
[JsonSerializable(typeof(CachePutResponse))]
[JsonSerializable(typeof(CacheDeleteResponse))]
[JsonSerializable(typeof(CacheStatsResponse))]
[JsonSerializable(typeof(CacheMaintenanceResponse))]
[JsonSerializable(typeof(CacheMgetRequest))]
[JsonSerializable(typeof(CacheMgetResponse))]
[JsonSerializable(typeof(CacheMsetRequest))]
[JsonSerializable(typeof(CacheMsetResponse))]
[JsonSerializable(typeof(CacheClusterStatsResponse))]
[JsonSerializable(typeof(LegacyCacheSetRequest))]
[JsonSerializable(typeof(LegacyCacheSetResponse))]
[JsonSerializable(typeof(LegacyCacheDeleteResponse))]
[JsonSerializable(typeof(LegacyCacheEvictResponse))]
[JsonSerializable(typeof(LegacyCacheError))]
[JsonSerializable(typeof(LegacyCacheStatsResponse))]
public sealed partial class CacheJsonContext : JsonSerializerContext;
