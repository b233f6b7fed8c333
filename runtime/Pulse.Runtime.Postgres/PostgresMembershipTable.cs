using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Npgsql;
using NpgsqlTypes;
using Pulse.Runtime.Configuration;
using Pulse.Runtime.Membership;

namespace Pulse.Runtime.Postgres;

/// <summary>
/// The membership table in PostgreSQL, for clusters: <c>&lt;schema&gt;.membership_version</c> holds one
/// version row per cluster id and <c>&lt;schema&gt;.membership</c> one row per silo (suspicions as
/// <c>jsonb</c>, times as <c>timestamptz</c>, so operators can query it). An insert or update is one
/// transaction that first moves the version row <c>WHERE version = expected</c>: that row lock orders
/// all writers of a cluster, and a writer that loses the race updates no row and changes nothing.
/// </summary>
public sealed partial class PostgresMembershipTable : IMembershipTable, IAsyncDisposable, IDisposable
{
    private readonly NpgsqlDataSource _dataSource;
    private readonly PostgresMembershipOptions _options;
    private readonly string _clusterId;
    private readonly ILogger<PostgresMembershipTable> _logger;
    private readonly string _quotedSchema;
    private readonly string _readAllSql;
    private readonly string _bumpVersionSql;
    private readonly string _insertSql;
    private readonly string _updateSql;
    private readonly string _iAmAliveSql;
    private readonly string _cleanupSql;

    /// <summary>Creates the table and its connection pool; <see cref="InitializeAsync"/> must run before first use.</summary>
    /// <param name="options">Its options, already validated.</param>
    /// <param name="clusterOptions">Supplies the cluster id that selects this table's rows.</param>
    /// <param name="logger">The logger.</param>
    public PostgresMembershipTable(PostgresMembershipOptions options, IOptions<ClusterOptions> clusterOptions, ILogger<PostgresMembershipTable> logger)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(clusterOptions);
        ArgumentNullException.ThrowIfNull(logger);
        ArgumentException.ThrowIfNullOrEmpty(options.ConnectionString);
        if (!PostgresGrainStorageOptionsValidator.SchemaNamePattern().IsMatch(options.SchemaName))
        {
            // Also checked at start by the validator; repeated because the name is spliced into SQL.
            throw new ArgumentException($"'{options.SchemaName}' is not a valid schema name.", nameof(options));
        }

        _options = options;
        _clusterId = clusterOptions.Value.ClusterId;
        ArgumentException.ThrowIfNullOrEmpty(_clusterId, nameof(clusterOptions));
        _logger = logger;

        var builder = new NpgsqlDataSourceBuilder(options.ConnectionString) { Name = "pulse-membership" };
        builder.ConnectionStringBuilder.CommandTimeout = (int)Math.Ceiling(options.CommandTimeout.TotalSeconds);
        _dataSource = builder.Build();

        _quotedSchema = "\"" + options.SchemaName + "\"";
        string rows = _quotedSchema + ".membership";
        string version = _quotedSchema + ".membership_version";

        // One statement, so one snapshot: the version and the rows always belong together. The LEFT
        // JOIN yields the version even when the cluster has no rows.
        _readAllSql =
            "SELECT v.version, m.silo_address, m.status, m.silo_name, m.host_name, m.client_port, m.http_port, " +
            "m.start_time, m.iamalive_time, m.suspicions::text, m.etag " +
            $"FROM {version} v LEFT JOIN {rows} m ON m.cluster_id = v.cluster_id WHERE v.cluster_id = $1";

        // In READ COMMITTED a second writer blocks on the row lock, then re-checks version = $3 against
        // the committed row: after a winner committed it no longer matches and 0 rows are updated.
        _bumpVersionSql = $"UPDATE {version} SET version = $2, updated_at = now() WHERE cluster_id = $1 AND version = $3";

