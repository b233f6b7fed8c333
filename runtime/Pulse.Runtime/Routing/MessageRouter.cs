using Microsoft.Extensions.Logging;
using Pulse.Runtime.Catalog;
using Pulse.Runtime.Invocation;
using Pulse.Runtime.Membership;
using Pulse.Runtime.Messaging;
using Pulse.Runtime.Placement;

namespace Pulse.Runtime.Routing;

/// <summary>
/// Routes grain requests in a cluster: to the local catalog when this silo owns the grain on the
/// ring, otherwise straight to the owner (one hop). Requests that arrive for a grain this silo does
/// not own (the sender's view was stale) are forwarded at most <see cref="MaxForwardCount"/> times and
/// then answered with Retry, so the sender refreshes its view and routes again.
/// </summary>
internal sealed partial class MessageRouter : IGrainRequestDispatcher, IGrainCallBundler, IGrainRequestVisitor<bool, MessageRouter.RouteState>
{
    /// <summary>How often a message may be forwarded between silos before the sender is told to retry.</summary>
    public const int MaxForwardCount = 2;

    /// <summary>How often one call is routed again (after Retry or an undelivered send) before it fails.</summary>
    public const int MaxRoutingAttempts = 4;

    private readonly ActivationCatalog? _catalog;
    private readonly PlacementService _placement;
    private readonly IClusterTransport _transport;
    private readonly IClusterMembershipService _membership;
    private readonly ILogger _logger;

    public MessageRouter(
        SiloAddress localSilo,
        ActivationCatalog? catalog,
        PlacementService placement,
        PendingCallTable pendingCalls,
        IClusterTransport transport,
        IClusterMembershipService membership,
        IGrainFactory grainFactory,
        ILogger logger)
    {
        LocalSilo = localSilo;
        _catalog = catalog;
        _placement = placement;
        PendingCalls = pendingCalls;
        _transport = transport;
        _membership = membership;
        GrainFactory = grainFactory;
        _logger = logger;
    }

    /// <summary>This node's silo address; default for a client that hosts no grains.</summary>
    public SiloAddress LocalSilo { get; }

    public PendingCallTable PendingCalls { get; }

    public IGrainFactory GrainFactory { get; }

    /// <summary>
    /// The largest frame this node's connections write (<see cref="Configuration.NetworkingOptions.MaxFrameBytes"/>):
    /// bundles stay well under it, a request at half and each response at a quarter.
    /// </summary>
    public int MaxFrameBytes { get; set; } = MessageSerializer.DefaultMaxFrameBytes;

    /// <summary>Largest request body a bundle is sent with; beyond it, its calls go one message each.</summary>
    internal int MaxBundleRequestBytes => Math.Min(BundleBody.MaxRequestBytes, MaxFrameBytes / 2);

    /// <summary>About how many bytes of outcomes one response to a bundle holds.</summary>
    internal int BundleResponseChunkBytes => Math.Min(BundleBody.ResponseChunkBytes, MaxFrameBytes / 4);

    /// <inheritdoc />
    public void Dispatch(GrainId grainId, GrainRequest request) => Route(grainId, request, attempt: 0);

    /// <inheritdoc />
    public bool TryRunOnCallerThread(GrainId grainId, GrainRequest request) =>
        _catalog is not null
        && _placement.TryGetOwner(grainId, out SiloAddress owner) && owner == LocalSilo
        && _catalog.TryRunOnCallerThread(grainId, request);

    /// <inheritdoc />
    public bool TryBundle<TResult>(GrainId grainId, GrainRequest<TResult> request, GrainCallBundleScope bundle, out ValueTask<TResult> call)
    {
        if (!_placement.TryGetOwner(grainId, out SiloAddress owner) || owner == LocalSilo)
        {
            call = default;
            return false;
        }

        if (bundle.FindOpenPart(this, owner, request.Method) is OutboundBundle<TResult> open && open.TryAdd(grainId, request, out call))
        {
            return true;
        }

        var part = new OutboundBundle<TResult>(this, owner, request.Method);
        bundle.AddPart(part);
        return part.TryAdd(grainId, request, out call);
    }

    /// <summary>Sends a bundle; a failure to hand it over reaches <paramref name="bundle"/>.</summary>
    internal void SendBundle(SiloAddress target, Message message, IRemotePendingCall bundle) => _ = SendAsync(target, message, bundle);

    /// <summary>Routes a request whose completion is attached and tracked, as a first attempt.</summary>
    internal void RouteAlone(GrainId grainId, GrainRequest request) => Route(grainId, request, attempt: 0);

