using Npgsql;
using NpgsqlTypes;

namespace Pulse.Runtime.Postgres;

public sealed partial class PostgresMembershipTable
{
    /// <summary>The component name under which <c>&lt;schema&gt;.schema_version</c> records this schema's version.</summary>
    public const string SchemaComponent = "membership";

    /// <summary>
    /// The migrations, in order; the index + 1 is the version each one produces. <c>{schema}</c> stands
    /// for the quoted schema name. Never edit a shipped migration; append a new one.
    /// </summary>
    private static readonly string[] Migrations =
    [
        """
        CREATE TABLE IF NOT EXISTS {schema}.membership_version (
            cluster_id text        NOT NULL,
            version    integer     NOT NULL,
            updated_at timestamptz NOT NULL DEFAULT now(),
            CONSTRAINT membership_version_pkey PRIMARY KEY (cluster_id)
        );

        CREATE TABLE IF NOT EXISTS {schema}.membership (
            cluster_id    text        NOT NULL,
            silo_address  text        NOT NULL,
            generation    bigint      NOT NULL,
            status        text        NOT NULL,
            silo_name     text        NOT NULL,
            host_name     text        NOT NULL,
            client_port   integer     NOT NULL,
            http_port     integer     NOT NULL,
            start_time    timestamptz NOT NULL,
            iamalive_time timestamptz NOT NULL,
            suspicions    jsonb       NOT NULL DEFAULT '[]'::jsonb,
            etag          bigint      NOT NULL,
            CONSTRAINT membership_pkey PRIMARY KEY (cluster_id, silo_address),
            CONSTRAINT membership_status_check CHECK (status IN ('Joining', 'Active', 'ShuttingDown', 'Dead')),
            CONSTRAINT membership_suspicions_check CHECK (jsonb_typeof(suspicions) = 'array')
        );
        """,
    ];

    /// <summary>The schema version this provider creates.</summary>
    public static int SchemaVersion => Migrations.Length;

    /// <summary>
    /// Creates or migrates the schema and creates this cluster's version row (version 0) if missing,
    /// in one transaction that first takes the schema's advisory lock (the one grain storage takes),
    /// so silos that start at once migrate one after another. Idempotent.
    /// </summary>
    public async Task InitializeAsync(CancellationToken cancellationToken)
    {
        await using NpgsqlConnection connection = await _dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using NpgsqlTransaction transaction = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);

        (int current, int stored) = await PostgresSchemaMigrator.MigrateAsync(
            connection, transaction, _options.SchemaName, _quotedSchema, SchemaComponent, Migrations, cancellationToken).ConfigureAwait(false);
        if (current > SchemaVersion)
        {
            Log.SchemaNewerThanKnown(_logger, _options.SchemaName, current, SchemaVersion);
        }
        else if (current < stored)
        {
            Log.SchemaMigrated(_logger, _options.SchemaName, current, stored);
        }

        // Version 0 is "a new, empty table"; DO NOTHING keeps the version of a table already in use.
        await using (var command = new NpgsqlCommand(
            $"INSERT INTO {_quotedSchema}.membership_version (cluster_id, version) VALUES ($1, 0) ON CONFLICT (cluster_id) DO NOTHING",
            connection,
            transaction))
        {
            command.Parameters.Add(new NpgsqlParameter<string> { NpgsqlDbType = NpgsqlDbType.Text, TypedValue = _clusterId });
            await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }

        await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);

        var settings = new NpgsqlConnectionStringBuilder(_options.ConnectionString);
        Log.Initialized(_logger, settings.Host, settings.Port, settings.Database, settings.Username, _options.SchemaName,
            _options.CommandTimeout, _clusterId, Math.Max(current, SchemaVersion));
    }
}
