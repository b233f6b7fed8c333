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
        ResponseCompletion<TResult>? completion = Send(target, request, out ValueTask<TResult> answer);
        return completion is null ? answer : new ValueTask<TResult>(completion, completion.Version);
    }

    public ValueTask InvokeVoidAsync(GrainReference target, GrainRequest<NoResult> request)
    {
        ResponseCompletion<NoResult>? completion = Send(target, request, out ValueTask<NoResult> answer);
        if (completion is not null)
        {
            return new ValueTask(completion, completion.Version);
        }

        return answer.IsCompletedSuccessfully ? default : new ValueTask(answer.AsTask());
    }

    public void InvokeOneWay(GrainReference target, GrainRequest request)
    {
        request.CopyArguments();
        Dispatcher.Dispatch(target.GrainId, request);
    }

    /// <summary>Sends a call: returns the completion to await, or null with the answer already in <paramref name="answer"/>.</summary>
    private ResponseCompletion<TResult>? Send<TResult>(GrainReference target, GrainRequest<TResult> request, out ValueTask<TResult> answer)
    {
        if (request.CancellationToken.IsCancellationRequested)
        {
            answer = ValueTask.FromException<TResult>(new OperationCanceledException(request.CancellationToken));
            return null;
        }

        request.CopyArguments();
        request.MayRunOnCallerThread = RuntimeContext.Current is null;
        ResponseCompletion<TResult>? completion;
        if (request.MayRunOnCallerThread && TryRunOnCallerThread(target, request, out answer, out completion))
        {
            return completion;
        }

        // Void calls are not bundled: their ValueTask would wrap a task, and making that task sends the bundle.
        if (typeof(TResult) != typeof(NoResult)
            && request.Method.Bundleable
            && GrainCallBundleScope.Current is { } bundle
            && !request.CancellationToken.CanBeCanceled
            && Dispatcher is IGrainCallBundler bundler
            && bundler.TryBundle(target.GrainId, request, bundle, out answer))
        {
            return null;
        }

        completion = NewCompletion(target, request);
        request.Completion = completion;
        Track(completion, request.CancellationToken);
        Dispatcher.Dispatch(target.GrainId, request);
        answer = default;
        return completion;
    }

    /// <summary>
    /// Runs the call as a turn on this thread when its activation is here and idle; returns false when it
    /// did not run (the caller dispatches it). A call answered before its turn yields needs no completion
    /// (<paramref name="answer"/> holds the answer); one whose method awaited gets a tracked
    /// <paramref name="completion"/>, timed and cancellable like any other call.
    /// </summary>
    private bool TryRunOnCallerThread<TResult>(
        GrainReference target, GrainRequest<TResult> request, out ValueTask<TResult> answer, out ResponseCompletion<TResult>? completion)
    {
        CallerThreadOutcome<TResult> outcome = CallerThreadOutcome<TResult>.Rent();
        request.Completion = outcome;
        completion = null;
        if (!Dispatcher.TryRunOnCallerThread(target.GrainId, request))
        {
            request.Completion = null;
            outcome.Return();
            answer = default;
            return false;
        }

        if (!outcome.TryTake(out answer))
        {
            ResponseCompletion<TResult> pending = NewCompletion(target, request);
            if (outcome.TryHandOff(pending))
            {
                // The request keeps the outcome as its completion, which forwards to this one from now on.
                Track(pending, request.CancellationToken);
                completion = pending;
                return true;
            }

            outcome.TryTake(out answer);
        }

        // Nothing completes a finished request again; the instance serves this thread's next call.
        request.Completion = null;
        outcome.Return();
        return true;
    }

    private ResponseCompletion<TResult> NewCompletion<TResult>(GrainReference target, GrainRequest<TResult> request) =>
        new(_pendingCalls, request, target.GrainId, _pendingCalls.NextCorrelationId());

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
