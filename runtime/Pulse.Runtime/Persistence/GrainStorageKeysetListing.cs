using System.Runtime.CompilerServices;
using Pulse.Runtime.Storage;

namespace Pulse.Runtime.Persistence;

/// <summary>One stored record as a SQL provider's listing reads it: kept as JSON until the caller reaches it.</summary>
/// <param name="Key">The grain key.</param>
/// <param name="Version">The record version (its ETag).</param>
/// <param name="Payload">The state's JSON.</param>
public readonly record struct StoredGrainRow(string Key, int Version, byte[] Payload);

/// <summary>
/// Reads one page of a listing: up to the page size of rows with keys in the prefix's range, in key
/// order, starting at <c>from</c> (after it when <c>after</c> is set), below <c>upperBound</c> when given.
/// </summary>
public delegate Task ReadGrainStoragePage(List<StoredGrainRow> page, string from, bool after, string? upperBound, CancellationToken cancellationToken);

/// <summary>
/// The keyset paging of <see cref="IGrainStorageQuery.QueryAsync"/> shared by the SQL providers: each
/// page is one statement whose connection is back in the pool before the caller sees a row, so a slow
/// consumer (a grain calling other grains per entry) holds no connection and no snapshot, and paging by
/// the last key seen keeps every page an index range scan however deep the listing goes.
/// </summary>
public static class GrainStorageKeysetListing
{
    /// <summary>Checks the arguments at once (not at the first enumeration), then lists the records page by page.</summary>
    public static IAsyncEnumerable<StoredGrainState<TState>> QueryAsync<TState>(
        string stateName, GrainType grainType, string keyPrefix, int pageSize, IGrainStateSerializer serializer,
        ReadGrainStoragePage readPage, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(stateName);
        if (grainType.IsDefault)
        {
            throw new ArgumentException("The grain type must be set.", nameof(grainType));
        }

        ArgumentNullException.ThrowIfNull(serializer);
        ArgumentNullException.ThrowIfNull(readPage);
        ArgumentOutOfRangeException.ThrowIfLessThan(pageSize, 1);
        string? upperBound = GrainStorageKeyRange.UpperBound(keyPrefix);
        return ListAsync<TState>(stateName, grainType, keyPrefix, upperBound, pageSize, serializer, readPage, cancellationToken);
    }

    private static async IAsyncEnumerable<StoredGrainState<TState>> ListAsync<TState>(
        string stateName, GrainType grainType, string keyPrefix, string? upperBound, int pageSize, IGrainStateSerializer serializer,
        ReadGrainStoragePage readPage, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        List<StoredGrainRow> page = new(pageSize);
        string from = keyPrefix;
        bool after = false;
        while (true)
        {
            cancellationToken.ThrowIfCancellationRequested();
            page.Clear();
            try
            {
                await readPage(page, from, after, upperBound, cancellationToken).ConfigureAwait(false);
            }
            catch (System.Data.Common.DbException exception)
            {
                throw GrainStorageFailures.ListFailed(stateName, grainType, exception);
            }
            foreach (StoredGrainRow row in page)
            {
                cancellationToken.ThrowIfCancellationRequested();
                yield return new StoredGrainState<TState>(
                    new GrainId(grainType, row.Key), GrainStorageEtags.Format(row.Version), serializer.Deserialize<TState>(row.Payload));
            }

            if (page.Count < pageSize)
            {
                yield break;
            }

            from = page[^1].Key;
            after = true;
        }
    }
}
