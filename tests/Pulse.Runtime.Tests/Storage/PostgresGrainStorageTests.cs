using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Npgsql;
using Pulse.Runtime.Configuration;
using Pulse.Runtime.Postgres;
using Pulse.Runtime.Storage;
using Pulse.Runtime.Testing;

namespace Pulse.Runtime.Tests.Storage;

/// <summary>Holds a lease on the test process's shared PostgreSQL server for one test class.</summary>
public sealed class PostgresServerFixture : IAsyncLifetime
{
    private PostgresTestServerLease? _lease;

    public PostgresTestServer Server => _lease?.Server ?? throw new InvalidOperationException("The fixture is not initialised.");

    public async Task InitializeAsync() => _lease = await PostgresTestServer.AcquireSharedAsync();

    public async Task DisposeAsync()
    {
        if (_lease is not null)
        {
            await _lease.DisposeAsync();
        }
    }
}

/// <summary>The compliance suite against <see cref="PostgresGrainStorage"/>, a fresh database per test on a real server.</summary>
public sealed class PostgresGrainStorageTests(PostgresServerFixture fixture) : GrainStorageComplianceTests, IClassFixture<PostgresServerFixture>
{
    private string? _connectionString;

    private string ConnectionString => _connectionString ?? throw new InvalidOperationException("The store is not created.");

    protected override async Task CreateStoreAsync() =>
        _connectionString = await fixture.Server.CreateDatabaseAsync("storage_" + Guid.NewGuid().ToString("N"));

    protected override Task DeleteStoreAsync() => Task.CompletedTask;

    protected override IGrainStorage CreateProvider(string serviceId) =>
        Create(serviceId, new PostgresGrainStorageOptions { ConnectionString = ConnectionString });

    private static PostgresGrainStorage Create(string serviceId, PostgresGrainStorageOptions options) => new(
        "test",
        options,
        Serializer,
        Options.Create(new ClusterOptions { ServiceId = serviceId }),
        NullLogger<PostgresGrainStorage>.Instance);

