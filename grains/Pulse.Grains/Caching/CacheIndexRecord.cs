using Pulse.GrainInterfaces.Caching;

namespace Pulse.Grains.Caching;

/// <summary>One entry in a <see cref="CacheIndex"/>.</summary>
/// <remarks>
/// A tenant's index holds one of these per cache entry, so every field costs once per entry: sizes
/// that <see cref="CacheLimits"/> keep small are stored as <see cref="int"/>, the priority as a byte,
/// and the record carries its own positions in the index's heaps instead of the index wrapping it in
/// tree nodes. The object is 80 bytes on 64-bit.
/// </remarks>
internal sealed class CacheIndexRecord
{
    private readonly int _sizeBytes;
    private readonly int _staleMs;
    private readonly byte _priority;

    public CacheIndexRecord(CacheIndexEntry entry, int siloSlot)
    {
        Key = entry.Key;
        Version = entry.Version;
        // A charge is a key (1 KiB at most), a value (16 MiB at most through the gateway) and tags
        // (32 of 128 bytes); a grace is 7 days at most. Saturating only matters past 2 GiB or 24 days,
        // which no checked input reaches, and never throws on an entry listed from the store.
        _sizeBytes = Saturate(entry.SizeBytes);
        _staleMs = Saturate(entry.StaleMs);
        _priority = (byte)entry.Priority;
        // Every deserialized entry brings its own empty array; most entries have no tags.
        Tags = entry.Tags.Length == 0 ? [] : entry.Tags;
        Durable = entry.Durable;
        ExpiresAtUnixMs = entry.ExpiresAtUnixMs;
        LastAccessUnixMs = entry.LastAccessUnixMs;
        SiloSlot = siloSlot;
    }

    public string Key { get; }

    public long Version { get; }

    public long SizeBytes => _sizeBytes;

    public CachePriority Priority => (CachePriority)_priority;

    public string[] Tags { get; }

    public long StaleMs => _staleMs;

    public bool Durable { get; }

    /// <summary>Expiry (0: none). Changed only by the index, which orders its expiry heap by it.</summary>
    public long ExpiresAtUnixMs { get; set; }

    /// <summary>Last write or read. Changed only by the index, which orders its recency heaps by it.</summary>
    public long LastAccessUnixMs { get; set; }

    /// <summary>Index into the grain's table of silo instances.</summary>
    public int SiloSlot { get; set; }

    /// <summary>Position in the index's recency heap of its priority; -1 when in none.</summary>
    internal int RecencySlot { get; set; } = -1;

    /// <summary>Position in the index's expiry heap; -1 when in none (no expiry).</summary>
    internal int ExpirySlot { get; set; } = -1;

    private static int Saturate(long value) => (int)Math.Clamp(value, int.MinValue, int.MaxValue);

    /// <summary>
    /// Records are equal when their keys are (ordinal), and a key string finds its record through
    /// <see cref="HashSet{T}.GetAlternateLookup{TAlternate}"/>: the index keeps its records in a set
    /// keyed by their own <see cref="Key"/>, without a dictionary entry holding the key a second time.
    /// </summary>
    internal sealed class KeyComparer : IEqualityComparer<CacheIndexRecord>, IAlternateEqualityComparer<string, CacheIndexRecord>
    {
        public static readonly KeyComparer Instance = new();

        public bool Equals(CacheIndexRecord? x, CacheIndexRecord? y) => string.Equals(x?.Key, y?.Key, StringComparison.Ordinal);

        public int GetHashCode(CacheIndexRecord obj) => GetHashCode(obj.Key);

        public bool Equals(string alternate, CacheIndexRecord other) => string.Equals(alternate, other.Key, StringComparison.Ordinal);

        // Ordinal and randomized per process, so keys chosen by clients cannot be made to collide.
        public int GetHashCode(string alternate) => alternate.GetHashCode();

        // The index finds and removes records by key but only ever adds whole records.
        public CacheIndexRecord Create(string alternate) => throw new NotSupportedException("A cache index record is made from an entry, not from a key.");
    }

    // Structs, so that the heap's code is compiled for each order and its comparisons are direct calls.

    /// <summary>Least recently used first: (last access, key ordinal).</summary>
    internal readonly struct RecencyOrder : ICacheRecordOrder
    {
        public static long TimeOf(CacheIndexRecord record) => record.LastAccessUnixMs;

        public static int SlotOf(CacheIndexRecord record) => record.RecencySlot;

        public static void SetSlot(CacheIndexRecord record, int slot) => record.RecencySlot = slot;
    }

    /// <summary>Soonest expiry first: (expiry, key ordinal).</summary>
    internal readonly struct ExpiryOrder : ICacheRecordOrder
    {
        public static long TimeOf(CacheIndexRecord record) => record.ExpiresAtUnixMs;

        public static int SlotOf(CacheIndexRecord record) => record.ExpirySlot;

        public static void SetSlot(CacheIndexRecord record, int slot) => record.ExpirySlot = slot;
    }
}
