using System.Net;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Pulse.Runtime.Configuration;
using Pulse.Runtime.Invocation;
using Pulse.Runtime.Membership;
using Pulse.Runtime.Networking;
using Pulse.Runtime.Placement;
using Pulse.Runtime.Routing;

namespace Pulse.Runtime.Client;

/// <summary>
/// Calls grains in a cluster without hosting any: learns the silos from the membership table,
/// follows view changes, and sends each call straight to the silo that owns the grain on the ring
/// (one hop), over that silo's client port. Calls re-route after a view refresh when they could
/// not be delivered, and idempotent calls also when their silo died mid-call. With no silo in the
/// view, calls fail at once with <see cref="SiloUnavailableException"/>.
/// </summary>
public sealed partial class ClusterClient : IHostedService, IAsyncDisposable
{
    private readonly IServiceProvider _services;
    private readonly ILogger<ClusterClient> _logger;
    private readonly PlacementService _placement = new();
    private MembershipTableWatcher? _watcher;
    private ConnectionManager? _connections;
    private RoutingConnectionHandler? _handler;

    /// <summary>Created by the host.</summary>
    public ClusterClient(IServiceProvider services, ILogger<ClusterClient> logger)
    {
        _services = services;
        _logger = logger;
    }

    /// <summary>Creates grain references whose calls go through this client.</summary>
    public IGrainFactory GrainFactory => _services.GetRequiredService<IGrainFactory>();

    /// <summary>Silos the client can route to (Active in its current view).</summary>
    public IReadOnlyList<SiloAddress> ActiveSilos => _placement.View.ActiveSilos;

    /// <summary>Whether the client has read the table and sees at least one Active silo.</summary>
    public bool IsConnected => !_placement.View.ActiveSilos.IsDefaultOrEmpty;

    /// <inheritdoc />
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        ClusterOptions cluster = _services.GetRequiredService<IOptions<ClusterOptions>>().Value;
        ClusterClientOptions options = _services.GetRequiredService<IOptions<ClusterClientOptions>>().Value;
        NetworkingOptions networking = _services.GetRequiredService<IOptions<NetworkingOptions>>().Value;
        TimeProvider timeProvider = _services.GetRequiredService<TimeProvider>();
        ILoggerFactory loggerFactory = _services.GetRequiredService<ILoggerFactory>();
        PendingCallTable pendingCalls = _services.GetRequiredService<PendingCallTable>();
        IMembershipTable table = _services.GetRequiredService<IMembershipTable>();

        try
        {
            // The client may start before any silo: make sure the table exists so reads don't fail.
            await table.InitializeAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (Exception exception) when (exception is not OperationCanceledException)
        {
            LogTableUnavailable(_logger, exception);
        }

        _watcher = new MembershipTableWatcher(table, timeProvider, options.TableRefreshPeriod, loggerFactory.CreateLogger<MembershipTableWatcher>());
        _handler = new RoutingConnectionHandler(pendingCalls);
        _connections = new ConnectionManager(
            ConnectionPreamble.ForClient(cluster.ClusterId, options.ClientId, cluster.SiloName),
            _handler,
            networking,
            loggerFactory,
            _services.GetService<INetworkFaults>() ?? NoNetworkFaults.Instance,
            timeProvider,
            ClientEndpointOf);
        var router = new MessageRouter(default, catalog: null, _placement, pendingCalls, _handler, _watcher, GrainFactory, loggerFactory.CreateLogger<MessageRouter>())
        {
            MaxFrameBytes = networking.MaxFrameBytes,
        };
        _handler.Bind(router, _connections);
        _watcher.ViewChanged += view => _handler.OnViewChanged(view, default, listener: null);
        _placement.Attach(_watcher);
        _services.GetRequiredService<GrainCallInvoker>().Dispatcher = router;
        _services.GetRequiredService<GrainFactory>().Bind(_services.GetRequiredService<IGrainCallInvoker>());
        try
        {
            await _watcher.StartAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (Exception exception) when (exception is not OperationCanceledException)
        {
            // Keep polling: the gateway reports not-ready until silos appear.
            LogTableUnavailable(_logger, exception);
        }

        LogStarted(_logger, cluster.ClusterId, _placement.View.ActiveSilos.Length);
    }

    /// <inheritdoc />
    public async Task StopAsync(CancellationToken cancellationToken) => await DisposeAsync().ConfigureAwait(false);

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        if (_watcher is not null)
        {
            await _watcher.DisposeAsync().ConfigureAwait(false);
            _watcher = null;
        }

        if (_connections is not null)
        {
            await _connections.DisposeAsync().ConfigureAwait(false);
            _connections = null;
        }
    }

    private IPEndPoint ClientEndpointOf(SiloAddress silo) =>
        _placement.View.Members.TryGetValue(silo, out MembershipEntry? entry) && entry.ClientPort > 0
            ? new IPEndPoint(silo.Endpoint.Address, entry.ClientPort)
            : throw new ConnectionFailedException(silo, $"Silo {silo} accepts no clients (no client port in the membership table).");

    [LoggerMessage(EventId = 9300, Level = LogLevel.Information, Message = "Cluster client started for cluster {ClusterId}; {ActiveSilos} active silos")]
    private static partial void LogStarted(ILogger logger, string clusterId, int activeSilos);

    [LoggerMessage(EventId = 9301, Level = LogLevel.Warning, Message = "The membership table is not reachable yet; the client keeps trying")]
    private static partial void LogTableUnavailable(ILogger logger, Exception exception);
}
