using Microsoft.Extensions.Logging;

namespace Pulse.Runtime.Membership;

/// <summary>Log messages of the membership agent, source-generated. Event ids 8000-8099.</summary>
internal static partial class MembershipLog
{
    [LoggerMessage(EventId = 8000, Level = LogLevel.Information, Message = "Membership agent of silo {Silo} starting with options: {Options}")]
    public static partial void OptionsInEffect(ILogger logger, SiloAddress silo, string options);

    [LoggerMessage(EventId = 8001, Level = LogLevel.Information, Message = "Silo {Silo} joining the cluster")]
    public static partial void Joining(ILogger logger, SiloAddress silo);

    [LoggerMessage(EventId = 8002, Level = LogLevel.Information, Message = "Silo {Silo} is Active; view {View}")]
    public static partial void Joined(ILogger logger, SiloAddress silo, ClusterMembershipView view);

    [LoggerMessage(EventId = 8003, Level = LogLevel.Information, Message = "Silo {Silo} declared its previous incarnation {Previous} Dead")]
    public static partial void PreviousIncarnationDeclaredDead(ILogger logger, SiloAddress silo, SiloAddress previous);

    [LoggerMessage(EventId = 8004, Level = LogLevel.Warning, Message = "Silo {Silo} declared {Target} Dead while joining: it did not answer and was last alive at {IAmAliveTime}")]
    public static partial void StaleSiloDeclaredDead(ILogger logger, SiloAddress silo, SiloAddress target, DateTimeOffset iAmAliveTime);

    [LoggerMessage(EventId = 8005, Level = LogLevel.Warning, Message = "Silo {Silo} could not reach {Target} while joining, but it was alive at {IAmAliveTime}; the failure detector will decide")]
    public static partial void UnreachableSiloNotStale(ILogger logger, SiloAddress silo, SiloAddress target, DateTimeOffset iAmAliveTime);

    [LoggerMessage(EventId = 8006, Level = LogLevel.Information, Message = "Silo {Silo} missed probe {Misses} in a row to {Target}")]
    public static partial void ProbeMissed(ILogger logger, SiloAddress silo, SiloAddress target, int misses);

    [LoggerMessage(EventId = 8007, Level = LogLevel.Information, Message = "Silo {Silo} reached {Target} again after {Misses} missed probes")]
    public static partial void ProbeRecovered(ILogger logger, SiloAddress silo, SiloAddress target, int misses);

    [LoggerMessage(EventId = 8008, Level = LogLevel.Warning, Message = "Silo {Silo} suspects {Target}: {Votes} fresh votes of {Required} needed")]
    public static partial void Suspected(ILogger logger, SiloAddress silo, SiloAddress target, int votes, int required);

    [LoggerMessage(EventId = 8009, Level = LogLevel.Warning, Message = "Silo {Silo} declared {Target} Dead with {Votes} fresh votes")]
    public static partial void DeclaredDead(ILogger logger, SiloAddress silo, SiloAddress target, int votes);

    [LoggerMessage(EventId = 8010, Level = LogLevel.Debug, Message = "Silo {Silo}: table changed under {Operation} (conflict {Conflicts}); reading again")]
    public static partial void TableConflict(ILogger logger, SiloAddress silo, string operation, int conflicts);

    [LoggerMessage(EventId = 8011, Level = LogLevel.Warning, Message = "Silo {Silo} gave up {Operation} after {Conflicts} write conflicts")]
    public static partial void TableConflictsExhausted(ILogger logger, SiloAddress silo, string operation, int conflicts);

    [LoggerMessage(EventId = 8012, Level = LogLevel.Warning, Message = "Silo {Silo}: membership {Loop} failed; keeping the last view and trying again next period")]
    public static partial void LoopFailed(ILogger logger, SiloAddress silo, string loop, Exception exception);

    [LoggerMessage(EventId = 8013, Level = LogLevel.Information, Message = "Silo {Silo}: membership view {View}")]
    public static partial void ViewChanged(ILogger logger, SiloAddress silo, ClusterMembershipView view);

    [LoggerMessage(EventId = 8014, Level = LogLevel.Error, Message = "Silo {Silo}: a ViewChanged handler failed for view version {Version}")]
    public static partial void ViewChangedHandlerFailed(ILogger logger, SiloAddress silo, int version, Exception exception);

    [LoggerMessage(EventId = 8015, Level = LogLevel.Warning, Message = "Silo {Silo}: membership gossip failed; others will see the change at their next table read")]
    public static partial void GossipFailed(ILogger logger, SiloAddress silo, Exception exception);

    [LoggerMessage(EventId = 8016, Level = LogLevel.Critical, Message = "Silo {Silo} is no longer a member ({Reason}); terminating")]
    public static partial void SelfDeclaredDead(ILogger logger, SiloAddress silo, string reason);

    [LoggerMessage(EventId = 8017, Level = LogLevel.Error, Message = "Silo {Silo}: the silo terminator failed")]
    public static partial void TerminatorFailed(ILogger logger, SiloAddress silo, Exception exception);

    [LoggerMessage(EventId = 8018, Level = LogLevel.Information, Message = "Silo {Silo} is ShuttingDown")]
    public static partial void ShuttingDown(ILogger logger, SiloAddress silo);

    [LoggerMessage(EventId = 8019, Level = LogLevel.Information, Message = "Silo {Silo} left the cluster (Dead)")]
    public static partial void Left(ILogger logger, SiloAddress silo);

    [LoggerMessage(EventId = 8020, Level = LogLevel.Information, Message = "Membership agent of silo {Silo} stopped without writing to the table")]
    public static partial void Stopped(ILogger logger, SiloAddress silo);

    [LoggerMessage(EventId = 8021, Level = LogLevel.Information, Message = "Silo {Silo} deleted {Count} Dead rows last alive before {BeforeDate}")]
    public static partial void DefunctRowsCleaned(ILogger logger, SiloAddress silo, int count, DateTimeOffset beforeDate);

    [LoggerMessage(EventId = 8022, Level = LogLevel.Warning, Message = "Silo {Silo}: the prober threw for {Target}; counted as a missed probe")]
    public static partial void ProbeFailed(ILogger logger, SiloAddress silo, SiloAddress target, Exception exception);

    [LoggerMessage(EventId = 8023, Level = LogLevel.Warning, Message = "Silo {Silo}: reading the table after a change failed; the next refresh will publish it")]
    public static partial void ReadAfterChangeFailed(ILogger logger, SiloAddress silo, Exception exception);
}
