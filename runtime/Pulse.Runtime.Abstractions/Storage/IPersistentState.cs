namespace Pulse.Runtime.Storage;

/// <summary>
/// One named piece of a grain's persistent state. It is read before <see cref="Grain.OnActivateAsync"/>;
/// the grain writes it when it chooses. Writes are checked against the ETag read or last written:
/// a stale ETag throws <see cref="InconsistentStateException"/> and nothing is overwritten.
/// </summary>
/// <typeparam name="TState">The state type; serialized as JSON by the storage providers.</typeparam>
public interface IPersistentState<TState>
{
    /// <summary>The state. A new instance when no record exists.</summary>
    TState State { get; set; }

    /// <summary>The version token of the stored record, or null when none was read or written.</summary>
    string? Etag { get; }

    /// <summary>Whether a record exists in storage.</summary>
    bool RecordExists { get; }

    /// <summary>Reads the state from storage, replacing <see cref="State"/>.</summary>
    Task ReadStateAsync(CancellationToken cancellationToken = default);

    /// <summary>Writes <see cref="State"/> if the stored ETag still matches.</summary>
    Task WriteStateAsync(CancellationToken cancellationToken = default);

    /// <summary>Removes the stored record if the stored ETag still matches, and resets <see cref="State"/>.</summary>
    Task ClearStateAsync(CancellationToken cancellationToken = default);
}

/// <summary>
/// Marks a grain constructor parameter of type <see cref="IPersistentState{TState}"/> that the runtime
/// injects, bound to the named state in the named storage provider.
/// </summary>
[AttributeUsage(AttributeTargets.Parameter)]
public sealed class PersistentStateAttribute(string stateName, string? storageName = null) : Attribute
{
    /// <summary>The name of the state within the grain (part of the storage key).</summary>
    public string StateName { get; } = stateName;

    /// <summary>The storage provider's name; null means the default provider.</summary>
    public string? StorageName { get; } = storageName;
}

/// <summary>Creates the <see cref="IPersistentState{TState}"/> instances injected into grains.</summary>
public interface IPersistentStateFactory
{
    /// <summary>Creates a state bound to an activation; the runtime reads it before activation completes.</summary>
    IPersistentState<TState> Create<TState>(IGrainContext context, string stateName, string? storageName);
}