    /// <summary>
    /// Routes requests (completions attached and tracked) that did not reach their owners in a bundle,
    /// each on its own, as <see cref="Retry{TResult}"/> does for one: one loop of refreshes for the group,
    /// where calls retried one by one would poll the membership each.
    /// </summary>
    internal void RetryMany(List<(GrainId Target, GrainRequest Request)> calls, string reason, SiloAddress unreachable)
    {
        RoutingLog.Retrying(_logger, calls[0].Request.Method.FullName, calls[0].Target, 1, reason);
        _ = RetryAfterRefreshAsync(calls, attempt: 1, unreachable, reason);
    }

    /// <summary>
    /// Routes a request that failed to reach its owner, after refreshing the membership view. When
    /// <paramref name="unreachable"/> names the silo that could not be reached, the retry waits until the
    /// view no longer gives the grain to that silo (a dead silo stays Active in every view until the
    /// failure detector declares it, a few seconds), and fails the call with
    /// <see cref="SiloUnavailableException"/> shortly before its deadline when that never happens.
    /// </summary>
    public void Retry<TResult>(GrainRequest<TResult> request, IResponseCompletion<TResult> completion, GrainId target, int attempt, string reason, SiloAddress unreachable = default)
    {
        if (attempt + 1 >= MaxRoutingAttempts)
        {
            completion.SetException(new SiloUnavailableException(
                $"{request.Method.FullName} on grain {target} could not reach the grain's silo after {MaxRoutingAttempts} attempts: {reason}"));
            return;
        }

        RoutingLog.Retrying(_logger, request.Method.FullName, target, attempt + 1, reason);
        _ = RetryAfterRefreshAsync([(target, request)], attempt + 1, unreachable, reason);
    }

    /// <summary>
    /// Refreshes the view, then routes each call the view no longer gives to <paramref name="unreachable"/>;
    /// the others wait for further refreshes until it does, or fail when their deadline comes close.
    /// </summary>
    private async Task RetryAfterRefreshAsync(List<(GrainId Target, GrainRequest Request)> calls, int attempt, SiloAddress unreachable, string reason)
    {
        // For requests whose completion is not a tracked call of this node (a remote caller's request that a
        // deactivating activation handed back), the response timeout from now.
        long fallbackDeadline = PendingCalls.ComputeDeadline();

        // Enough for the clear error to win over the pending-call sweeper's timeout, and a small share of
        // a short response timeout.
        TimeSpan giveUp = PendingCalls.ResponseTimeout / 10 < MaxGiveUpBeforeDeadline ? PendingCalls.ResponseTimeout / 10 : MaxGiveUpBeforeDeadline;
        while (true)
        {
            // A refresh that hangs (the table is part of the outage) must not outlast the give-up point.
            TimeSpan budget = WaitBudget(calls, fallbackDeadline, giveUp);
            if (budget > TimeSpan.Zero)
            {
                try
                {
                    await RefreshQuietlyAsync().WaitAsync(budget).ConfigureAwait(false);
                }
                catch (TimeoutException)
                {
                    // Decide on the view as it is; the refresh carries on in the background.
                }
            }

            List<(GrainId Target, GrainRequest Request)>? waiting = null;
            foreach ((GrainId target, GrainRequest request) in calls)
            {
                if (unreachable.IsDefault || !_placement.TryGetOwner(target, out SiloAddress owner) || owner != unreachable)
                {
                    Route(target, request, attempt);
                }
                else if (TimeLeft(request, fallbackDeadline) > giveUp)
                {
                    (waiting ??= []).Add((target, request));
                }
                else
                {
                    // Nothing declared the silo dead (when every silo died, nobody is left to): a clear
                    // error before the caller's deadline, not a bare timeout or one more doomed attempt.
                    request.Fail(new SiloUnavailableException(
                        $"{request.Method.FullName} on grain {target} could not reach silo {unreachable}, which owns the grain in this node's view " +
                        $"and is still Active in it: {reason}"));
                }
            }

            if (waiting is null)
            {
                return;
            }

            calls = waiting;
            TimeSpan pause = WaitBudget(calls, fallbackDeadline, giveUp);
            await Task.Delay(pause < RetryPollInterval ? pause : RetryPollInterval).ConfigureAwait(false);
        }
    }

    /// <summary>How long the earliest of <paramref name="calls"/> may still wait before it must give up; zero or less when it must now.</summary>
    private TimeSpan WaitBudget(List<(GrainId Target, GrainRequest Request)> calls, long fallbackDeadline, TimeSpan giveUp)
    {
        TimeSpan earliest = TimeSpan.MaxValue;
        foreach ((_, GrainRequest request) in calls)
        {
            TimeSpan left = TimeLeft(request, fallbackDeadline);
            earliest = left < earliest ? left : earliest;
        }

        TimeSpan budget = earliest - giveUp;
        return budget > TimeSpan.Zero ? budget : TimeSpan.Zero;
    }

