namespace Pulse.Runtime;

/// <summary>
/// Base class of grain implementations. A grain is constructed by the runtime when its first call
/// arrives; <see cref="OnActivateAsync"/> runs after its persistent state was read and before any
/// call, <see cref="OnDeactivateAsync"/> before it is dropped. All of a grain's code runs in turns:
/// one request at a time unless the class or method allows interleaving.
/// </summary>
public abstract class Grain
{
    private readonly IGrainContext _context;

    /// <summary>Binds the grain to the activation the runtime is constructing.</summary>
    /// <exception cref="InvalidOperationException">The grain was constructed outside the runtime.</exception>
    protected Grain()
        : this(RuntimeContext.Current ?? throw new InvalidOperationException(
            "Grains are created by the Pulse runtime; use IGrainFactory.GetGrain to obtain a reference instead of 'new'."))
    {
    }

    /// <summary>Binds the grain to an explicit context.</summary>
    protected Grain(IGrainContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        _context = context;
    }

    /// <summary>The activation's context.</summary>
    public IGrainContext GrainContext => _context;

    /// <summary>The identity of this grain.</summary>
    public GrainId GrainId => _context.GrainId;

    /// <summary>Creates references to other grains.</summary>
    protected IGrainFactory GrainFactory => _context.GrainFactory;

    /// <summary>Services of the hosting silo.</summary>
    protected IServiceProvider ServiceProvider => _context.ActivationServices;

    /// <summary>The silo's clock.</summary>
    protected TimeProvider TimeProvider => _context.TimeProvider;

    /// <summary>The string key of this grain.</summary>
    public string GetPrimaryKeyString() => _context.GrainId.Key;

    /// <summary>Runs once per activation, after persistent state was read and before the first call.</summary>
    public virtual Task OnActivateAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    /// <summary>Runs once when the activation is dropped (idle, requested, shutdown). Not called if the process dies.</summary>
    public virtual Task OnDeactivateAsync(DeactivationReason reason, CancellationToken cancellationToken) => Task.CompletedTask;

    /// <summary>Deactivates this activation when its current requests have finished.</summary>
    protected void DeactivateOnIdle() => _context.DeactivateOnIdle();

    /// <summary>Keeps this activation from idle collection for at least <paramref name="timeSpan"/>.</summary>
    protected void DelayDeactivation(TimeSpan timeSpan) => _context.DelayDeactivation(timeSpan);

    /// <summary>
    /// Registers a timer. Ticks are turns of this activation: they never overlap each other and,
    /// unless <see cref="GrainTimerCreationOptions.Interleave"/> is set, never overlap requests.
    /// The timer stops when the activation is deactivated.
    /// </summary>
    protected IGrainTimer RegisterGrainTimer(Func<CancellationToken, Task> callback, GrainTimerCreationOptions options)
        => _context.RegisterTimer(callback, options);

    /// <summary>Registers a timer with a due time and a period.</summary>
    protected IGrainTimer RegisterGrainTimer(Func<CancellationToken, Task> callback, TimeSpan dueTime, TimeSpan period)
        => _context.RegisterTimer(callback, new GrainTimerCreationOptions(dueTime, period));
}
