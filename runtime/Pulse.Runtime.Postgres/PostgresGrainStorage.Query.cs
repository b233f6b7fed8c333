using Npgsql;
using NpgsqlTypes;
using Pulse.Runtime.Persistence;
using Pulse.Runtime.Storage;

namespace Pulse.Runtime.Postgres;

public sealed partial class PostgresGrainStorage
{
    /// <summary>How many rows one statement of a listing reads; the listing holds at most one page.</summary>
    internal const int QueryPageSize = 500;

    /// <inheritdoc />
    public IAsyncEnumerable<StoredGrainState<TState>> QueryAsync<TState>(
        string stateName, GrainType grainType, string keyPrefix, CancellationToken cancellationToken) =>
        GrainStorageKeysetListing.QueryAsync<TState>(
            stateName, grainType, keyPrefix, QueryPageSize, _serializer,
            (page, from, after, upperBound, token) => ReadPageAsync(page, stateName, grainType, from, after, upperBound, token),
            cancellationToken);

    /// <summary>
    /// The statement of one page, for <c>grain_state_query_idx</c> (schema version 2): equality on
    /// service, type and state name, then a range of <c>grain_key COLLATE "C"</c>, which compares UTF-8
    /// bytes whatever the database's collation is, so the range is exactly the prefix and the rows come
    /// in key order without a sort. $1..$3 = service, type, state name; $4 = from; $5 = limit; $6 = to.
    /// </summary>
    /// <param name="table">The quoted table name.</param>
    /// <param name="after">Later pages continue after the last key seen (<c>&gt;</c>); the first starts at the prefix (<c>&gt;=</c>).</param>
    /// <param name="bounded">Whether the range has an upper end; an empty prefix has none.</param>
    internal static string CreateQuerySql(string table, bool after, bool bounded) =>
        $"SELECT grain_key, version, payload FROM {table} " +
        "WHERE service_id = $1 AND grain_type = $2 AND state_name = $3 " +
        (after ? "AND grain_key COLLATE \"C\" > $4 " : "AND grain_key COLLATE \"C\" >= $4 ") +
        (bounded ? "AND grain_key COLLATE \"C\" < $6 " : string.Empty) +
        "AND payload IS NOT NULL ORDER BY grain_key COLLATE \"C\" LIMIT $5";

    private async Task ReadPageAsync(
        List<StoredGrainRow> page, string stateName, GrainType grainType, string from, bool after, string? upperBound, CancellationToken cancellationToken)
    {
        await using NpgsqlCommand command = _dataSource.CreateCommand(_querySql[(after ? 2 : 0) + (upperBound is null ? 0 : 1)]);
        command.Parameters.Add(new NpgsqlParameter<string> { NpgsqlDbType = NpgsqlDbType.Text, TypedValue = _serviceId });
        command.Parameters.Add(new NpgsqlParameter<string> { NpgsqlDbType = NpgsqlDbType.Text, TypedValue = grainType.Value });
        command.Parameters.Add(new NpgsqlParameter<string> { NpgsqlDbType = NpgsqlDbType.Text, TypedValue = stateName });
        command.Parameters.Add(new NpgsqlParameter<string> { NpgsqlDbType = NpgsqlDbType.Text, TypedValue = from });
        command.Parameters.Add(new NpgsqlParameter<int> { NpgsqlDbType = NpgsqlDbType.Integer, TypedValue = QueryPageSize });
        if (upperBound is not null)
        {
            command.Parameters.Add(new NpgsqlParameter<string> { NpgsqlDbType = NpgsqlDbType.Text, TypedValue = upperBound });
        }

        await using NpgsqlDataReader reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            page.Add(new StoredGrainRow(
                reader.GetString(0),
                reader.GetInt32(1),
                await reader.GetFieldValueAsync<byte[]>(2, cancellationToken).ConfigureAwait(false)));
        }
    }
}
