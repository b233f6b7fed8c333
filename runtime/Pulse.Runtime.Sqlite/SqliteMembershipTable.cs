using System.Globalization;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Pulse.Runtime.Configuration;
using Pulse.Runtime.Membership;

namespace Pulse.Runtime.Sqlite;

/// <summary>
/// The membership table in a SQLite database file, for the silos of one host (several processes may
/// share the file: WAL journal, busy timeout). <c>pulse_membership_version</c> holds one version row
/// per cluster id and <c>pulse_membership</c> one row per silo. Every insert or update is one
/// <c>BEGIN IMMEDIATE</c> transaction that checks the version (and the row ETag), writes the row and
/// bumps the version, so SQLite's single write lock makes the check and the write atomic.
/// </summary>
public sealed partial class SqliteMembershipTable : IMembershipTable, IDisposable
{
    private const string NowSql = SqliteSchemaMigrator.NowSql;

    // One statement, so one snapshot: the version and the rows always belong together. The LEFT JOIN
    // yields the version even when the cluster has no rows.
    private const string ReadAllSql =
        "SELECT v.version, m.silo_address, m.status, m.silo_name, m.host_name, m.client_port, m.http_port, " +
        "m.start_time, m.iamalive_time, m.suspicions, m.etag " +
        "FROM pulse_membership_version v LEFT JOIN pulse_membership m ON m.cluster_id = v.cluster_id " +
        "WHERE v.cluster_id = $cluster_id";

    private const string BumpVersionSql =
        "UPDATE pulse_membership_version SET version = $version, updated_at = " + NowSql +
        " WHERE cluster_id = $cluster_id AND version = $expected_version";

    // ON CONFLICT DO NOTHING turns "the silo already has a row" into 0 rows instead of an error.
    private const string InsertSql =
        "INSERT INTO pulse_membership (cluster_id, silo_address, generation, status, silo_name, host_name, client_port, http_port, " +
        "start_time, iamalive_time, suspicions, etag) VALUES ($cluster_id, $silo_address, $generation, $status, $silo_name, $host_name, " +
        "$client_port, $http_port, $start_time, $iamalive_time, $suspicions, $etag) ON CONFLICT DO NOTHING";

    private const string UpdateSql =
        "UPDATE pulse_membership SET generation = $generation, status = $status, silo_name = $silo_name, host_name = $host_name, " +
        "client_port = $client_port, http_port = $http_port, start_time = $start_time, iamalive_time = $iamalive_time, " +
        "suspicions = $suspicions, etag = etag + 1 " +
        "WHERE cluster_id = $cluster_id AND silo_address = $silo_address AND etag = $etag";

    private const string IAmAliveSql =
        "UPDATE pulse_membership SET iamalive_time = $iamalive_time WHERE cluster_id = $cluster_id AND silo_address = $silo_address";

    // The fixed-width UTC text of the times compares like the instants, so text comparison is correct.
    private const string CleanupSql =
        "DELETE FROM pulse_membership WHERE cluster_id = $cluster_id AND status = 'Dead' AND iamalive_time < $before";

    private readonly SqliteDatabase _database;
    private readonly string _connectionString;
    private readonly string _dataSource;
    private readonly string _clusterId;
    private readonly SqliteMembershipOptions _options;
    private readonly ILogger<SqliteMembershipTable> _logger;

    /// <summary>Creates the table; <see cref="InitializeAsync"/> must run before first use.</summary>
    /// <param name="options">Its options, already validated.</param>
    /// <param name="clusterOptions">Supplies the cluster id that selects this table's rows.</param>
    /// <param name="logger">The logger.</param>
    public SqliteMembershipTable(SqliteMembershipOptions options, IOptions<ClusterOptions> clusterOptions, ILogger<SqliteMembershipTable> logger)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(clusterOptions);
        ArgumentNullException.ThrowIfNull(logger);
        _options = options;
        _clusterId = clusterOptions.Value.ClusterId;
        ArgumentException.ThrowIfNullOrEmpty(_clusterId, nameof(clusterOptions));
        _logger = logger;