    [Fact]
    public async Task PayloadIsJsonbThatOperatorsCanQueryWithSql()
    {
        IGrainStorage storage = await CreateInitializedProviderAsync();
        GrainId grainId = NewGrainId();
        await WriteNewAsync(storage, grainId, ComplianceState.CreateRich("Zoë — 東京", 11));

        await using var connection = new NpgsqlConnection(ConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(
            "SELECT payload->>'name', (payload->'address'->>'city'), pg_typeof(payload)::text, version " +
            "FROM pulse.grain_state WHERE service_id = $1 AND grain_type = $2 AND grain_key = $3 AND state_name = $4 AND (payload->>'count')::int = 11",
            connection);
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = ServiceId });
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = grainId.Type.Value });
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = grainId.Key });
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = StateName });
        await using NpgsqlDataReader reader = await command.ExecuteReaderAsync();

        Assert.True(await reader.ReadAsync());
        Assert.Equal("Zoë — 東京", reader.GetString(0));
        Assert.Equal("Kraków", reader.GetString(1));
        Assert.Equal("jsonb", reader.GetString(2));
        Assert.Equal(1, reader.GetInt32(3));
    }

    [Fact]
    public async Task SchemaVersionIsRecordedAndAnotherSchemaNameKeepsItsOwnTables()
    {
        await CreateInitializedProviderAsync();
        PostgresGrainStorage other = Create(ServiceId, new PostgresGrainStorageOptions { ConnectionString = ConnectionString, SchemaName = "pulse_other" });
        await using (other)
        {
            await other.InitializeAsync(CancellationToken.None);
            GrainId grainId = NewGrainId();
            await WriteNewAsync(other, grainId, new ComplianceState { Name = "in pulse_other" });

            await using var connection = new NpgsqlConnection(ConnectionString);
            await connection.OpenAsync();
            await using var command = new NpgsqlCommand(
                "SELECT (SELECT version FROM pulse.schema_version WHERE component = $1), " +
                "(SELECT count(*) FROM pulse.grain_state), (SELECT count(*) FROM pulse_other.grain_state)",
                connection);
            command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = PostgresGrainStorage.SchemaComponent });
            await using NpgsqlDataReader reader = await command.ExecuteReaderAsync();

            Assert.True(await reader.ReadAsync());
            Assert.Equal(PostgresGrainStorage.SchemaVersion, reader.GetInt32(0));
            Assert.Equal(0, reader.GetInt64(1));
            Assert.Equal(1, reader.GetInt64(2));
        }
    }

    [Fact]
    public async Task StateSurvivesAServerRestart()
    {
        // A private server: restarting the shared one would break the tests running beside this one.
        await using PostgresTestServer server = await PostgresTestServer.StartAsync();
        string connectionString = await server.CreateDatabaseAsync("restart");
        var options = new PostgresGrainStorageOptions { ConnectionString = connectionString };
        GrainId grainId = NewGrainId();
        ComplianceState value = ComplianceState.CreateRich("survivor", 5);
        string? etag;
        await using (PostgresGrainStorage before = Create(ServiceId, options))
        {
            await before.InitializeAsync(CancellationToken.None);
            etag = (await WriteNewAsync(before, grainId, value)).ETag;
        }

        await server.RestartAsync();

        await using PostgresGrainStorage after = Create(ServiceId, options);
        await after.InitializeAsync(CancellationToken.None);
        TestGrainState<ComplianceState> read = await ReadAsync(after, grainId);
        Assert.True(read.RecordExists);
        Assert.Equal(etag, read.ETag);
        Assert.Equal(ToJson(value), ToJson(read.State));
    }

    [Fact]
    public async Task TheSharedServerRefusesToRestart()
    {
        Assert.True(fixture.Server.IsShared);
        await Assert.ThrowsAsync<InvalidOperationException>(() => fixture.Server.RestartAsync());
    }

    [Fact]
    public async Task KeyPrefixQueriesAreExactAndOrderedByCodePointInADatabaseWithALinguisticCollation()
    {
        // Production databases are usually created with a locale such as en_US.UTF-8, unlike the test
        // server's C locale; an ICU database has the same linguistic order without an OS locale.
        string name = "icu_" + Guid.NewGuid().ToString("N");
        await using (var admin = new NpgsqlConnection(fixture.Server.AdminConnectionString + ";Pooling=false"))
        {
            await admin.OpenAsync();
            await using var create = new NpgsqlCommand($"CREATE DATABASE \"{name}\" TEMPLATE template0 LOCALE_PROVIDER icu ICU_LOCALE 'en-US'", admin);
            await create.ExecuteNonQueryAsync();
        }

        string connectionString = fixture.Server.GetConnectionString(name);
        await using (var connection = new NpgsqlConnection(connectionString))
        {
            await connection.OpenAsync();
            await using var probe = new NpgsqlCommand("SELECT 'a' < 'B' AND 'ë' < 'z'", connection);
            Assert.True((bool)(await probe.ExecuteScalarAsync())!, "the database should order text linguistically");
        }

        await using PostgresGrainStorage storage = Create(ServiceId, new PostgresGrainStorageOptions { ConnectionString = connectionString });
        await storage.InitializeAsync(CancellationToken.None);
        await AssertPrefixQueriesAreExactAsync(storage);
    }

    [Theory]
    [InlineData(false, false)]
    [InlineData(false, true)]
    [InlineData(true, false)]
    [InlineData(true, true)]
    public async Task KeyPrefixQueriesAreARangeScanOfTheQueryIndexWithoutASort(bool after, bool bounded)
    {
        IGrainStorage storage = await CreateInitializedProviderAsync();
        await WriteNewAsync(storage, GrainId.Create(QueryGrainType, "t1/a"), new ComplianceState());

        await using var connection = new NpgsqlConnection(ConnectionString);
        await connection.OpenAsync();
        await using (var off = new NpgsqlCommand("SET enable_seqscan = off", connection))
        {
            // A table of one row would otherwise be read sequentially, whatever its indexes.
            await off.ExecuteNonQueryAsync();
        }

        await using var explain = new NpgsqlCommand("EXPLAIN " + PostgresGrainStorage.CreateQuerySql("\"pulse\".grain_state", after, bounded), connection);
        foreach (string value in new[] { ServiceId, QueryGrainType, StateName, "t1/" })
        {
            explain.Parameters.Add(new NpgsqlParameter<string> { TypedValue = value });
        }

        explain.Parameters.Add(new NpgsqlParameter<int> { TypedValue = PostgresGrainStorage.QueryPageSize });
        if (bounded)
        {
            explain.Parameters.Add(new NpgsqlParameter<string> { TypedValue = "t10" });
        }

        List<string> plan = [];
        await using (NpgsqlDataReader reader = await explain.ExecuteReaderAsync())
        {
            while (await reader.ReadAsync())
            {
                plan.Add(reader.GetString(0));
            }
        }

        string text = string.Join(Environment.NewLine, plan);
        Assert.Contains("Index Scan using grain_state_query_idx", text);
        Assert.DoesNotContain("Sort", text);
        Assert.Contains(after ? "grain_key)::text > " : "grain_key)::text >= ", text);
        Assert.Equal(bounded, text.Contains("grain_key)::text < ", StringComparison.Ordinal));
    }

    [Fact]
    public async Task ASchemaAtVersionOneMigratesToTheQueryIndexAndKeepsItsRows()
    {
        IGrainStorage old = await CreateInitializedProviderAsync();
        await using var connection = new NpgsqlConnection(ConnectionString);
        await connection.OpenAsync();
        await using (var downgrade = new NpgsqlCommand(
            "DROP INDEX pulse.grain_state_query_idx; UPDATE pulse.schema_version SET version = 1 WHERE component = 'grain-storage'", connection))
        {
            // What a silo of the previous release left behind.
            await downgrade.ExecuteNonQueryAsync();
        }

        await WriteNewAsync(old, GrainId.Create(QueryGrainType, "t1/before"), new ComplianceState { Name = "before" });
        Assert.Equal(["t1/before"], await QueryKeysAsync(old, "t1/"));

        IGrainStorage upgraded = await CreateInitializedProviderAsync();
        await WriteNewAsync(upgraded, GrainId.Create(QueryGrainType, "t1/after"), new ComplianceState { Name = "after" });

        await using var check = new NpgsqlCommand(
            "SELECT (SELECT version FROM pulse.schema_version WHERE component = 'grain-storage'), to_regclass('pulse.grain_state_query_idx') IS NOT NULL",
            connection);
        await using (NpgsqlDataReader reader = await check.ExecuteReaderAsync())
        {
            Assert.True(await reader.ReadAsync());
            Assert.Equal(2, reader.GetInt32(0));
            Assert.True(reader.GetBoolean(1));
        }

        Assert.Equal(["t1/after", "t1/before"], await QueryKeysAsync(upgraded, "t1/"));
        Assert.Equal("before", (await ReadAsync(upgraded, GrainId.Create(QueryGrainType, "t1/before"))).State.Name);
    }

    [Fact]
    public async Task ADatabaseFailureIsAGrainStorageExceptionNamingTheOperationAndGrain()
    {
        IGrainStorage storage = await CreateInitializedProviderAsync();
        GrainId grainId = NewGrainId();
        TestGrainState<ComplianceState> written = await WriteNewAsync(storage, grainId, new ComplianceState { Name = "before" });

        // The store goes away under the provider: its database is dropped, open connections included.
        string database = new NpgsqlConnectionStringBuilder(ConnectionString).Database!;
        await using (var admin = new NpgsqlConnection(fixture.Server.AdminConnectionString))
        {
            await admin.OpenAsync();
            await using NpgsqlCommand drop = admin.CreateCommand();
            drop.CommandText = $"DROP DATABASE \"{database}\" WITH (FORCE)";
            await drop.ExecuteNonQueryAsync();
        }

        var read = await Assert.ThrowsAsync<GrainStorageException>(() => ReadAsync(storage, grainId));
        Assert.Contains("read", read.Message);
        Assert.Contains(grainId.ToString(), read.Message);
        Assert.IsAssignableFrom<NpgsqlException>(read.InnerException);
        written.State = new ComplianceState { Name = "after" };
        var write = await Assert.ThrowsAsync<GrainStorageException>(() => storage.WriteStateAsync(StateName, grainId, written, CancellationToken.None));
        Assert.Contains("write", write.Message);
        await Assert.ThrowsAsync<GrainStorageException>(() => storage.ClearStateAsync(StateName, grainId, written, CancellationToken.None));
        await Assert.ThrowsAsync<GrainStorageException>(async () =>
        {
            await foreach (StoredGrainState<ComplianceState> _ in ((IGrainStorageQuery)storage).QueryAsync<ComplianceState>(StateName, grainId.Type, string.Empty, CancellationToken.None))
            {
            }
        });
    }
}
