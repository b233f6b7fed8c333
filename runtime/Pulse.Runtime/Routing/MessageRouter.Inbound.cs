using Pulse.Runtime.Invocation;
using Pulse.Runtime.Membership;
using Pulse.Runtime.Messaging;
using Pulse.Runtime.Serialization;

namespace Pulse.Runtime.Routing;

internal sealed partial class MessageRouter
{
    /// <summary>Handles a message from another node. Runs on the connection's read loop: never blocks.</summary>
    public void OnMessage(Message message, IReplyChannel origin)
    {
        switch (message.Kind)
        {
            case MessageKind.Request:
            case MessageKind.OneWay:
                OnRequest(message, origin);
                break;
            case MessageKind.BundleRequest:
                OnBundle(message, origin);
                break;
            case MessageKind.Response:
                if (PendingCalls.TryGet(message.CorrelationId, out IPendingCall pending) && pending is IRemotePendingCall remote)
                {
                    remote.OnResponse(message);
                }

                break;
            case MessageKind.Ping:
                origin.Reply(new Message { Kind = MessageKind.Pong, CorrelationId = message.CorrelationId });
                break;
            case MessageKind.Pong:
                Pongs?.Invoke(message.CorrelationId);
                break;
            case MessageKind.MembershipChanged:
                _ = RefreshQuietlyAsync();
                break;
            case MessageKind.Cancel:
                // Remote cancellation is not forwarded yet: the callee finishes and its answer is dropped by the caller.
                break;
        }
    }

    /// <summary>Raised with the correlation id of every Pong (the prober matches them).</summary>
    public event Action<long>? Pongs;

    /// <summary>When the last request arrived from another node (<see cref="Environment.TickCount64"/>).</summary>
    public long LastInboundRequestTicks => Volatile.Read(ref _lastInboundRequestTicks);

    private long _lastInboundRequestTicks;

    private void OnRequest(Message message, IReplyChannel origin)
    {
        Volatile.Write(ref _lastInboundRequestTicks, Environment.TickCount64);
        if (_placement.TryGetOwner(message.Target, out SiloAddress owner) && owner != LocalSilo)
        {
            Forward(message, origin, owner);
            return;
        }

        if (_catalog is null || _catalog.IsStopping)
        {
            // Nothing ran: the sender may safely route again once its view no longer names this silo.
            Answer(message, origin, ResponseStatus.Retry);
            return;
        }

        if (CreateRequestOrAnswer(message, origin, out _) is not { } request)
        {
            return;
        }

        try
        {
            RequestBody.Read(message.Body, request, GrainFactory);
        }
        catch (Exception exception)
        {
            AnswerException(message, origin, exception);
            return;
        }

        if (message.Kind == MessageKind.Request)
        {
            request.Accept(RemoteResponderAttacher.Instance, new RemoteResponderAttacher.ReplyTo(origin, message));
        }

        _catalog.Dispatch(message.Target, request);
    }

    /// <summary>Bundles received from other nodes; for tests and diagnostics.</summary>
    public long BundlesReceived => Volatile.Read(ref _bundlesReceived);

    private long _bundlesReceived;

    /// <summary>Requests this silo forwarded to the owner in its view; for tests and diagnostics.</summary>
    public long RequestsForwarded => Volatile.Read(ref _requestsForwarded);

    private long _requestsForwarded;

