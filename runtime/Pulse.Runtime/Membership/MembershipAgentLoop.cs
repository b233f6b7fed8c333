using Microsoft.Extensions.Logging;

namespace Pulse.Runtime.Membership;

/// <summary>
/// One periodic job of the membership agent (refresh, heartbeat, probing, cleanup) on a
/// <see cref="TimeProvider"/> timer: no thread of its own, never overlapping itself, never throwing.
/// A tick that arrives while the job runs is not dropped but coalesced into one run right after it,
/// so a probe round slowed by a full probe timeout delays the next round instead of skipping it.
/// </summary>
internal sealed class MembershipAgentLoop
{
    private readonly string _name;
    private readonly TimeSpan _period;
    private readonly Func<CancellationToken, Task> _body;
    private readonly MembershipAgent _owner;
    private readonly CancellationToken _cancellationToken;
    private readonly Lock _lock = new();
    private ITimer? _timer;
    private bool _running;
    private bool _rerun;
    private bool _stopped;
    private Task _current = Task.CompletedTask;

    public MembershipAgentLoop(MembershipAgent owner, string name, TimeSpan period, Func<CancellationToken, Task> body, CancellationToken cancellationToken)
    {
        _owner = owner;
        _name = name;
        _period = period;
        _body = body;
        _cancellationToken = cancellationToken;
    }

    /// <summary>The run in progress (or a completed task).</summary>
    public Task Completion
    {
        get
        {
            lock (_lock)
            {
                return _current;
            }
        }
    }

    /// <summary>Arms the timer; the first run is one period from now.</summary>
    public void Start()
    {
        lock (_lock)
        {
            if (_stopped || _timer is not null)
            {
                return;
            }

            _timer = _owner.TimeProvider.CreateTimer(static state => ((MembershipAgentLoop)state!).OnTick(), this, _period, _period);
        }
    }

    /// <summary>Disarms the timer; a run in progress finishes (its token is cancelled by the agent) and no new one starts.</summary>
    public void Stop()
    {
        ITimer? timer;
        lock (_lock)
        {
            _stopped = true;
            timer = _timer;
            _timer = null;
        }

        timer?.Dispose();
    }

    private void OnTick()
    {
        lock (_lock)
        {
            if (_stopped)
            {
                return;
            }

            if (_running)
            {
                _rerun = true;
                return;
            }

            _running = true;
            // Counted here, on the timer's thread, so a test that moved a manual clock sees the work
            // as pending before the thread pool has even picked it up.
            _owner.OnLoopRunStarted();
            _current = Task.Run(RunAsync, CancellationToken.None);
        }
    }

    private async Task RunAsync()
    {
        while (true)
        {
            try
            {
                await _body(_cancellationToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (_cancellationToken.IsCancellationRequested)
            {
                // Stopping: nothing to report.
            }
            catch (Exception exception)
            {
                // A table or network outage must not kill the silo: it keeps its last view and retries next period.
                MembershipLog.LoopFailed(_owner.Logger, _owner.LocalSilo.Address, _name, exception);
            }

            lock (_lock)
            {
                if (_rerun && !_stopped)
                {
                    _rerun = false;
                    continue;
                }

                _running = false;
                _rerun = false;
            }

            _owner.OnLoopRunEnded();
            return;
        }
    }
}
