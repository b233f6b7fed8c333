using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Pulse.Runtime.Hosting;
using Pulse.Runtime.Membership;
using Pulse.Runtime.Networking;
using Pulse.Runtime.Persistence;

namespace Pulse.Runtime.Testing;

/// <summary>
/// Several silos in this process, each with its own host, talking over real TCP on loopback and
/// sharing one membership table and one grain store (in memory unless configured otherwise). Silos
/// can be stopped gracefully, killed without a goodbye, restarted, and cut off from the network.
/// </summary>
public sealed class TestCluster : IAsyncDisposable
{
    private readonly List<TestClusterSilo> _silos = [];
    private readonly List<TestClusterClient> _clients = [];
    private readonly Action<ISiloBuilder>? _configureSilo;
    private int _nextIndex;

    private TestCluster(Action<ISiloBuilder>? configureSilo)
    {
        _configureSilo = configureSilo;
    }

    /// <summary>The membership table every silo shares.</summary>
    public InMemoryMembershipTable MembershipTable { get; } = new("test");

    /// <summary>The grain store every silo shares (grains re-activate on other silos with their state).</summary>
    public MemoryGrainStorageStore Storage { get; } = new();

    /// <summary>Network faults every silo consults: isolate a silo to partition it.</summary>
    public PartitionableNetworkFaults Network { get; } = new();

    /// <summary>Silos started so far, running or not.</summary>
    public IReadOnlyList<TestClusterSilo> Silos => _silos;

    /// <summary>Silos still running.</summary>
    public IEnumerable<TestClusterSilo> RunningSilos => _silos.Where(silo => silo.IsRunning);

    /// <summary>Starts a cluster of <paramref name="silos"/> silos and waits until they all see each other Active.</summary>
    /// <param name="silos">How many silos.</param>
    /// <param name="configureSilo">Extra configuration for every silo (options, storage instead of the shared memory store).</param>
    public static async Task<TestCluster> StartAsync(int silos, Action<ISiloBuilder>? configureSilo = null)
    {
        var cluster = new TestCluster(configureSilo);
        for (int i = 0; i < silos; i++)
        {
            await cluster.StartSiloAsync();
        }

        await cluster.WaitForStableViewAsync();
        return cluster;
    }

    /// <summary>Starts one more silo on free loopback ports.</summary>
    public async Task<TestClusterSilo> StartSiloAsync()
    {
        int index = _nextIndex++;
        var builder = new HostApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        builder.Services.Configure<HostOptions>(options => options.ShutdownTimeout = TimeSpan.FromSeconds(30));
        builder.Services.AddSingleton<INetworkFaults>(Network);
        builder.Services.AddPulseSilo(silo =>
        {
            silo.ConfigureCluster(options =>
            {
                options.ClusterId = "test";
                options.SiloName = $"silo-{index}";
            });
            silo.ConfigureNetworking(options =>
            {
                options.ListenAddress = "127.0.0.1";
                options.SiloPort = 0;
                options.ClientPort = 0;
                options.PickFreeClientPort = true;
            });
            silo.UseInMemoryMembership(MembershipTable);
            silo.AddMemoryGrainStorage(store: Storage);
            _configureSilo?.Invoke(silo);
        });
        IHost host = builder.Build();
        await host.StartAsync();
        var started = new TestClusterSilo(index, host);
        _silos.Add(started);
        return started;
    }

    /// <summary>
    /// Starts a cluster client (what the gateway uses) that routes calls to the owning silos over their
    /// client ports; <paramref name="configureServices"/> can change its options.
    /// </summary>
    public async Task<TestClusterClient> CreateClientAsync(Action<IServiceCollection>? configureServices = null)
    {
        var builder = new HostApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        builder.Services.AddSingleton<INetworkFaults>(Network);
        builder.Services.Configure<Configuration.ClusterOptions>(options => options.ClusterId = "test");
        builder.Services.UseInMemoryMembership(MembershipTable);
        builder.Services.AddPulseClient();
        configureServices?.Invoke(builder.Services);
        IHost host = builder.Build();
        await host.StartAsync();
        var client = new TestClusterClient(host);
        _clients.Add(client);
        return client;
    }

    /// <summary>Stops a silo gracefully: it leaves the ring, hands off its grains (state written) and says goodbye.</summary>
    public Task StopSiloAsync(TestClusterSilo silo) => silo.StopAsync();

    /// <summary>Stops a silo as if its process died: no goodbye, no state written, connections dropped.</summary>
    public Task KillSiloAsync(TestClusterSilo silo) => silo.KillAsync();