    /// <summary>
    /// Runs each call of a bundle as a request of its own. A call whose grain this silo does not own is
    /// not forwarded: it is answered Retry and its sender routes that call again alone.
    /// </summary>
    private void OnBundle(Message message, IReplyChannel origin)
    {
        Volatile.Write(ref _lastInboundRequestTicks, Environment.TickCount64);
        Interlocked.Increment(ref _bundlesReceived);
        if (_catalog is null || _catalog.IsStopping)
        {
            Answer(message, origin, ResponseStatus.Retry);
            return;
        }

        // The request made to learn the method exists serves the first call that runs here.
        if (CreateRequestOrAnswer(message, origin, out GrainInterfaceDescriptor descriptor) is not { } spare)
        {
            return;
        }

        var reader = new PulseReader(message.Body);
        int count;
        try
        {
            count = BundleBody.ReadCount(reader);
        }
        catch (PulseSerializationException exception)
        {
            AnswerException(message, origin, exception);
            return;
        }

        // Read first: once every call is answered the message has become the response.
        var timeToLive = TimeSpan.FromMilliseconds(message.TimeToLiveMilliseconds);
        var bundle = new InboundBundle(origin, message, count, BundleResponseChunkBytes);
        for (int i = 0; i < count; i++)
        {
            GrainId target;
            ReadOnlyMemory<byte> arguments;
            try
            {
                target = BundleBody.ReadCall(reader, out arguments);
            }
            catch (Exception exception)
            {
                // Where the next call starts is unknown: this one and the rest fail.
                for (int j = i; j < count; j++)
                {
                    bundle.Fail(j, exception);
                }

                return;
            }

            if (_placement.TryGetOwner(target, out SiloAddress owner) && owner != LocalSilo)
            {
                bundle.NotOwned(i);
                continue;
            }

            GrainRequest request = spare ?? descriptor.CreateRequest(message.MethodId)!;
            spare = null;
            try
            {
                RequestBody.Read(arguments, request, GrainFactory);
            }
            catch (Exception exception)
            {
                bundle.Fail(i, exception);
                continue;
            }

            bundle.Attach(request, i);
            try
            {
                _catalog.Dispatch(target, request);
            }
            catch (Exception exception)
            {
                // A bug, not the peer's fault; through the request's own completion, which answers at most once.
                request.Fail(exception);
            }
        }

        bundle.AnswerFinishedEarly(timeToLive, PendingCalls.TimeProvider);
    }

    /// <summary>A new request of the message's method; null, with the sender answered, when this silo does not know the method.</summary>
    private static GrainRequest? CreateRequestOrAnswer(Message message, IReplyChannel origin, out GrainInterfaceDescriptor descriptor)
    {
        if (GeneratedCodeRegistry.TryGetGrainInterface(message.InterfaceType, out descriptor)
            && descriptor.CreateRequest(message.MethodId) is { } request)
        {
            return request;
        }

        AnswerException(message, origin, new GrainTypeNotFoundException(
            $"This silo does not know method {message.MethodId} of grain type '{message.InterfaceType}' (different versions of the grain interface?)."));
        return null;
    }

    private void Forward(Message message, IReplyChannel origin, SiloAddress owner)
    {
        if (message.ForwardCount >= MaxForwardCount)
        {
            Answer(message, origin, ResponseStatus.Retry);
            return;
        }

        long correlationId = PendingCalls.NextCorrelationId();
        var forwarded = new Message
        {
            Kind = message.Kind,
            Flags = message.Flags,
            CorrelationId = correlationId,
            Target = message.Target,
            InterfaceType = message.InterfaceType,
            MethodId = message.MethodId,
            SendingGrain = message.SendingGrain,
            TimeToLiveMilliseconds = message.TimeToLiveMilliseconds,
            ForwardCount = (byte)(message.ForwardCount + 1),
            Body = message.Body,
        };
        ForwardedCall? call = null;
        if (message.Kind == MessageKind.Request)
        {
            call = new ForwardedCall(this, message, origin, correlationId, PendingCalls.ComputeDeadline()) { SentTo = owner };
            PendingCalls.Add(call);
        }

        Interlocked.Increment(ref _requestsForwarded);
        RoutingLog.Forwarding(_logger, message.Target, owner, forwarded.ForwardCount);
        _ = SendAsync(owner, forwarded, call);
    }

    private static void Answer(Message message, IReplyChannel origin, ResponseStatus status)
    {
        if (message.ExpectsResponse)
        {
            origin.Reply(message.CreateResponse(status, ReadOnlyMemory<byte>.Empty));
        }
    }

    private static void AnswerException(Message message, IReplyChannel origin, Exception exception)
    {
        if (message.ExpectsResponse)
        {
            origin.Reply(message.CreateResponse(ResponseStatus.Exception, ResponseBody.SerializeException(exception)));
        }
    }

    private async Task RefreshQuietlyAsync()
    {
        try
        {
            await _membership.RefreshAsync(CancellationToken.None).ConfigureAwait(false);
        }
        catch (Exception exception)
        {
            RoutingLog.RefreshFailed(_logger, exception);
        }
    }
}
