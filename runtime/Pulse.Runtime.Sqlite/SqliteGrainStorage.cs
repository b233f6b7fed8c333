using System.Globalization;
using System.Text;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Pulse.Runtime.Configuration;
using Pulse.Runtime.Persistence;
using Pulse.Runtime.Storage;

namespace Pulse.Runtime.Sqlite;

/// <summary>
/// Grain storage in a SQLite database file: one row per (service id, grain type, grain key, state
/// name) in <c>grain_state</c>, the JSON payload as TEXT and an integer version that each write or
/// clear bumps only when the writer's ETag still matches. For one host; a cluster uses PostgreSQL.
/// </summary>
public sealed partial class SqliteGrainStorage : IGrainStorage, IGrainStorageQuery, IStorageInitializer, IDisposable
{
    private const string KeyFilter =
        "service_id = $service_id AND grain_type = $grain_type AND grain_key = $grain_key AND state_name = $state_name";

    private const string NowSql = SqliteSchemaMigrator.NowSql;

    private const string ReadSql = "SELECT version, CAST(payload AS BLOB) FROM grain_state WHERE " + KeyFilter;

    private const string ReadVersionSql = "SELECT version FROM grain_state WHERE " + KeyFilter;

    // ON CONFLICT DO NOTHING turns "a row already exists" into 0 rows affected instead of an error.
    private const string InsertSql =
        "INSERT INTO grain_state (service_id, grain_type, grain_key, state_name, version, payload, modified_at) " +
        "VALUES ($service_id, $grain_type, $grain_key, $state_name, $next, $payload, " + NowSql + ") ON CONFLICT DO NOTHING";

    private const string UpdateSql =
        "UPDATE grain_state SET version = $next, payload = $payload, modified_at = " + NowSql +
        " WHERE " + KeyFilter + " AND version = $expected";

    private readonly SqliteDatabase _database;
    private readonly string _connectionString;
    private readonly string _dataSource;
    private readonly SqliteGrainStorageOptions _options;
    private readonly IGrainStateSerializer _serializer;
    private readonly string _serviceId;
    private readonly ILogger<SqliteGrainStorage> _logger;

    /// <summary>Creates the provider; <see cref="InitializeAsync"/> must run before first use.</summary>
    /// <param name="name">The provider's registration name.</param>
    /// <param name="options">Its options, already validated.</param>
    /// <param name="serializer">Turns state into JSON and back.</param>
    /// <param name="clusterOptions">Supplies the service id that is part of every key.</param>
    /// <param name="logger">The logger.</param>
    public SqliteGrainStorage(
        string name,
        SqliteGrainStorageOptions options,
        IGrainStateSerializer serializer,
        IOptions<ClusterOptions> clusterOptions,
        ILogger<SqliteGrainStorage> logger)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(serializer);
        ArgumentNullException.ThrowIfNull(clusterOptions);
        ArgumentNullException.ThrowIfNull(logger);
        Name = "sqlite:" + name;
        _options = options;
        _serializer = serializer;
        _serviceId = clusterOptions.Value.ServiceId;
        _logger = logger;

