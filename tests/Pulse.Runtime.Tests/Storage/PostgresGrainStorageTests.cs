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
}
