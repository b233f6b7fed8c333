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
    private readonly IPendingCall? _caller;
    private readonly GrainId _target;
    private readonly int _attempt;
    private int _finished;

    // caller: the local caller's completion when this call took over its table entry (same correlation
    // id); null when this call has an entry of its own.
    public RemoteCall(
        MessageRouter router, GrainRequest<TResult> request, IResponseCompletion<TResult> completion, IPendingCall? caller, GrainId target, int attempt, long correlationId, long deadline)
    {
        _router = router;
        _request = request;
        _completion = completion;
        _caller = caller;
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
                HandBackToCaller();
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
            HandBackToCaller();
            _router.Retry(_request, _completion, _target, _attempt, error.Message, unreachable: SentTo);
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

        // An entry taken over from the caller is removed by the caller's completion when it completes,
        // which every outcome but a retry leads to.
        if (_caller is null)
        {
            _router.PendingCalls.Remove(CorrelationId);
        }

        return true;
    }

    /// <summary>
    /// Before a retry: gives the table entry back to the caller's completion, so its deadline keeps
    /// running while the request waits to be routed again. Fails (harmlessly) when the caller's
    /// call already ended and removed the entry.
    /// </summary>
    private void HandBackToCaller()
    {
        if (_caller is not null)
        {
            _router.PendingCalls.TryReplace(CorrelationId, this, _caller);
        }
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

/// <summary>
/// Answers a request that came from another node, on the connection it came from, at most once.
/// The request message is turned into its own response instead of allocating another: once the
/// request is parsed nothing reads it but this responder, and the guard ensures that a second
/// completion can neither send a second answer nor change a message the write loop is serializing.
/// </summary>
internal sealed class RemoteResponder<TResult>(IReplyChannel channel, Message request) : IResponseCompletion<TResult>
{
    private int _answered;

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

        Answer(ResponseStatus.Ok, body);
    }

    public void SetException(Exception exception)
    {
        if (Volatile.Read(ref _answered) == 0)
        {
            Answer(ResponseStatus.Exception, ResponseBody.SerializeException(exception));
        }
    }

    private void Answer(ResponseStatus status, byte[] body)
    {
        if (Interlocked.Exchange(ref _answered, 1) == 0)
        {
            channel.Reply(ToResponse(request, status, body));
        }
    }

    /// <summary>Turns <paramref name="request"/> into what <see cref="Message.CreateResponse"/> would return for it.</summary>
    internal static Message ToResponse(Message request, ResponseStatus status, ReadOnlyMemory<byte> body)
    {
        request.Kind = MessageKind.Response;
        request.Flags = MessageFlags.None;
        request.SendingGrain = default;
        request.Target = default;
        request.InterfaceType = default;
        request.MethodId = 0;
        request.TimeToLiveMilliseconds = 0;
        request.ForwardCount = 0;
        request.Status = status;
        request.Body = body;
        return request;
    }
}

/// <summary>
/// Attaches a <see cref="RemoteResponder{TResult}"/> of the request's result type. A stateless
/// visitor rather than a per-request factory: the visit hands over the typed request, so only the
/// responder itself is allocated.
/// </summary>
internal sealed class RemoteResponderAttacher : IGrainRequestVisitor<bool, RemoteResponderAttacher.ReplyTo>
{
    public static readonly RemoteResponderAttacher Instance = new();

    private RemoteResponderAttacher()
    {
    }

    public bool Visit<TResult>(GrainRequest<TResult> request, ReplyTo state)
    {
        request.Completion = new RemoteResponder<TResult>(state.Channel, state.Request);
        return true;
    }

    /// <summary>Where the answer to a request goes.</summary>
    internal readonly record struct ReplyTo(IReplyChannel Channel, Message Request);
}