        // $1 cluster, $2 address, $3..$11 the row's fields, $12 the ETag (new for inserts, expected for updates).
        // ON CONFLICT DO NOTHING turns "the silo already has a row" into 0 rows instead of an error
        // that would cost a server log line.
        _insertSql =
            $"INSERT INTO {rows} (cluster_id, silo_address, generation, status, silo_name, host_name, client_port, http_port, " +
            "start_time, iamalive_time, suspicions, etag) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) ON CONFLICT DO NOTHING";
        _updateSql =
            $"UPDATE {rows} SET generation = $3, status = $4, silo_name = $5, host_name = $6, client_port = $7, http_port = $8, " +
            "start_time = $9, iamalive_time = $10, suspicions = $11, etag = etag + 1 WHERE cluster_id = $1 AND silo_address = $2 AND etag = $12";
        _iAmAliveSql = $"UPDATE {rows} SET iamalive_time = $3 WHERE cluster_id = $1 AND silo_address = $2";
        _cleanupSql = $"DELETE FROM {rows} WHERE cluster_id = $1 AND status = 'Dead' AND iamalive_time < $2";
    }

    /// <inheritdoc />
    public async Task<MembershipTableSnapshot> ReadAllAsync(CancellationToken cancellationToken)
    {
        await using NpgsqlCommand command = _dataSource.CreateCommand(_readAllSql);
        command.Parameters.Add(Text(_clusterId));
        await using NpgsqlDataReader reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        int version = 0;
        List<(MembershipEntry Entry, string Etag)> entries = [];
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            version = reader.GetInt32(0);
            if (await reader.IsDBNullAsync(1, cancellationToken).ConfigureAwait(false))
            {
                continue;
            }

            var entry = new MembershipEntry
            {
                Silo = SiloAddress.Parse(reader.GetString(1)),
                Status = MembershipTableFormat.ParseStatus(reader.GetString(2)),
                SiloName = reader.GetString(3),
                HostName = reader.GetString(4),
                ClientPort = reader.GetInt32(5),
                HttpPort = reader.GetInt32(6),
                StartTime = reader.GetFieldValue<DateTimeOffset>(7),
                IAmAliveTime = reader.GetFieldValue<DateTimeOffset>(8),
                Suspicions = MembershipTableFormat.ParseSuspicions(reader.GetString(9)),
            };
            entries.Add((entry, MembershipTableFormat.FormatRowEtag(reader.GetInt64(10))));
        }

        return new MembershipTableSnapshot(entries, MembershipTableFormat.CreateTableVersion(version));
    }

    /// <inheritdoc />
    public Task<bool> InsertRowAsync(MembershipEntry entry, TableVersion tableVersion, CancellationToken cancellationToken)
    {
        MembershipTableFormat.ValidateWrite(entry, tableVersion);
        return WriteAsync(entry, null, tableVersion, cancellationToken);
    }

    /// <inheritdoc />
    public Task<bool> UpdateRowAsync(MembershipEntry entry, string etag, TableVersion tableVersion, CancellationToken cancellationToken)
    {
        MembershipTableFormat.ValidateWrite(entry, tableVersion);
        return WriteAsync(entry, etag ?? string.Empty, tableVersion, cancellationToken);
    }

    /// <inheritdoc />
    public async Task UpdateIAmAliveAsync(SiloAddress silo, DateTimeOffset iAmAliveTime, CancellationToken cancellationToken)
    {
        MembershipTableFormat.ValidateSilo(silo);
        await using NpgsqlCommand command = _dataSource.CreateCommand(_iAmAliveSql);
        command.Parameters.Add(Text(_clusterId));
        command.Parameters.Add(Text(silo.ToParsableString()));
        command.Parameters.Add(Time(iAmAliveTime));
        await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc />
    public async Task<int> CleanupDefunctSiloEntriesAsync(DateTimeOffset beforeDate, CancellationToken cancellationToken)
    {
        await using NpgsqlCommand command = _dataSource.CreateCommand(_cleanupSql);
        command.Parameters.Add(Text(_clusterId));
        command.Parameters.Add(Time(beforeDate));
        int deleted = await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        if (deleted > 0)
        {
            Log.DefunctRowsDeleted(_logger, _clusterId, deleted, beforeDate);
        }

        return deleted;
    }

    /// <summary>Closes the table's connection pool.</summary>
    public ValueTask DisposeAsync() => _dataSource.DisposeAsync();

    /// <summary>Closes the table's connection pool.</summary>
    public void Dispose() => _dataSource.Dispose();

    /// <summary>
    /// Bumps the version and then inserts (<paramref name="etag"/> null) or updates the row, in one
    /// transaction; false, with nothing changed, when either statement touches no row.
    /// </summary>
    private async Task<bool> WriteAsync(MembershipEntry entry, string? etag, TableVersion tableVersion, CancellationToken cancellationToken)
    {
        long expectedEtag = 0;
        if (etag is not null && !MembershipTableFormat.TryParseRowEtag(etag, out expectedEtag))
        {
            // Not an ETag this table issued: it can match no row.
            Log.WriteRefused(_logger, "update", _clusterId, entry.Silo, tableVersion.Version - 1, etag);
            return false;
        }

        await using NpgsqlConnection connection = await _dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using NpgsqlTransaction transaction = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
        bool written;
        await using (var bump = new NpgsqlCommand(_bumpVersionSql, connection, transaction))
        {
            bump.Parameters.Add(Text(_clusterId));
            bump.Parameters.Add(Integer(tableVersion.Version));
            bump.Parameters.Add(Integer(tableVersion.Version - 1));
            written = await bump.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false) == 1;
        }

        if (written)
        {
            // The version row lock is held from here to the commit, so the row check below cannot race
            // another membership change of this cluster.
            await using var write = new NpgsqlCommand(etag is null ? _insertSql : _updateSql, connection, transaction);
            write.Parameters.Add(Text(_clusterId));
            write.Parameters.Add(Text(entry.Silo.ToParsableString()));
            write.Parameters.Add(new NpgsqlParameter<long> { NpgsqlDbType = NpgsqlDbType.Bigint, TypedValue = entry.Silo.Generation });
            write.Parameters.Add(Text(MembershipTableFormat.FormatStatus(entry.Status)));
            write.Parameters.Add(Text(entry.SiloName));
            write.Parameters.Add(Text(entry.HostName));
            write.Parameters.Add(Integer(entry.ClientPort));
            write.Parameters.Add(Integer(entry.HttpPort));
            write.Parameters.Add(Time(entry.StartTime));
            write.Parameters.Add(Time(entry.IAmAliveTime));
            write.Parameters.Add(new NpgsqlParameter<string> { NpgsqlDbType = NpgsqlDbType.Jsonb, TypedValue = MembershipTableFormat.FormatSuspicions(entry.Suspicions) });
            write.Parameters.Add(new NpgsqlParameter<long> { NpgsqlDbType = NpgsqlDbType.Bigint, TypedValue = etag is null ? MembershipTableFormat.FirstRowEtag : expectedEtag });
            written = await write.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false) == 1;
        }

        if (!written)
        {
            // Undo the version bump of a write whose row check failed (and release the row lock now).
            await transaction.RollbackAsync(cancellationToken).ConfigureAwait(false);
            Log.WriteRefused(_logger, etag is null ? "insert" : "update", _clusterId, entry.Silo, tableVersion.Version - 1, etag);
            return false;
        }

        await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
        return true;
    }

    private static NpgsqlParameter<string> Text(string value) => new() { NpgsqlDbType = NpgsqlDbType.Text, TypedValue = value };

    private static NpgsqlParameter<int> Integer(int value) => new() { NpgsqlDbType = NpgsqlDbType.Integer, TypedValue = value };

    // timestamptz takes only UTC values in Npgsql; NormalizeTime also cuts to the microseconds it keeps.
    private static NpgsqlParameter<DateTimeOffset> Time(DateTimeOffset value) =>
        new() { NpgsqlDbType = NpgsqlDbType.TimestampTz, TypedValue = MembershipTableFormat.NormalizeTime(value) };
}
