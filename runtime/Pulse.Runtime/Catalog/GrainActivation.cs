using Pulse.Runtime.Timers;

namespace Pulse.Runtime.Catalog;

/// <summary>
/// One activation of a grain: its instance, its mailbox and its turn scheduler. It is its own
/// <see cref="SynchronizationContext"/> and thread-pool work item, so every continuation of grain
/// code comes back to the activation's queue and runs one at a time, with no thread per activation
/// and no Task per request. Partial files: scheduling, mailbox, lifecycle.
/// </summary>
/// <remarks>
/// Kept small on purpose (no per-activation allocations until needed): an idle activation should
/// cost a few hundred bytes beyond the grain itself.
/// </remarks>
internal sealed partial class GrainActivation : SynchronizationContext, IThreadPoolWorkItem, IGrainContext
{
    private readonly ActivationCatalog _catalog;
    private readonly GrainClassInfo _class;
    private readonly Lock _lock = new();
    private object? _grain;
    private ActivationState _state;
    private long _lastActiveTimestamp;
    private long _keepAliveUntilTimestamp;
    private List<GrainTimer>? _timers;
    private List<IActivationStateParticipant>? _stateParticipants;

    public GrainActivation(ActivationCatalog catalog, GrainId grainId, GrainClassInfo grainClass)
    {
        _catalog = catalog;
        GrainId = grainId;
        _class = grainClass;
        _lastActiveTimestamp = catalog.TimeProvider.GetTimestamp();
    }

    public GrainId GrainId { get; }

    public object? GrainInstance => _grain;

    public IServiceProvider ActivationServices => _catalog.Services;

    public IGrainFactory GrainFactory => _catalog.GrainFactory;

    public TimeProvider TimeProvider => _catalog.TimeProvider;

    public GrainClassInfo GrainClass => _class;

    internal Microsoft.Extensions.Logging.ILogger CatalogLogger => _catalog.Logger;

    internal ActivationState State
    {
        get
        {
            lock (_lock)
            {
                return _state;
            }
        }
    }

    public void DelayDeactivation(TimeSpan timeSpan)
    {
        long until = TimeProvider.GetTimestamp() + ToTimestampTicks(timeSpan);
        lock (_lock)
        {
            _keepAliveUntilTimestamp = Math.Max(_keepAliveUntilTimestamp, until);
        }
    }

    public IGrainTimer RegisterTimer(Func<CancellationToken, Task> callback, GrainTimerCreationOptions options)
    {
        ArgumentNullException.ThrowIfNull(callback);
        var timer = new GrainTimer(this, callback, options);
        lock (_lock)
        {
            if (_state is ActivationState.Deactivating or ActivationState.Invalid)
            {
                throw new InvalidOperationException($"Grain {GrainId} is deactivating and cannot register timers.");
            }

            (_timers ??= []).Add(timer);
        }

        timer.Start();
        return timer;
    }

    internal void RemoveTimer(GrainTimer timer)
    {
        lock (_lock)
        {
            _timers?.Remove(timer);
        }
    }

    internal void AddStateParticipant(IActivationStateParticipant participant)
    {
        lock (_lock)
        {
            (_stateParticipants ??= []).Add(participant);
        }
    }

    /// <summary>Whether the activation is valid, has no work and was unused for its collection age.</summary>
    internal bool IsIdle(long nowTimestamp)
    {
        lock (_lock)
        {
            return IsIdleLocked(nowTimestamp);
        }
    }

    /// <summary>Whether no request or tick is running or queued (tests wait for this before moving a manual clock).</summary>
    internal bool IsQuiescent
    {
        get
        {
            lock (_lock)
            {
                return _running == 0
                    && (_pending is null || _pending.Count == 0)
                    && (_interleaved is null || _interleaved.Count == 0)
                    && (_work is null || _work.Count == 0)
                    && !_scheduled
                    && (_timers is null || !_timers.Exists(static timer => timer.IsTickActive));
            }
        }
    }

    private bool IsIdleLocked(long nowTimestamp) =>
        _state == ActivationState.Valid
        && _running == 0
        && (_pending is null || _pending.Count == 0)
        && (_interleaved is null || _interleaved.Count == 0)
        && nowTimestamp >= _keepAliveUntilTimestamp
        && nowTimestamp - _lastActiveTimestamp >= ToTimestampTicks(_class.CollectionAge);

    private long ToTimestampTicks(TimeSpan span) => (long)(span.TotalSeconds * TimeProvider.TimestampFrequency);

    public override SynchronizationContext CreateCopy() => this;

    public override string ToString() => $"Activation {GrainId} ({_class.ClassName})";
}
