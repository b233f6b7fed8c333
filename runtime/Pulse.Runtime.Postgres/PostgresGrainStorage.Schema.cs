using Npgsql;
using NpgsqlTypes;

namespace Pulse.Runtime.Postgres;

public sealed partial class PostgresGrainStorage
{
    /// <summary>The component name under which <c>&lt;schema&gt;.schema_version</c> records this schema's version.</summary>
    public const string SchemaComponent = "grain-storage";

    /// <summary>
    /// The migrations, in order; the index + 1 is the version each one produces. <c>{schema}</c> stands
    /// for the quoted schema name. Never edit a shipped migration; append a new one.
    /// </summary>
    private static readonly string[] Migrations =
    [
        """
        CREATE TABLE IF NOT EXISTS {schema}.grain_state (
            service_id  text        NOT NULL,
            grain_type  text        NOT NULL,
            grain_key   text        NOT NULL,
            state_name  text        NOT NULL,
            version     integer     NOT NULL,
            payload     jsonb       NULL,
            modified_at timestamptz NOT NULL DEFAULT now(),
            CONSTRAINT grain_state_pkey PRIMARY KEY (service_id, grain_type, grain_key, state_name)
        )
        """,

        // 2: key-prefix listings (IGrainStorageQuery). The primary key cannot serve them: its grain_key
        // has the database's collation, which (en_US.UTF-8 and the like) neither orders keys by code
        // point nor turns a prefix into a range, and state_name after the key would make the scan read
        // every state of every key. Only key columns are indexed, so updates stay HOT. CREATE INDEX
        // blocks writes to the table while it builds; on a large table, run
        // CREATE INDEX CONCURRENTLY with this definition by hand first, and this step finds it there.
        """
        CREATE INDEX IF NOT EXISTS grain_state_query_idx
            ON {schema}.grain_state (service_id, grain_type, state_name, grain_key COLLATE "C")
        """,
    ];

    /// <summary>The schema version this provider creates.</summary>
    public static int SchemaVersion => Migrations.Length;

    /// <summary>
    /// Creates or migrates the schema in one transaction that first takes a transaction-scoped advisory
    /// lock for the schema, so silos that start at once migrate one after another and the later ones
    /// find nothing to do. Idempotent.
    /// </summary>
    public async Task InitializeAsync(CancellationToken cancellationToken)
    {
        await using NpgsqlConnection connection = await _dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using NpgsqlTransaction transaction = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);

        (int current, int stored) = await PostgresSchemaMigrator.MigrateAsync(
            connection, transaction, _options.SchemaName, _quotedSchema, SchemaComponent, Migrations, cancellationToken).ConfigureAwait(false);
        if (current > SchemaVersion)
        {
            Log.SchemaNewerThanKnown(_logger, Name, _options.SchemaName, current, SchemaVersion);
        }
        else if (current < stored)
        {
            Log.SchemaMigrated(_logger, Name, _options.SchemaName, current, stored);
        }

        await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);

        var settings = new NpgsqlConnectionStringBuilder(_options.ConnectionString);
        Log.Initialized(_logger, Name, settings.Host, settings.Port, settings.Database, settings.Username, _options.SchemaName,
            _options.CommandTimeout, _serviceId, Math.Max(current, SchemaVersion));
    }
}
