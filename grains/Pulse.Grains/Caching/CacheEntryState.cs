using Pulse.GrainInterfaces.Caching;
using Pulse.Runtime.Storage;

namespace Pulse.Grains.Caching;

/// <summary>A durable entry as the grain store keeps it (memory-only entries are never written).</summary>
public sealed class CacheEntryState
{
    /// <summary>The value (UTF-8 JSON).</summary>
    public byte[]? Value { get; set; }

    /// <summary>The entry version (its ETag).</summary>
    public long Version { get; set; }

    /// <summary>When it was written.</summary>
    public long WrittenAtUnixMs { get; set; }

    /// <summary>When it expires (0: never).</summary>
    public long ExpiresAtUnixMs { get; set; }

    /// <summary>Time to live, for sliding entries.</summary>
    public long TtlMs { get; set; }

    /// <summary>Whether reads restart the time to live.</summary>
    public bool Sliding { get; set; }

    /// <summary>Stale grace after expiry.</summary>
    public long StaleMs { get; set; }

    /// <summary>Eviction priority.</summary>
    public CachePriority Priority { get; set; }

    /// <summary>Tags.</summary>
    public string[] Tags { get; set; } = [];
}

/// <summary>The record handed to the grain store for one read or write.</summary>
internal sealed class CacheEntryRecord : IGrainState<CacheEntryState>
{
    public CacheEntryState State { get; set; } = new();

    public string? ETag { get; set; }

    public bool RecordExists { get; set; }
}
