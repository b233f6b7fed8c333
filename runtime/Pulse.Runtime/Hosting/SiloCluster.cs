using System.Collections.Concurrent;
using System.Net;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Pulse.Runtime.Catalog;
using Pulse.Runtime.Configuration;
using Pulse.Runtime.Invocation;
using Pulse.Runtime.Membership;
using Pulse.Runtime.Messaging;
using Pulse.Runtime.Networking;
using Pulse.Runtime.Placement;
using Pulse.Runtime.Routing;

namespace Pulse.Runtime.Hosting;

/// <summary>
/// A silo's membership in a cluster: its listeners and outbound connections, the membership agent,
/// the ring and the router, wired together. It is the transport the router sends through, the
/// prober and gossip the agent uses, and the handler of every message that arrives.
/// </summary>
internal sealed partial class SiloCluster : ISiloProber, IMembershipGossip, ISiloTerminator, IAsyncDisposable
{
    private readonly IServiceProvider _services;
    private readonly ActivationCatalog _catalog;
    private readonly PendingCallTable _pendingCalls;
    private readonly TimeProvider _timeProvider;
    private readonly ILoggerFactory _loggerFactory;
    private readonly ILogger _logger;
    private readonly NetworkingOptions _networking;
    private readonly ClusterOptions _cluster;
    private readonly INetworkFaults _faults;
    private readonly ConcurrentDictionary<long, TaskCompletionSource<bool>> _pings = new();
    private readonly PlacementService _placement = new();
    private readonly RoutingConnectionHandler _handler;
    private ConnectionListener? _siloListener;
    private ConnectionListener? _clientListener;
    private ConnectionManager? _connections;
    private MembershipAgent? _agent;
    private MessageRouter? _router;
    private int _terminated;

    public SiloCluster(IServiceProvider services)
    {
        _services = services;
        _catalog = services.GetRequiredService<ActivationCatalog>();
        _pendingCalls = services.GetRequiredService<PendingCallTable>();
        _timeProvider = services.GetRequiredService<TimeProvider>();
        _loggerFactory = services.GetRequiredService<ILoggerFactory>();
        _logger = _loggerFactory.CreateLogger<SiloCluster>();
        _networking = services.GetRequiredService<IOptions<NetworkingOptions>>().Value;
        _cluster = services.GetRequiredService<IOptions<ClusterOptions>>().Value;
        _faults = services.GetService<INetworkFaults>() ?? NoNetworkFaults.Instance;
        _handler = new RoutingConnectionHandler(_pendingCalls);
    }

    /// <summary>This silo's address (set once the silo listener is bound).</summary>
    public SiloAddress LocalSilo { get; private set; }

    /// <summary>This silo's status as its membership agent last read it; Joining before the agent runs.</summary>
    public SiloStatus LocalStatus => IsTerminated ? SiloStatus.Dead : _agent?.CurrentView.GetStatus(LocalSilo) ?? SiloStatus.Joining;

    /// <summary>The membership view and ring this silo routes by.</summary>
    internal PlacementService Placement => _placement;

    /// <summary>The router, once the silo has started.</summary>
    internal MessageRouter? Router => _router;

    /// <summary>The membership agent (after start).</summary>
    internal MembershipAgent Agent => _agent ?? throw new InvalidOperationException("The silo has not joined a cluster.");

    /// <summary>Binds the listeners, joins the cluster (Joining, then Active) and starts routing.</summary>
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        long generation = SiloAddress.NewGeneration(_timeProvider);
        _siloListener = new ConnectionListener(_networking, ConnectionRole.Silo, _handler, _loggerFactory, _faults, _timeProvider);
        await _siloListener.StartAsync(
            bound =>
            {
                LocalSilo = _networking.CreateSiloAddress(bound, generation);
                return ConnectionPreamble.ForSilo(_cluster.ClusterId, LocalSilo, _cluster.SiloName);
            },
            cancellationToken);
        int clientPort = 0;
        if (_networking.IsClientListenerEnabled)
        {
            _clientListener = new ConnectionListener(_networking, ConnectionRole.Client, _handler, _loggerFactory, _faults, _timeProvider);
            clientPort = (await _clientListener.StartAsync(_siloListener.LocalPreamble!, cancellationToken)).Port;
        }

