using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Options;
using Pulse.Runtime.Configuration;
using Pulse.Runtime.Membership;
using Pulse.Runtime.Persistence;
using Pulse.Runtime.Postgres;
using Pulse.Runtime.Sqlite;
using Pulse.Runtime.Testing;

namespace Pulse.Runtime.Tests.MembershipTables;

public sealed class MembershipTableRegistrationTests
{
    private sealed class TestSiloBuilder(IServiceCollection services) : ISiloBuilder
    {
        public IServiceCollection Services { get; } = services;
    }

    private static (ISiloBuilder Builder, IServiceCollection Services) NewBuilder()
    {
        var services = new ServiceCollection();
        services.AddLogging();
        return (new TestSiloBuilder(services), services);
    }

    [Fact]
    public void TheLastUseMembershipCallWinsWithOneTableAndOneInitializer()
    {
        (ISiloBuilder builder, IServiceCollection services) = NewBuilder();
        string path = Path.Combine(Path.GetTempPath(), "never-opened.db");

        builder.UseInMemoryMembership().UseInMemoryMembership();
        builder.UsePostgresMembership(o => o.ConnectionString = "Host=127.0.0.1;Database=x").UsePostgresMembership(o => o.SchemaName = "members");
        builder.UseSqliteMembership(o => o.DataSource = path).UseSqliteMembership(o => o.BusyTimeout = TimeSpan.FromSeconds(2));

        using ServiceProvider provider = services.BuildServiceProvider();
        Assert.IsType<SqliteMembershipTable>(Assert.Single(provider.GetServices<IMembershipTable>()));
        IStorageInitializer initializer = Assert.Single(provider.GetServices<IStorageInitializer>());
        Assert.Equal("membership:SqliteMembershipTable", initializer.Name);
        Assert.Same(provider.GetRequiredService<IMembershipTable>(), provider.GetRequiredService<IMembershipTable>());

        // Every configure of a provider applies, the later on top of the earlier.
        SqliteMembershipOptions sqlite = provider.GetRequiredService<IOptions<SqliteMembershipOptions>>().Value;
        Assert.Equal(path, sqlite.DataSource);
        Assert.Equal(TimeSpan.FromSeconds(2), sqlite.BusyTimeout);
        Assert.Equal("members", provider.GetRequiredService<IOptions<PostgresMembershipOptions>>().Value.SchemaName);
        provider.GetRequiredService<IStartupValidator>().Validate();
    }

    [Fact]
    public async Task ServiceCollectionOverloadsServeAClientWithoutASiloBuilder()
    {
        var shared = new InMemoryMembershipTable("gateway-cluster");
        var services = new ServiceCollection();
        services.Configure<ClusterOptions>(o => o.ClusterId = "gateway-cluster");
        services.UsePostgresMembership(o => o.ConnectionString = "Host=127.0.0.1;Database=x");
        services.UseInMemoryMembership(shared);

        await using ServiceProvider provider = services.BuildServiceProvider();
        Assert.Same(shared, provider.GetRequiredService<IMembershipTable>());
        Assert.Single(provider.GetServices<IStorageInitializer>());
    }

    [Fact]
    public async Task SilosGivenTheSameInMemoryTableShareItsRowsUnderTheirClusterId()
    {
        var shared = new InMemoryMembershipTable("ignored");
        ServiceProvider NewSilo()
        {
            (ISiloBuilder builder, IServiceCollection services) = NewBuilder();
            services.Configure<ClusterOptions>(o => o.ClusterId = "blue");
            builder.UseInMemoryMembership(shared);
            return services.BuildServiceProvider();
        }

        await using ServiceProvider first = NewSilo();
        await using ServiceProvider second = NewSilo();
        IMembershipTable firstTable = first.GetRequiredService<IMembershipTable>();
        await first.GetRequiredService<IStorageInitializer>().InitializeAsync(CancellationToken.None);
        MembershipEntry entry = new() { Silo = SiloAddress.Parse("127.0.0.1:11111@5"), Status = SiloStatus.Joining };
        Assert.True(await firstTable.InsertRowAsync(entry, MembershipTableFormat.CreateTableVersion(1), CancellationToken.None));

        MembershipTableSnapshot seen = await second.GetRequiredService<IMembershipTable>().ReadAllAsync(CancellationToken.None);
        Assert.Equal(entry.Silo, Assert.Single(seen.Entries).Entry.Silo);
        Assert.Single((await shared.ForCluster("blue").ReadAllAsync(CancellationToken.None)).Entries);
        Assert.Empty((await shared.ReadAllAsync(CancellationToken.None)).Entries);
    }

