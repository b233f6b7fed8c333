using Microsoft.Data.Sqlite;
using Pulse.Runtime.Persistence;
using Pulse.Runtime.Storage;

namespace Pulse.Runtime.Sqlite;

public sealed partial class SqliteGrainStorage
{
    /// <summary>How many rows one statement of a listing reads; the listing holds at most one page.</summary>
    internal const int QueryPageSize = 500;

    /// <summary>The listing statements, indexed by <see cref="QuerySqlIndex"/>.</summary>
    private static readonly string[] QuerySql = [CreateQuerySql(after: false, bounded: false), CreateQuerySql(after: false, bounded: true),
        CreateQuerySql(after: true, bounded: false), CreateQuerySql(after: true, bounded: true)];

    /// <inheritdoc />
    public IAsyncEnumerable<StoredGrainState<TState>> QueryAsync<TState>(
        string stateName, GrainType grainType, string keyPrefix, CancellationToken cancellationToken) =>
        GrainStorageKeysetListing.QueryAsync<TState>(
            stateName, grainType, keyPrefix, QueryPageSize, _serializer,
            (page, from, after, upperBound, token) => ReadPageAsync(page, stateName, grainType, from, after, upperBound, token),
            cancellationToken);

    /// <summary>
    /// The statement of one page: the key range through the primary key (service_id, grain_type,
    /// grain_key, state_name), whose BINARY collation orders keys by their UTF-8 bytes, so the range
    /// is exactly the prefix and the rows come in key order without a sort.
    /// </summary>
    /// <param name="after">Later pages continue after the last key seen (<c>&gt;</c>); the first starts at the prefix (<c>&gt;=</c>).</param>
    /// <param name="bounded">Whether the range has an upper end; an empty prefix has none.</param>
    internal static string CreateQuerySql(bool after, bool bounded) =>
        "SELECT grain_key, version, CAST(payload AS BLOB) FROM grain_state " +
        "WHERE service_id = $service_id AND grain_type = $grain_type AND state_name = $state_name " +
        (after ? "AND grain_key > $from " : "AND grain_key >= $from ") +
        (bounded ? "AND grain_key < $to " : string.Empty) +
        "AND payload IS NOT NULL ORDER BY grain_key LIMIT $limit";

    private static int QuerySqlIndex(bool after, bool bounded) => (after ? 2 : 0) + (bounded ? 1 : 0);

    private async Task ReadPageAsync(
        List<StoredGrainRow> page, string stateName, GrainType grainType, string from, bool after, string? upperBound, CancellationToken cancellationToken)
    {
        // A connection of its own per page: no read snapshot outlives the page to keep the WAL from being checkpointed.
        await using SqliteConnection connection = await OpenAsync(cancellationToken).ConfigureAwait(false);
        await using SqliteCommand command = connection.CreateCommand();
        command.CommandText = QuerySql[QuerySqlIndex(after, upperBound is not null)];
        command.Parameters.AddWithValue("$service_id", _serviceId);
        command.Parameters.AddWithValue("$grain_type", grainType.Value);
        command.Parameters.AddWithValue("$state_name", stateName);
        command.Parameters.AddWithValue("$from", from);
        if (upperBound is not null)
        {
            command.Parameters.AddWithValue("$to", upperBound);
        }

        command.Parameters.AddWithValue("$limit", QueryPageSize);
        await using SqliteDataReader reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            page.Add(new StoredGrainRow(reader.GetString(0), reader.GetInt32(1), reader.GetFieldValue<byte[]>(2)));
        }
    }
}
