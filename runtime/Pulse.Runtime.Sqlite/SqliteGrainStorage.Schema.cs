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
        SqliteSchemaMigrator.CreateDirectoryOf(_dataSource);
        await using SqliteConnection connection = await OpenAsync(cancellationToken).ConfigureAwait(false);
        string journalMode = await SqliteSchemaMigrator.EnableWalAsync(connection, cancellationToken).ConfigureAwait(false);
        if (!string.Equals(journalMode, "wal", StringComparison.OrdinalIgnoreCase))
        {
            Log.NotWal(_logger, Name, journalMode);
        }

        // deferred: false = BEGIN IMMEDIATE: takes the write lock before reading the version, so a
        // concurrent silo waits here (busy timeout) instead of migrating the same version twice.
        await using SqliteTransaction transaction = connection.BeginTransaction(deferred: false);
        (int current, int stored) = await SqliteSchemaMigrator.MigrateAsync(connection, transaction, SchemaComponent, Migrations, cancellationToken).ConfigureAwait(false);
        if (current > SchemaVersion)
        {
            Log.SchemaNewerThanKnown(_logger, Name, current, SchemaVersion);
        }
        else if (current < stored)
        {
            Log.SchemaMigrated(_logger, Name, current, stored);
        }

        await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
        Log.Initialized(_logger, Name, _dataSource, journalMode, _options.BusyTimeout, _serviceId, Math.Max(current, SchemaVersion));
    }
}
