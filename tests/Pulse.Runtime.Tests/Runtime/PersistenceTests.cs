using Pulse.Runtime.Persistence;
using Pulse.Runtime.Testing;
using Pulse.Runtime.Tests.Storage;

namespace Pulse.Runtime.Tests.Runtime;

/// <summary>Grain state through whole silos, against each real storage provider.</summary>
public abstract class PersistenceTests
{
    /// <summary>Adds the provider under test as the default storage, pointing at the same store every time it is called.</summary>
    protected abstract void AddStorage(ISiloBuilder silo);

    private Task<TestSilo> StartSiloAsync() => TestSilo.StartAsync(AddStorage);

    [Fact]
    public async Task StateWrittenByAGrainSurvivesASiloRestart()
    {
        string key = Guid.NewGuid().ToString();
        await using (TestSilo first = await StartSiloAsync())
        {
            Assert.Equal(41, await first.GrainFactory.GetGrain<ICounterGrain>(key).AddAndWriteAsync(41));
        }

        await using TestSilo second = await StartSiloAsync();
        ICounterGrain counter = second.GrainFactory.GetGrain<ICounterGrain>(key);
        Assert.Equal(41, await counter.GetAsync());
        Assert.Equal(42, await counter.AddAndWriteAsync(1));
    }

    [Fact]
    public async Task ChangedStateIsWrittenWhenTheSiloShutsDownGracefully()
    {
        string key = Guid.NewGuid().ToString();
        await using (TestSilo first = await StartSiloAsync())
        {
            await first.GrainFactory.GetGrain<ICounterGrain>(key).AddAsync(7);
        }

        await using TestSilo second = await StartSiloAsync();
        Assert.Equal(7, await second.GrainFactory.GetGrain<ICounterGrain>(key).GetAsync());
    }

    [Fact]
    public async Task OfTwoActivationsWritingTheSameGrainTheStaleOneGetsInconsistentStateAndOverwritesNothing()
    {
        string key = Guid.NewGuid().ToString();
        await using TestSilo a = await StartSiloAsync();
        await using TestSilo b = await StartSiloAsync();
        ICounterGrain onA = a.GrainFactory.GetGrain<ICounterGrain>(key);
        ICounterGrain onB = b.GrainFactory.GetGrain<ICounterGrain>(key);

        // Both activations read the missing record; A writes first, so B's ETag is stale.
        Assert.Equal(0, await onA.GetAsync());
        Assert.Equal(0, await onB.GetAsync());
        Assert.Equal(10, await onA.AddAndWriteAsync(10));
        await Assert.ThrowsAsync<InconsistentStateException>(() => onB.AddAndWriteAsync(5));

        await using TestSilo reader = await StartSiloAsync();
        Assert.Equal(10, await reader.GrainFactory.GetGrain<ICounterGrain>(key).GetAsync());
    }

    [Fact]
    public async Task ClearedStateReadsAsNewAndCanBeWrittenAgain()
    {
        string key = Guid.NewGuid().ToString();
        await using TestSilo silo = await StartSiloAsync();
        ICounterGrain counter = silo.GrainFactory.GetGrain<ICounterGrain>(key);
        await counter.AddAndWriteAsync(3);

        await counter.ClearAsync();
        Assert.Equal(0, await counter.GetAsync());
        Assert.Equal(2, await counter.AddAndWriteAsync(2));
        await silo.StopAsync();

        await using TestSilo next = await StartSiloAsync();
        Assert.Equal(2, await next.GrainFactory.GetGrain<ICounterGrain>(key).GetAsync());
    }

    [Fact]
    public async Task AGrainListsTheStoredStatesOfOtherGrainsByKeyPrefixAfterARestart()
    {
        string tenant = Guid.NewGuid().ToString("N");
        await using (TestSilo first = await StartSiloAsync())
        {
            await first.GrainFactory.GetGrain<ICounterGrain>(tenant + "/b").AddAndWriteAsync(2);
            await first.GrainFactory.GetGrain<ICounterGrain>(tenant + "/a").AddAndWriteAsync(1);
            await first.GrainFactory.GetGrain<ICounterGrain>(tenant + "0/not-this-tenant").AddAndWriteAsync(9);
            ICounterGrain cleared = first.GrainFactory.GetGrain<ICounterGrain>(tenant + "/c");
            await cleared.AddAndWriteAsync(3);
            await cleared.ClearAsync();
        }

        await using TestSilo second = await StartSiloAsync();
        string[] listed = await second.GrainFactory.GetGrain<ICounterDirectoryGrain>(tenant).ListAsync();

        Assert.Equal([$"{tenant}/a=1", $"{tenant}/b=2"], listed);
    }
}

public sealed class MemoryPersistenceTests : PersistenceTests
{
    // Shared by every silo of a test, as the in-process cluster shares one store.
    private readonly MemoryGrainStorageStore _store = new();

    protected override void AddStorage(ISiloBuilder silo) => silo.AddMemoryGrainStorage(store: _store);
}

public sealed class SqlitePersistenceTests : PersistenceTests, IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("pulse-persist-").FullName;

    protected override void AddStorage(ISiloBuilder silo) =>
        silo.AddSqliteGrainStorage("Default", options => options.DataSource = Path.Combine(_folder, "grains.db"));

    public void Dispose()
    {
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        Directory.Delete(_folder, recursive: true);
    }
}

public sealed class PostgresPersistenceTests(PostgresServerFixture fixture) : PersistenceTests, IClassFixture<PostgresServerFixture>, IAsyncLifetime
{
    private string _connectionString = "";

    public async Task InitializeAsync() => _connectionString = await fixture.Server.CreateDatabaseAsync("persist_" + Guid.NewGuid().ToString("N")[..12]);

    public Task DisposeAsync() => Task.CompletedTask;

    protected override void AddStorage(ISiloBuilder silo) =>
        silo.AddPostgresGrainStorage("Default", options => options.ConnectionString = _connectionString);
}
