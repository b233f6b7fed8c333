using Pulse.GrainInterfaces.Caching;

namespace Pulse.Grains.Caching;

/// <summary>
/// One tenant's cache activity on this silo: read counters, entries read since the last report, the
/// entries held here and their bytes. Entry grains update it on their hot path (an interlocked add for
/// a read, a locked map update at most once a second per entry); <see cref="CacheSiloActivity"/> drains it.
/// </summary>
public sealed class TenantCacheActivity
{
    private readonly Lock _lock = new();
    private readonly HashSet<CacheEntryGrain> _entries = [];
    private Dictionary<string, CacheTouch> _touches = new(StringComparer.Ordinal);
    private List<CacheTouch>? _lost;
    private long _hits;
    private long _misses;
    private long _bytes;

    internal TenantCacheActivity(string tenantId) => TenantId = tenantId;

    /// <summary>The tenant.</summary>
    public string TenantId { get; }

    /// <summary>The index incarnation this silo last registered its entries with (0: never).</summary>
    internal long KnownIncarnation { get; set; }

    /// <summary>When this silo last reported to the index (Unix ms), for heartbeats.</summary>
    internal long LastReportUnixMs { get; set; }

    /// <summary>Bytes of the entries held here.</summary>
    public long Bytes => Volatile.Read(ref _bytes);

    /// <summary>How many entries are held here.</summary>
    public int EntryCount
    {
        get
        {
            lock (_lock)
            {
                return _entries.Count;
            }
        }
    }

    internal void RecordHit() => Interlocked.Increment(ref _hits);

    internal void RecordMiss() => Interlocked.Increment(ref _misses);

    internal void Touch(string key, long version, long lastAccessUnixMs, long expiresAtUnixMs)
    {
        lock (_lock)
        {
            _touches[key] = new CacheTouch(key, version, lastAccessUnixMs, expiresAtUnixMs);
        }
    }

    internal void RecordLost(string key, long version)
    {
        lock (_lock)
        {
            (_lost ??= []).Add(new CacheTouch(key, version, 0, 0));
        }
    }

    internal void Hold(CacheEntryGrain entry, long bytesDelta)
    {
        lock (_lock)
        {
            _entries.Add(entry);
        }

        Interlocked.Add(ref _bytes, bytesDelta);
    }

    internal void Release(CacheEntryGrain entry, long bytes)
    {
        lock (_lock)
        {
            _entries.Remove(entry);
        }

        Interlocked.Add(ref _bytes, -bytes);
    }

    /// <summary>Takes the counters and touches gathered since the last call.</summary>
    internal (long Hits, long Misses, CacheTouch[] Touches, CacheTouch[] Lost) Drain()
    {
        long hits = Interlocked.Exchange(ref _hits, 0);
        long misses = Interlocked.Exchange(ref _misses, 0);
        Dictionary<string, CacheTouch>? touches = null;
        List<CacheTouch>? lost;
        lock (_lock)
        {
            if (_touches.Count != 0)
            {
                touches = _touches;
                _touches = new Dictionary<string, CacheTouch>(StringComparer.Ordinal);
            }

            lost = _lost;
            _lost = null;
        }

        return (hits, misses, touches is null ? [] : [.. touches.Values], lost is null ? [] : [.. lost]);
    }

    /// <summary>Puts counters and removals back after a report failed, so they are not lost.</summary>
    internal void Restore(long hits, long misses, CacheTouch[] lost)
    {
        Interlocked.Add(ref _hits, hits);
        Interlocked.Add(ref _misses, misses);
        if (lost.Length > 0)
        {
            lock (_lock)
            {
                (_lost ??= []).AddRange(lost);
            }
        }
    }

    /// <summary>The index records of every entry held here.</summary>
    internal CacheIndexEntry[] Snapshot(string siloInstance)
    {
        CacheEntryGrain[] entries;
        lock (_lock)
        {
            entries = [.. _entries];
        }

        List<CacheIndexEntry> result = new(entries.Length);
        foreach (CacheEntryGrain entry in entries)
        {
            if (entry.Describe(siloInstance) is { } described)
            {
                result.Add(described);
            }
        }

        return [.. result];
    }
}
