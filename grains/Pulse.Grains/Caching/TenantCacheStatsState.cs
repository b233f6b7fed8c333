namespace Pulse.Grains.Caching;

/// <summary>A tenant's cache counters, kept in the store so they survive the index moving.</summary>
public sealed class TenantCacheStatsState
{
    /// <summary>Reads that found an entry.</summary>
    public long Hits { get; set; }

    /// <summary>Reads that found none.</summary>
    public long Misses { get; set; }

    /// <summary>Entries evicted for the quota or memory pressure.</summary>
    public long Evictions { get; set; }

    /// <summary>Entries reclaimed after expiry.</summary>
    public long Expirations { get; set; }
}
