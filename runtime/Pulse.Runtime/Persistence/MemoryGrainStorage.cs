using System.Runtime.CompilerServices;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Pulse.Runtime.Configuration;
using Pulse.Runtime.Storage;

namespace Pulse.Runtime.Persistence;

/// <summary>
/// Grain storage in process memory, for tests and single-process development. It follows the same
/// rules as the SQL providers (integer version ETags, conditional writes, clear keeps the version)
/// and keeps serialized JSON, so reading returns a fresh object and the stored state cannot be
/// changed through a reference the caller kept.
/// </summary>
public sealed partial class MemoryGrainStorage : IGrainStorage, IGrainStorageQuery, IStorageInitializer
{
    // How many records a listing visits between giving the thread back.
    private const int QueryPageSize = 500;

    private readonly MemoryGrainStorageStore _store;
    private readonly IGrainStateSerializer _serializer;
    private readonly string _serviceId;
    private readonly ILogger<MemoryGrainStorage> _logger;

    /// <summary>Creates the provider.</summary>
    /// <param name="name">The provider's registration name.</param>
    /// <param name="options">Its options; <see cref="MemoryGrainStorageOptions.Store"/> null gives a private store.</param>
    /// <param name="serializer">Turns state into JSON and back.</param>
    /// <param name="clusterOptions">Supplies the service id that is part of every key.</param>
    /// <param name="logger">The logger.</param>
    public MemoryGrainStorage(
        string name,
        MemoryGrainStorageOptions options,
        IGrainStateSerializer serializer,
        IOptions<ClusterOptions> clusterOptions,
        ILogger<MemoryGrainStorage> logger)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(serializer);
        ArgumentNullException.ThrowIfNull(clusterOptions);
        ArgumentNullException.ThrowIfNull(logger);
        Name = "memory:" + name;
        _store = options.Store ?? new MemoryGrainStorageStore();
        _serializer = serializer;
        _serviceId = clusterOptions.Value.ServiceId;
        _logger = logger;
    }

    /// <inheritdoc />
    public string Name { get; }

    /// <inheritdoc />
    public Task InitializeAsync(CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        Log.Initialized(_logger, Name, _serviceId);
        return Task.CompletedTask;
    }

    /// <inheritdoc />
    public Task ReadStateAsync<TState>(string stateName, GrainId grainId, IGrainState<TState> grainState, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(grainState);
        if (cancellationToken.IsCancellationRequested)
        {
            return Task.FromCanceled(cancellationToken);
        }

        try
        {
            if (_store.Records.TryGetValue(CreateKey(stateName, grainId), out MemoryStoredRecord? record))
            {
                grainState.ETag = GrainStorageEtags.Format(record.Version);
                grainState.RecordExists = record.Payload is not null;
                grainState.State = record.Payload is null
                    ? GrainStateDefaults.Create<TState>()
                    : _serializer.Deserialize<TState>(record.Payload);
            }
            else
            {
                grainState.ETag = null;
                grainState.RecordExists = false;
                grainState.State = GrainStateDefaults.Create<TState>();
            }

            return Task.CompletedTask;
        }
        catch (Exception exception)
        {
            return Task.FromException(exception);
        }
    }

    /// <inheritdoc />
    public Task WriteStateAsync<TState>(string stateName, GrainId grainId, IGrainState<TState> grainState, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(grainState);
        if (cancellationToken.IsCancellationRequested)
        {
            return Task.FromCanceled(cancellationToken);
        }

        try
        {
            byte[] payload = _serializer.Serialize(grainState.State);
            int version = Store(stateName, grainId, grainState.ETag, payload, "write");
            grainState.ETag = GrainStorageEtags.Format(version);
            grainState.RecordExists = true;
            return Task.CompletedTask;
        }
        catch (Exception exception)
        {
            return Task.FromException(exception);
        }
    }

    /// <inheritdoc />
    public Task ClearStateAsync<TState>(string stateName, GrainId grainId, IGrainState<TState> grainState, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(grainState);
        if (cancellationToken.IsCancellationRequested)
        {
            return Task.FromCanceled(cancellationToken);
        }

        try
        {
            MemoryStorageKey key = CreateKey(stateName, grainId);
            if (grainState.ETag is null && !_store.Records.ContainsKey(key))
            {
                // Nothing was ever stored and the caller saw nothing: clearing nothing is not a conflict.
                grainState.RecordExists = false;
                grainState.State = GrainStateDefaults.Create<TState>();
                return Task.CompletedTask;
            }

            int version = Store(stateName, grainId, grainState.ETag, payload: null, "clear");
            grainState.ETag = GrainStorageEtags.Format(version);
            grainState.RecordExists = false;
            grainState.State = GrainStateDefaults.Create<TState>();
            return Task.CompletedTask;
        }
        catch (Exception exception)
        {
            return Task.FromException(exception);
        }
    }

    /// <inheritdoc />
    public IAsyncEnumerable<StoredGrainState<TState>> QueryAsync<TState>(
        string stateName, GrainType grainType, string keyPrefix, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(stateName);
        if (grainType.IsDefault)
        {
            throw new ArgumentException("The grain type must be set.", nameof(grainType));
        }

        GrainStorageKeyRange.ValidatePrefix(keyPrefix);
        return QueryCoreAsync<TState>(stateName, grainType, keyPrefix, cancellationToken);
    }

    private async IAsyncEnumerable<StoredGrainState<TState>> QueryCoreAsync<TState>(
        string stateName, GrainType grainType, string keyPrefix, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();

        // The dictionary has no order, so the matching keys (not their payloads) are collected and
        // sorted; each payload is looked up again when its turn comes, so a record cleared meanwhile is
        // skipped and no state older than the listing is returned.
        List<string> keys = [];
        foreach (KeyValuePair<MemoryStorageKey, MemoryStoredRecord> pair in _store.Records)
        {
            MemoryStorageKey key = pair.Key;
            if (string.Equals(key.ServiceId, _serviceId, StringComparison.Ordinal)
                && string.Equals(key.GrainType, grainType.Value, StringComparison.Ordinal)
                && string.Equals(key.StateName, stateName, StringComparison.Ordinal)
                && key.GrainKey.StartsWith(keyPrefix, StringComparison.Ordinal))
            {
                keys.Add(key.GrainKey);
            }
        }

        keys.Sort(GrainStorageKeyRange.Comparer);
        int listed = 0;
        foreach (string grainKey in keys)
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (_store.Records.TryGetValue(new MemoryStorageKey(_serviceId, grainType.Value, grainKey, stateName), out MemoryStoredRecord? record)
                && record.Payload is not null)
            {
                yield return new StoredGrainState<TState>(
                    new GrainId(grainType, grainKey),
                    GrainStorageEtags.Format(record.Version),
                    _serializer.Deserialize<TState>(record.Payload));
            }

            if (++listed % QueryPageSize == 0)
            {
                // A long listing gives the thread back now and then, as the SQL providers do between pages.
                await Task.Yield();
            }
        }
    }

    /// <summary>Stores a new version if <paramref name="etag"/> matches; returns the new version.</summary>
    private int Store(string stateName, GrainId grainId, string? etag, byte[]? payload, string operation)
    {
        MemoryStorageKey key = CreateKey(stateName, grainId);
        if (etag is null)
        {
            if (_store.Records.TryAdd(key, new MemoryStoredRecord(GrainStorageEtags.FirstVersion, payload)))
            {
                return GrainStorageEtags.FirstVersion;
            }
        }
        else if (GrainStorageEtags.TryParse(etag, out int expected)
            && _store.Records.TryGetValue(key, out MemoryStoredRecord? current)
            && current.Version == expected)
        {
            int next = GrainStorageEtags.Next(expected);

            // Compares by reference, so a concurrent writer that swapped in its record first makes this fail.
            if (_store.Records.TryUpdate(key, new MemoryStoredRecord(next, payload), current))
            {
                return next;
            }
        }

        string? stored = _store.Records.TryGetValue(key, out MemoryStoredRecord? found) ? GrainStorageEtags.Format(found.Version) : null;
        Log.EtagConflict(_logger, Name, operation, stateName, grainId, stored, etag);
        throw GrainStorageEtags.Conflict(Name, operation, stateName, grainId, stored, etag);
    }

    private MemoryStorageKey CreateKey(string stateName, GrainId grainId)
    {
        ArgumentException.ThrowIfNullOrEmpty(stateName);
        if (grainId.IsDefault)
        {
            throw new ArgumentException("The grain id must be set.", nameof(grainId));
        }

        return new MemoryStorageKey(_serviceId, grainId.Type.Value, grainId.Key, stateName);
    }

    /// <summary>Log messages of <see cref="MemoryGrainStorage"/>; event ids 4000-4099.</summary>
    private static partial class Log
    {
        [LoggerMessage(EventId = 4000, Level = LogLevel.Information, Message = "Grain storage {Provider} ready (in memory, service {ServiceId})")]
        public static partial void Initialized(ILogger logger, string provider, string serviceId);

        [LoggerMessage(EventId = 4001, Level = LogLevel.Debug, Message = "Grain storage {Provider} refused to {Operation} state {StateName} of grain {GrainId}: stored ETag {StoredEtag}, writer's ETag {CurrentEtag}")]
        public static partial void EtagConflict(ILogger logger, string provider, string operation, string stateName, GrainId grainId, string? storedEtag, string? currentEtag);
    }
}
