using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Pulse.Runtime.Configuration;
using Pulse.Runtime.Sqlite;
using Pulse.Runtime.Storage;

namespace Pulse.Runtime.Tests.Storage;

/// <summary>The compliance suite against <see cref="SqliteGrainStorage"/> on a database file in a temporary folder.</summary>
public sealed class SqliteGrainStorageTests : GrainStorageComplianceTests
{
    private readonly string _directory = Path.Combine(Path.GetTempPath(), "pulse-sqlite-" + Guid.NewGuid().ToString("N")[..12]);

    // A folder that does not exist yet: the provider must create it.
    private string DatabasePath => Path.Combine(_directory, "data", "grains.db");

    protected override Task CreateStoreAsync() => Task.CompletedTask;

    protected override Task DeleteStoreAsync()
    {
        if (Directory.Exists(_directory))
        {
            Directory.Delete(_directory, recursive: true);
        }

        return Task.CompletedTask;
    }

    protected override IGrainStorage CreateProvider(string serviceId) =>
        Create(serviceId, new SqliteGrainStorageOptions { DataSource = DatabasePath });

    private static SqliteGrainStorage Create(string serviceId, SqliteGrainStorageOptions options) => new(
        "test",
        options,
        Serializer,
        Options.Create(new ClusterOptions { ServiceId = serviceId }),
        NullLogger<SqliteGrainStorage>.Instance);

    private async Task<T> QueryScalarAsync<T>(string sql, params (string Name, object Value)[] parameters)
    {
        await using var connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = DatabasePath, Pooling = false }.ConnectionString);
        await connection.OpenAsync();
        await using SqliteCommand command = connection.CreateCommand();
        command.CommandText = sql;
        foreach ((string name, object value) in parameters)
        {
            command.Parameters.AddWithValue(name, value);
        }

        return (T)(await command.ExecuteScalarAsync())!;
    }

    [Fact]
    public async Task DatabaseUsesWalJournalModeAndRecordsItsSchemaVersion()
    {
        await CreateInitializedProviderAsync();

        Assert.Equal("wal", await QueryScalarAsync<string>("PRAGMA journal_mode"));
        long version = await QueryScalarAsync<long>(
            "SELECT version FROM pulse_schema_version WHERE component = $component", ("$component", SqliteGrainStorage.SchemaComponent));
        Assert.Equal(SqliteGrainStorage.SchemaVersion, version);
    }

    [Fact]
    public async Task PayloadIsJsonTextThatSqlCanQuery()
    {
        IGrainStorage storage = await CreateInitializedProviderAsync();
        GrainId grainId = NewGrainId();
        await WriteNewAsync(storage, grainId, ComplianceState.CreateRich("Zoë", 9));

        string city = await QueryScalarAsync<string>(
            "SELECT json_extract(payload, '$.address.city') FROM grain_state WHERE service_id = $s AND grain_key = $k",
            ("$s", ServiceId),
            ("$k", grainId.Key));

        Assert.Equal("Kraków", city);
    }

    [Fact]
    public async Task AConnectionStringWorksAsWellAsADataSourcePath()
    {
        string connectionString = new SqliteConnectionStringBuilder { DataSource = DatabasePath }.ConnectionString;
        SqliteGrainStorage viaConnectionString = Create(ServiceId, new SqliteGrainStorageOptions { ConnectionString = connectionString });
        try
        {
            await viaConnectionString.InitializeAsync(CancellationToken.None);
            GrainId grainId = NewGrainId();
            await WriteNewAsync(viaConnectionString, grainId, new ComplianceState { Name = "via connection string" });

            IGrainStorage viaPath = await CreateInitializedProviderAsync();
            Assert.Equal("via connection string", (await ReadAsync(viaPath, grainId)).State.Name);
        }
        finally
        {
            viaConnectionString.Dispose();
        }
    }

    [Theory]
    [InlineData(false, false)]
    [InlineData(false, true)]
    [InlineData(true, false)]
    [InlineData(true, true)]
    public async Task KeyPrefixQueriesAreARangeScanOfThePrimaryKeyWithoutASort(bool after, bool bounded)
    {
        await CreateInitializedProviderAsync();
        await using var connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = DatabasePath, Pooling = false }.ConnectionString);
        await connection.OpenAsync();
        await using SqliteCommand command = connection.CreateCommand();
        command.CommandText = "EXPLAIN QUERY PLAN " + SqliteGrainStorage.CreateQuerySql(after, bounded);
        foreach (string name in new[] { "$service_id", "$grain_type", "$state_name", "$from", "$to", "$limit" })
        {
            if (command.CommandText.Contains(name, StringComparison.Ordinal))
            {
                command.Parameters.AddWithValue(name, name == "$limit" ? 500 : "x");
            }
        }

        List<string> plan = [];
        await using (SqliteDataReader reader = await command.ExecuteReaderAsync())
        {
            while (await reader.ReadAsync())
            {
                plan.Add(reader.GetString(3));
            }
        }

        string detail = Assert.Single(plan);
        Assert.StartsWith("SEARCH grain_state USING PRIMARY KEY (service_id=? AND grain_type=? AND grain_key>", detail);
        Assert.Equal(bounded, detail.Contains("grain_key<?", StringComparison.Ordinal));
    }

    [Fact]
    public async Task ADatabaseFailureIsAGrainStorageExceptionNamingTheOperationAndGrain()
    {
        IGrainStorage storage = await CreateInitializedProviderAsync();
        GrainId grainId = NewGrainId();
        TestGrainState<ComplianceState> written = await WriteNewAsync(storage, grainId, new ComplianceState { Name = "before" });

        // The file stops being a database (a disk fault, someone else's write): every operation fails.
        SqliteConnection.ClearAllPools();
        foreach (string file in Directory.GetFiles(Path.GetDirectoryName(DatabasePath)!))
        {
            await File.WriteAllBytesAsync(file, Enumerable.Repeat((byte)0x5A, 8192).ToArray());
        }

        var read = await Assert.ThrowsAsync<GrainStorageException>(() => ReadAsync(storage, grainId));
        Assert.Contains("read", read.Message);
        Assert.Contains(grainId.ToString(), read.Message);
        Assert.IsType<SqliteException>(read.InnerException);
        written.State = new ComplianceState { Name = "after" };
        await Assert.ThrowsAsync<GrainStorageException>(() => storage.WriteStateAsync(StateName, grainId, written, CancellationToken.None));
        await Assert.ThrowsAsync<GrainStorageException>(() => storage.ClearStateAsync(StateName, grainId, written, CancellationToken.None));
        await Assert.ThrowsAsync<GrainStorageException>(async () =>
        {
            await foreach (StoredGrainState<ComplianceState> _ in ((IGrainStorageQuery)storage).QueryAsync<ComplianceState>(StateName, grainId.Type, string.Empty, CancellationToken.None))
            {
            }
        });
    }
}
