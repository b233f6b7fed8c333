namespace Pulse.Runtime.Membership;

/// <summary>
/// The membership table of one cluster (the cluster id comes from <c>ClusterOptions</c>). A version
/// row guards every change: <see cref="InsertRowAsync"/> and <see cref="UpdateRowAsync"/> succeed only
/// when the table version is still the one the caller read (and, for updates, the row ETag too),
/// and they write <c>tableVersion</c> (the read version + 1) as the new version in the same
/// transaction. A false return means someone else changed the table first: read again and decide again.
/// </summary>
public interface IMembershipTable
{
    /// <summary>Creates the schema and the version row if missing (idempotent, safe to run concurrently).</summary>
    Task InitializeAsync(CancellationToken cancellationToken);

    /// <summary>Reads every row of this cluster and the table version, consistently.</summary>
    Task<MembershipTableSnapshot> ReadAllAsync(CancellationToken cancellationToken);

    /// <summary>
    /// Inserts a row if no row for the same silo exists and the stored version is
    /// <c>tableVersion.Version - 1</c>; stores <paramref name="tableVersion"/> as the new version.
    /// </summary>
    Task<bool> InsertRowAsync(MembershipEntry entry, TableVersion tableVersion, CancellationToken cancellationToken);

    /// <summary>
    /// Replaces a row if its ETag is still <paramref name="etag"/> and the stored version is
    /// <c>tableVersion.Version - 1</c>; stores <paramref name="tableVersion"/> as the new version.
    /// </summary>
    Task<bool> UpdateRowAsync(MembershipEntry entry, string etag, TableVersion tableVersion, CancellationToken cancellationToken);

    /// <summary>Sets a row's IAmAlive time only (no version check: it is a heartbeat, not a membership change).</summary>
    Task UpdateIAmAliveAsync(SiloAddress silo, DateTimeOffset iAmAliveTime, CancellationToken cancellationToken);

    /// <summary>Deletes Dead rows whose IAmAlive time is older than <paramref name="beforeDate"/>; returns how many.</summary>
    Task<int> CleanupDefunctSiloEntriesAsync(DateTimeOffset beforeDate, CancellationToken cancellationToken);
}