    [Fact]
    public void InvalidMembershipOptionsFailStartupValidation()
    {
        (ISiloBuilder builder, IServiceCollection services) = NewBuilder();
        builder.UseSqliteMembership(o => o.DataSource = ":memory:");
        builder.UsePostgresMembership(o => o.SchemaName = "Robert'); DROP TABLE x;--");

        using ServiceProvider provider = services.BuildServiceProvider();
        Exception exception = Assert.ThrowsAny<Exception>(() => provider.GetRequiredService<IStartupValidator>().Validate());

        IEnumerable<Exception> failures = exception is AggregateException aggregate ? aggregate.InnerExceptions : [exception];
        string message = string.Join(Environment.NewLine, failures.Select(f => Assert.IsType<OptionsValidationException>(f)).SelectMany(f => f.Failures));
        Assert.Contains("Pulse:Membership:Sqlite: a private in-memory SQLite database", message);
        Assert.Contains("Pulse:Membership:Postgres: ConnectionString is required", message);
        Assert.Contains("SchemaName must be", message);
    }

    [Theory]
    [InlineData(null, null, 5, "exactly one")]
    [InlineData("Data Source=a.db", "b.db", 5, "exactly one")]
    [InlineData("Data Source=a.db;Bogus Keyword=1", null, 5, "ConnectionString is invalid")]
    [InlineData(null, "a.db", 0, "BusyTimeout")]
    public void SqliteOptionsValidatorRejectsUnusableSettings(string? connectionString, string? dataSource, int busySeconds, string expected)
    {
        var options = new SqliteMembershipOptions { ConnectionString = connectionString, DataSource = dataSource, BusyTimeout = TimeSpan.FromSeconds(busySeconds) };

        ValidateOptionsResult result = new SqliteMembershipOptionsValidator().Validate(null, options);

        Assert.True(result.Failed);
        Assert.Contains(expected, result.FailureMessage);
    }

    [Fact]
    public void PostgresOptionsValidatorNamesAnInvalidConnectionStringWithoutEchoingIt()
    {
        var options = new PostgresMembershipOptions { ConnectionString = "Host=h;Password=hunter2;Bogus Keyword=1", CommandTimeout = TimeSpan.Zero };

        ValidateOptionsResult result = new PostgresMembershipOptionsValidator().Validate(null, options);

        Assert.True(result.Failed);
        Assert.Contains("ConnectionString is invalid", result.FailureMessage);
        Assert.Contains("CommandTimeout", result.FailureMessage);
        Assert.DoesNotContain("hunter2", result.FailureMessage);
    }

    [Fact]
    public async Task ASiloStartedWithSqliteMembershipCreatesTheSchemaJoinsAndLeavesGracefully()
    {
        string directory = Path.Combine(Path.GetTempPath(), "pulse-membership-silo-" + Guid.NewGuid().ToString("N")[..12]);
        string path = Path.Combine(directory, "silo.db");
        try
        {
            await using (TestSilo silo = await TestSilo.StartAsync(builder => builder
                .ConfigureCluster(o => o.ClusterId = "started")
                .ConfigureNetworking(o =>
                {
                    o.SiloPort = 0;
                    o.ClientPort = 0;
                })
                .UseSqliteMembership(o => o.DataSource = path)))
            {
                MembershipTableSnapshot snapshot = await silo.Services.GetRequiredService<IMembershipTable>().ReadAllAsync(CancellationToken.None);
                Assert.Equal(2, snapshot.Version.Version);
                Assert.Equal(SiloStatus.Active, Assert.Single(snapshot.Entries).Entry.Status);
            }

            await using var connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = path, Pooling = false }.ConnectionString);
            await connection.OpenAsync();
            await using SqliteCommand command = connection.CreateCommand();
            command.CommandText = "SELECT cluster_id, version FROM pulse_membership_version";
            await using SqliteDataReader reader = await command.ExecuteReaderAsync();
            Assert.True(await reader.ReadAsync());
            Assert.Equal("started", reader.GetString(0));
            Assert.Equal(4, reader.GetInt32(1));
            Assert.False(await reader.ReadAsync());
        }
        finally
        {
            SqliteConnection.ClearAllPools();
            if (Directory.Exists(directory))
            {
                Directory.Delete(directory, recursive: true);
            }
        }
    }
}