        _connections = new ConnectionManager(_siloListener.LocalPreamble!, _handler, _networking, _loggerFactory, _faults, _timeProvider);
        _agent = new MembershipAgent(
            new LocalSiloDetails(LocalSilo, _cluster.SiloName, Dns.GetHostName(), clientPort, _cluster.HttpPort),
            _services.GetRequiredService<IMembershipTable>(),
            this,
            this,
            this,
            _services.GetRequiredService<IOptions<MembershipOptions>>(),
            _timeProvider,
            _loggerFactory.CreateLogger<MembershipAgent>());
        _router = new MessageRouter(
            LocalSilo, _catalog, _placement, _pendingCalls, _handler, _agent, _services.GetRequiredService<IGrainFactory>(), _loggerFactory.CreateLogger<MessageRouter>())
        {
            MaxFrameBytes = _networking.MaxFrameBytes,
        };
        _handler.Bind(_router, _connections);
        _router.Pongs += OnPong;
        _placement.RingChanged += OnRingChanged;
        _agent.ViewChanged += OnViewChanged;
        _placement.Attach(_agent);
        _catalog.Redispatcher = _router;
        _services.GetRequiredService<GrainCallInvoker>().Dispatcher = _router;
        await _agent.JoinAsync(cancellationToken);
        ClusterLog.Joined(_logger, LocalSilo, _cluster.ClusterId, clientPort);
    }

    /// <summary>Graceful leave, part one: publish ShuttingDown so every node routes this silo's grains elsewhere.</summary>
    public async Task BeginShutdownAsync(CancellationToken cancellationToken)
    {
        if (_agent is null || Volatile.Read(ref _terminated) != 0)
        {
            return;
        }

        await _agent.BeginShutdownAsync(cancellationToken);
        _shutdownBeganTicks = Environment.TickCount64;
        await _agent.RefreshAsync(cancellationToken);
    }

    private long _shutdownBeganTicks;

    /// <summary>Graceful leave, part two (after activations were handed off): wait for relayed calls, write Dead, close the network.</summary>
    public async Task LeaveAsync(CancellationToken cancellationToken)
    {
        if (_agent is not null && Volatile.Read(ref _terminated) == 0)
        {
            // Nodes with a stale view keep sending here until they read ShuttingDown (at most one refresh
            // period, sooner with gossip); this silo forwards those calls and must stay reachable until
            // the answers are relayed. Writing Dead earlier would make their callers fail calls that ran.
            long refreshMs = (long)_services.GetRequiredService<IOptions<MembershipOptions>>().Value.TableRefreshPeriod.TotalMilliseconds;
            long deadline = Environment.TickCount64 + Math.Max(10_000, 4 * refreshMs);
            while (Environment.TickCount64 < deadline && !cancellationToken.IsCancellationRequested)
            {
                long now = Environment.TickCount64;
                bool everyoneSawUsLeave = now - _shutdownBeganTicks >= 2 * refreshMs;
                bool quiet = now - (_router?.LastInboundRequestTicks ?? 0) >= 250;
                if (everyoneSawUsLeave && quiet && _pendingCalls.Count == 0)
                {
                    break;
                }

                await Task.Delay(20, CancellationToken.None);
            }

            await _agent.LeaveAsync(cancellationToken);
        }

        await CloseNetworkAsync();
    }

    /// <summary>Stops without a goodbye: no table writes, connections dropped (tests model a SIGKILL with it).</summary>
    public async Task KillAsync()
    {
        Interlocked.Exchange(ref _terminated, 1);
        if (_agent is not null)
        {
            await _agent.StopAsync();
        }

        await CloseNetworkAsync();
    }

    private async Task CloseNetworkAsync()
    {
        if (_agent is not null)
        {
            await _agent.StopAsync();
        }

        if (_clientListener is not null)
        {
            await _clientListener.StopAsync();
        }

        if (_siloListener is not null)
        {
            await _siloListener.StopAsync();
        }

        if (_connections is not null)
        {
            await _connections.DisposeAsync();
        }
    }

    public async ValueTask DisposeAsync() => await CloseNetworkAsync();

    private void OnRingChanged(ClusterMembershipView view)
    {
        int moved = _catalog.DeactivateNotOwned(grainId => !_placement.TryGetOwner(grainId, out SiloAddress owner) || owner == LocalSilo);
        if (moved > 0)
        {
            RoutingLog.HandingOffActivations(_logger, moved, view.Version);
        }
    }

    private void OnViewChanged(ClusterMembershipView view) => _handler.OnViewChanged(view, LocalSilo, _siloListener);

    async Task<bool> ISiloProber.ProbeAsync(SiloAddress silo, TimeSpan timeout, CancellationToken cancellationToken)
    {
        ConnectionManager? connections = _connections;
        if (connections is null)
        {
            return false;
        }

        long id = _pendingCalls.NextCorrelationId();
        var answered = new TaskCompletionSource<bool>(TaskCreationOptions.RunContinuationsAsynchronously);
        _pings[id] = answered;
        try
        {
            using var limit = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            limit.CancelAfter(timeout);
            Connection connection = await connections.GetConnectionAsync(silo, limit.Token).ConfigureAwait(false);
            await connection.SendAsync(new Message { Kind = MessageKind.Ping, CorrelationId = id }, limit.Token).ConfigureAwait(false);
            return await answered.Task.WaitAsync(timeout, _timeProvider, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception exception) when (exception is PulseException or OperationCanceledException or TimeoutException)
        {
            return false;
        }
        finally
        {
            _pings.TryRemove(id, out _);
        }
    }

    private void OnPong(long correlationId)
    {
        if (_pings.TryGetValue(correlationId, out TaskCompletionSource<bool>? answered))
        {
            answered.TrySetResult(true);
        }
    }

    async Task IMembershipGossip.NotifyAsync(ClusterMembershipView view, CancellationToken cancellationToken)
    {
        ConnectionManager? connections = _connections;
        if (connections is null)
        {
            return;
        }

        List<Task> sends = [];
        foreach (MembershipEntry entry in view.Members.Values)
        {
            if (entry.Silo != LocalSilo && entry.Status is SiloStatus.Active or SiloStatus.Joining or SiloStatus.ShuttingDown)
            {
                sends.Add(NotifyOneAsync(connections, entry.Silo, cancellationToken));
            }
        }

        await Task.WhenAll(sends).ConfigureAwait(false);
    }

    private async Task NotifyOneAsync(ConnectionManager connections, SiloAddress silo, CancellationToken cancellationToken)
    {
        try
        {
            using var limit = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            limit.CancelAfter(TimeSpan.FromSeconds(1));
            Connection connection = await connections.GetConnectionAsync(silo, limit.Token).ConfigureAwait(false);
            await connection.SendAsync(new Message { Kind = MessageKind.MembershipChanged }, limit.Token).ConfigureAwait(false);
        }
        catch (Exception exception) when (exception is PulseException or OperationCanceledException)
        {
            // Gossip is a hint; the table poll catches up.
        }
    }

    void ISiloTerminator.TerminateSelf(string reason)
    {
        if (Interlocked.Exchange(ref _terminated, 1) != 0)
        {
            return;
        }

        ClusterLog.DeclaredDead(_logger, LocalSilo, reason);
        // Other silos own this silo's grains now: stop serving at once, and let the host stop the process.
        // Off the agent's job: stopping the agent waits for that job to finish.
        _ = Task.Run(CloseNetworkAsync);
        _services.GetService<IHostApplicationLifetime>()?.StopApplication();
    }

    /// <summary>Whether the membership table declared this silo dead (it then stops without writing state).</summary>
    public bool IsTerminated => Volatile.Read(ref _terminated) != 0;
}

internal static partial class ClusterLog
{
    [LoggerMessage(EventId = 9200, Level = LogLevel.Information, Message = "Silo {Silo} joined cluster {ClusterId} (client port {ClientPort})")]
    public static partial void Joined(ILogger logger, SiloAddress silo, string clusterId, int clientPort);

    [LoggerMessage(EventId = 9201, Level = LogLevel.Warning, Message = "Silo {Silo} was declared dead by the cluster ({Reason}); stopping")]
    public static partial void DeclaredDead(ILogger logger, SiloAddress silo, string reason);
}
