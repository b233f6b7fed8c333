using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Pulse.Runtime.Configuration;
using Pulse.Runtime.Diagnostics;
using Pulse.Runtime.Invocation;

namespace Pulse.Runtime.Catalog;

/// <summary>
/// The activations of one silo, keyed by grain id. Creates an activation on a grain's first call,
/// collects idle ones every quantum, and deactivates everything at shutdown.
/// </summary>
internal sealed class ActivationCatalog : IDisposable, Routing.IGrainRequestDispatcher, ILocalActivations
{
    private readonly ActivationTable _activations = new();
    private readonly GrainClassRegistry _classes;
    private readonly Lazy<IGrainFactory> _grainFactory;
    private ITimer? _collector;
    private volatile bool _stopping;
    private readonly bool _coarseActivityClock;

    public ActivationCatalog(
        IServiceProvider services,
        GrainClassRegistry classes,
        TimeProvider timeProvider,
        IOptions<GrainCollectionOptions> collectionOptions,
        IOptions<MessagingOptions> messagingOptions,
        RuntimeInstruments instruments,
        ILogger<ActivationCatalog> logger)
    {
        Services = services;
        _classes = classes;
        foreach (GrainClassInfo grainClass in classes.Classes)
        {
            grainClass.Bind(this);
        }
        TimeProvider = timeProvider;
        _coarseActivityClock = ReferenceEquals(timeProvider, TimeProvider.System);
        CollectionOptions = collectionOptions.Value;
        Instruments = instruments;
        Logger = logger;
        TurnQuantumMilliseconds = (long)Math.Ceiling(messagingOptions.Value.TurnQuantum.TotalMilliseconds);
        _grainFactory = new Lazy<IGrainFactory>(() => (IGrainFactory)services.GetService(typeof(IGrainFactory))!);
        instruments.ObserveActivationCount(() => _activations.Count);
    }

    public IServiceProvider Services { get; }

    public TimeProvider TimeProvider { get; }

    /// <summary>
    /// The clock of idle collection, in milliseconds: when an activation last ran and until when it is
    /// kept alive. Every turn reads it when it ends, so with the system clock it is
    /// <see cref="Environment.TickCount64"/>, a coarse monotonic clock: a precise timestamp costs about
    /// 50 ns on the virtual machines this was measured on (a fifth of an in-process call) and the
    /// coarse one under 10 ns, while collection ages are minutes and a few milliseconds of granularity
    /// change nothing. Any other time provider (a test's manual clock) is read exactly.
    /// </summary>
    public long ActivityClockMilliseconds =>
        _coarseActivityClock ? Environment.TickCount64 : ToMilliseconds(TimeProvider.GetTimestamp(), TimeProvider.TimestampFrequency);

    private static long ToMilliseconds(long timestamp, long frequency) =>
        (timestamp / frequency * 1000) + (timestamp % frequency * 1000 / frequency);

    public GrainCollectionOptions CollectionOptions { get; }

    public RuntimeInstruments Instruments { get; }

    public ILogger Logger { get; }

    public IGrainFactory GrainFactory => _grainFactory.Value;

    /// <summary>
    /// Milliseconds an activation may hold a pool thread before yielding, on <see cref="Environment.TickCount64"/>:
    /// it is read after every work item, and the coarse clock is a fraction of a precise timestamp's cost.
    /// </summary>
    public long TurnQuantumMilliseconds { get; }

    public int ActivationCount => _activations.Count;

    public bool IsStopping => _stopping;

    /// <summary>
    /// Where requests still queued in a deactivated activation go: this catalog on a single silo,
    /// the router in a cluster (the grain may now belong to another silo).
    /// </summary>
    public Routing.IGrainRequestDispatcher? Redispatcher { get; set; }

    /// <summary>Starts idle collection.</summary>
    public void Start()
    {
        TimeSpan quantum = CollectionOptions.CollectionQuantum;
        _collector = TimeProvider.CreateTimer(static state => ((ActivationCatalog)state!).CollectIdleActivations(), this, quantum, quantum);
    }