        _database = new SqliteDatabase(options);
        _connectionString = _database.ConnectionString;
        _dataSource = _database.DataSource;
    }

    /// <inheritdoc />
    public string Name { get; }

    /// <inheritdoc />
    public Task ReadStateAsync<TState>(string stateName, GrainId grainId, IGrainState<TState> grainState, CancellationToken cancellationToken) =>
        GrainStorageFailures.GuardAsync(ReadStateCoreAsync(stateName, grainId, grainState, cancellationToken), "SQLite", "read", stateName, grainId);

    /// <inheritdoc />
    public Task WriteStateAsync<TState>(string stateName, GrainId grainId, IGrainState<TState> grainState, CancellationToken cancellationToken) =>
        GrainStorageFailures.GuardAsync(WriteStateCoreAsync(stateName, grainId, grainState, cancellationToken), "SQLite", "write", stateName, grainId);

    /// <inheritdoc />
    public Task ClearStateAsync<TState>(string stateName, GrainId grainId, IGrainState<TState> grainState, CancellationToken cancellationToken) =>
        GrainStorageFailures.GuardAsync(ClearStateCoreAsync(stateName, grainId, grainState, cancellationToken), "SQLite", "clear", stateName, grainId);

    private async Task ReadStateCoreAsync<TState>(string stateName, GrainId grainId, IGrainState<TState> grainState, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(grainState);
        ValidateKey(stateName, grainId);
        await using SqliteConnection connection = await OpenAsync(cancellationToken).ConfigureAwait(false);
        await using SqliteCommand command = CreateKeyedCommand(connection, ReadSql, stateName, grainId);
        await using SqliteDataReader reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        if (!await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            grainState.ETag = null;
            grainState.RecordExists = false;
            grainState.State = GrainStateDefaults.Create<TState>();
            return;
        }

        grainState.ETag = GrainStorageEtags.Format(reader.GetInt32(0));
        if (reader.IsDBNull(1))
        {
            // A cleared row: no state, but its version is the ETag the next write must present.
            grainState.RecordExists = false;
            grainState.State = GrainStateDefaults.Create<TState>();
        }
        else
        {
            grainState.RecordExists = true;
            grainState.State = _serializer.Deserialize<TState>(reader.GetFieldValue<byte[]>(1));
        }
    }

    private async Task WriteStateCoreAsync<TState>(string stateName, GrainId grainId, IGrainState<TState> grainState, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(grainState);
        ValidateKey(stateName, grainId);

        // TEXT rather than BLOB so that SQLite's json_extract() works on the column.
        string payload = Encoding.UTF8.GetString(_serializer.Serialize(grainState.State));
        int version = await StoreAsync(stateName, grainId, grainState.ETag, payload, "write", cancellationToken).ConfigureAwait(false);
        grainState.ETag = GrainStorageEtags.Format(version);
        grainState.RecordExists = true;
    }

    private async Task ClearStateCoreAsync<TState>(string stateName, GrainId grainId, IGrainState<TState> grainState, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(grainState);
        ValidateKey(stateName, grainId);
        if (grainState.ETag is null)
        {
            // The caller saw no record: clearing is a no-op if there still is none, a conflict if one appeared.
            await using SqliteConnection connection = await OpenAsync(cancellationToken).ConfigureAwait(false);
            string? stored = await ReadVersionAsync(connection, stateName, grainId, cancellationToken).ConfigureAwait(false);
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

    /// <summary>Returns the idle pooled connections, so the database file is closed once nothing uses it.</summary>
    public void Dispose()
    {
        using var connection = new SqliteConnection(_connectionString);
        SqliteConnection.ClearPool(connection);
    }

    /// <summary>
    /// Inserts (ETag null) or updates (ETag = stored version) the row in one statement, which SQLite
    /// runs atomically; returns the new version or throws <see cref="InconsistentStateException"/>.
    /// </summary>
    private async Task<int> StoreAsync(
        string stateName, GrainId grainId, string? etag, string? payload, string operation, CancellationToken cancellationToken)
    {
        await using SqliteConnection connection = await OpenAsync(cancellationToken).ConfigureAwait(false);
        int next = GrainStorageEtags.FirstVersion;
        bool stored = false;
        int expected = 0;
        if (etag is null || GrainStorageEtags.TryParse(etag, out expected))
        {
            await using SqliteCommand command = CreateKeyedCommand(connection, etag is null ? InsertSql : UpdateSql, stateName, grainId);
            if (etag is not null)
            {
                next = GrainStorageEtags.Next(expected);
                command.Parameters.AddWithValue("$expected", expected);
            }

            command.Parameters.AddWithValue("$next", next);
            command.Parameters.AddWithValue("$payload", (object?)payload ?? DBNull.Value);
            stored = await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false) == 1;
        }

        if (stored)
        {
            return next;
        }

        // Nothing changed; read the stored version only to report it.
        string? current = await ReadVersionAsync(connection, stateName, grainId, cancellationToken).ConfigureAwait(false);
        throw Conflict(operation, stateName, grainId, current, etag);
    }

    private async Task<string?> ReadVersionAsync(SqliteConnection connection, string stateName, GrainId grainId, CancellationToken cancellationToken)
    {
        await using SqliteCommand command = CreateKeyedCommand(connection, ReadVersionSql, stateName, grainId);
        object? version = await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false);
        return version is null or DBNull ? null : GrainStorageEtags.Format(Convert.ToInt32(version, CultureInfo.InvariantCulture));
    }

    private InconsistentStateException Conflict(string operation, string stateName, GrainId grainId, string? storedEtag, string? currentEtag)
    {
        Log.EtagConflict(_logger, Name, operation, stateName, grainId, storedEtag, currentEtag);
        return GrainStorageEtags.Conflict(Name, operation, stateName, grainId, storedEtag, currentEtag);
    }

    private SqliteCommand CreateKeyedCommand(SqliteConnection connection, string sql, string stateName, GrainId grainId)
    {
        SqliteCommand command = connection.CreateCommand();
        command.CommandText = sql;
        command.Parameters.AddWithValue("$service_id", _serviceId);
        command.Parameters.AddWithValue("$grain_type", grainId.Type.Value);
        command.Parameters.AddWithValue("$grain_key", grainId.Key);
        command.Parameters.AddWithValue("$state_name", stateName);
        return command;
    }

    private Task<SqliteConnection> OpenAsync(CancellationToken cancellationToken) => _database.OpenAsync(cancellationToken);

    private static void ValidateKey(string stateName, GrainId grainId)
    {
        ArgumentException.ThrowIfNullOrEmpty(stateName);
        if (grainId.IsDefault)
        {
            throw new ArgumentException("The grain id must be set.", nameof(grainId));
        }
    }
}
