using Pulse.Runtime.Catalog;

namespace Pulse.Runtime.Invocation;

/// <summary>
/// Sends grain calls to activations in this silo. Arguments are deep-copied before the request is
/// queued and results before they reach the caller, so the two sides never share mutable objects
/// even though nothing is serialized.
/// </summary>
internal sealed class LocalGrainCallInvoker : IGrainCallInvoker
{
    private readonly ActivationCatalog _catalog;
    private readonly PendingCallTable _pendingCalls;

    public LocalGrainCallInvoker(ActivationCatalog catalog, PendingCallTable pendingCalls, IGrainFactory grainFactory)
    {
        _catalog = catalog;
        _pendingCalls = pendingCalls;
        GrainFactory = grainFactory;
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
        _catalog.Dispatch(target.GrainId, request);
    }

    private ResponseCompletion<TResult>? Send<TResult>(GrainReference target, GrainRequest<TResult> request)
    {
        if (request.CancellationToken.IsCancellationRequested)
        {
            return null;
        }

        request.CopyArguments();
        var completion = new ResponseCompletion<TResult>(
            _pendingCalls, request, target.GrainId, _pendingCalls.NextCorrelationId(), _pendingCalls.ComputeDeadline());
        request.Completion = completion;
        _pendingCalls.Add(completion);
        completion.RegisterCancellation(request.CancellationToken);
        _catalog.Dispatch(target.GrainId, request);
        return completion;
    }
}
