using System.Diagnostics;
using System.Net;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Pulse.Runtime.Client;
using Pulse.Runtime.Configuration;
using Pulse.Runtime.Membership;
using Pulse.Runtime.Testing;
using Pulse.Runtime.Tests.Runtime;

namespace Pulse.Runtime.Tests.EndToEnd;

/// <summary>
/// A cluster of silo processes on a private PostgreSQL database, as an operator runs it: each silo is
/// <c>dotnet Pulse.Silo.dll</c> with its own ports from PULSE_* variables, hosting the test grains
/// through <c>Pulse:Silo:GrainAssemblies</c>. The test process reads the membership table and calls
/// grains through a <see cref="ClusterClient"/> on the same database.
/// </summary>
public sealed class ProcessCluster : IAsyncDisposable
{
    private readonly PostgresTestServerLease _postgres;
    private readonly string _workDirectory = Directory.CreateTempSubdirectory("pulse-e2e-").FullName;
    private readonly List<PulseProcess> _processes = [];
    private readonly Dictionary<int, SiloPorts> _ports = [];
    private IHost? _clientHost;

    private ProcessCluster(PostgresTestServerLease postgres, string connectionString, string clusterId)
    {
        _postgres = postgres;
        ConnectionString = connectionString;
        ClusterId = clusterId;
    }

    public string ConnectionString { get; }

    public string ClusterId { get; }

    public HttpClient Http { get; } = new() { Timeout = TimeSpan.FromSeconds(5) };

    /// <summary>Silo processes by index (the newest incarnation of each).</summary>
    public Dictionary<int, PulseProcess> Silos { get; } = [];

    public ClusterClient Client => _clientHost?.Services.GetRequiredService<ClusterClient>() ?? throw new InvalidOperationException("No client started.");

    public IGrainFactory GrainFactory => Client.GrainFactory;

    public static async Task<ProcessCluster> CreateAsync(string name)
    {
        PostgresTestServerLease postgres = await PostgresTestServer.AcquireSharedAsync();
        string database = $"e2e_{name}_{Guid.NewGuid():N}"[..40];
        string connectionString = await postgres.Server.CreateDatabaseAsync(database);
        return new ProcessCluster(postgres, connectionString, "e2e-" + name);
    }

    /// <summary>Starts silo <paramref name="index"/> (same ports as its earlier incarnations) without waiting.</summary>
    public PulseProcess StartSilo(int index)
    {
        if (!_ports.TryGetValue(index, out SiloPorts? ports))
        {
            ports = new SiloPorts(PulseProcess.FreePort(), PulseProcess.FreePort(), PulseProcess.FreePort());
            _ports[index] = ports;
        }

        string dataDirectory = Path.Combine(_workDirectory, $"silo-{index}");
        Directory.CreateDirectory(dataDirectory);
        PulseProcess silo = PulseProcess.Start($"silo-{index}", "Pulse.Silo.dll", dataDirectory, new Dictionary<string, string>
        {
            ["PULSE_POSTGRES"] = ConnectionString,
            ["PULSE_CLUSTER_ID"] = ClusterId,
            ["PULSE_SILO_NAME"] = $"silo-{index}",
            ["PULSE_SILO_PORT"] = ports.Silo.ToString(),
            ["PULSE_CLIENT_PORT"] = ports.Client.ToString(),
            ["PULSE_HTTP_URL"] = $"http://127.0.0.1:{ports.Http}",
            ["PULSE_DATA_DIR"] = dataDirectory,
            ["Pulse__Silo__GrainAssemblies__0"] = typeof(ICounterGrain).Assembly.Location,
            ["Logging__LogLevel__Default"] = "Warning",
        });
        _processes.Add(silo);
        Silos[index] = silo;
        return silo;
    }

    /// <summary>Waits until silo <paramref name="index"/> answers <c>/health/ready</c> with 200 (Active).</summary>
    public Task WaitUntilReadyAsync(int index, TimeSpan? limit = null) =>
        Silos[index].WaitForStatusAsync(Http, ReadyUrl(index), HttpStatusCode.OK, limit ?? TimeSpan.FromSeconds(60));

