namespace Pulse.Runtime;

/// <summary>A timer whose ticks run as turns of the activation that registered it.</summary>
public interface IGrainTimer : IDisposable
{
    /// <summary>Changes when the timer next fires and its period (<see cref="Timeout.InfiniteTimeSpan"/> for one shot).</summary>
    void Change(TimeSpan dueTime, TimeSpan period);
}

/// <summary>How a grain timer behaves.</summary>
public readonly record struct GrainTimerCreationOptions
{
    /// <summary>Creates options with a due time and period.</summary>
    public GrainTimerCreationOptions(TimeSpan dueTime, TimeSpan period)
    {
        DueTime = dueTime;
        Period = period;
    }

    /// <summary>Delay before the first tick.</summary>
    public TimeSpan DueTime { get; init; }

    /// <summary>
    /// Time between the end of one tick and the start of the next; <see cref="Timeout.InfiniteTimeSpan"/>
    /// for a single tick. Because it is measured from the end of a tick, ticks never overlap.
    /// </summary>
    public TimeSpan Period { get; init; }

    /// <summary>Whether ticks may interleave with requests (like <see cref="AlwaysInterleaveAttribute"/>).</summary>
    public bool Interleave { get; init; }

    /// <summary>Whether a tick counts as activity that keeps the activation from idle collection.</summary>
    public bool KeepAlive { get; init; }
}
