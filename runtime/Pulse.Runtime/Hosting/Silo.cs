using System.Diagnostics;
using System.Text;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Pulse.Runtime.Catalog;
using Pulse.Runtime.Configuration;
using Pulse.Runtime.Invocation;
using Pulse.Runtime.Persistence;

namespace Pulse.Runtime.Hosting;

/// <summary>
/// The silo's lifecycle inside the host: at start it loads grain classes, initializes storage
/// (schema migrations) and starts idle collection; at stop it deactivates every activation, which
/// writes changed state, before the process goes away.
/// </summary>
public sealed class Silo : IHostedService
{
    private readonly IServiceProvider _services;
    private readonly ILogger<Silo> _logger;
    private ActivationCatalog? _catalog;
    private SiloCluster? _cluster;

    /// <summary>Created by the host.</summary>
    public Silo(IServiceProvider services, ILogger<Silo> logger)
    {
        _services = services;
        _logger = logger;
    }

    /// <summary>Whether the silo finished starting and has not begun stopping.</summary>
    public bool IsActive { get; private set; }

    /// <summary>Number of activations in this silo.</summary>
    public int ActivationCount => _catalog?.ActivationCount ?? 0;

    /// <summary>This silo's cluster address; default when it runs alone (no membership table configured).</summary>
    public Membership.SiloAddress SiloAddress => _cluster?.LocalSilo ?? default;

    /// <summary>
    /// This silo's status in its own view of the membership table (Joining until the table says Active,
    /// Dead once declared dead); null when it runs alone. Readiness probes use it.
    /// </summary>
    public Membership.SiloStatus? ClusterStatus => _cluster?.LocalStatus;

    internal SiloCluster? Cluster => _cluster;

    /// <inheritdoc />
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        long started = Stopwatch.GetTimestamp();
        ClusterOptions cluster = _services.GetRequiredService<IOptions<ClusterOptions>>().Value;
        GrainClassRegistry classes = _services.GetRequiredService<GrainClassRegistry>();
        RuntimeLog.SiloStarting(_logger, cluster.ServiceId, cluster.ClusterId, classes.Classes.Count);
        LogOptions(cluster);
        foreach (GrainClassInfo grainClass in classes.Classes)
        {
            RuntimeLog.HostingGrainType(_logger, grainClass.GrainType.Value, grainClass.ClassName);
        }

        foreach (IStorageInitializer initializer in _services.GetServices<IStorageInitializer>())
        {
            await initializer.InitializeAsync(cancellationToken);
            RuntimeLog.StorageInitialized(_logger, initializer.Name);
        }

        _services.GetRequiredService<GrainFactory>().Bind(_services.GetRequiredService<IGrainCallInvoker>());
        _catalog = _services.GetRequiredService<ActivationCatalog>();
        _services.GetRequiredService<GrainCallInvoker>().Dispatcher = _catalog;
        if (_services.GetService<Membership.IMembershipTable>() is not null)
        {
            // A membership table makes this silo a cluster member: listeners, membership, ring routing.
            _cluster = new SiloCluster(_services);
            await _cluster.StartAsync(cancellationToken);
        }

        _catalog.Start();
        IsActive = true;
        RuntimeLog.SiloStarted(_logger, (long)Stopwatch.GetElapsedTime(started).TotalMilliseconds);
    }

    /// <inheritdoc />
    public async Task StopAsync(CancellationToken cancellationToken)
    {
        long started = Stopwatch.GetTimestamp();
        IsActive = false;
        RuntimeLog.SiloStopping(_logger);
        if (_cluster is { IsTerminated: true })
        {
            // Declared dead: the grains belong to other silos now; writing their state here could only conflict.
            await _cluster.DisposeAsync();
            RuntimeLog.SiloStopped(_logger, (long)Stopwatch.GetElapsedTime(started).TotalMilliseconds);
            return;
        }

        if (_cluster is not null)
        {
            await _cluster.BeginShutdownAsync(cancellationToken);
        }

        if (_catalog is not null)
        {
            try
            {
                await _catalog.DeactivateAllAsync(cancellationToken);
            }
            catch (OperationCanceledException exception)
            {
                RuntimeLog.ShutdownDeactivationIncomplete(_logger, exception);
            }
        }

        if (_cluster is not null)
        {
            await _cluster.LeaveAsync(cancellationToken);
        }

        RuntimeLog.SiloStopped(_logger, (long)Stopwatch.GetElapsedTime(started).TotalMilliseconds);
    }

    /// <summary>Stops as if the process died: no membership writes, no deactivation, connections dropped (tests).</summary>
    internal async Task KillAsync()
    {
        IsActive = false;
        if (_cluster is not null)
        {
            await _cluster.KillAsync();
        }

        _catalog?.Abandon();
    }

    private void LogOptions(ClusterOptions cluster)
    {
        GrainCollectionOptions collection = _services.GetRequiredService<IOptions<GrainCollectionOptions>>().Value;
        MessagingOptions messaging = _services.GetRequiredService<IOptions<MessagingOptions>>().Value;
        var text = new StringBuilder()
            .Append("ServiceId=").Append(cluster.ServiceId)
            .Append(" ClusterId=").Append(cluster.ClusterId)
            .Append(" CollectionAge=").Append(collection.CollectionAge)
            .Append(" CollectionQuantum=").Append(collection.CollectionQuantum)
            .Append(" ActivationTimeout=").Append(collection.ActivationTimeout)
            .Append(" DeactivationTimeout=").Append(collection.DeactivationTimeout)
            .Append(" WriteChangedStateOnDeactivation=").Append(collection.WriteChangedStateOnDeactivation)
            .Append(" ResponseTimeout=").Append(messaging.ResponseTimeout)
            .Append(" TurnQuantum=").Append(messaging.TurnQuantum);
        RuntimeLog.OptionsInEffect(_logger, text.ToString());
    }
}
