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

        RuntimeLog.SiloStopped(_logger, (long)Stopwatch.GetElapsedTime(started).TotalMilliseconds);
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
