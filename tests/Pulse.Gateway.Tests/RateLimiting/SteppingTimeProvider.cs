using Pulse.Runtime.Testing;

namespace Pulse.Gateway.Tests.RateLimiting;

/// <summary>
/// A <see cref="ManualTimeProvider"/> whose wall clock can also move by <see cref="Step"/> after every read, so
/// a test can put a window boundary between two grain calls of one request. Timers and timestamps follow the
/// manual clock only.
/// </summary>
public sealed class SteppingTimeProvider : TimeProvider
{
    private readonly Lock _lock = new();
    private readonly ManualTimeProvider _manual = new();
    private TimeSpan _stepped;

    /// <summary>How far each read of <see cref="GetUtcNow"/> moves the clock afterwards; zero (the default) for none.</summary>
    public TimeSpan Step { get; set; }

    /// <inheritdoc />
    public override long TimestampFrequency => _manual.TimestampFrequency;

    /// <inheritdoc />
    public override DateTimeOffset GetUtcNow()
    {
        lock (_lock)
        {
            DateTimeOffset now = _manual.GetUtcNow() + _stepped;
            _stepped += Step;
            return now;
        }
    }

    /// <inheritdoc />
    public override long GetTimestamp() => _manual.GetTimestamp();

    /// <inheritdoc />
    public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period) =>
        _manual.CreateTimer(callback, state, dueTime, period);

    /// <summary>Moves the clock forward, firing timers that fall due.</summary>
    public void Advance(TimeSpan delta) => _manual.Advance(delta);
}
