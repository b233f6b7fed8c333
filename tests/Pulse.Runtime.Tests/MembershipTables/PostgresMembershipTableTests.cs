using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Npgsql;
using Pulse.Runtime.Configuration;
using Pulse.Runtime.Membership;
using Pulse.Runtime.Persistence;
using Pulse.Runtime.Postgres;
using Pulse.Runtime.Testing;
using Pulse.Runtime.Tests.Storage;

namespace Pulse.Runtime.Tests.MembershipTables;

/// <summary>The compliance suite against <see cref="PostgresMembershipTable"/>, a fresh database per test on a real server.</summary>
public sealed class PostgresMembershipTableTests(PostgresServerFixture fixture) : MembershipTableComplianceTests, IClassFixture<PostgresServerFixture>
{
    private string? _connectionString;

    private string ConnectionString => _connectionString ?? throw new InvalidOperationException("The store is not created.");

    protected override async Task CreateStoreAsync() =>
        _connectionString = await fixture.Server.CreateDatabaseAsync("membership_" + Guid.NewGuid().ToString("N"));

    protected override Task DeleteStoreAsync() => Task.CompletedTask;

    protected override IMembershipTable CreateTable(string clusterId) =>
        Create(clusterId, new PostgresMembershipOptions { ConnectionString = ConnectionString });

    private static PostgresMembershipTable Create(string clusterId, PostgresMembershipOptions options) =>
        new(options, Options.Create(new ClusterOptions { ClusterId = clusterId }), NullLogger<PostgresMembershipTable>.Instance);

    [Fact]
    public async Task OperatorsCanQueryTheRowsWithSql()
    {
        IMembershipTable table = await CreateInitializedTableAsync();
        SiloAddress suspecter = NewSilo();
        MembershipEntry entry = NewEntry(NewSilo()) with { Suspicions = [new SuspectVote(suspecter, BaseTime)] };
        await InsertAsync(table, entry);

        await using var connection = new NpgsqlConnection(ConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(
            "SELECT m.status, m.generation, m.silo_name, m.suspicions->0->>'suspecter', jsonb_array_length(m.suspicions), " +
            "pg_typeof(m.suspicions)::text, pg_typeof(m.iamalive_time)::text, to_char(m.iamalive_time AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS.US'), v.version " +
            "FROM pulse.membership m JOIN pulse.membership_version v USING (cluster_id) " +
            "WHERE m.cluster_id = $1 AND m.status = 'Active' AND m.iamalive_time > now() - interval '100 years'",
            connection);
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = ClusterId });
        await using NpgsqlDataReader reader = await command.ExecuteReaderAsync();

        Assert.True(await reader.ReadAsync());
        Assert.Equal("Active", reader.GetString(0));
        Assert.Equal(entry.Silo.Generation, reader.GetInt64(1));
        Assert.Equal("silo-Zoë-東京-🚀", reader.GetString(2));
        Assert.Equal(suspecter.ToParsableString(), reader.GetString(3));
        Assert.Equal(1, reader.GetInt32(4));
        Assert.Equal("jsonb", reader.GetString(5));
        Assert.Equal("timestamp with time zone", reader.GetString(6));
        Assert.Equal("2025-03-14 13:09:33.659353", reader.GetString(7));
        Assert.Equal(1, reader.GetInt32(8));
        Assert.False(await reader.ReadAsync());
    }

    [Fact]
    public async Task MembershipSurvivesAServerRestart()
    {
        // A private server: restarting the shared one would break the tests running beside this one.
        await using PostgresTestServer server = await PostgresTestServer.StartAsync();
        var options = new PostgresMembershipOptions { ConnectionString = await server.CreateDatabaseAsync("restart") };
        MembershipEntry entry = NewEntry(NewSilo(), SiloStatus.Joining) with { Suspicions = [new SuspectVote(NewSilo(), BaseTime)] };
        MembershipTableSnapshot before;
        await using (PostgresMembershipTable table = Create(ClusterId, options))
        {
            await table.InitializeAsync(None);
            await InsertAsync(table, entry);
            MembershipTableSnapshot inserted = await table.ReadAllAsync(None);
            Row(inserted, entry.Silo, out string etag);
            Assert.True(await table.UpdateRowAsync(entry with { Status = SiloStatus.Active }, etag, inserted.Version.Next(), None));
            before = await table.ReadAllAsync(None);
        }

        await server.RestartAsync();

        await using PostgresMembershipTable after = Create(ClusterId, options);
        await after.InitializeAsync(None);
        MembershipTableSnapshot snapshot = await after.ReadAllAsync(None);
        Assert.Equal(before.Version, snapshot.Version);
        AssertSameRow(entry with { Status = SiloStatus.Active }, Row(snapshot, entry.Silo, out string etagAfter));
        Assert.Equal(before.Entries[0].Etag, etagAfter);
        Assert.True(await after.InsertRowAsync(NewEntry(NewSilo()), snapshot.Version.Next(), None));
    }

    [Fact]
    public async Task SchemaVersionIsRecordedUnderMembershipBesideGrainStorageInitialisedAtTheSameTime()
    {
        await using var storage = new PostgresGrainStorage(
            "Default",
            new PostgresGrainStorageOptions { ConnectionString = ConnectionString },
            new JsonGrainStateSerializer(Options.Create(new GrainStateSerializerOptions())),
            Options.Create(new ClusterOptions()),
            NullLogger<PostgresGrainStorage>.Instance);
        IMembershipTable table = CreateTrackedTable();

        // Both create tables in schema "pulse"; the shared advisory lock keeps them from colliding.
        await Task.WhenAll(
            Task.Run(() => storage.InitializeAsync(None)),
            Task.Run(() => table.InitializeAsync(None)));

        await using var connection = new NpgsqlConnection(ConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand("SELECT component, version FROM pulse.schema_version ORDER BY component", connection);
        await using NpgsqlDataReader reader = await command.ExecuteReaderAsync();
        Assert.True(await reader.ReadAsync());
        Assert.Equal(PostgresGrainStorage.SchemaComponent, reader.GetString(0));
        Assert.True(await reader.ReadAsync());
        Assert.Equal(PostgresMembershipTable.SchemaComponent, reader.GetString(0));
        Assert.Equal(PostgresMembershipTable.SchemaVersion, reader.GetInt32(1));
    }

    [Fact]
    public async Task AnotherSchemaNameKeepsItsOwnMembership()
    {
        IMembershipTable table = await CreateInitializedTableAsync();
        await using PostgresMembershipTable other = Create(ClusterId, new PostgresMembershipOptions { ConnectionString = ConnectionString, SchemaName = "pulse_other" });
        await other.InitializeAsync(None);

        await InsertAsync(other, NewEntry(NewSilo()));

        Assert.Empty((await ReadAsync(table)).Entries);
        Assert.Single((await other.ReadAllAsync(None)).Entries);
    }
}