        _database = new SqliteDatabase(options);
        _connectionString = _database.ConnectionString;
        _dataSource = _database.DataSource;
    }

    /// <inheritdoc />
    public async Task<MembershipTableSnapshot> ReadAllAsync(CancellationToken cancellationToken)
    {
        await using SqliteConnection connection = await OpenAsync(cancellationToken).ConfigureAwait(false);
        await using SqliteCommand command = connection.CreateCommand();
        command.CommandText = ReadAllSql;
        command.Parameters.AddWithValue("$cluster_id", _clusterId);
        await using SqliteDataReader reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        int version = 0;
        List<(MembershipEntry Entry, string Etag)> rows = [];
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            version = reader.GetInt32(0);
            if (reader.IsDBNull(1))
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
                StartTime = MembershipTableFormat.ParseTime(reader.GetString(7)),
                IAmAliveTime = MembershipTableFormat.ParseTime(reader.GetString(8)),
                Suspicions = MembershipTableFormat.ParseSuspicions(reader.GetString(9)),
            };
            rows.Add((entry, MembershipTableFormat.FormatRowEtag(reader.GetInt64(10))));
        }

        return new MembershipTableSnapshot(rows, MembershipTableFormat.CreateTableVersion(version));
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
        await using SqliteConnection connection = await OpenAsync(cancellationToken).ConfigureAwait(false);
        await using SqliteCommand command = connection.CreateCommand();
        command.CommandText = IAmAliveSql;
        command.Parameters.AddWithValue("$cluster_id", _clusterId);
        command.Parameters.AddWithValue("$silo_address", silo.ToParsableString());
        command.Parameters.AddWithValue("$iamalive_time", MembershipTableFormat.FormatTime(iAmAliveTime));
        await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc />
    public async Task<int> CleanupDefunctSiloEntriesAsync(DateTimeOffset beforeDate, CancellationToken cancellationToken)
    {
        await using SqliteConnection connection = await OpenAsync(cancellationToken).ConfigureAwait(false);
        await using SqliteCommand command = connection.CreateCommand();
        command.CommandText = CleanupSql;
        command.Parameters.AddWithValue("$cluster_id", _clusterId);
        command.Parameters.AddWithValue("$before", MembershipTableFormat.FormatTime(beforeDate));
        int deleted = await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        if (deleted > 0)
        {
            Log.DefunctRowsDeleted(_logger, _clusterId, deleted, beforeDate);
        }

        return deleted;
    }

    /// <summary>Returns the idle pooled connections, so the database file is closed once nothing uses it.</summary>
    public void Dispose()
    {
        using var connection = new SqliteConnection(_connectionString);
        SqliteConnection.ClearPool(connection);
    }

    /// <summary>
    /// Inserts (<paramref name="etag"/> null) or updates the row and bumps the version in one
    /// BEGIN IMMEDIATE transaction; false, with nothing changed, when either check fails.
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

        await using SqliteConnection connection = await OpenAsync(cancellationToken).ConfigureAwait(false);

        // deferred: false = BEGIN IMMEDIATE: the write lock is held from the version check to the
        // commit, so no other connection or process can change the table in between.
        await using SqliteTransaction transaction = connection.BeginTransaction(deferred: false);
        bool written;
        await using (SqliteCommand bump = connection.CreateCommand())
        {
            bump.Transaction = transaction;
            bump.CommandText = BumpVersionSql;
            bump.Parameters.AddWithValue("$cluster_id", _clusterId);
            bump.Parameters.AddWithValue("$version", tableVersion.Version);
            bump.Parameters.AddWithValue("$expected_version", tableVersion.Version - 1);
            written = await bump.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false) == 1;
        }

        if (written)
        {
            await using SqliteCommand write = connection.CreateCommand();
            write.Transaction = transaction;
            write.CommandText = etag is null ? InsertSql : UpdateSql;
            AddRowParameters(write, entry);
            write.Parameters.AddWithValue("$etag", etag is null ? MembershipTableFormat.FirstRowEtag : expectedEtag);
            written = await write.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false) == 1;
        }

        if (!written)
        {
            // Undo the version bump of a write whose row check failed.
            await transaction.RollbackAsync(cancellationToken).ConfigureAwait(false);
            Log.WriteRefused(_logger, etag is null ? "insert" : "update", _clusterId, entry.Silo, tableVersion.Version - 1, etag);
            return false;
        }

        await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
        return true;
    }

    private void AddRowParameters(SqliteCommand command, MembershipEntry entry)
    {
        command.Parameters.AddWithValue("$cluster_id", _clusterId);
        command.Parameters.AddWithValue("$silo_address", entry.Silo.ToParsableString());
        command.Parameters.AddWithValue("$generation", entry.Silo.Generation);
        command.Parameters.AddWithValue("$status", MembershipTableFormat.FormatStatus(entry.Status));
        command.Parameters.AddWithValue("$silo_name", entry.SiloName);
        command.Parameters.AddWithValue("$host_name", entry.HostName);
        command.Parameters.AddWithValue("$client_port", entry.ClientPort);
        command.Parameters.AddWithValue("$http_port", entry.HttpPort);
        command.Parameters.AddWithValue("$start_time", MembershipTableFormat.FormatTime(entry.StartTime));
        command.Parameters.AddWithValue("$iamalive_time", MembershipTableFormat.FormatTime(entry.IAmAliveTime));
        command.Parameters.AddWithValue("$suspicions", MembershipTableFormat.FormatSuspicions(entry.Suspicions));
    }

    private Task<SqliteConnection> OpenAsync(CancellationToken cancellationToken) => _database.OpenAsync(cancellationToken);
}
