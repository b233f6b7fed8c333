namespace Pulse.Runtime.Catalog;

internal sealed partial class GrainActivation
{
    // The oldest work item is kept inline and the queue is allocated only when a second one waits
    // behind it: almost every activation has at most one, and a Queue with its array would cost more
    // than the rest of an idle activation.
    private WorkItem _workHead;
    private bool _scheduled;

    private bool HasWorkLocked => _workHead.Callback is not null || _extras?.Work is { Count: > 0 };

    /// <summary>
    /// Queues a continuation (or any callback) to run as a turn of this activation. Grain code reaches
    /// this through <c>await</c>, because the activation is the synchronization context while it runs.
    /// </summary>
    public override void Post(SendOrPostCallback d, object? state)
    {
        bool schedule;
        lock (this)
        {
            schedule = EnqueueWorkLocked(new WorkItem(d, state));
        }

        if (schedule)
        {
            // Local queue: the continuation usually belongs to work this thread just did, so it is warm here.
            ThreadPool.UnsafeQueueUserWorkItem(this, preferLocal: true);
        }
    }

    /// <summary>Synchronous send would block a pool thread on a turn; run it as a turn and wait only off the activation.</summary>
    public override void Send(SendOrPostCallback d, object? state)
    {
        if (SynchronizationContext.Current == this)
        {
            d(state);
            return;
        }

        using var done = new ManualResetEventSlim();
        Post(
            s =>
            {
                try
                {
                    d(state);
                }
                finally
                {
                    ((ManualResetEventSlim)s!).Set();
                }
            },
            done);
        done.Wait();
    }

    /// <summary>Adds a work item; returns whether the caller must hand the activation to the thread pool.</summary>
    private bool EnqueueWorkLocked(WorkItem item)
    {
        if (_workHead.Callback is null && _extras?.Work is not { Count: > 0 })
        {
            _workHead = item;
        }
        else
        {
            ((_extras ??= new()).Work ??= new Queue<WorkItem>()).Enqueue(item);
        }

        if (_scheduled)
        {
            return false;
        }

        _scheduled = true;
        return true;
    }

    /// <summary>Drains the work queue on a pool thread, one item at a time, yielding after the turn quantum.</summary>
    void IThreadPoolWorkItem.Execute()
    {
        SynchronizationContext? previousContext = SynchronizationContext.Current;
        SynchronizationContext.SetSynchronizationContext(this);
        IGrainContext? previousGrain = RuntimeContext.Set(this);
        long start = Environment.TickCount64;
        long quantum = Catalog.TurnQuantumMilliseconds;
        try
        {
            while (true)
            {
                WorkItem item;
                lock (this)
                {
                    if (!TryDequeueWorkLocked(out item))
                    {
                        _scheduled = false;
                        return;
                    }
                }

                try
                {
                    item.Callback(item.State);
                }
                catch (Exception exception)
                {
                    // Continuations of grain code own their exceptions; one that escapes is a bug
                    // that must not take the activation (or the pool thread) down with it.
                    RuntimeLog.UnhandledTurnException(Catalog.Logger, GrainId, exception);
                }

                if (Environment.TickCount64 - start > quantum)
                {
                    lock (this)
                    {
                        if (!HasWorkLocked)
                        {
                            _scheduled = false;
                            return;
                        }
                    }

                    // Still scheduled: let other activations run, then continue from the queue.
                    ThreadPool.UnsafeQueueUserWorkItem(this, preferLocal: false);
                    return;
                }
            }
        }
        finally
        {
            RuntimeContext.Set(previousGrain);
            SynchronizationContext.SetSynchronizationContext(previousContext);
        }
    }

    // The inline head is always the oldest item: it is filled only while the queue is empty.
    private bool TryDequeueWorkLocked(out WorkItem item)
    {
        if (_workHead.Callback is not null)
        {
            item = _workHead;
            _workHead = default;
            return true;
        }

        if (_extras?.Work is { } work && work.TryDequeue(out item))
        {
            return true;
        }

        item = default;
        return false;
    }

    internal readonly record struct WorkItem(SendOrPostCallback Callback, object? State);
}