    /// <summary>Waits until every running silo sees exactly the running silos as Active.</summary>
    public Task WaitForStableViewAsync(TimeSpan? timeout = null) => TestSilo.WaitUntilAsync(
        () =>
        {
            var expected = RunningSilos.Select(silo => silo.Address).ToHashSet();
            return RunningSilos.All(silo => silo.ActiveSilos.ToHashSet().SetEquals(expected));
        },
        "every running silo sees the same Active silos",
        timeout ?? TimeSpan.FromSeconds(30));

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        foreach (TestClusterClient client in _clients)
        {
            await client.DisposeAsync();
        }

        foreach (TestClusterSilo silo in _silos)
        {
            await silo.DisposeAsync();
        }
    }
}

/// <summary>One silo of a <see cref="TestCluster"/>.</summary>
public sealed class TestClusterSilo : IAsyncDisposable
{
    private readonly IHost _host;
    private readonly Silo _silo;
    private int _state;

    internal TestClusterSilo(int index, IHost host)
    {
        Index = index;
        _host = host;
        _silo = host.Services.GetRequiredService<Silo>();
        Address = _silo.SiloAddress;
        GrainFactory = host.Services.GetRequiredService<IGrainFactory>();
    }

    /// <summary>Start order, from 0.</summary>
    public int Index { get; }

    /// <summary>The silo's address (its generation is unique to this start).</summary>
    public SiloAddress Address { get; }

    /// <summary>Calls grains through this silo (it routes each call to the owner).</summary>
    public IGrainFactory GrainFactory { get; }

    /// <summary>The silo's services.</summary>
    public IServiceProvider Services => _host.Services;

    /// <summary>Whether it was neither stopped nor killed.</summary>
    public bool IsRunning => Volatile.Read(ref _state) == 0 && !(_silo.Cluster?.IsTerminated ?? false);

    /// <summary>Activations hosted here.</summary>
    public int ActivationCount => _silo.ActivationCount;

    /// <summary>How many call bundles this silo has received from other nodes.</summary>
    public long BundlesReceived => _silo.Cluster?.Router?.BundlesReceived ?? 0;

    /// <summary>How many requests this silo forwarded to the owner in its view (they reached it for a grain it does not own).</summary>
    public long RequestsForwarded => _silo.Cluster?.Router?.RequestsForwarded ?? 0;

    /// <summary>The silo that owns <paramref name="grainId"/> in this silo's current view; default when it has no Active silo.</summary>
    public SiloAddress OwnerOf(GrainId grainId) =>
        _silo.Cluster is { } cluster && cluster.Placement.TryGetOwner(grainId, out SiloAddress owner) ? owner : default;

    /// <summary>Whether the grain currently has an activation on this silo.</summary>
    public bool IsActive(GrainId grainId) => _host.Services.GetRequiredService<Catalog.ActivationCatalog>().TryGetActivation(grainId, out _);

    /// <summary>The Active silos in this silo's current view.</summary>
    public IReadOnlyList<SiloAddress> ActiveSilos => _silo.Cluster?.Placement.View.ActiveSilos ?? [];

    /// <summary>The status this silo's current view gives <paramref name="silo"/>.</summary>
    public SiloStatus StatusOf(SiloAddress silo) => _silo.Cluster?.Placement.View.GetStatus(silo) ?? SiloStatus.None;

    internal async Task StopAsync()
    {
        if (Interlocked.CompareExchange(ref _state, 1, 0) == 0)
        {
            await _host.StopAsync();
        }
    }

    internal async Task KillAsync()
    {
        if (Interlocked.CompareExchange(ref _state, 2, 0) == 0)
        {
            await _silo.KillAsync();
        }
    }

    public override string ToString() => $"silo-{Index} {Address}";

    public async ValueTask DisposeAsync()
    {
        await StopAsync();
        _host.Dispose();
    }
}

/// <summary>A cluster client of a <see cref="TestCluster"/>.</summary>
public sealed class TestClusterClient : IAsyncDisposable
{
    private readonly IHost _host;
    private int _disposed;

    internal TestClusterClient(IHost host)
    {
        _host = host;
        Client = host.Services.GetRequiredService<Client.ClusterClient>();
    }

    /// <summary>The client.</summary>
    public Client.ClusterClient Client { get; }

    /// <summary>Creates references whose calls go through the client.</summary>
    public IGrainFactory GrainFactory => Client.GrainFactory;

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 0)
        {
            await _host.StopAsync();
            _host.Dispose();
        }
    }
}