    /// <summary>Hands a request to the activation of its target grain, creating the activation if needed.</summary>
    public void Dispatch(GrainId grainId, GrainRequest request)
    {
        while (true)
        {
            if (!_activations.TryGetValue(grainId, out GrainActivation? activation))
            {
                if (_stopping)
                {
                    request.Fail(new SiloUnavailableException($"The silo is shutting down; grain {grainId} cannot be activated."));
                    return;
                }

                if (!_classes.TryGetClass(grainId.Type, out GrainClassInfo? grainClass))
                {
                    request.Fail(new GrainTypeNotFoundException($"{_classes.DescribeMissing(grainId.Type)} (call {request.Method.FullName})"));
                    return;
                }

                var created = new GrainActivation(this, grainId, grainClass);
                activation = _activations.GetOrAdd(created);
                if (ReferenceEquals(activation, created))
                {
                    created.Activate();
                }
            }

            if (activation.TryEnqueue(request))
            {
                return;
            }

            // The activation finished deactivating between lookup and enqueue; drop it and retry.
            _activations.TryRemove(activation);
        }
    }

    /// <inheritdoc />
    public bool TryRunOnCallerThread(GrainId grainId, GrainRequest request) =>
        request.MayRunOnCallerThread
        && _activations.TryGetValue(grainId, out GrainActivation? activation)
        && activation.TryRunOnCallerThread(request);

    /// <summary>Finds the activation of a grain, if it is active here (tests and diagnostics).</summary>
    public bool TryGetActivation(GrainId grainId, out GrainActivation activation) => _activations.TryGetValue(grainId, out activation!);

    /// <summary>Removes a deactivated activation and re-dispatches the requests that were still queued in it.</summary>
    public void OnDeactivated(GrainActivation activation, List<GrainRequest> queued)
    {
        _activations.TryRemove(activation);
        Routing.IGrainRequestDispatcher dispatcher = Redispatcher ?? this;
        foreach (GrainRequest request in queued)
        {
            dispatcher.Dispatch(activation.GrainId, request);
        }
    }

    public void OnActivationFailed(GrainActivation activation) =>
        _activations.TryRemove(activation);

    /// <inheritdoc />
    public IEnumerable<TGrain> GetGrains<TGrain>()
        where TGrain : class
    {
        foreach (GrainActivation activation in _activations)
        {
            if (activation.GrainInstance is TGrain grain)
            {
                yield return grain;
            }
        }
    }

    /// <summary>Deactivates every activation whose idle time exceeds its collection age.</summary>
    public int CollectIdleActivations()
    {
        long now = ActivityClockMilliseconds;
        int collected = 0;
        foreach (GrainActivation activation in _activations)
        {
            if (activation.IsIdle(now))
            {
                activation.Deactivate(new DeactivationReason(DeactivationReasonCode.ActivationIdle, "Idle for longer than the collection age."));
                collected++;
            }
        }

        if (collected > 0)
        {
            RuntimeLog.CollectingIdleActivations(Logger, collected);
        }

        return collected;
    }

    /// <summary>Deactivates (state written first) every activation whose grain <paramref name="isOwnedHere"/> says moved away.</summary>
    public int DeactivateNotOwned(Func<GrainId, bool> isOwnedHere)
    {
        var reason = new DeactivationReason(DeactivationReasonCode.OwnershipChanged, "The grain is now owned by another silo.");
        int count = 0;
        foreach (GrainActivation activation in _activations)
        {
            if (!isOwnedHere(activation.GrainId))
            {
                activation.Deactivate(reason);
                count++;
            }
        }

        return count;
    }

    /// <summary>Stops accepting new activations and deactivates all existing ones (state written first).</summary>
    public async Task DeactivateAllAsync(CancellationToken cancellationToken)
    {
        _stopping = true;
        _collector?.Dispose();
        var reason = new DeactivationReason(DeactivationReasonCode.ShuttingDown, "The silo is shutting down.");
        List<Task> waits = [];
        foreach (GrainActivation activation in _activations)
        {
            activation.Deactivate(reason);
            waits.Add(activation.WaitForDeactivationAsync());
        }

        RuntimeLog.DeactivatingAll(Logger, waits.Count);
        await Task.WhenAll(waits).WaitAsync(cancellationToken);
    }

    /// <summary>Drops every activation without running deactivation (a killed process keeps nothing).</summary>
    public void Abandon()
    {
        _stopping = true;
        _collector?.Dispose();
        _activations.Clear();
    }

    public void Dispose() => _collector?.Dispose();
}
