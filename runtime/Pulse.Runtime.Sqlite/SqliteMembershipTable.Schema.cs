using System.Globalization;
using Microsoft.Data.Sqlite;

namespace Pulse.Runtime.Sqlite;

public sealed partial class SqliteMembershipTable
{
    /// <summary>The component name under which <c>pulse_schema_version</c> records this schema's version.</summary>
    public const string SchemaComponent = "membership";

    /// <summary>
    /// The migrations, in order; the index + 1 is the version each one produces. Never edit a shipped
    /// migration: databases that already applied it would not run it again. Append a new one instead.
    /// </summary>
    private static readonly string[] Migrations =
    [
        """
        CREATE TABLE IF NOT EXISTS pulse_membership_version (
            cluster_id TEXT    NOT NULL PRIMARY KEY,
            version    INTEGER NOT NULL,
            updated_at TEXT    NOT NULL
        ) WITHOUT ROWID;

        CREATE TABLE IF NOT EXISTS pulse_membership (
            cluster_id    TEXT    NOT NULL,
            silo_address  TEXT    NOT NULL,
            generation    INTEGER NOT NULL,
            status        TEXT    NOT NULL CHECK (status IN ('Joining', 'Active', 'ShuttingDown', 'Dead')),
            silo_name     TEXT    NOT NULL,
            host_name     TEXT    NOT NULL,
            client_port   INTEGER NOT NULL,
            http_port     INTEGER NOT NULL,
            start_time    TEXT    NOT NULL,
            iamalive_time TEXT    NOT NULL,
            suspicions    TEXT    NOT NULL,
            etag          INTEGER NOT NULL,
            PRIMARY KEY (cluster_id, silo_address)
        ) WITHOUT ROWID;
        """,
    ];

    /// <summary>The schema version this provider creates.</summary>
    public static int SchemaVersion => Migrations.Length;

    /// <summary>
    /// Creates or migrates the schema, switches the file to WAL and creates this cluster's version row
    /// (version 0) if missing. Idempotent; processes that start at once serialise on SQLite's write
    /// lock (BEGIN IMMEDIATE) and the later ones find nothing to do.
    /// </summary>
    public async Task InitializeAsync(CancellationToken cancellationToken)
    {
        CreateDirectoryOfDatabase();
        await using SqliteConnection connection = await OpenAsync(cancellationToken).ConfigureAwait(false);

        // Outside any transaction, as SQLite requires. WAL persists in the file and lets readers run
        // beside the one writer.
        string journalMode = Convert.ToString(
            await ExecuteScalarAsync(connection, null, "PRAGMA journal_mode = WAL", cancellationToken).ConfigureAwait(false),
            CultureInfo.InvariantCulture) ?? string.Empty;
        if (!string.Equals(journalMode, "wal", StringComparison.OrdinalIgnoreCase))
        {
            Log.NotWal(_logger, journalMode);
        }

        // deferred: false = BEGIN IMMEDIATE: takes the write lock before reading the version, so a
        // concurrent process waits here (busy timeout) instead of migrating the same version twice.
        await using SqliteTransaction transaction = connection.BeginTransaction(deferred: false);

        // The same definition grain storage uses: whichever component starts first creates it.
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
            object? stored = await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false);
            current = stored is null or DBNull ? 0 : Convert.ToInt32(stored, CultureInfo.InvariantCulture);
        }
        if (current > SchemaVersion)
        {
            Log.SchemaNewerThanKnown(_logger, current, SchemaVersion);
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

            Log.SchemaMigrated(_logger, current, SchemaVersion);
        }

        // Version 0 is "a new, empty table"; DO NOTHING keeps the version of a table already in use.
        await using (SqliteCommand command = connection.CreateCommand())
        {
            command.Transaction = transaction;
            command.CommandText =
                "INSERT INTO pulse_membership_version (cluster_id, version, updated_at) VALUES ($cluster_id, 0, " + NowSql + ") ON CONFLICT DO NOTHING";
            command.Parameters.AddWithValue("$cluster_id", _clusterId);
            await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }

        await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
        Log.Initialized(_logger, _dataSource, journalMode, _options.BusyTimeout, _clusterId, Math.Max(current, SchemaVersion));
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

    private static async Task<object?> ExecuteScalarAsync(SqliteConnection connection, SqliteTransaction? transaction, string sql, CancellationToken cancellationToken)
    {
        await using SqliteCommand command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = sql;
        return await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false);
    }
}
