using Pulse.Runtime.Routing;

namespace Pulse.Runtime.Invocation;

/// <summary>
/// Sends grain calls: creates the caller's completion (timeout, cancellation) and hands the request
/// to the dispatcher, which is the local catalog on a single silo and the message router in a
/// cluster. Arguments are deep-copied before the request leaves the caller and results before they
/// reach it, so the two sides never share mutable objects even when nothing is serialized.
/// </summary>
internal sealed class GrainCallInvoker : IGrainCallInvoker
{
    private readonly PendingCallTable _pendingCalls;
    private IGrainRequestDispatcher? _dispatcher;

    public GrainCallInvoker(PendingCallTable pendingCalls, IGrainFactory grainFactory)
    {
        _pendingCalls = pendingCalls;
        GrainFactory = grainFactory;
    }

    /// <summary>Where requests go: the local catalog on a single silo, the router in a cluster or a client. Set at start.</summary>
    public IGrainRequestDispatcher Dispatcher
    {
        get => _dispatcher ?? throw new InvalidOperationException("The runtime has not started: no dispatcher is set yet.");
        set => _dispatcher = value ?? throw new ArgumentNullException(nameof(value));
    }

    public IGrainFactory GrainFactory { get; }

    public ValueTask<TResult> InvokeAsync<TResult>(GrainReference target, GrainRequest<TResult> request)
    {
        ResponseCompletion<TResult>? completion = Send(target, request);
        return completion is null
            ? ValueTask.FromException<TResult>(new OperationCanceledException(request.CancellationToken))
            : new ValueTask<TResult>(completion, completion.Version);
    }

    public ValueTask InvokeVoidAsync(GrainReference target, GrainRequest<NoResult> request)
    {
        ResponseCompletion<NoResult>? completion = Send(target, request);
        return completion is null
            ? ValueTask.FromException(new OperationCanceledException(request.CancellationToken))
            : new ValueTask(completion, completion.Version);
    }

    public void InvokeOneWay(GrainReference target, GrainRequest request)
    {
        request.CopyArguments();
        Dispatcher.Dispatch(target.GrainId, request);
    }

    private ResponseCompletion<TResult>? Send<TResult>(GrainReference target, GrainRequest<TResult> request)
    {
        if (request.CancellationToken.IsCancellationRequested)
        {
            return null;
        }

        request.CopyArguments();
        request.MayRunOnCallerThread = RuntimeContext.Current is null;
        var completion = new ResponseCompletion<TResult>(_pendingCalls, request, target.GrainId, _pendingCalls.NextCorrelationId());
        request.Completion = completion;
        if (request.MayRunOnCallerThread && Dispatcher.TryRunOnCallerThread(target.GrainId, request))
        {
            // Most such calls are answered before this line and never touch the pending-call table; one
            // still running (its method awaits) is tracked from here for its deadline and cancellation.
            if (!completion.IsCompleted)
            {
                Track(completion, request.CancellationToken);
            }

            return completion;
        }

        Track(completion, request.CancellationToken);
        Dispatcher.Dispatch(target.GrainId, request);
        return completion;
    }

    private void Track<TResult>(ResponseCompletion<TResult> completion, CancellationToken cancellationToken)
    {
        // The deadline starts here, not when the call was made: a call that first ran on the caller's
        // thread gets the time that part took on top (a clock read per call saved for the many that
        // finish there).
        completion.BeginTracking(_pendingCalls.ComputeDeadline());
        _pendingCalls.Add(completion);

        // Completed between the check and the add: its own removal already ran, so take the entry out again.
        if (completion.IsCompleted)
        {
            _pendingCalls.Remove(completion.CorrelationId);
            return;
        }

        completion.RegisterCancellation(cancellationToken);
    }
}