    /// <summary>How long <paramref name="request"/>'s caller still waits for it.</summary>
    private TimeSpan TimeLeft(GrainRequest request, long fallbackDeadline)
    {
        long deadline = request.Accept(CallerDeadline.Instance, fallbackDeadline);
        long now = PendingCalls.TimeProvider.GetTimestamp();
        return deadline <= now ? TimeSpan.Zero : PendingCalls.TimeProvider.GetElapsedTime(now, deadline);
    }

    /// <summary>How often a retry waiting for a dead silo to leave the view looks again.</summary>
    private static readonly TimeSpan RetryPollInterval = TimeSpan.FromMilliseconds(200);

    /// <summary>
    /// At most how long before its deadline a call waiting for a silo to leave the view gives up (a tenth of
    /// the response timeout when that is shorter).
    /// </summary>
    private static readonly TimeSpan MaxGiveUpBeforeDeadline = TimeSpan.FromSeconds(1);

    private void Route(GrainId grainId, GrainRequest request, int attempt)
    {
        if (_placement.TryGetOwner(grainId, out SiloAddress owner) && owner != LocalSilo)
        {
            request.Accept(this, new RouteState(grainId, owner, attempt));
            return;
        }

        if (_catalog is null)
        {
            request.Fail(new SiloUnavailableException($"No silo is available for grain {grainId}: the cluster has no active silo in this node's view."));
            return;
        }

        _catalog.Dispatch(grainId, request);
    }

    /// <summary>Sends a typed request to its owner (the visitor gives the result type without reflection).</summary>
    bool IGrainRequestVisitor<bool, RouteState>.Visit<TResult>(GrainRequest<TResult> request, RouteState state)
    {
        Message message;
        RemoteCall<TResult>? call = null;

        // A local caller's completion is already in the table, with its deadline: the remote call takes
        // over that entry and its correlation id instead of registering (and later removing) a second one.
        IPendingCall? caller = request.Method.OneWay ? null : request.Completion as IPendingCall;
        long correlationId = caller?.CorrelationId ?? PendingCalls.NextCorrelationId();
        try
        {
            message = Message.CreateRequest(state.GrainId, request, correlationId, timeToLiveMilliseconds: (uint)PendingCalls.ResponseTimeout.TotalMilliseconds);
        }
        catch (Exception exception)
        {
            request.Fail(exception);
            return false;
        }

        if (!request.Method.OneWay && request.Completion is { } completion)
        {
            call = new RemoteCall<TResult>(
                this, request, completion, caller, state.GrainId, state.Attempt, correlationId, caller?.DeadlineTimestamp ?? PendingCalls.ComputeDeadline())
            {
                SentTo = state.Owner,
            };
            if (caller is null)
            {
                PendingCalls.Add(call);
            }
            else if (!PendingCalls.TryReplace(correlationId, caller, call))
            {
                // The caller's call already ended (cancelled or timed out): the request still goes out,
                // as it did when it had an entry of its own, but its answer will find nobody waiting.
                call = null;
            }
        }

        _ = SendAsync(state.Owner, message, call);
        return true;
    }

    private async Task SendAsync(SiloAddress target, Message message, IRemotePendingCall? call)
    {
        try
        {
            await _transport.SendAsync(target, message, CancellationToken.None).ConfigureAwait(false);
        }
        catch (Exception exception)
        {
            RoutingLog.SendFailed(_logger, target, exception.Message);
            call?.OnDeliveryFailed(exception, delivered: false);
        }
    }

    /// <summary>A silo's connection closed or the silo was declared dead: fail or re-route what was sent to it.</summary>
    public void OnSiloUnreachable(SiloAddress silo, Exception reason)
    {
        foreach (IRemotePendingCall call in PendingCalls.FindSentTo(silo))
        {
            call.OnDeliveryFailed(reason, delivered: true);
        }
    }

    /// <summary>The deadline of a request's caller (its completion's table entry), or the state passed in when it has none.</summary>
    private sealed class CallerDeadline : IGrainRequestVisitor<long, long>
    {
        public static readonly CallerDeadline Instance = new();

        public long Visit<TResult>(GrainRequest<TResult> request, long fallback) =>
            request.Completion is IPendingCall caller ? caller.DeadlineTimestamp : fallback;
    }

    /// <summary>Where a visited request goes.</summary>
    internal readonly record struct RouteState(GrainId GrainId, SiloAddress Owner, int Attempt);
}
