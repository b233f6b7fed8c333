using System.Collections.Concurrent;

namespace Pulse.Runtime.Persistence;

/// <summary>Options of <see cref="MemoryGrainStorage"/>.</summary>
public sealed class MemoryGrainStorageOptions
{
    /// <summary>
    /// The store the provider keeps its records in. Null (the default) gives the provider a private
    /// store. Several silos hosted in one process (the in-process test cluster) pass the same
    /// instance so that a grain re-activated on another silo finds its state.
    /// </summary>
    public MemoryGrainStorageStore? Store { get; set; }
}

/// <summary>
/// The records of one or more <see cref="MemoryGrainStorage"/> instances. It holds serialized JSON,
/// never state objects, so a caller cannot change stored state by mutating what it read or wrote.
/// </summary>
public sealed class MemoryGrainStorageStore
{
    internal ConcurrentDictionary<MemoryStorageKey, MemoryStoredRecord> Records { get; } = new();

    /// <summary>The number of records, cleared ones included.</summary>
    public int Count => Records.Count;
}

/// <summary>The key of one record; the same four parts as the SQL providers' primary key.</summary>
internal readonly record struct MemoryStorageKey(string ServiceId, string GrainType, string GrainKey, string StateName);

/// <summary>
/// One immutable version of a record. Updates swap the whole object with a compare-and-swap on the
/// reference, which is what makes the conditional write atomic without a lock.
/// </summary>
/// <param name="version">The version; the ETag is its invariant string form.</param>
/// <param name="payload">The JSON; null once the record was cleared.</param>
internal sealed class MemoryStoredRecord(int version, byte[]? payload)
{
    public int Version { get; } = version;

    public byte[]? Payload { get; } = payload;
}
