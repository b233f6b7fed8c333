using Microsoft.Extensions.Logging;
using Pulse.Runtime.Membership;

namespace Pulse.Runtime.Routing;

/// <summary>Routing log messages (event ids 9000-9099).</summary>
internal static partial class RoutingLog
{
    [LoggerMessage(EventId = 9000, Level = LogLevel.Debug, Message = "Routing {Method} on grain {GrainId} again (attempt {Attempt}): {Reason}")]
    public static partial void Retrying(ILogger logger, string method, GrainId grainId, int attempt, string reason);

    [LoggerMessage(EventId = 9001, Level = LogLevel.Warning, Message = "Refreshing the membership view failed")]
    public static partial void RefreshFailed(ILogger logger, Exception exception);

    [LoggerMessage(EventId = 9002, Level = LogLevel.Debug, Message = "Sending to silo {Silo} failed: {Reason}")]
    public static partial void SendFailed(ILogger logger, SiloAddress silo, string reason);

    [LoggerMessage(EventId = 9003, Level = LogLevel.Debug, Message = "Forwarding a request for grain {GrainId} to its owner {Owner} (hop {ForwardCount})")]
    public static partial void Forwarding(ILogger logger, GrainId grainId, SiloAddress owner, int forwardCount);

    [LoggerMessage(EventId = 9004, Level = LogLevel.Information, Message = "Deactivating {Count} activations this silo no longer owns (view {Version})")]
    public static partial void HandingOffActivations(ILogger logger, int count, int version);
}
