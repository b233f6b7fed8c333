using Npgsql;
using NpgsqlTypes;

namespace Pulse.Runtime.Postgres;

/// <summary>
/// Applies one component's versioned migrations inside the caller's transaction, under the schema's
/// advisory lock, so silos that start at once migrate one after another and the later ones find
/// nothing to do. Each component (grain storage, membership) records its own version in
/// <c>&lt;schema&gt;.schema_version</c>.
/// </summary>
internal static class PostgresSchemaMigrator
{
    /// <summary>
    /// Migrates <paramref name="component"/> to <c>migrations.Count</c>. <c>{schema}</c> in a migration
    /// stands for the quoted schema. Returns the version found before and the version stored after
    /// (a stored version newer than this code knows is left alone and returned as is).
    /// </summary>
    public static async Task<(int Found, int Stored)> MigrateAsync(
        NpgsqlConnection connection,
        NpgsqlTransaction transaction,
        string schemaName,
        string quotedSchema,
        string component,
        IReadOnlyList<string> migrations,
        CancellationToken cancellationToken)
    {
        await using (var command = new NpgsqlCommand("SELECT pg_advisory_xact_lock($1)", connection, transaction))
        {
            command.Parameters.Add(new NpgsqlParameter<long> { NpgsqlDbType = NpgsqlDbType.Bigint, TypedValue = PostgresSchemaLock.KeyFor(schemaName) });
            await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }

        // Under the lock: even the IF NOT EXISTS forms can fail with a unique violation when two
        // sessions create the same object at the same moment.
        await ExecuteAsync(connection, transaction, $"CREATE SCHEMA IF NOT EXISTS {quotedSchema}", cancellationToken).ConfigureAwait(false);
        await ExecuteAsync(connection, transaction,
            $"""
            CREATE TABLE IF NOT EXISTS {quotedSchema}.schema_version (
                component  text        NOT NULL PRIMARY KEY,
                version    integer     NOT NULL,
                applied_at timestamptz NOT NULL DEFAULT now()
            )
            """, cancellationToken).ConfigureAwait(false);

        int found;
        await using (var command = new NpgsqlCommand($"SELECT version FROM {quotedSchema}.schema_version WHERE component = $1", connection, transaction))
        {
            command.Parameters.Add(new NpgsqlParameter<string> { NpgsqlDbType = NpgsqlDbType.Text, TypedValue = component });
            found = await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false) is int stored ? stored : 0;
        }

        if (found >= migrations.Count)
        {
            return (found, found);
        }

        for (int version = found + 1; version <= migrations.Count; version++)
        {
            string sql = migrations[version - 1].Replace("{schema}", quotedSchema, StringComparison.Ordinal);
            await ExecuteAsync(connection, transaction, sql, cancellationToken).ConfigureAwait(false);
        }

        await using (var command = new NpgsqlCommand(
            $"INSERT INTO {quotedSchema}.schema_version (component, version, applied_at) VALUES ($1, $2, now()) " +
            "ON CONFLICT (component) DO UPDATE SET version = excluded.version, applied_at = excluded.applied_at",
            connection,
            transaction))
        {
            command.Parameters.Add(new NpgsqlParameter<string> { NpgsqlDbType = NpgsqlDbType.Text, TypedValue = component });
            command.Parameters.Add(new NpgsqlParameter<int> { NpgsqlDbType = NpgsqlDbType.Integer, TypedValue = migrations.Count });
            await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }

        return (found, migrations.Count);
    }

    /// <summary>Runs one statement in the transaction.</summary>
    public static async Task ExecuteAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, string sql, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand(sql, connection, transaction);
        await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }
}
