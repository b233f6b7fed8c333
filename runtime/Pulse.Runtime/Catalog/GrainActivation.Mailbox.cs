using Pulse.Runtime.Invocation;
using Pulse.Runtime.Timers;

namespace Pulse.Runtime.Catalog;

internal sealed partial class GrainActivation
{
    private static readonly SendOrPostCallback s_processMailbox = static state => ((GrainActivation)state!).ProcessMailbox();

    // Items are GrainRequest or GrainTimer (a non-interleaving tick); typed checks are cheaper than a wrapper per call.
    // Like the work queue, the oldest item is inline and the queue exists only once two items wait.
    private object? _pendingHead;
    private bool _mailboxPosted;
    private bool _deactivateOnIdle;

    // Requests waiting in the extras' queues (Pending beyond the inline head, and Interleaved). Every
    // call checks that nothing waits; with this count it does not load the extras object, which a grain
    // with persistent state always has (its state participant) and which a random key's call would
    // otherwise miss the cache on.
    private int _waitingInExtras;
    private int _running;
    private int _runningWriters;

    /// <summary>
    /// Accepts a request from any thread. Returns false only when the activation is already gone
    /// (Invalid), in which case the caller dispatches again to a fresh activation.
    /// </summary>
    public bool TryEnqueue(GrainRequest request)
    {
        bool schedule;
        lock (this)
        {
            if (_state == ActivationState.Invalid)
            {
                return false;
            }

            if (request.Method.AlwaysInterleave)
            {
                ((_extras ??= new()).Interleaved ??= new Queue<GrainRequest>()).Enqueue(request);
                _waitingInExtras++;
            }
            else
            {
                EnqueuePendingLocked(request);
            }

            schedule = PostMailboxLocked();
        }

        if (schedule)
        {
            ThreadPool.UnsafeQueueUserWorkItem(this, TurnScheduling.PreferLocalQueue());
        }

        return true;
    }

    /// <summary>
    /// Runs <paramref name="request"/> as a turn on the calling thread when the activation is valid and
    /// has nothing running, queued or scheduled; returns false (nothing done) otherwise, and the caller
    /// enqueues it. Only for callers outside any grain turn: a call from a gateway request then costs no
    /// thread-pool hand-off, neither to start the turn nor to resume the caller, since a method that
    /// completes synchronously completes the caller's call before this returns. A method that awaits
    /// continues as usual, through this activation's queue.
    /// </summary>
    public bool TryRunOnCallerThread(GrainRequest request)
    {
        lock (this)
        {
            if (_state != ActivationState.Valid || _running != 0 || _scheduled || _mailboxPosted || HasPendingLocked || HasInterleavedLocked)
            {
                return false;
            }

            // The turn is this activation's until FinishItem, as for an item taken from the mailbox.
            MarkRunningLocked(request);
        }

        SynchronizationContext? previousContext = SynchronizationContext.Current;
        SynchronizationContext.SetSynchronizationContext(this);
        IGrainContext? previousGrain = RuntimeContext.Set(this);
        try
        {
            Start(request);
        }
        finally
        {
            RuntimeContext.Set(previousGrain);
            SynchronizationContext.SetSynchronizationContext(previousContext);
        }

        return true;
    }

    /// <summary>Queues a non-interleaving timer tick behind the requests already waiting.</summary>
    internal void EnqueueTimerTick(GrainTimer timer)
    {
        bool schedule;
        lock (this)
        {
            if (_state is ActivationState.Deactivating or ActivationState.Invalid)
            {
                return;
            }

            EnqueuePendingLocked(timer);
            schedule = PostMailboxLocked();
        }

        if (schedule)
        {
            ThreadPool.UnsafeQueueUserWorkItem(this, TurnScheduling.PreferLocalQueue());
        }
    }

    private bool HasPendingLocked => _pendingHead is not null || (_waitingInExtras != 0 && _extras!.Pending is { Count: > 0 });

    // Always-interleave requests in flight. They neither wait for nor hold up other requests: one that
    // awaits (a long poll, say) must not keep the writes it waits for from starting.
    private int RunningInterleavedLocked => _extras?.RunningInterleaved ?? 0;

    private bool HasInterleavedLocked => _waitingInExtras != 0 && _extras!.Interleaved is { Count: > 0 };

    private void EnqueuePendingLocked(object item)
    {
        if (!HasPendingLocked)
        {
            _pendingHead = item;
        }
        else
        {
            ((_extras ??= new()).Pending ??= new Queue<object>()).Enqueue(item);
            _waitingInExtras++;
        }
    }

    private object? PeekPendingLocked() =>
        _pendingHead ?? (_waitingInExtras != 0 && _extras!.Pending is { } pending && pending.TryPeek(out object? head) ? head : null);

    private void DequeuePendingLocked()
    {
        if (_pendingHead is not null)
        {
            _pendingHead = null;
        }
        else
        {
            _extras!.Pending!.Dequeue();
            _waitingInExtras--;
        }
    }

    private bool PostMailboxLocked()
    {
        if (_state != ActivationState.Valid || _mailboxPosted)
        {
            return false;
        }

        _mailboxPosted = true;
        return EnqueueWorkLocked(new WorkItem(s_processMailbox, this));
    }

    /// <summary>Starts every queued item that may start now (in a turn).</summary>
    private void ProcessMailbox()
    {
        while (true)
        {
            object? item;
            lock (this)
            {
                _mailboxPosted = false;
                item = TryTakeNextLocked();
            }

            if (item is null)
            {
                return;
            }

            Start(item);
        }
    }

    /// <summary>Dequeues the next item allowed to start now and counts it as running; null when none may.</summary>
    private object? TryTakeNextLocked()
    {
        if (_state != ActivationState.Valid)
        {
            return null;
        }

