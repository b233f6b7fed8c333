using Pulse.Runtime.Invocation;
using Pulse.Runtime.Membership;
using Pulse.Runtime.Messaging;

namespace Pulse.Runtime.Routing;

/// <summary>A pending call that went to another node and waits for a <see cref="MessageKind.Response"/>.</summary>
internal interface IRemotePendingCall : IPendingCall
{
    /// <summary>The silo the request was last sent to (default while not sent).</summary>
    SiloAddress SentTo { get; }

    /// <summary>Handles the response with this call's correlation id.</summary>
    void OnResponse(Message response);

    /// <summary>
    /// The request could not be handed over (<paramref name="delivered"/> false: safe to send again) or
    /// the connection died after it was sent (true: it may have run; only idempotent calls are retried).
    /// </summary>
    void OnDeliveryFailed(Exception error, bool delivered);
}

/// <summary>Sends a message back on the connection a request arrived on.</summary>
internal interface IReplyChannel
{
    /// <summary>Sends best-effort; a closed channel drops the message (the caller times out or retries).</summary>
    void Reply(Message message);
}

/// <summary>Sends messages to other silos (implemented over the TCP transport).</summary>
internal interface IClusterTransport
{
    /// <summary>
    /// Hands <paramref name="message"/> to an open connection to <paramref name="target"/>. Throws
    /// <see cref="PulseException"/> subtypes when no connection can be had: nothing was sent then.
    /// </summary>
    ValueTask SendAsync(SiloAddress target, Message message, CancellationToken cancellationToken);
}

/// <summary>Where requests go: the local catalog, or the owning silo.</summary>
internal interface IGrainRequestDispatcher
{
    /// <summary>Routes a request whose completion (if any) is attached.</summary>
    void Dispatch(GrainId grainId, GrainRequest request);

    /// <summary>
    /// Runs a request on the caller's thread when its grain is active on this silo and idle; false
    /// (nothing done) otherwise, and the caller registers the call and dispatches it.
    /// </summary>
    bool TryRunOnCallerThread(GrainId grainId, GrainRequest request);
}

/// <summary>A dispatcher that can send calls to other silos in bundles (see <see cref="GrainCallBundle"/>).</summary>
internal interface IGrainCallBundler
{
    /// <summary>
    /// Adds the call to <paramref name="bundle"/> when its grain is on another silo; false (nothing done)
    /// when it is local or has no owner, and the caller sends it as usual.
    /// </summary>
    bool TryBundle<TResult>(GrainId grainId, GrainRequest<TResult> request, GrainCallBundleScope bundle, out ValueTask<TResult> call);
}
