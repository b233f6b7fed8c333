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
    // The activation locks on itself (a Monitor in its object header) rather than on a Lock object of
    // its own: one activation per cache entry makes every field count, and the lock is never held
    // across user code.
    private readonly GrainClassInfo _class;
    private object? _grain;
    private ActivationState _state;
    // Both on the catalog's activity clock (milliseconds).
    private long _lastActiveMilliseconds;
    private long _keepAliveUntilMilliseconds;

    // Timers, state participants, interleaved requests and deactivation bookkeeping: most activations
    // never need them, so they live in one object allocated on first use.
    private ActivationExtras? _extras;

    public GrainActivation(ActivationCatalog catalog, GrainId grainId, GrainClassInfo grainClass)
    {
        // The class info of this silo's registry knows this silo's catalog: one reference instead of two.
        if (!ReferenceEquals(grainClass.Catalog, catalog))
        {
            throw new ArgumentException($"The class info of {grainClass.ClassName} belongs to another catalog.", nameof(grainClass));
        }

        GrainId = grainId;
        _class = grainClass;
        _lastActiveMilliseconds = catalog.ActivityClockMilliseconds;
    }

    public GrainId GrainId { get; }

    private ActivationCatalog Catalog => _class.Catalog;

    public object? GrainInstance => _grain;

    public IServiceProvider ActivationServices => Catalog.Services;

    public IGrainFactory GrainFactory => Catalog.GrainFactory;

    public TimeProvider TimeProvider => Catalog.TimeProvider;

    public GrainClassInfo GrainClass => _class;

    internal Microsoft.Extensions.Logging.ILogger CatalogLogger => Catalog.Logger;

    internal ActivationState State
    {
        get
        {
            lock (this)
            {
                return _state;
            }
        }
    }

    public void DelayDeactivation(TimeSpan timeSpan)
    {
        long until = Catalog.ActivityClockMilliseconds + ToMilliseconds(timeSpan);
        lock (this)
        {
            _keepAliveUntilMilliseconds = Math.Max(_keepAliveUntilMilliseconds, until);
        }
    }

    public IGrainTimer RegisterTimer(Func<CancellationToken, Task> callback, GrainTimerCreationOptions options)
    {
        ArgumentNullException.ThrowIfNull(callback);
        var timer = new GrainTimer(this, callback, options);
        lock (this)
        {
            if (_state is ActivationState.Deactivating or ActivationState.Invalid)
            {
                throw new InvalidOperationException($"Grain {GrainId} is deactivating and cannot register timers.");
            }

            ((_extras ??= new()).Timers ??= []).Add(timer);
        }

        timer.Start();
        return timer;
    }

    internal void RemoveTimer(GrainTimer timer)
    {
        lock (this)
        {
            _extras?.Timers?.Remove(timer);
        }
    }

    internal void AddStateParticipant(IActivationStateParticipant participant)
    {
        lock (this)
        {
            ((_extras ??= new()).StateParticipants ??= []).Add(participant);
        }
    }

    /// <summary>Whether the activation is valid, has no work and was unused for its collection age.</summary>
    internal bool IsIdle(long nowMilliseconds)
    {
        lock (this)
        {
            return IsIdleLocked(nowMilliseconds);
        }
    }

    /// <summary>Whether no request or tick is running or queued (tests wait for this before moving a manual clock).</summary>
    internal bool IsQuiescent
    {
        get
        {
            lock (this)
            {
                return _running == 0
                    && !HasPendingLocked
                    && !HasInterleavedLocked
                    && !HasWorkLocked
                    && !_scheduled
                    && (_extras?.Timers is not { } timers || !timers.Exists(static timer => timer.IsTickActive));
            }
        }
    }

    private bool IsIdleLocked(long nowMilliseconds) =>
        _state == ActivationState.Valid
        && _running == 0
        && !HasPendingLocked
        && !HasInterleavedLocked
        && nowMilliseconds >= _keepAliveUntilMilliseconds
        && nowMilliseconds - _lastActiveMilliseconds >= ToMilliseconds(_class.CollectionAge);

    private static long ToMilliseconds(TimeSpan span) => (long)span.TotalMilliseconds;

    public override SynchronizationContext CreateCopy() => this;

    public override string ToString() => $"Activation {GrainId} ({_class.ClassName})";
}
