using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Pulse.Runtime.Configuration;

namespace Pulse.Runtime.Membership;

/// <summary>
/// A membership table in process memory, for tests and single-process clusters: silos in one process
/// that share one instance (or tables made from it with <see cref="ForCluster"/>) share the rows. It
/// follows the SQL tables' rules exactly (version row, integer row ETags, UTC microsecond times, rows
/// keyed by cluster id) and copies rows in and out, so no caller can change a stored row.
/// </summary>
public sealed partial class InMemoryMembershipTable : IMembershipTable
{
    private readonly Store _store;
    private readonly ILogger _logger;

    /// <summary>Creates a table with a private store.</summary>
    /// <param name="clusterId">The cluster whose rows this table sees; default <see cref="ClusterOptions.DefaultClusterId"/>.</param>
    /// <param name="logger">Optional logger.</param>
    public InMemoryMembershipTable(string clusterId = ClusterOptions.DefaultClusterId, ILogger<InMemoryMembershipTable>? logger = null)
        : this(new Store(), clusterId, logger ?? (ILogger)NullLogger.Instance)
    {
    }

    private InMemoryMembershipTable(Store store, string clusterId, ILogger logger)
    {
        ArgumentException.ThrowIfNullOrEmpty(clusterId);
        _store = store;
        ClusterId = clusterId;
        _logger = logger;
    }

    /// <summary>The cluster whose rows this table reads and writes.</summary>
    public string ClusterId { get; }

    /// <summary>
    /// The table of <paramref name="clusterId"/> on the same store (this instance when the id is its own),
    /// as a SQL table of another cluster id on the same database.
    /// </summary>
    public InMemoryMembershipTable ForCluster(string clusterId) =>
        string.Equals(clusterId, ClusterId, StringComparison.Ordinal) ? this : new InMemoryMembershipTable(_store, clusterId, _logger);

    /// <inheritdoc />
    public Task InitializeAsync(CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        lock (_store.Gate)
        {
            // The version row exists from here on, as the SQL tables create it at initialisation.
            _store.Clusters.TryAdd(ClusterId, new ClusterRows());
        }

        Log.Initialized(_logger, ClusterId);
        return Task.CompletedTask;
    }

    /// <inheritdoc />
    public Task<MembershipTableSnapshot> ReadAllAsync(CancellationToken cancellationToken)
    {
        if (cancellationToken.IsCancellationRequested)
        {
            return Task.FromCanceled<MembershipTableSnapshot>(cancellationToken);
        }

        List<(MembershipEntry Entry, string Etag)> rows;
        int version;
        lock (_store.Gate)
        {
            if (!_store.Clusters.TryGetValue(ClusterId, out ClusterRows? cluster))
            {
                return Task.FromResult(new MembershipTableSnapshot([], MembershipTableFormat.CreateTableVersion(0)));
            }

            version = cluster.Version;
            rows = new List<(MembershipEntry, string)>(cluster.Rows.Count);
            foreach (StoredRow row in cluster.Rows.Values)
            {
                rows.Add((row.Entry, MembershipTableFormat.FormatRowEtag(row.Etag)));
            }
        }

        // Copied outside the lock: the stored entries are immutable apart from their endpoints,
        // which the copy replaces.
        for (int i = 0; i < rows.Count; i++)
        {
            rows[i] = (MembershipTableFormat.ToStoredForm(rows[i].Entry), rows[i].Etag);
        }

        return Task.FromResult(new MembershipTableSnapshot(rows, MembershipTableFormat.CreateTableVersion(version)));
    }

    /// <inheritdoc />
    public Task<bool> InsertRowAsync(MembershipEntry entry, TableVersion tableVersion, CancellationToken cancellationToken)
    {
        MembershipTableFormat.ValidateWrite(entry, tableVersion);
        if (cancellationToken.IsCancellationRequested)
        {
            return Task.FromCanceled<bool>(cancellationToken);
        }

        MembershipEntry stored = MembershipTableFormat.ToStoredForm(entry);
        lock (_store.Gate)
        {
            // No version row before InitializeAsync: refused, as the SQL tables' version check finds no row.
            if (!_store.Clusters.TryGetValue(ClusterId, out ClusterRows? cluster)
                || cluster.Version != tableVersion.Version - 1
                || cluster.Rows.ContainsKey(stored.Silo))
            {
                Log.WriteRefused(_logger, "insert", ClusterId, stored.Silo, cluster?.Version ?? 0, tableVersion.Version - 1);
                return Task.FromResult(false);
            }

            cluster.Rows.Add(stored.Silo, new StoredRow(stored, MembershipTableFormat.FirstRowEtag));
            cluster.Version = tableVersion.Version;
        }

        return Task.FromResult(true);
    }

