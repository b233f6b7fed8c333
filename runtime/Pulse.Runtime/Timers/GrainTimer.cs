using Pulse.Runtime.Catalog;

namespace Pulse.Runtime.Timers;

/// <summary>
/// A grain timer. The underlying timer is one-shot and re-armed only after a tick has finished, so
/// ticks never overlap: a slow tick delays the next one instead of stacking up behind it.
/// </summary>
internal sealed class GrainTimer : IGrainTimer
{
    private static readonly SendOrPostCallback s_runInterleavedTick = static state => _ = ((GrainTimer)state!).RunInterleavedTickAsync();

    private readonly GrainActivation _activation;
    private readonly Func<CancellationToken, Task> _callback;
    private readonly Lock _lock = new();
    private readonly CancellationTokenSource _disposed = new();
    private readonly bool _interleave;
    private ITimer? _timer;
    private TimeSpan _dueTime;
    private TimeSpan _period;
    private bool _tickQueuedOrRunning;

    public GrainTimer(GrainActivation activation, Func<CancellationToken, Task> callback, GrainTimerCreationOptions options)
    {
        ValidatePeriod(options.DueTime, nameof(options.DueTime));
        ValidatePeriod(options.Period, nameof(options.Period));
        _activation = activation;
        _callback = callback;
        _interleave = options.Interleave;
        KeepAlive = options.KeepAlive;
        _dueTime = options.DueTime;
        _period = options.Period;
    }

    /// <summary>Whether ticks count as activity for idle collection.</summary>
    public bool KeepAlive { get; }

    /// <summary>Whether a tick is queued or running.</summary>
    internal bool IsTickActive
    {
        get
        {
            lock (_lock)
            {
                return _tickQueuedOrRunning;
            }
        }
    }

    internal void Start()
    {
        lock (_lock)
        {
            _timer = _activation.TimeProvider.CreateTimer(static state => ((GrainTimer)state!).OnTimerFired(), this, _dueTime, Timeout.InfiniteTimeSpan);
        }
    }

    public void Change(TimeSpan dueTime, TimeSpan period)
    {
        ValidatePeriod(dueTime, nameof(dueTime));
        ValidatePeriod(period, nameof(period));
        lock (_lock)
        {
            ObjectDisposedException.ThrowIf(_disposed.IsCancellationRequested, this);
            _period = period;
            _timer?.Change(dueTime, Timeout.InfiniteTimeSpan);
        }
    }

    private void OnTimerFired()
    {
        lock (_lock)
        {
            // A tick still queued or running absorbs this one: ticks never overlap themselves.
            if (_disposed.IsCancellationRequested || _tickQueuedOrRunning)
            {
                return;
            }

            _tickQueuedOrRunning = true;
        }

        if (_interleave)
        {
            _activation.Post(s_runInterleavedTick, this);
        }
        else
        {
            _activation.EnqueueTimerTick(this);
        }
    }

    /// <summary>Runs the callback as a turn of the activation; exceptions are logged, never fatal.</summary>
    internal async ValueTask RunTickAsync()
    {
        if (_disposed.IsCancellationRequested)
        {
            return;
        }

        try
        {
            await _callback(_disposed.Token);
        }
        catch (OperationCanceledException) when (_disposed.IsCancellationRequested)
        {
        }
        catch (Exception exception)
        {
            RuntimeLog.TimerCallbackFailed(_activation.CatalogLogger, _activation.GrainId, exception);
        }
    }

    private async Task RunInterleavedTickAsync()
    {
        await RunTickAsync();
        OnTickCompleted();
    }

    /// <summary>Re-arms the timer for the next period after a tick finished.</summary>
    internal void OnTickCompleted()
    {
        lock (_lock)
        {
            _tickQueuedOrRunning = false;
            if (_disposed.IsCancellationRequested || _period == Timeout.InfiniteTimeSpan)
            {
                return;
            }

            _timer?.Change(_period, Timeout.InfiniteTimeSpan);
        }
    }

    public void Dispose()
    {
        lock (_lock)
        {
            if (_disposed.IsCancellationRequested)
            {
                return;
            }

            _disposed.Cancel();
            _timer?.Dispose();
            _timer = null;
        }

        _activation.RemoveTimer(this);
    }

    private static void ValidatePeriod(TimeSpan value, string name)
    {
        if (value < TimeSpan.Zero && value != Timeout.InfiniteTimeSpan)
        {
            throw new ArgumentOutOfRangeException(name, value, "A timer due time or period must be non-negative or Timeout.InfiniteTimeSpan.");
        }
    }
}
