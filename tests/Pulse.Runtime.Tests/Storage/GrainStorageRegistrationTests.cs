using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Pulse.Runtime.Hosting;
using Pulse.Runtime.Persistence;
using Pulse.Runtime.Postgres;
using Pulse.Runtime.Sqlite;
using Pulse.Runtime.Storage;

namespace Pulse.Runtime.Tests.Storage;

public sealed class GrainStorageRegistrationTests
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
    public void AddingEachProviderTwiceRegistersOneStorageAndOneInitializerPerName()
    {
        (ISiloBuilder builder, IServiceCollection services) = NewBuilder();
        string path = Path.Combine(Path.GetTempPath(), "never-opened.db");

        builder.AddMemoryGrainStorage().AddMemoryGrainStorage();
        builder.AddSqliteGrainStorage("local", o => o.DataSource = path).AddSqliteGrainStorage("local", o => o.BusyTimeout = TimeSpan.FromSeconds(2));
        builder.AddPostgresGrainStorage("cluster", o => o.ConnectionString = "Host=127.0.0.1;Database=x").AddPostgresGrainStorage("cluster", o => o.SchemaName = "grains");

        using ServiceProvider provider = services.BuildServiceProvider();
        Assert.Single(provider.GetKeyedServices<IGrainStorage>("Default"));
        Assert.IsType<MemoryGrainStorage>(provider.GetRequiredKeyedService<IGrainStorage>("Default"));
        Assert.IsType<SqliteGrainStorage>(provider.GetRequiredKeyedService<IGrainStorage>("local"));
        Assert.IsType<PostgresGrainStorage>(provider.GetRequiredKeyedService<IGrainStorage>("cluster"));
        Assert.Equal(["memory:Default", "sqlite:local", "postgres:cluster"], provider.GetServices<IStorageInitializer>().Select(i => i.Name));
        Assert.Same(provider.GetRequiredKeyedService<IGrainStorage>("local"), provider.GetServices<IStorageInitializer>().ElementAt(1));
        Assert.IsType<JsonGrainStateSerializer>(provider.GetRequiredService<IGrainStateSerializer>());

        // The second call's configuration applies on top of the first.
        SqliteGrainStorageOptions sqlite = provider.GetRequiredService<IOptionsMonitor<SqliteGrainStorageOptions>>().Get("local");
        Assert.Equal(path, sqlite.DataSource);
        Assert.Equal(TimeSpan.FromSeconds(2), sqlite.BusyTimeout);
        Assert.Equal("grains", provider.GetRequiredService<IOptionsMonitor<PostgresGrainStorageOptions>>().Get("cluster").SchemaName);
        provider.GetRequiredService<IStartupValidator>().Validate();
    }

    [Fact]
    public void FindReturnsTheQueryOfTheNamedOrDefaultProviderAndNullWhenThereIsNone()
    {
        (ISiloBuilder builder, IServiceCollection services) = NewBuilder();
        builder.AddMemoryGrainStorage();
        builder.AddSqliteGrainStorage("local", o => o.DataSource = Path.Combine(Path.GetTempPath(), "never-opened.db"));
        builder.AddPostgresGrainStorage("cluster", o => o.ConnectionString = "Host=127.0.0.1;Database=x");
        services.AddKeyedSingleton<IGrainStorage>("plain", new StorageWithoutQueries());

        using ServiceProvider provider = services.BuildServiceProvider();
        Assert.Same(provider.GetRequiredKeyedService<IGrainStorage>("Default"), GrainStorageQueries.Find(provider));
        Assert.Same(provider.GetRequiredKeyedService<IGrainStorage>("Default"), GrainStorageQueries.Find(provider, GrainStorageQueries.DefaultStorageName));
        Assert.IsType<SqliteGrainStorage>(GrainStorageQueries.Find(provider, "local"));
        Assert.IsType<PostgresGrainStorage>(GrainStorageQueries.Find(provider, "cluster"));
        Assert.Null(GrainStorageQueries.Find(provider, "plain"));
        Assert.Null(GrainStorageQueries.Find(provider, "missing"));
        Assert.Throws<ArgumentException>(() => GrainStorageQueries.Find(provider, string.Empty));
        Assert.Throws<ArgumentNullException>(() => GrainStorageQueries.Find(null!));

        // A container without keyed services cannot hold a provider.
        Assert.Null(GrainStorageQueries.Find(new NonKeyedServices(provider)));
        using ServiceProvider empty = new ServiceCollection().BuildServiceProvider();
        Assert.Null(GrainStorageQueries.Find(empty));
    }

    private sealed class StorageWithoutQueries : IGrainStorage
    {
        public Task ReadStateAsync<TState>(string stateName, GrainId grainId, IGrainState<TState> grainState, CancellationToken cancellationToken) => Task.CompletedTask;

        public Task WriteStateAsync<TState>(string stateName, GrainId grainId, IGrainState<TState> grainState, CancellationToken cancellationToken) => Task.CompletedTask;

        public Task ClearStateAsync<TState>(string stateName, GrainId grainId, IGrainState<TState> grainState, CancellationToken cancellationToken) => Task.CompletedTask;
    }

    private sealed class NonKeyedServices(IServiceProvider inner) : IServiceProvider
    {
        public object? GetService(Type serviceType) => inner.GetService(serviceType);
    }

    [Fact]
    public void InvalidStorageOptionsFailStartupValidation()
    {
        (ISiloBuilder builder, IServiceCollection services) = NewBuilder();
        builder.AddSqliteGrainStorage("local", _ => { });
        builder.AddPostgresGrainStorage("cluster", o => o.SchemaName = "Robert'); DROP TABLE x;--");

        using ServiceProvider provider = services.BuildServiceProvider();
        Exception exception = Assert.ThrowsAny<Exception>(() => provider.GetRequiredService<IStartupValidator>().Validate());

        // Several invalid option sets arrive together as an AggregateException of OptionsValidationExceptions.
        IEnumerable<Exception> failures = exception is AggregateException aggregate ? aggregate.InnerExceptions : [exception];
        string message = string.Join(Environment.NewLine, failures.Select(f => Assert.IsType<OptionsValidationException>(f)).SelectMany(f => f.Failures));
        Assert.Contains("exactly one of ConnectionString and DataSource", message);
        Assert.Contains("ConnectionString is required", message);
        Assert.Contains("SchemaName must be", message);
    }

    [Theory]
    [InlineData(null, null, 5, "exactly one")]
    [InlineData("Data Source=a.db", "b.db", 5, "exactly one")]
    [InlineData(null, ":memory:", 5, "AddMemoryGrainStorage")]
    [InlineData("Data Source=a.db;Bogus Keyword=1", null, 5, "ConnectionString is invalid")]
    [InlineData(null, "a.db", 0, "BusyTimeout")]
    public void SqliteOptionsValidatorRejectsUnusableSettings(string? connectionString, string? dataSource, int busySeconds, string expected)
    {
        var options = new SqliteGrainStorageOptions { ConnectionString = connectionString, DataSource = dataSource, BusyTimeout = TimeSpan.FromSeconds(busySeconds) };

        ValidateOptionsResult result = new SqliteGrainStorageOptionsValidator().Validate("x", options);

        Assert.True(result.Failed);
        Assert.Contains(expected, result.FailureMessage);
    }

    [Theory]
    [InlineData("Host=h;Password=secret;Bogus Keyword=1", "pulse", 30, "ConnectionString is invalid")]
    [InlineData("Host=h", "Pulse", 30, "SchemaName")]
    [InlineData("Host=h", "1pulse", 30, "SchemaName")]
    [InlineData("Host=h", "pulse", 0, "CommandTimeout")]
    public void PostgresOptionsValidatorRejectsUnusableSettings(string connectionString, string schema, int timeoutSeconds, string expected)
    {
        var options = new PostgresGrainStorageOptions { ConnectionString = connectionString, SchemaName = schema, CommandTimeout = TimeSpan.FromSeconds(timeoutSeconds) };

        ValidateOptionsResult result = new PostgresGrainStorageOptionsValidator().Validate("x", options);

        Assert.True(result.Failed);
        Assert.Contains(expected, result.FailureMessage);
        Assert.DoesNotContain("secret", result.FailureMessage);
    }

    [Fact]
    public void DefaultOptionsWithALocationAreValid()
    {
        Assert.True(new SqliteGrainStorageOptionsValidator().Validate("x", new SqliteGrainStorageOptions { DataSource = "pulse.db" }).Succeeded);
        Assert.True(new PostgresGrainStorageOptionsValidator().Validate("x", new PostgresGrainStorageOptions { ConnectionString = "Host=h;Database=d" }).Succeeded);
    }
}
