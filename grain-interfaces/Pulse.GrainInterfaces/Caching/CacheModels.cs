using Pulse.Runtime.Serialization;

namespace Pulse.GrainInterfaces.Caching;

/// <summary>How readily an entry is evicted when its tenant is over quota or its silo is short of memory.</summary>
public enum CachePriority
{
    /// <summary>Evicted first.</summary>
    Low = 0,

    /// <summary>The default.</summary>
    Normal = 1,

    /// <summary>Evicted after every low and normal entry.</summary>
    High = 2,

    /// <summary>Never evicted; a write that cannot fit beside such entries is refused.</summary>
    NeverRemove = 3,
}

/// <summary>How a cache entry is kept.</summary>
/// <param name="TtlMs">Time to live in milliseconds; 0 means the entry does not expire.</param>
/// <param name="Sliding">Whether every read restarts the time to live (needs a non-zero <paramref name="TtlMs"/>).</param>
/// <param name="Priority">Eviction priority.</param>
/// <param name="Tags">Tags for <c>DELETE ?tag=</c>; empty when none. Distinct, each 1..128 bytes.</param>
/// <param name="Durable">Whether the entry is written to the grain store before the write is acknowledged.</param>
/// <param name="StaleMs">Grace after expiry during which the entry is still served, marked stale.</param>
[GenerateSerializer]
[Immutable]
public sealed record CacheEntryOptions(
    [property: Id(0)] long TtlMs,
    [property: Id(1)] bool Sliding,
    [property: Id(2)] CachePriority Priority,
    [property: Id(3)] string[] Tags,
    [property: Id(4)] bool Durable,
    [property: Id(5)] long StaleMs)
{
    /// <summary>No expiry, normal priority, no tags, memory only.</summary>
    public static CacheEntryOptions Default { get; } = new(0, false, CachePriority.Normal, [], false, 0);
}

/// <summary>A write of one entry.</summary>
/// <param name="Value">The value: UTF-8 JSON, validated by the gateway. Never mutated after the call.</param>
/// <param name="Options">How the entry is kept.</param>
/// <param name="IfMatch">Write only if the entry exists with this ETag (no quotes); null for no condition.</param>
/// <param name="IfNoneMatch">Write only if the entry does not exist (<c>If-None-Match: *</c>).</param>
/// <param name="LeaseToken">The lease this write fulfils; a token that is not the current lease fails with <see cref="CachePutStatus.LeaseLost"/>.</param>
[GenerateSerializer]
[Immutable]
public sealed record CachePut(
    [property: Id(0)] byte[] Value,
    [property: Id(1)] CacheEntryOptions Options,
    [property: Id(2)] string? IfMatch = null,
    [property: Id(3)] bool IfNoneMatch = false,
    [property: Id(4)] string? LeaseToken = null);

/// <summary>Outcome of a write.</summary>
public enum CachePutStatus
{
    /// <summary>The entry did not exist and was created (HTTP 201).</summary>
    Created = 0,

    /// <summary>An existing entry was replaced (HTTP 200).</summary>
    Replaced = 1,

    /// <summary><c>If-Match</c> or <c>If-None-Match</c> did not hold; nothing changed (HTTP 412).</summary>
    PreconditionFailed = 2,

    /// <summary>The entry cannot fit in the tenant's quota even after eviction; nothing changed (HTTP 507).</summary>
    InsufficientStorage = 3,

    /// <summary>The write carried a lease token that is not the current lease (expired or superseded); nothing changed (HTTP 409).</summary>
    LeaseLost = 4,
}

/// <summary>Outcome of a write and the entry's ETag after it (the current one when the write failed; null when absent).</summary>
[GenerateSerializer]
[Immutable]
public sealed record CachePutResult(
    [property: Id(0)] CachePutStatus Status,
    [property: Id(1)] string? ETag);

/// <summary>What a read found.</summary>
public enum CacheLookup
{
    /// <summary>No live entry.</summary>
    Miss = 0,

    /// <summary>A live entry.</summary>
    Hit = 1,

    /// <summary>An expired entry within its stale grace.</summary>
    Stale = 2,
}

/// <summary>
/// A read's answer. <see cref="Value"/> is the stored array itself: callers must not change it.
/// </summary>
/// <param name="Lookup">Hit, stale or miss.</param>
/// <param name="Value">The value (null on a miss).</param>
/// <param name="ETag">The entry's ETag (null on a miss).</param>
/// <param name="AgeMs">Milliseconds since the value was written.</param>
/// <param name="TtlRemainingMs">Milliseconds until expiry; -1 when the entry does not expire; 0 when stale.</param>
/// <param name="LeaseToken">A lease granted to this caller (it should compute the value and write it with this token); null when none was asked for or another caller holds it.</param>
/// <param name="LeaseHeldMs">When another caller holds the lease, the milliseconds it has left; 0 otherwise.</param>
[GenerateSerializer]
[Immutable]
public sealed record CacheGetResult(
    [property: Id(0)] CacheLookup Lookup,
    [property: Id(1)] byte[]? Value,
    [property: Id(2)] string? ETag,
    [property: Id(3)] long AgeMs,
    [property: Id(4)] long TtlRemainingMs,
    [property: Id(5)] string? LeaseToken,
    [property: Id(6)] long LeaseHeldMs)
{
    /// <summary>A plain miss.</summary>
    public static CacheGetResult Miss { get; } = new(CacheLookup.Miss, null, null, 0, 0, null, 0);
}

/// <summary>Why an entry left the cache.</summary>
public enum CacheRemovalReason
{
    /// <summary>Deleted by the tenant (key, pattern or tag).</summary>
    Deleted = 0,

    /// <summary>Expired (and past its stale grace).</summary>
    Expired = 1,

    /// <summary>Evicted to make room under the tenant's quota.</summary>
    Evicted = 2,

    /// <summary>Evicted because its silo was short of memory.</summary>
    MemoryPressure = 3,

    /// <summary>Its silo stopped or lost it (memory-only entries).</summary>
    Lost = 4,
}

/// <summary>The answer of an eviction request.</summary>
/// <param name="Removed">Whether the entry (of the version asked for) was removed.</param>
/// <param name="Version">The entry's version now (0 when absent).</param>
/// <param name="ExpiresAtUnixMs">Its expiry now (0 when it does not expire), so an index can correct a sliding expiry it had not heard of.</param>
[GenerateSerializer]
[Immutable]
public sealed record CacheEvictResult(
    [property: Id(0)] bool Removed,
    [property: Id(1)] long Version,
    [property: Id(2)] long ExpiresAtUnixMs);
