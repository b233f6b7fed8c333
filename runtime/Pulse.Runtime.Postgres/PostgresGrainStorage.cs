using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Npgsql;
using NpgsqlTypes;
using Pulse.Runtime.Configuration;
using Pulse.Runtime.Persistence;
using Pulse.Runtime.Storage;

namespace Pulse.Runtime.Postgres;

/// <summary>
/// Grain storage in PostgreSQL: one row per (service id, grain type, grain key, state name) in
/// <c>&lt;schema&gt;.grain_state</c>, the state as <c>jsonb</c> so operators can query it, and an
/// integer version that a write or clear bumps only <c>WHERE version = expected</c>, in one round trip.
/// </summary>
public sealed partial class PostgresGrainStorage : IGrainStorage, IGrainStorageQuery, IStorageInitializer, IAsyncDisposable, IDisposable
{
    // $1..$4 are the key in every statement; positional parameters spare Npgsql from rewriting the SQL.
    private const string KeyFilter = "service_id = $1 AND grain_type = $2 AND grain_key = $3 AND state_name = $4";

    private readonly NpgsqlDataSource _dataSource;
    private readonly PostgresGrainStorageOptions _options;
    private readonly IGrainStateSerializer _serializer;
    private readonly string _serviceId;
    private readonly ILogger<PostgresGrainStorage> _logger;
    private readonly string _quotedSchema;
    private readonly string _readSql;
    private readonly string _readVersionSql;
    private readonly string _insertSql;
    private readonly string _updateSql;
    private readonly string[] _querySql;

    /// <summary>Creates the provider and its connection pool; <see cref="InitializeAsync"/> must run before first use.</summary>
    /// <param name="name">The provider's registration name.</param>
    /// <param name="options">Its options, already validated.</param>
    /// <param name="serializer">Turns state into JSON and back.</param>
    /// <param name="clusterOptions">Supplies the service id that is part of every key.</param>
    /// <param name="logger">The logger.</param>
    public PostgresGrainStorage(
        string name,
        PostgresGrainStorageOptions options,
        IGrainStateSerializer serializer,
        IOptions<ClusterOptions> clusterOptions,
        ILogger<PostgresGrainStorage> logger)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(serializer);
        ArgumentNullException.ThrowIfNull(clusterOptions);
        ArgumentNullException.ThrowIfNull(logger);
        ArgumentException.ThrowIfNullOrEmpty(options.ConnectionString);
        if (!PostgresGrainStorageOptionsValidator.SchemaNamePattern().IsMatch(options.SchemaName))
        {
            // Also checked at start by the validator; repeated because the name is spliced into SQL.
            throw new ArgumentException($"'{options.SchemaName}' is not a valid schema name.", nameof(options));
        }

        Name = "postgres:" + name;
        _options = options;
        _serializer = serializer;
        _serviceId = clusterOptions.Value.ServiceId;
        _logger = logger;

        var builder = new NpgsqlDataSourceBuilder(options.ConnectionString) { Name = "pulse-grain-storage-" + name };
        builder.ConnectionStringBuilder.CommandTimeout = (int)Math.Ceiling(options.CommandTimeout.TotalSeconds);
        _dataSource = builder.Build();

        _quotedSchema = "\"" + options.SchemaName + "\"";
        string table = _quotedSchema + ".grain_state";
        _readSql = $"SELECT version, payload FROM {table} WHERE {KeyFilter}";
        _readVersionSql = $"SELECT version FROM {table} WHERE {KeyFilter}";

