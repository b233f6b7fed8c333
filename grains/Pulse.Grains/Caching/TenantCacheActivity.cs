using Pulse.GrainInterfaces.Caching;

namespace Pulse.Grains.Caching;

/// <summary>
/// One tenant's cache activity on this silo: read counters, entries read since the last report, the
/// number of entries held here and their bytes. Entry grains update it on their hot path (an interlocked
/// add for a read, a locked map update at most once a second per entry); <see cref="CacheSiloActivity"/> drains it.
/// </summary>
/// <remarks>
/// It keeps no set of its entries: that cost about 30 B per entry. When the whole list is needed (a new
/// index incarnation), the silo's activations are walked instead.
/// </remarks>
public sealed class TenantCacheActivity
{
    private readonly Lock _lock = new();
    private Dictionary<string, CacheTouch> _touches = new(StringComparer.Ordinal);
    private List<CacheTouch>? _lost;
    private long _hits;
    private long _misses;
    private long _bytes;
    private int _entryCount;
    private long _knownIncarnation;

    internal TenantCacheActivity(string tenantId, string siloInstanceId)
    {
        TenantId = tenantId;
        SiloInstanceId = siloInstanceId;
    }

    /// <summary>The tenant.</summary>
    public string TenantId { get; }

    /// <summary>This silo's instance id in the index's table of silos.</summary>
    internal string SiloInstanceId { get; }

    /// <summary>The index incarnation this silo last registered its entries with, or first had one admitted by (0: neither).</summary>
    internal long KnownIncarnation
    {
        get => Volatile.Read(ref _knownIncarnation);
        set => Volatile.Write(ref _knownIncarnation, value);
    }

    /// <summary>When this silo last reported to the index (Unix ms), for heartbeats.</summary>
    internal long LastReportUnixMs { get; set; }

    /// <summary>Bytes of the entries held here.</summary>
    public long Bytes => Volatile.Read(ref _bytes);

    /// <summary>How many entries are held here.</summary>
    public int EntryCount => Volatile.Read(ref _entryCount);

    /// <summary>
    /// Notes the incarnation that admitted an entry, when none is known yet. Without it, the first report
    /// of every silo would register again all the entries the index has just admitted; a later
    /// incarnation still differs from this one, so a rebuilt index is still told everything.
    /// </summary>
    internal void OnAdmitted(long incarnation)
    {
        if (incarnation != 0)
        {
            Interlocked.CompareExchange(ref _knownIncarnation, incarnation, 0);
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

    /// <summary>An entry now holds a value (<paramref name="added"/>) or changed its size.</summary>
    internal void Hold(bool added, long bytesDelta)
    {
        if (added)
        {
            Interlocked.Increment(ref _entryCount);
        }

        Interlocked.Add(ref _bytes, bytesDelta);
    }

    /// <summary>An entry no longer holds its value.</summary>
    internal void Release(long bytes)
    {
        Interlocked.Decrement(ref _entryCount);
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

    /// <summary>The index records of this tenant's entries among <paramref name="activeEntries"/> (entries active on the silo).</summary>
    internal CacheIndexEntry[] Snapshot(IEnumerable<CacheEntryGrain> activeEntries)
    {
        List<CacheIndexEntry> result = new(EntryCount);
        foreach (CacheEntryGrain entry in activeEntries)
        {
            if (ReferenceEquals(entry.Activity, this) && entry.Describe(SiloInstanceId) is { } described)
            {
                result.Add(described);
            }
        }

        return [.. result];
    }
}
