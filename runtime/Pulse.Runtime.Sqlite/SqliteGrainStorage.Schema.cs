using System.Globalization;
using Microsoft.Data.Sqlite;

namespace Pulse.Runtime.Sqlite;

public sealed partial class SqliteGrainStorage
{
    /// <summary>The component name under which <c>pulse_schema_version</c> records this schema's version.</summary>
    public const string SchemaComponent = "grain-storage";

    /// <summary>
    /// The migrations, in order; the index + 1 is the version each one produces. Never edit a shipped
    /// migration: silos that already applied it would not run it again. Append a new one instead.
    /// </summary>
    private static readonly string[] Migrations =
    [
        """
        CREATE TABLE IF NOT EXISTS grain_state (
            service_id  TEXT    NOT NULL,
            grain_type  TEXT    NOT NULL,
            grain_key   TEXT    NOT NULL,
            state_name  TEXT    NOT NULL,
            version     INTEGER NOT NULL,
            payload     TEXT    NULL,
            modified_at TEXT    NOT NULL,
            PRIMARY KEY (service_id, grain_type, grain_key, state_name)
        ) WITHOUT ROWID
        """,
    ];

    /// <summary>The schema version this provider creates.</summary>
    public static int SchemaVersion => Migrations.Length;

    /// <summary>
    /// Creates or migrates the schema and switches the file to WAL. Idempotent; two silos that start
    /// at once serialise on SQLite's write lock (BEGIN IMMEDIATE) and the second finds nothing to do.
    /// </summary>
    public async Task InitializeAsync(CancellationToken cancellationToken)
    {
        CreateDirectoryOfDatabase();
        await using SqliteConnection connection = await OpenAsync(cancellationToken).ConfigureAwait(false);

        // Outside any transaction, as SQLite requires. WAL persists in the file and lets readers run
        // beside the one writer.
        string journalMode = await ExecuteScalarStringAsync(connection, null, "PRAGMA journal_mode = WAL", cancellationToken).ConfigureAwait(false);
        if (!string.Equals(journalMode, "wal", StringComparison.OrdinalIgnoreCase))
        {
            Log.NotWal(_logger, Name, journalMode);
        }

        // deferred: false = BEGIN IMMEDIATE: takes the write lock before reading the version, so a
        // concurrent silo waits here (busy timeout) instead of migrating the same version twice.
        await using SqliteTransaction transaction = connection.BeginTransaction(deferred: false);
        await ExecuteAsync(connection, transaction,
            """
            CREATE TABLE IF NOT EXISTS pulse_schema_version (
                component  TEXT    NOT NULL PRIMARY KEY,
                version    INTEGER NOT NULL,
                applied_at TEXT    NOT NULL
            ) WITHOUT ROWID
            """, cancellationToken).ConfigureAwait(false);

        int current;
        await using (SqliteCommand command = connection.CreateCommand())
        {
            command.Transaction = transaction;
            command.CommandText = "SELECT version FROM pulse_schema_version WHERE component = $component";
            command.Parameters.AddWithValue("$component", SchemaComponent);
            object? value = await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false);
            current = value is null or DBNull ? 0 : Convert.ToInt32(value, CultureInfo.InvariantCulture);
        }

        if (current > SchemaVersion)
        {
            Log.SchemaNewerThanKnown(_logger, Name, current, SchemaVersion);
        }
        else if (current < SchemaVersion)
        {
            for (int version = current + 1; version <= SchemaVersion; version++)
            {
                await ExecuteAsync(connection, transaction, Migrations[version - 1], cancellationToken).ConfigureAwait(false);
            }

            await using (SqliteCommand command = connection.CreateCommand())
            {
                command.Transaction = transaction;
                command.CommandText =
                    "INSERT INTO pulse_schema_version (component, version, applied_at) VALUES ($component, $version, " + NowSql + ") " +
                    "ON CONFLICT (component) DO UPDATE SET version = excluded.version, applied_at = excluded.applied_at";
                command.Parameters.AddWithValue("$component", SchemaComponent);
                command.Parameters.AddWithValue("$version", SchemaVersion);
                await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
            }

            Log.SchemaMigrated(_logger, Name, current, SchemaVersion);
        }

        await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
        Log.Initialized(_logger, Name, _dataSource, journalMode, _options.BusyTimeout, _serviceId, Math.Max(current, SchemaVersion));
    }

    /// <summary>SQLite creates a missing file but not a missing folder; create it so a fresh host can start.</summary>
    private void CreateDirectoryOfDatabase()
    {
        if (_dataSource.Length == 0
            || _dataSource.StartsWith("file:", StringComparison.OrdinalIgnoreCase)
            || string.Equals(_dataSource, ":memory:", StringComparison.Ordinal))
        {
            return;
        }

        string? directory = Path.GetDirectoryName(Path.GetFullPath(_dataSource));
        if (!string.IsNullOrEmpty(directory))
        {
            Directory.CreateDirectory(directory);
        }
    }

    private static async Task ExecuteAsync(SqliteConnection connection, SqliteTransaction? transaction, string sql, CancellationToken cancellationToken)
    {
        await using SqliteCommand command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = sql;
        await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    private static async Task<string> ExecuteScalarStringAsync(SqliteConnection connection, SqliteTransaction? transaction, string sql, CancellationToken cancellationToken)
    {
        await using SqliteCommand command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = sql;
        object? value = await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false);
        return Convert.ToString(value, CultureInfo.InvariantCulture) ?? string.Empty;
    }
}
