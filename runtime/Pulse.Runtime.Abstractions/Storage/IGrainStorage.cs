namespace Pulse.Runtime.Storage;

/// <summary>The state record a storage provider reads into and writes from.</summary>
/// <typeparam name="TState">The state type.</typeparam>
public interface IGrainState<TState>
{
    /// <summary>The state.</summary>
    TState State { get; set; }

    /// <summary>The version token; null when no record was read or written.</summary>
    string? ETag { get; set; }

    /// <summary>Whether a record exists in storage.</summary>
    bool RecordExists { get; set; }
}

/// <summary>
/// A grain storage provider. Every provider keys records by (service id, grain type, grain key,
/// state name) and guards writes with the ETag: a write or clear whose <see cref="IGrainState{TState}.ETag"/>
/// differs from the stored one throws <see cref="InconsistentStateException"/> and changes nothing.
/// A write with a null ETag succeeds only when no record exists.
/// </summary>
public interface IGrainStorage
{
    /// <summary>Reads the record into <paramref name="grainState"/>; a missing record leaves a new state, null ETag, RecordExists false.</summary>
    Task ReadStateAsync<TState>(string stateName, GrainId grainId, IGrainState<TState> grainState, CancellationToken cancellationToken);

    /// <summary>Writes the record and sets the new ETag and RecordExists.</summary>
    Task WriteStateAsync<TState>(string stateName, GrainId grainId, IGrainState<TState> grainState, CancellationToken cancellationToken);

    /// <summary>Clears the record (the version keeps counting, so an old ETag stays stale) and sets RecordExists false.</summary>
    Task ClearStateAsync<TState>(string stateName, GrainId grainId, IGrainState<TState> grainState, CancellationToken cancellationToken);
}
