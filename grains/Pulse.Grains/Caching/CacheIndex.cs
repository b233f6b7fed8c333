using Pulse.GrainInterfaces.Caching;
using ExpiryHeap = Pulse.Grains.Caching.CacheRecordHeap<Pulse.Grains.Caching.CacheIndexRecord.ExpiryOrder>;
using RecencyHeap = Pulse.Grains.Caching.CacheRecordHeap<Pulse.Grains.Caching.CacheIndexRecord.RecencyOrder>;

namespace Pulse.Grains.Caching;

/// <summary>
/// A tenant's index of live cache entries, in memory in <see cref="TenantCacheGrain"/>: by key, by tag,
/// by expiry, and per priority in least-recently-used order, so eviction picks its victims in
/// O(victims · log victims) instead of sorting the tenant's keys on every write over quota.
/// </summary>
/// <remarks>
/// The orders are heaps whose records know their positions (<see cref="CacheRecordHeap{TOrder}"/>),
/// not sorted sets: a record costs an array slot in each instead of a tree node, and the heaps are
/// walked in order lazily when victims or expired entries are wanted.
/// </remarks>
internal sealed class CacheIndex
{
    // Records keyed by their own Key; _byKeyString finds one from a key string. A set slot is 8 bytes
    // less than a Dictionary<string, CacheIndexRecord> entry, which would hold the key reference twice.
    private readonly HashSet<CacheIndexRecord> _byKey = new(CacheIndexRecord.KeyComparer.Instance);
    private readonly HashSet<CacheIndexRecord>.AlternateLookup<string> _byKeyString;
    private readonly Dictionary<string, HashSet<string>> _byTag = new(StringComparer.Ordinal);
    private readonly ExpiryHeap _byExpiry = new();

    // Low, Normal, High; never_remove entries are in no eviction order.
    private readonly RecencyHeap[] _byRecency = [new(), new(), new()];

    public CacheIndex() => _byKeyString = _byKey.GetAlternateLookup<string>();

    /// <summary>Live entries.</summary>
    public int Count => _byKey.Count;

    /// <summary>Bytes charged.</summary>
    public long Bytes { get; private set; }

    /// <summary>Entries kept in the store.</summary>
    public int DurableCount { get; private set; }

    /// <summary>Every record (for pattern matching and heartbeats).</summary>
    public IEnumerable<CacheIndexRecord> Records => _byKey;

    public CacheIndexRecord? Find(string key) => _byKeyString.TryGetValue(key, out CacheIndexRecord? record) ? record : null;

    /// <summary>Adds or replaces the record of <paramref name="entry"/>'s key.</summary>
    public CacheIndexRecord Upsert(CacheIndexEntry entry, int siloSlot)
    {
        if (_byKeyString.TryGetValue(entry.Key, out CacheIndexRecord? existing))
        {
            _byKey.Remove(existing);
            Unlink(existing);
        }

        var record = new CacheIndexRecord(entry, siloSlot);
        _byKey.Add(record);
        Link(record);
        return record;
    }

    /// <summary>Removes a key if it has <paramref name="version"/> (any version when null).</summary>
    public CacheIndexRecord? Remove(string key, long? version = null)
    {
        if (!_byKeyString.TryGetValue(key, out CacheIndexRecord? record) || (version is { } v && record.Version != v))
        {
            return null;
        }

        _byKey.Remove(record);
        Unlink(record);
        return record;
    }

    /// <summary>Records a read reported by a silo.</summary>
    public void Touch(in CacheTouch touch)
    {
        if (!_byKeyString.TryGetValue(touch.Key, out CacheIndexRecord? record) || record.Version != touch.Version)
        {
            return;
        }

        SetTimes(record, Math.Max(record.LastAccessUnixMs, touch.LastAccessUnixMs), touch.ExpiresAtUnixMs);
    }

    /// <summary>Corrects an entry's expiry (an entry said its sliding expiry moved); nothing if the record has left the index.</summary>
    public void SetExpiry(CacheIndexRecord record, long expiresAtUnixMs)
    {
        if (Find(record.Key) == record)
        {
            SetTimes(record, record.LastAccessUnixMs, expiresAtUnixMs);
        }
    }

    /// <summary>Records whose expiry and grace are past, soonest first.</summary>
    public List<CacheIndexRecord> PastGrace(long now, int max = int.MaxValue)
    {
        List<CacheIndexRecord> result = [];
        ExpiryHeap.AscendingEnumerator walk = _byExpiry.Ascending();
        while (result.Count < max && walk.MoveNext() && walk.Current.ExpiresAtUnixMs <= now)
        {
            if (now >= walk.Current.ExpiresAtUnixMs + walk.Current.StaleMs)
            {
                result.Add(walk.Current);
            }
        }

        return result;
    }

