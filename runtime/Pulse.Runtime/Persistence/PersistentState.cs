using Pulse.Runtime.Catalog;
using Pulse.Runtime.Storage;

namespace Pulse.Runtime.Persistence;

/// <summary>
/// The <see cref="IPersistentState{TState}"/> injected into grains. It remembers a 64-bit hash of the
/// JSON it last read or wrote, so deactivation can write the state only when its value changed.
/// </summary>
internal sealed class PersistentState<TState> : IPersistentState<TState>, IGrainState<TState>, IActivationStateParticipant
{
    private readonly IGrainStorage _storage;
    private readonly IGrainStateSerializer _serializer;
    private readonly GrainId _grainId;
    private ulong _persistedHash;
    private bool _persistedHashKnown;

    public PersistentState(string stateName, IGrainStorage storage, IGrainStateSerializer serializer, GrainId grainId)
    {
        StateName = stateName;
        _storage = storage;
        _serializer = serializer;
        _grainId = grainId;
        State = GrainStateDefaults.Create<TState>();
    }

    public string StateName { get; }

    public TState State { get; set; }

    public string? Etag => ETag;

    public string? ETag { get; set; }

    public bool RecordExists { get; set; }

    public async Task ReadStateAsync(CancellationToken cancellationToken = default)
    {
        await _storage.ReadStateAsync(StateName, _grainId, this, cancellationToken);
        RememberPersisted();
    }

    public async Task WriteStateAsync(CancellationToken cancellationToken = default)
    {
        await _storage.WriteStateAsync(StateName, _grainId, this, cancellationToken);
        RememberPersisted();
    }

    public async Task ClearStateAsync(CancellationToken cancellationToken = default)
    {
        await _storage.ClearStateAsync(StateName, _grainId, this, cancellationToken);
        State = GrainStateDefaults.Create<TState>();
        RememberPersisted();
    }

    Task IActivationStateParticipant.ReadAsync(CancellationToken cancellationToken) => ReadStateAsync(cancellationToken);

    async Task<bool> IActivationStateParticipant.WriteIfChangedAsync(CancellationToken cancellationToken)
    {
        if (_persistedHashKnown && HashOf(State) == _persistedHash)
        {
            return false;
        }

        await WriteStateAsync(cancellationToken);
        return true;
    }

    private void RememberPersisted()
    {
        _persistedHash = HashOf(State);
        _persistedHashKnown = true;
    }

    private ulong HashOf(TState state)
    {
        byte[] json = _serializer.Serialize(state);
        return ((ulong)StableHash.Compute(json, 0x9747b28c) << 32) | StableHash.Compute(json, 0x5bd1e995);
    }
}

/// <summary>Creates persistent states bound to activations and to keyed storage providers.</summary>
internal sealed class PersistentStateFactory(IServiceProvider services, IGrainStateSerializer serializer) : IPersistentStateFactory
{
    /// <summary>The storage provider name used when a state names none.</summary>
    public const string DefaultStorageName = GrainStorageQueries.DefaultStorageName;

    public IPersistentState<TState> Create<TState>(IGrainContext context, string stateName, string? storageName)
    {
        ArgumentException.ThrowIfNullOrEmpty(stateName);
        string name = storageName ?? DefaultStorageName;
        IGrainStorage storage = (services as Microsoft.Extensions.DependencyInjection.IKeyedServiceProvider)?.GetKeyedService(typeof(IGrainStorage), name) as IGrainStorage
            ?? throw new InvalidOperationException(
                $"Grain {context.GrainId} needs grain storage '{name}' for state '{stateName}', but none is registered. Add it with AddMemoryGrainStorage, AddSqliteGrainStorage or AddPostgresGrainStorage.");
        var state = new PersistentState<TState>(stateName, storage, serializer, context.GrainId);
        if (context is GrainActivation activation)
        {
            activation.AddStateParticipant(state);
        }

        return state;
    }
}
