using System.Diagnostics;

namespace Pulse.Runtime.Catalog;

internal sealed partial class GrainActivation
{
    private Queue<WorkItem>? _work;
    private bool _scheduled;

    /// <summary>
    /// Queues a continuation (or any callback) to run as a turn of this activation. Grain code reaches
    /// this through <c>await</c>, because the activation is the synchronization context while it runs.
    /// </summary>
    public override void Post(SendOrPostCallback d, object? state)
    {
        bool schedule;
        lock (_lock)
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
        (_work ??= new Queue<WorkItem>()).Enqueue(item);
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
        long start = Stopwatch.GetTimestamp();
        long quantum = _catalog.TurnQuantumTicks;
        try
        {
            while (true)
            {
                WorkItem item;
                lock (_lock)
                {
                    if (_work is null || !_work.TryDequeue(out item))
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
                    RuntimeLog.UnhandledTurnException(_catalog.Logger, GrainId, exception);
                }

                if (Stopwatch.GetTimestamp() - start > quantum)
                {
                    lock (_lock)
                    {
                        if (_work.Count == 0)
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

    private readonly record struct WorkItem(SendOrPostCallback Callback, object? State);
}