        object? item;
        if (HasInterleavedLocked)
        {
            item = _extras!.Interleaved!.Dequeue();
            _waitingInExtras--;
            MarkRunningLocked(item);
            return item;
        }

        item = PeekPendingLocked();
        if (item is null || !CanStartLocked(item))
        {
            return null;
        }

        DequeuePendingLocked();
        MarkRunningLocked(item);
        return item;
    }

    // Counts an item as running; FinishItem undoes exactly this.
    private void MarkRunningLocked(object item)
    {
        _running++;
        if (item is GrainRequest { Method.AlwaysInterleave: true })
        {
            (_extras ??= new()).RunningInterleaved++;
        }
        else if (!IsReadOnly(item))
        {
            _runningWriters++;
        }
    }

    private bool CanStartLocked(object item)
    {
        if (_running == RunningInterleavedLocked || _class.IsReentrant)
        {
            return true;
        }

        return _runningWriters == 0 && IsReadOnly(item);
    }

    private static bool IsReadOnly(object item) => item is GrainRequest request && request.Method.ReadOnly;

    /// <summary>
    /// Runs an item and, while items complete synchronously, the items queued behind it, in a loop:
    /// a thousand queued calls that each complete at once must not nest a thousand frames deep.
    /// </summary>
    private void Start(object item)
    {
        object? current = item;
        while (current is not null && RanSynchronously(current))
        {
            current = FinishItem(current);
        }
    }

    // True when the item finished at once (its bookkeeping is the caller's); false when it continues
    // asynchronously and AwaitItemAsync finishes it.
    private bool RanSynchronously(object item)
    {
        ValueTask pending;
        if (item is GrainRequest request)
        {
            if (request.CancellationToken.IsCancellationRequested)
            {
                // The caller already gave up; don't run work nobody waits for.
                request.Fail(new OperationCanceledException("The call was cancelled before it started.", request.CancellationToken));
                return true;
            }

            Catalog.Instruments.OnRequestStarted();
            pending = request.InvokeAsync(_grain!);
        }
        else
        {
            var timer = (GrainTimer)item;
            if (timer.KeepAlive)
            {
                _lastActiveMilliseconds = Catalog.ActivityClockMilliseconds;
            }

            pending = timer.RunTickAsync();
        }

        if (pending.IsCompleted)
        {
            ObserveSafely(pending);
            return true;
        }

        _ = AwaitItemAsync(pending, item);
        return false;
    }

    private async ValueTask AwaitItemAsync(ValueTask pending, object item)
    {
        // Captures this activation as the synchronization context, so the completion runs as a turn.
        try
        {
            await pending;
        }
        catch (Exception exception)
        {
            RuntimeLog.UnhandledTurnException(Catalog.Logger, GrainId, exception);
        }

        OnItemCompleted(item);
    }

    private void ObserveSafely(ValueTask pending)
    {
        try
        {
            pending.GetAwaiter().GetResult();
        }
        catch (Exception exception)
        {
            RuntimeLog.UnhandledTurnException(Catalog.Logger, GrainId, exception);
        }
    }

    /// <summary>After a request or tick finished asynchronously (in a turn): start what may start now.</summary>
    private void OnItemCompleted(object item)
    {
        if (FinishItem(item) is { } next)
        {
            Start(next);
            ProcessMailbox();
        }
    }

    /// <summary>Bookkeeping after a request or tick finished: returns the next item to start, or null (deactivation continues here).</summary>
    private object? FinishItem(object item)
    {
        bool deactivate;
        object? next = null;
        lock (this)
        {
            _running--;
            if (item is GrainRequest { Method.AlwaysInterleave: true })
            {
                _extras!.RunningInterleaved--;
            }
            else if (!IsReadOnly(item))
            {
                _runningWriters--;
            }

            if (item is GrainRequest || (item is GrainTimer timer && timer.KeepAlive))
            {
                _lastActiveMilliseconds = Catalog.ActivityClockMilliseconds;
            }

            deactivate = _running == 0 && (_state == ActivationState.Deactivating || (_deactivateOnIdle && _state == ActivationState.Valid));
            if (!deactivate)
            {
                // Taking the next item under the same lock saves a second round trip through it per request.
                next = TryTakeNextLocked();
            }
        }

        if (item is GrainTimer completedTimer)
        {
            completedTimer.OnTickCompleted();
        }

        if (deactivate)
        {
            ContinueDeactivation(new DeactivationReason(DeactivationReasonCode.ApplicationRequested, "DeactivateOnIdle was called."));
            return null;
        }

        return next;
    }

    public void DeactivateOnIdle()
    {
        bool now;
        lock (this)
        {
            _deactivateOnIdle = true;
            now = _state == ActivationState.Valid && _running == 0;
        }

        if (now)
        {
            Deactivate(new DeactivationReason(DeactivationReasonCode.ApplicationRequested, "DeactivateOnIdle was called."));
        }
    }

    /// <summary>Takes every request still queued (after the activation became Invalid).</summary>
    private List<GrainRequest> DrainQueuedRequestsLocked()
    {
        List<GrainRequest> requests = [];
        if (_extras?.Interleaved is { } interleaved)
        {
            requests.AddRange(interleaved);
            interleaved.Clear();
        }

        if (_pendingHead is GrainRequest head)
        {
            requests.Add(head);
        }

        _pendingHead = null;
        if (_extras?.Pending is { } pending)
        {
            foreach (object item in pending)
            {
                if (item is GrainRequest request)
                {
                    requests.Add(request);
                }
            }

            pending.Clear();
        }

        _waitingInExtras = 0;
        return requests;
    }
}