    /// <summary>How many records are past expiry and grace.</summary>
    public int CountPastGrace(long now) => PastGrace(now).Count;

    /// <summary>Keys carrying <paramref name="tag"/>.</summary>
    public IReadOnlyCollection<string> WithTag(string tag) => _byTag.TryGetValue(tag, out HashSet<string>? keys) ? keys : [];

    /// <summary>
    /// Picks the entries to evict to free <paramref name="bytes"/>: expired ones first (soonest expiry
    /// first), then low, normal and high priority ones, each least recently used first. Never
    /// <paramref name="exceptKey"/> nor a never_remove entry that has not expired. Null when even all
    /// of them would not free enough.
    /// </summary>
    public List<CacheIndexRecord>? SelectVictims(long bytes, long now, string? exceptKey, Func<CacheIndexRecord, bool>? filter = null, bool bestEffort = false)
    {
        List<CacheIndexRecord> victims = [];
        long freed = 0;

        // Each walk checks whether enough is freed before it steps, so it goes no further than it takes.
        ExpiryHeap.AscendingEnumerator expired = _byExpiry.Ascending();
        while (freed < bytes && expired.MoveNext() && expired.Current.ExpiresAtUnixMs <= now)
        {
            Consider(expired.Current);
        }

        foreach (RecencyHeap heap in _byRecency)
        {
            RecencyHeap.AscendingEnumerator walk = heap.Ascending();
            while (freed < bytes && walk.MoveNext())
            {
                // Expired records were all weighed above (that walk only stops early once enough is
                // freed): each was taken, or would be refused again.
                if (!IsExpired(walk.Current, now))
                {
                    Consider(walk.Current);
                }
            }
        }

        return freed >= bytes || bestEffort ? victims : null;

        void Consider(CacheIndexRecord record)
        {
            if (!string.Equals(record.Key, exceptKey, StringComparison.Ordinal) && (filter is null || filter(record)))
            {
                victims.Add(record);
                freed += record.SizeBytes;
            }
        }
    }

    private void SetTimes(CacheIndexRecord record, long lastAccess, long expiresAt)
    {
        if (record.LastAccessUnixMs != lastAccess)
        {
            record.LastAccessUnixMs = lastAccess;
            RecencyOf(record)?.Update(record);
        }

        long previousExpiry = record.ExpiresAtUnixMs;
        if (previousExpiry == expiresAt)
        {
            return;
        }

        record.ExpiresAtUnixMs = expiresAt;
        if (previousExpiry == 0)
        {
            _byExpiry.Add(record);
        }
        else if (expiresAt == 0)
        {
            _byExpiry.Remove(record);
        }
        else
        {
            _byExpiry.Update(record);
        }
    }

    private void Link(CacheIndexRecord record)
    {
        Bytes += record.SizeBytes;
        if (record.Durable)
        {
            DurableCount++;
        }

        RecencyOf(record)?.Add(record);
        if (record.ExpiresAtUnixMs != 0)
        {
            _byExpiry.Add(record);
        }

        foreach (string tag in record.Tags)
        {
            if (!_byTag.TryGetValue(tag, out HashSet<string>? keys))
            {
                _byTag[tag] = keys = new HashSet<string>(StringComparer.Ordinal);
            }

            keys.Add(record.Key);
        }
    }

    private void Unlink(CacheIndexRecord record)
    {
        Bytes -= record.SizeBytes;
        if (record.Durable)
        {
            DurableCount--;
        }

        RecencyOf(record)?.Remove(record);
        if (record.ExpiresAtUnixMs != 0)
        {
            _byExpiry.Remove(record);
        }

        foreach (string tag in record.Tags)
        {
            if (_byTag.TryGetValue(tag, out HashSet<string>? keys) && keys.Remove(record.Key) && keys.Count == 0)
            {
                _byTag.Remove(tag);
            }
        }
    }

    private static bool IsExpired(CacheIndexRecord record, long now) => record.ExpiresAtUnixMs != 0 && record.ExpiresAtUnixMs <= now;

    private RecencyHeap? RecencyOf(CacheIndexRecord record) =>
        record.Priority == CachePriority.NeverRemove ? null : _byRecency[(int)record.Priority];
}
