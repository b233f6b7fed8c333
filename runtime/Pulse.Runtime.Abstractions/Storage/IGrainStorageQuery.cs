namespace Pulse.Runtime.Storage;

/// <summary>One stored state returned by <see cref="IGrainStorageQuery.QueryAsync{TState}"/>.</summary>
/// <typeparam name="TState">The state type.</typeparam>
/// <param name="GrainId">The grain the state belongs to.</param>
/// <param name="ETag">The record's version token, as <see cref="IGrainStorage.ReadStateAsync{TState}"/> would report it.</param>
/// <param name="State">A fresh copy of the stored state; changing it changes nothing in storage.</param>
public sealed record StoredGrainState<TState>(GrainId GrainId, string ETag, TState State);

/// <summary>
/// An optional capability of an <see cref="IGrainStorage"/> provider: listing the stored states of one
/// grain type whose keys start with a prefix, for grains that rebuild an index of other grains (for
/// example a tenant's cache index listing the entries <c>{tenantId}/…</c>) after a silo or the whole
/// cluster restarted. The memory, SQLite and PostgreSQL providers implement it; obtain it from grain
/// code with <see cref="GrainStorageQueries.Find"/>.
/// </summary>
public interface IGrainStorageQuery
{
    /// <summary>
    /// Lists every record of <paramref name="grainType"/> and <paramref name="stateName"/> that exists
    /// now (cleared records are left out) in this provider's service, whose grain key starts with
    /// <paramref name="keyPrefix"/>.
    /// </summary>
    /// <remarks>
    /// <para>
    /// The match is exact: ordinal and case-sensitive, and no character of the prefix is special, so
    /// <c>%</c>, <c>_</c> and <c>\</c> match only themselves. An empty prefix lists every record of the
    /// type and state name.
    /// </para>
    /// <para>
    /// Results are streamed in pages, never all held in memory, in ascending key order by Unicode code
    /// point (the order of the keys' UTF-8 bytes; the same as <see cref="StringComparison.Ordinal"/>
    /// unless keys hold characters outside the Basic Multilingual Plane). The listing is not a
    /// snapshot: a record written or cleared while it runs may or may not be seen, and one that is seen
    /// is returned once, with a state no older than when the listing started.
    /// </para>
    /// <para>
    /// Validation happens at the call; storage is first read when enumeration starts. Cancelling
    /// <paramref name="cancellationToken"/> (or the token given to
    /// <see cref="IAsyncEnumerable{T}.GetAsyncEnumerator"/>) makes the next move throw
    /// <see cref="OperationCanceledException"/>.
    /// </para>
    /// </remarks>
    /// <typeparam name="TState">The state type the records were written with.</typeparam>
    /// <param name="stateName">The name of the state within the grain, as in <see cref="PersistentStateAttribute"/>.</param>
    /// <param name="grainType">The grain type, e.g. <c>cache.entry</c>.</param>
    /// <param name="keyPrefix">The start of the keys to list, e.g. <c>"tenant-1/"</c>; empty for all.</param>
    /// <param name="cancellationToken">Cancels the listing.</param>
    /// <exception cref="ArgumentException"><paramref name="stateName"/> is empty, <paramref name="grainType"/> is default, or <paramref name="keyPrefix"/> is not well-formed UTF-16 (a lone surrogate).</exception>
    /// <exception cref="ArgumentNullException"><paramref name="stateName"/> or <paramref name="keyPrefix"/> is null.</exception>
    IAsyncEnumerable<StoredGrainState<TState>> QueryAsync<TState>(
        string stateName, GrainType grainType, string keyPrefix, CancellationToken cancellationToken);
}
