using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Pulse.Runtime.Configuration;
using Pulse.Runtime.Membership;
using Pulse.Runtime.Sqlite;

namespace Pulse.Runtime.Tests.MembershipTables;

/// <summary>The compliance suite against <see cref="SqliteMembershipTable"/> on a database file in a temporary folder.</summary>
public sealed class SqliteMembershipTableTests : MembershipTableComplianceTests
{
    private readonly string _directory = Path.Combine(Path.GetTempPath(), "pulse-membership-" + Guid.NewGuid().ToString("N")[..12]);

    // A folder that does not exist yet: the table must create it.
    private string DatabasePath => Path.Combine(_directory, "data", "membership.db");

    protected override Task CreateStoreAsync() => Task.CompletedTask;

    protected override Task DeleteStoreAsync()
    {
        SqliteConnection.ClearAllPools();
        if (Directory.Exists(_directory))
        {
            Directory.Delete(_directory, recursive: true);
        }

        return Task.CompletedTask;
    }

    protected override IMembershipTable CreateTable(string clusterId) =>
        Create(clusterId, new SqliteMembershipOptions { DataSource = DatabasePath });

    private static SqliteMembershipTable Create(string clusterId, SqliteMembershipOptions options) =>
        new(options, Options.Create(new ClusterOptions { ClusterId = clusterId }), NullLogger<SqliteMembershipTable>.Instance);

    private async Task<List<object?[]>> QueryAsync(string sql, params (string Name, object Value)[] parameters)
    {
        await using var connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = DatabasePath, Pooling = false }.ConnectionString);
        await connection.OpenAsync();
        await using SqliteCommand command = connection.CreateCommand();
        command.CommandText = sql;
        foreach ((string name, object value) in parameters)
        {
            command.Parameters.AddWithValue(name, value);
        }

        await using SqliteDataReader reader = await command.ExecuteReaderAsync();
        List<object?[]> rows = [];
        while (await reader.ReadAsync())
        {
            object?[] row = new object?[reader.FieldCount];
            for (int i = 0; i < row.Length; i++)
            {
                row[i] = reader.IsDBNull(i) ? null : reader.GetValue(i);
            }

            rows.Add(row);
        }

        return rows;
    }

    [Fact]
    public async Task TwoTableInstancesOnTheSameFileSeeEachOthersWrites()
    {
        // Two "processes": separate instances, one reaching the file through a connection string
        // without pooling, so they share nothing but the file.
        IMembershipTable first = await CreateInitializedTableAsync();
        string connectionString = new SqliteConnectionStringBuilder { DataSource = DatabasePath, Pooling = false }.ConnectionString;
        using SqliteMembershipTable second = Create(ClusterId, new SqliteMembershipOptions { ConnectionString = connectionString });
        await second.InitializeAsync(None);

        MembershipEntry entry = NewEntry(NewSilo(), SiloStatus.Joining);
        await InsertAsync(first, entry);
        MembershipTableSnapshot seen = await second.ReadAllAsync(None);
        AssertSameRow(entry, Row(seen, entry.Silo, out string etag));

        MembershipEntry active = entry with { Status = SiloStatus.Active };
        Assert.True(await second.UpdateRowAsync(active, etag, seen.Version.Next(), None));
        MembershipTableSnapshot back = await ReadAsync(first);
        Assert.Equal(2, back.Version.Version);
        AssertSameRow(active, Row(back, entry.Silo, out _));

        // The first instance's stale view now loses against the second's write.
        Assert.False(await first.UpdateRowAsync(entry with { Status = SiloStatus.Dead }, etag, seen.Version.Next(), None));
    }

    [Fact]
    public async Task DatabaseUsesWalAndRecordsTheMembershipSchemaVersionBesideGrainStorage()
    {
        using var storage = new SqliteGrainStorage(
            "Default",
            new SqliteGrainStorageOptions { DataSource = DatabasePath },
            new Pulse.Runtime.Persistence.JsonGrainStateSerializer(Options.Create(new Pulse.Runtime.Persistence.GrainStateSerializerOptions())),
            Options.Create(new ClusterOptions()),
            NullLogger<SqliteGrainStorage>.Instance);
        await storage.InitializeAsync(None);
        await CreateInitializedTableAsync();

        Assert.Equal("wal", (await QueryAsync("PRAGMA journal_mode"))[0][0]);
        List<object?[]> versions = await QueryAsync("SELECT component, version FROM pulse_schema_version ORDER BY component");
        Assert.Equal([SqliteGrainStorage.SchemaComponent, SqliteMembershipTable.SchemaComponent], versions.Select(row => (string)row[0]!));
        Assert.Equal((long)SqliteMembershipTable.SchemaVersion, versions[1][1]);
    }

    [Fact]
    public async Task OperatorsCanQueryTheRowsWithSql()
    {
        IMembershipTable table = await CreateInitializedTableAsync();
        SiloAddress suspecter = NewSilo();
        MembershipEntry entry = NewEntry(NewSilo()) with { Suspicions = [new SuspectVote(suspecter, BaseTime)] };
        await InsertAsync(table, entry);

        List<object?[]> rows = await QueryAsync(
            "SELECT m.status, m.generation, m.silo_name, json_extract(m.suspicions, '$[0].suspecter'), m.iamalive_time, v.version " +
            "FROM pulse_membership m JOIN pulse_membership_version v ON v.cluster_id = m.cluster_id WHERE m.cluster_id = $c AND m.status = 'Active'",
            ("$c", ClusterId));

        object?[] row = Assert.Single(rows);
        Assert.Equal("Active", row[0]);
        Assert.Equal(entry.Silo.Generation, row[1]);
        Assert.Equal(entry.SiloName, row[2]);
        Assert.Equal(suspecter.ToParsableString(), row[3]);
        Assert.Equal("2025-03-14T13:09:33.659353Z", row[4]);
        Assert.Equal(1L, row[5]);
    }
}
