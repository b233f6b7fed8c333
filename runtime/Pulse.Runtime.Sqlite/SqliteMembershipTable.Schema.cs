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
        SqliteSchemaMigrator.CreateDirectoryOf(_dataSource);
        await using SqliteConnection connection = await OpenAsync(cancellationToken).ConfigureAwait(false);
        string journalMode = await SqliteSchemaMigrator.EnableWalAsync(connection, cancellationToken).ConfigureAwait(false);
        if (!string.Equals(journalMode, "wal", StringComparison.OrdinalIgnoreCase))
        {
            Log.NotWal(_logger, journalMode);
        }

        // deferred: false = BEGIN IMMEDIATE: takes the write lock before reading the version, so a
        // concurrent process waits here (busy timeout) instead of migrating the same version twice.
        await using SqliteTransaction transaction = connection.BeginTransaction(deferred: false);
        (int current, int stored) = await SqliteSchemaMigrator.MigrateAsync(connection, transaction, SchemaComponent, Migrations, cancellationToken).ConfigureAwait(false);
        if (current > SchemaVersion)
        {
            Log.SchemaNewerThanKnown(_logger, current, SchemaVersion);
        }
        else if (current < stored)
        {
            Log.SchemaMigrated(_logger, current, stored);
        }

        // Version 0 is "a new, empty table"; DO NOTHING keeps the version of a table already in use.
        await using (SqliteCommand command = connection.CreateCommand())
        {
            command.Transaction = transaction;
            command.CommandText =
                "INSERT INTO pulse_membership_version (cluster_id, version, updated_at) VALUES ($cluster_id, 0, " + SqliteSchemaMigrator.NowSql + ") ON CONFLICT DO NOTHING";
            command.Parameters.AddWithValue("$cluster_id", _clusterId);
            await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }

        await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
        Log.Initialized(_logger, _dataSource, journalMode, _options.BusyTimeout, _clusterId, Math.Max(current, SchemaVersion));
    }
}