    /// <inheritdoc />
    public Task<bool> UpdateRowAsync(MembershipEntry entry, string etag, TableVersion tableVersion, CancellationToken cancellationToken)
    {
        MembershipTableFormat.ValidateWrite(entry, tableVersion);
        if (cancellationToken.IsCancellationRequested)
        {
            return Task.FromCanceled<bool>(cancellationToken);
        }

        MembershipEntry stored = MembershipTableFormat.ToStoredForm(entry);
        lock (_store.Gate)
        {
            if (!_store.Clusters.TryGetValue(ClusterId, out ClusterRows? cluster)
                || cluster.Version != tableVersion.Version - 1
                || !MembershipTableFormat.TryParseRowEtag(etag, out long expectedEtag)
                || !cluster.Rows.TryGetValue(stored.Silo, out StoredRow? current)
                || current.Etag != expectedEtag)
            {
                Log.WriteRefused(_logger, "update", ClusterId, stored.Silo, cluster?.Version ?? 0, tableVersion.Version - 1);
                return Task.FromResult(false);
            }

            cluster.Rows[stored.Silo] = new StoredRow(stored, current.Etag + 1);
            cluster.Version = tableVersion.Version;
        }

        return Task.FromResult(true);
    }

    /// <inheritdoc />
    public Task UpdateIAmAliveAsync(SiloAddress silo, DateTimeOffset iAmAliveTime, CancellationToken cancellationToken)
    {
        MembershipTableFormat.ValidateSilo(silo);
        if (cancellationToken.IsCancellationRequested)
        {
            return Task.FromCanceled(cancellationToken);
        }

        DateTimeOffset time = MembershipTableFormat.NormalizeTime(iAmAliveTime);
        lock (_store.Gate)
        {
            // A heartbeat: neither the version nor the row ETag moves, exactly as in the SQL tables.
            if (_store.Clusters.TryGetValue(ClusterId, out ClusterRows? cluster) && cluster.Rows.TryGetValue(silo, out StoredRow? row))
            {
                cluster.Rows[silo] = row with { Entry = row.Entry with { IAmAliveTime = time } };
            }
        }

        return Task.CompletedTask;
    }

    /// <inheritdoc />
    public Task<int> CleanupDefunctSiloEntriesAsync(DateTimeOffset beforeDate, CancellationToken cancellationToken)
    {
        if (cancellationToken.IsCancellationRequested)
        {
            return Task.FromCanceled<int>(cancellationToken);
        }

        DateTimeOffset before = MembershipTableFormat.NormalizeTime(beforeDate);
        int deleted = 0;
        lock (_store.Gate)
        {
            if (_store.Clusters.TryGetValue(ClusterId, out ClusterRows? cluster))
            {
                List<SiloAddress>? defunct = null;
                foreach (StoredRow row in cluster.Rows.Values)
                {
                    if (row.Entry.Status == SiloStatus.Dead && row.Entry.IAmAliveTime < before)
                    {
                        (defunct ??= []).Add(row.Entry.Silo);
                    }
                }

                if (defunct is not null)
                {
                    foreach (SiloAddress silo in defunct)
                    {
                        cluster.Rows.Remove(silo);
                    }

                    deleted = defunct.Count;
                }
            }
        }

        if (deleted > 0)
        {
            Log.DefunctRowsDeleted(_logger, ClusterId, deleted, before);
        }

        return Task.FromResult(deleted);
    }

    /// <summary>
    /// Everything the tables made from one instance share. One lock for all of it: membership
    /// changes are rare, and a single lock makes every operation trivially atomic.
    /// </summary>
    private sealed class Store
    {
        public object Gate { get; } = new();

        public Dictionary<string, ClusterRows> Clusters { get; } = new(StringComparer.Ordinal);
    }

    /// <summary>One cluster's version row and rows.</summary>
    private sealed class ClusterRows
    {
        public int Version { get; set; }

        public Dictionary<SiloAddress, StoredRow> Rows { get; } = [];
    }

    /// <summary>A row in stored form (see <see cref="MembershipTableFormat.ToStoredForm"/>) with its ETag.</summary>
    private sealed record StoredRow(MembershipEntry Entry, long Etag);

    private static partial class Log
    {
        [LoggerMessage(EventId = 7000, Level = LogLevel.Information, Message = "In-memory membership table ready for cluster {ClusterId}")]
        public static partial void Initialized(ILogger logger, string clusterId);

        [LoggerMessage(EventId = 7001, Level = LogLevel.Debug, Message = "In-memory membership table of cluster {ClusterId} refused to {Operation} silo {Silo}: table version {StoredVersion}, writer expected {ExpectedVersion} (or the row ETag is stale)")]
        public static partial void WriteRefused(ILogger logger, string operation, string clusterId, SiloAddress silo, int storedVersion, int expectedVersion);

        [LoggerMessage(EventId = 7002, Level = LogLevel.Information, Message = "In-memory membership table of cluster {ClusterId} deleted {Count} Dead rows last alive before {BeforeDate}")]
        public static partial void DefunctRowsDeleted(ILogger logger, string clusterId, int count, DateTimeOffset beforeDate);
    }
}