    public string ReadyUrl(int index) => $"http://127.0.0.1:{_ports[index].Http}/health/ready";

    /// <summary>Starts silos 1..<paramref name="count"/> together and waits until all are Active and the client sees them.</summary>
    public async Task StartSilosAsync(int count)
    {
        for (int i = 1; i <= count; i++)
        {
            StartSilo(i);
        }

        await Task.WhenAll(Enumerable.Range(1, count).Select(i => WaitUntilReadyAsync(i)));
        await StartClientAsync();
        await WaitUntilAsync(() => Client.ActiveSilos.Count == count, $"the client sees {count} silos", TimeSpan.FromSeconds(15));
    }

    /// <summary>Starts a gateway process against this cluster's database on a free port.</summary>
    public (PulseProcess Gateway, string Url) StartGateway()
    {
        string url = $"http://127.0.0.1:{PulseProcess.FreePort()}";
        PulseProcess gateway = PulseProcess.Start("gateway", "Pulse.Gateway.dll", _workDirectory, new Dictionary<string, string>
        {
            ["PULSE_POSTGRES"] = ConnectionString,
            ["PULSE_CLUSTER_ID"] = ClusterId,
            ["PULSE_GATEWAY_URL"] = url,
            ["Logging__LogLevel__Default"] = "Warning",
        });
        _processes.Add(gateway);
        return (gateway, url);
    }

    public async Task StartClientAsync()
    {
        if (_clientHost is not null)
        {
            return;
        }

        var builder = new HostApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        builder.Services.Configure<ClusterOptions>(options => options.ClusterId = ClusterId);

        builder.Services.UsePostgresMembership(options => options.ConnectionString = ConnectionString);
        builder.Services.AddPulseClient();
        _clientHost = builder.Build();
        await _clientHost.StartAsync();
    }

    /// <summary>The membership row of the newest incarnation of silo <paramref name="index"/>.</summary>
    public async Task<MembershipEntry?> ReadRowAsync(int index)
    {
        int port = _ports[index].Silo;
        return (await ReadRowsAsync())
            .Where(entry => entry.Silo.Endpoint.Port == port)
            .MaxBy(entry => entry.Silo.Generation);
    }

    public async Task<IReadOnlyList<MembershipEntry>> ReadRowsAsync()
    {
        IMembershipTable table = _clientHost?.Services.GetRequiredService<IMembershipTable>() ?? throw new InvalidOperationException("No client started.");
        MembershipTableSnapshot snapshot = await table.ReadAllAsync(CancellationToken.None);
        return snapshot.Entries.Select(row => row.Entry).ToList();
    }

    /// <summary>Polls <paramref name="condition"/> until true; returns how long that took.</summary>
    public static async Task<TimeSpan> WaitUntilAsync(Func<Task<bool>> condition, string what, TimeSpan limit)
    {
        var clock = Stopwatch.StartNew();
        while (!await condition())
        {
            if (clock.Elapsed > limit)
            {
                throw new TimeoutException($"Timed out after {limit} waiting until {what}.");
            }

            await Task.Delay(50);
        }

        return clock.Elapsed;
    }

    public static Task<TimeSpan> WaitUntilAsync(Func<bool> condition, string what, TimeSpan limit) =>
        WaitUntilAsync(() => Task.FromResult(condition()), what, limit);

    /// <summary>The output of every process, for failure messages.</summary>
    public string DescribeProcesses() =>
        string.Join("\n", _processes.Select(process => $"--- {process.Name} (pid {process.Id}, exited {process.HasExited}) ---\n{process.Output}"));

    public async ValueTask DisposeAsync()
    {
        foreach (PulseProcess process in _processes)
        {
            process.Dispose();
        }

        if (_clientHost is not null)
        {
            await _clientHost.StopAsync();
            _clientHost.Dispose();
        }

        Http.Dispose();
        await _postgres.DisposeAsync();
        Directory.Delete(_workDirectory, recursive: true);
    }

    private sealed record SiloPorts(int Silo, int Client, int Http);
}

/// <summary>The multi-process tests: one at a time, since each runs several silo processes on 2 cores.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class EndToEndCollection
{
    public const string Name = "end-to-end";
}