        // ON CONFLICT DO NOTHING turns "a row already exists" into 0 rows instead of an error that would
        // abort a surrounding transaction and cost a log line on the server.
        _insertSql = $"INSERT INTO {table} (service_id, grain_type, grain_key, state_name, version, payload, modified_at) " +
            "VALUES ($1, $2, $3, $4, $5, $6, now()) ON CONFLICT DO NOTHING";
        _updateSql = $"UPDATE {table} SET version = $5, payload = $6, modified_at = now() WHERE {KeyFilter} AND version = $7";
        _querySql = [CreateQuerySql(table, after: false, bounded: false), CreateQuerySql(table, after: false, bounded: true),
            CreateQuerySql(table, after: true, bounded: false), CreateQuerySql(table, after: true, bounded: true)];
    }

    /// <inheritdoc />
    public string Name { get; }

    /// <inheritdoc />
    public Task ReadStateAsync<TState>(string stateName, GrainId grainId, IGrainState<TState> grainState, CancellationToken cancellationToken) =>
        GrainStorageFailures.GuardAsync(ReadStateCoreAsync(stateName, grainId, grainState, cancellationToken), "PostgreSQL", "read", stateName, grainId);

    /// <inheritdoc />
    public Task WriteStateAsync<TState>(string stateName, GrainId grainId, IGrainState<TState> grainState, CancellationToken cancellationToken) =>
        GrainStorageFailures.GuardAsync(WriteStateCoreAsync(stateName, grainId, grainState, cancellationToken), "PostgreSQL", "write", stateName, grainId);

    /// <inheritdoc />
    public Task ClearStateAsync<TState>(string stateName, GrainId grainId, IGrainState<TState> grainState, CancellationToken cancellationToken) =>
        GrainStorageFailures.GuardAsync(ClearStateCoreAsync(stateName, grainId, grainState, cancellationToken), "PostgreSQL", "clear", stateName, grainId);

    private async Task ReadStateCoreAsync<TState>(string stateName, GrainId grainId, IGrainState<TState> grainState, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(grainState);
        await using NpgsqlCommand command = CreateKeyedCommand(_readSql, stateName, grainId);
        await using NpgsqlDataReader reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        if (!await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            grainState.ETag = null;
            grainState.RecordExists = false;
            grainState.State = GrainStateDefaults.Create<TState>();
            return;
        }

        grainState.ETag = GrainStorageEtags.Format(reader.GetInt32(0));
        if (await reader.IsDBNullAsync(1, cancellationToken).ConfigureAwait(false))
        {
            // A cleared row: no state, but its version is the ETag the next write must present.
            grainState.RecordExists = false;
            grainState.State = GrainStateDefaults.Create<TState>();
        }
        else
        {
            grainState.RecordExists = true;
            byte[] payload = await reader.GetFieldValueAsync<byte[]>(1, cancellationToken).ConfigureAwait(false);
            grainState.State = _serializer.Deserialize<TState>(payload);
        }
    }

    private async Task WriteStateCoreAsync<TState>(string stateName, GrainId grainId, IGrainState<TState> grainState, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(grainState);
        byte[] payload = _serializer.Serialize(grainState.State);
        int version = await StoreAsync(stateName, grainId, grainState.ETag, payload, "write", cancellationToken).ConfigureAwait(false);
        grainState.ETag = GrainStorageEtags.Format(version);
        grainState.RecordExists = true;
    }

    private async Task ClearStateCoreAsync<TState>(string stateName, GrainId grainId, IGrainState<TState> grainState, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(grainState);
        if (grainState.ETag is null)
        {
            // The caller saw no record: clearing is a no-op if there still is none, a conflict if one appeared.
            string? stored = await ReadVersionAsync(stateName, grainId, cancellationToken).ConfigureAwait(false);
            if (stored is not null)
            {
                throw Conflict("clear", stateName, grainId, stored, null);
            }
        }
        else
        {
            int version = await StoreAsync(stateName, grainId, grainState.ETag, null, "clear", cancellationToken).ConfigureAwait(false);
            grainState.ETag = GrainStorageEtags.Format(version);
        }

        grainState.RecordExists = false;
        grainState.State = GrainStateDefaults.Create<TState>();
    }

    /// <summary>Closes the provider's connection pool.</summary>
    public ValueTask DisposeAsync() => _dataSource.DisposeAsync();

    /// <summary>Closes the provider's connection pool.</summary>
    public void Dispose() => _dataSource.Dispose();

    /// <summary>
    /// Inserts (ETag null) or updates (ETag = stored version) the row with one statement; returns the
    /// new version or throws <see cref="InconsistentStateException"/> having changed nothing.
    /// </summary>
    private async Task<int> StoreAsync(
        string stateName, GrainId grainId, string? etag, byte[]? payload, string operation, CancellationToken cancellationToken)
    {
        int next = GrainStorageEtags.FirstVersion;
        bool stored = false;
        int expected = 0;
        if (etag is null || GrainStorageEtags.TryParse(etag, out expected))
        {
            await using NpgsqlCommand command = CreateKeyedCommand(etag is null ? _insertSql : _updateSql, stateName, grainId);
            if (etag is not null)
            {
                next = GrainStorageEtags.Next(expected);
            }

            command.Parameters.Add(new NpgsqlParameter<int> { NpgsqlDbType = NpgsqlDbType.Integer, TypedValue = next });
            command.Parameters.Add(new NpgsqlParameter { NpgsqlDbType = NpgsqlDbType.Jsonb, Value = (object?)payload ?? DBNull.Value });
            if (etag is not null)
            {
                command.Parameters.Add(new NpgsqlParameter<int> { NpgsqlDbType = NpgsqlDbType.Integer, TypedValue = expected });
            }

            stored = await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false) == 1;
        }

        if (stored)
        {
            return next;
        }

        // Nothing changed; the second round trip happens only on a conflict, to report the stored ETag.
        string? current = await ReadVersionAsync(stateName, grainId, cancellationToken).ConfigureAwait(false);
        throw Conflict(operation, stateName, grainId, current, etag);
    }

    private async Task<string?> ReadVersionAsync(string stateName, GrainId grainId, CancellationToken cancellationToken)
    {
        await using NpgsqlCommand command = CreateKeyedCommand(_readVersionSql, stateName, grainId);
        object? version = await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false);
        return version is int value ? GrainStorageEtags.Format(value) : null;
    }

    private InconsistentStateException Conflict(string operation, string stateName, GrainId grainId, string? storedEtag, string? currentEtag)
    {
        Log.EtagConflict(_logger, Name, operation, stateName, grainId, storedEtag, currentEtag);
        return GrainStorageEtags.Conflict(Name, operation, stateName, grainId, storedEtag, currentEtag);
    }

    /// <summary>A command that runs on its own pooled connection, with the key as $1..$4.</summary>
    private NpgsqlCommand CreateKeyedCommand(string sql, string stateName, GrainId grainId)
    {
        ArgumentException.ThrowIfNullOrEmpty(stateName);
        if (grainId.IsDefault)
        {
            throw new ArgumentException("The grain id must be set.", nameof(grainId));
        }

        NpgsqlCommand command = _dataSource.CreateCommand(sql);
        command.Parameters.Add(new NpgsqlParameter<string> { NpgsqlDbType = NpgsqlDbType.Text, TypedValue = _serviceId });
        command.Parameters.Add(new NpgsqlParameter<string> { NpgsqlDbType = NpgsqlDbType.Text, TypedValue = grainId.Type.Value });
        command.Parameters.Add(new NpgsqlParameter<string> { NpgsqlDbType = NpgsqlDbType.Text, TypedValue = grainId.Key });
        command.Parameters.Add(new NpgsqlParameter<string> { NpgsqlDbType = NpgsqlDbType.Text, TypedValue = stateName });
        return command;
    }
}
