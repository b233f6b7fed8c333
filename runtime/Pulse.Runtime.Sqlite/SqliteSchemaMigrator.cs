using System.Globalization;
using Microsoft.Data.Sqlite;

namespace Pulse.Runtime.Sqlite;

/// <summary>
/// Schema set-up shared by every SQLite component (grain storage, membership): the database folder,
/// WAL mode, and versioned migrations recorded per component in <c>pulse_schema_version</c>.
/// </summary>
internal static class SqliteSchemaMigrator
{
    /// <summary>The current UTC time as fixed-width text, so text order is time order.</summary>
    public const string NowSql = "strftime('%Y-%m-%dT%H:%M:%fZ', 'now')";

    /// <summary>SQLite creates a missing file but not a missing folder; create it so a fresh host can start.</summary>
    public static void CreateDirectoryOf(string dataSource)
    {
        if (dataSource.Length == 0
            || dataSource.StartsWith("file:", StringComparison.OrdinalIgnoreCase)
            || string.Equals(dataSource, ":memory:", StringComparison.Ordinal))
        {
            return;
        }

        string? directory = Path.GetDirectoryName(Path.GetFullPath(dataSource));
        if (!string.IsNullOrEmpty(directory))
        {
            Directory.CreateDirectory(directory);
        }
    }

    /// <summary>
    /// Switches the file to WAL (outside any transaction, as SQLite requires; it persists in the file
    /// and lets readers run beside the one writer). Returns the journal mode in effect.
    /// </summary>
    public static async Task<string> EnableWalAsync(SqliteConnection connection, CancellationToken cancellationToken)
    {
        await using SqliteCommand command = connection.CreateCommand();
        command.CommandText = "PRAGMA journal_mode = WAL";
        object? value = await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false);
        return Convert.ToString(value, CultureInfo.InvariantCulture) ?? string.Empty;
    }

    /// <summary>
    /// Migrates <paramref name="component"/> to <c>migrations.Count</c> inside the caller's transaction,
    /// which must be BEGIN IMMEDIATE so a concurrent process waits instead of migrating twice. Returns
    /// the version found before and the version stored after (a newer stored version is left alone).
    /// </summary>
    public static async Task<(int Found, int Stored)> MigrateAsync(
        SqliteConnection connection,
        SqliteTransaction transaction,
        string component,
        IReadOnlyList<string> migrations,
        CancellationToken cancellationToken)
    {
        await ExecuteAsync(connection, transaction,
            """
            CREATE TABLE IF NOT EXISTS pulse_schema_version (
                component  TEXT    NOT NULL PRIMARY KEY,
                version    INTEGER NOT NULL,
                applied_at TEXT    NOT NULL
            ) WITHOUT ROWID
            """, cancellationToken).ConfigureAwait(false);

        int found;
        await using (SqliteCommand command = connection.CreateCommand())
        {
            command.Transaction = transaction;
            command.CommandText = "SELECT version FROM pulse_schema_version WHERE component = $component";
            command.Parameters.AddWithValue("$component", component);
            object? value = await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false);
            found = value is null or DBNull ? 0 : Convert.ToInt32(value, CultureInfo.InvariantCulture);
        }

        if (found >= migrations.Count)
        {
            return (found, found);
        }

        for (int version = found + 1; version <= migrations.Count; version++)
        {
            await ExecuteAsync(connection, transaction, migrations[version - 1], cancellationToken).ConfigureAwait(false);
        }

        await using (SqliteCommand command = connection.CreateCommand())
        {
            command.Transaction = transaction;
            command.CommandText =
                "INSERT INTO pulse_schema_version (component, version, applied_at) VALUES ($component, $version, " + NowSql + ") " +
                "ON CONFLICT (component) DO UPDATE SET version = excluded.version, applied_at = excluded.applied_at";
            command.Parameters.AddWithValue("$component", component);
            command.Parameters.AddWithValue("$version", migrations.Count);
            await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }

        return (found, migrations.Count);
    }

    /// <summary>Runs one statement.</summary>
    public static async Task ExecuteAsync(SqliteConnection connection, SqliteTransaction? transaction, string sql, CancellationToken cancellationToken)
    {
        await using SqliteCommand command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = sql;
        await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }
}
