namespace Pulse.Runtime;

/// <summary>The runtime's view of one activation, as grain code sees it.</summary>
public interface IGrainContext
{
    /// <summary>The identity of the grain.</summary>
    GrainId GrainId { get; }

    /// <summary>The grain instance, once constructed.</summary>
    object? GrainInstance { get; }

    /// <summary>Services of the silo that hosts the activation.</summary>
    IServiceProvider ActivationServices { get; }

    /// <summary>Creates references to other grains.</summary>
    IGrainFactory GrainFactory { get; }

    /// <summary>The clock of the silo; tests replace it with a manual one.</summary>
    TimeProvider TimeProvider { get; }

    /// <summary>Deactivates the activation once its current requests have finished.</summary>
    void DeactivateOnIdle();

    /// <summary>Keeps the activation from being collected as idle for at least <paramref name="timeSpan"/>.</summary>
    void DelayDeactivation(TimeSpan timeSpan);

    /// <summary>Registers a timer whose ticks run as turns of this activation.</summary>
    IGrainTimer RegisterTimer(Func<CancellationToken, Task> callback, GrainTimerCreationOptions options);
}
