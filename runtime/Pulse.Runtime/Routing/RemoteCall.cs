using Pulse.Runtime.Invocation;
using Pulse.Runtime.Membership;
using Pulse.Runtime.Messaging;

namespace Pulse.Runtime.Routing;

/// <summary>
/// One attempt to run a typed request on another silo. It completes the request's own completion
/// (the local caller's, or the responder of a request that came from elsewhere) exactly once, or
/// hands the request back to the router to try again when that is safe.
/// </summary>
internal sealed class RemoteCall<TResult> : IRemotePendingCall
{
    private readonly MessageRouter _router;
    private readonly GrainRequest<TResult> _request;
    private readonly IResponseCompletion<TResult> _completion;
    private readonly GrainId _target;
    private readonly int _attempt;
    private int _finished;

    public RemoteCall(MessageRouter router, GrainRequest<TResult> request, IResponseCompletion<TResult> completion, GrainId target, int attempt, long correlationId, long deadline)
    {
        _router = router;
        _request = request;
        _completion = completion;
        _target = target;
        _attempt = attempt;
        CorrelationId = correlationId;
        DeadlineTimestamp = deadline;
    }

    public long CorrelationId { get; }

    public long DeadlineTimestamp { get; }

    public SiloAddress SentTo { get; set; }

    public void OnResponse(Message response)
    {
        if (!TryFinish())
        {
            return;
        }

        switch (response.Status)
        {
            case ResponseStatus.Ok:
            case ResponseStatus.Exception:
                TResult value;
                try
                {
                    value = ResponseBody.ReadResult<TResult>(response, _router.GrainFactory);
                }
                catch (Exception exception)
                {
                    _completion.SetException(exception);
                    return;
                }

                _completion.SetResult(value);
                break;
            case ResponseStatus.Retry:
                // The receiver does not own the grain in its view and its forwarding budget ran out.
                _router.Retry(_request, _completion, _target, _attempt, "the receiving silo does not own the grain");
                break;
            default:
                _completion.SetException(ResponseBody.ReadFailure(response.Status, response.Body));
                break;
        }
    }

    public void OnDeliveryFailed(Exception error, bool delivered)
    {
        if (!TryFinish())
        {
            return;
        }

        if (!delivered || _request.Method.Idempotent)
        {
            _router.Retry(_request, _completion, _target, _attempt, error.Message);
            return;
        }

        _completion.SetException(new SiloUnavailableException(
            $"Silo {SentTo} failed while handling {_request.Method.FullName} on grain {_target}; the call may or may not have run. Mark the method [Idempotent] to let Pulse retry it.",
            error));
    }

    public void Timeout(TimeSpan timeout)
    {
        if (TryFinish())
        {
            _completion.SetException(new TimeoutException(
                $"Response did not arrive on time in {timeout} for {_request.Method.FullName} on grain {_target} (sent to {SentTo})."));
        }
    }

    private bool TryFinish()
    {
        if (Interlocked.Exchange(ref _finished, 1) != 0)
        {
            return false;
        }

        _router.PendingCalls.Remove(CorrelationId);
        return true;
    }
}

/// <summary>Relays a request that arrived for a grain this silo does not own to the owner, and the answer back.</summary>
internal sealed class ForwardedCall : IRemotePendingCall
{
    private readonly MessageRouter _router;
    private readonly Message _original;
    private readonly IReplyChannel _origin;
    private int _finished;

    public ForwardedCall(MessageRouter router, Message original, IReplyChannel origin, long correlationId, long deadline)
    {
        _router = router;
        _original = original;
        _origin = origin;
        CorrelationId = correlationId;
        DeadlineTimestamp = deadline;
    }

    public long CorrelationId { get; }

    public long DeadlineTimestamp { get; }

    public SiloAddress SentTo { get; set; }

    public void OnResponse(Message response)
    {
        if (TryFinish())
        {
            _origin.Reply(_original.CreateResponse(response.Status, response.Body));
        }
    }

    public void OnDeliveryFailed(Exception error, bool delivered)
    {
        if (TryFinish())
        {
            // Undelivered: the origin may safely route again. Delivered: it may have run, so say so.
            _origin.Reply(_original.CreateResponse(delivered ? ResponseStatus.Rejected : ResponseStatus.Retry, ReadOnlyMemory<byte>.Empty));
        }
    }

    public void Timeout(TimeSpan timeout)
    {
        if (TryFinish())
        {
            _origin.Reply(_original.CreateResponse(ResponseStatus.Timeout, ReadOnlyMemory<byte>.Empty));
        }
    }

    private bool TryFinish()
    {
        if (Interlocked.Exchange(ref _finished, 1) != 0)
        {
            return false;
        }

        _router.PendingCalls.Remove(CorrelationId);
        return true;
    }
}

/// <summary>Answers a request that came from another node, on the connection it came from.</summary>
internal sealed class RemoteResponder<TResult>(IReplyChannel channel, Message request) : IResponseCompletion<TResult>
{
    public void SetResult(TResult result)
    {
        byte[] body;
        try
        {
            body = ResponseBody.SerializeResult(result);
        }
        catch (Exception exception)
        {
            SetException(exception);
            return;
        }

        channel.Reply(request.CreateResponse(ResponseStatus.Ok, body));
    }

    public void SetException(Exception exception) =>
        channel.Reply(request.CreateResponse(ResponseStatus.Exception, ResponseBody.SerializeException(exception)));
}

/// <summary>Creates <see cref="RemoteResponder{TResult}"/> of the request's result type.</summary>
internal sealed class RemoteResponderFactory(IReplyChannel channel, Message request) : IResponseCompletionFactory
{
    public IResponseCompletion<TResult> Create<TResult>(GrainRequest<TResult> grainRequest) => new RemoteResponder<TResult>(channel, request);
}
