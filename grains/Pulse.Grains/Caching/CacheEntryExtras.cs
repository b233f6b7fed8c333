namespace Pulse.Grains.Caching;

/// <summary>
/// The state of a <see cref="CacheEntryGrain"/> that most entries never have: a stale grace, a lease,
/// and the ETag of a record in the grain store. Allocated on first use, so a plain memory-only entry
/// does not carry these fields.
/// </summary>
internal sealed class CacheEntryExtras
{
    /// <summary>Grace after expiry during which the value is served as stale.</summary>
    public long StaleMs { get; set; }

    /// <summary>The stampede lease on a miss or stale hit, while one is out.</summary>
    public CacheLease? Lease { get; set; }

    /// <summary>The ETag of the entry's record in the grain store (it keeps counting after a clear).</summary>
    public string? StoredETag { get; set; }

    /// <summary>Whether the store holds a record for the entry.</summary>
    public bool StoredExists { get; set; }
}
