using Microsoft.Extensions.Logging;

namespace Pulse.Runtime;

/// <summary>
/// Every runtime log message, source-generated. Event ids are stable and grouped by subsystem:
/// 1000s hosting, 2000s catalog and activations, 3000s calls, 4000s timers, 5000s persistence.
/// </summary>
internal static partial class RuntimeLog
{
    [LoggerMessage(EventId = 1000, Level = LogLevel.Information, Message = "Silo starting: service {ServiceId}, cluster {ClusterId}, {GrainTypeCount} grain types")]
    public static partial void SiloStarting(ILogger logger, string serviceId, string clusterId, int grainTypeCount);

    [LoggerMessage(EventId = 1001, Level = LogLevel.Information, Message = "Silo started in {ElapsedMs} ms")]
    public static partial void SiloStarted(ILogger logger, long elapsedMs);

    [LoggerMessage(EventId = 1002, Level = LogLevel.Information, Message = "Silo stopping")]
    public static partial void SiloStopping(ILogger logger);

    [LoggerMessage(EventId = 1003, Level = LogLevel.Information, Message = "Silo stopped in {ElapsedMs} ms")]
    public static partial void SiloStopped(ILogger logger, long elapsedMs);

    [LoggerMessage(EventId = 1004, Level = LogLevel.Information, Message = "Initialized storage {StorageName}")]
    public static partial void StorageInitialized(ILogger logger, string storageName);

    [LoggerMessage(EventId = 1005, Level = LogLevel.Information, Message = "Options in effect: {Options}")]
    public static partial void OptionsInEffect(ILogger logger, string options);

    [LoggerMessage(EventId = 1006, Level = LogLevel.Information, Message = "Hosting grain type {GrainType} with class {GrainClass}")]
    public static partial void HostingGrainType(ILogger logger, string grainType, string grainClass);

    [LoggerMessage(EventId = 1007, Level = LogLevel.Warning, Message = "Deactivating all activations did not finish before shutdown was cancelled")]
    public static partial void ShutdownDeactivationIncomplete(ILogger logger, Exception exception);

    [LoggerMessage(EventId = 2000, Level = LogLevel.Debug, Message = "Activated grain {GrainId} ({GrainClass})")]
    public static partial void Activated(ILogger logger, GrainId grainId, string grainClass);

    [LoggerMessage(EventId = 2001, Level = LogLevel.Warning, Message = "Activation of grain {GrainId} failed")]
    public static partial void ActivationFailed(ILogger logger, GrainId grainId, Exception exception);

    [LoggerMessage(EventId = 2002, Level = LogLevel.Debug, Message = "Deactivated grain {GrainId}: {Reason}")]
    public static partial void Deactivated(ILogger logger, GrainId grainId, DeactivationReasonCode reason);

    [LoggerMessage(EventId = 2003, Level = LogLevel.Warning, Message = "Deactivation of grain {GrainId} failed or timed out")]
    public static partial void DeactivationFailed(ILogger logger, GrainId grainId, Exception exception);

    [LoggerMessage(EventId = 2004, Level = LogLevel.Debug, Message = "Collecting {Count} idle activations")]
    public static partial void CollectingIdleActivations(ILogger logger, int count);

    [LoggerMessage(EventId = 2005, Level = LogLevel.Information, Message = "Deactivating {Count} activations for shutdown")]
    public static partial void DeactivatingAll(ILogger logger, int count);

    [LoggerMessage(EventId = 3000, Level = LogLevel.Error, Message = "Unhandled exception in a turn of grain {GrainId}")]
    public static partial void UnhandledTurnException(ILogger logger, GrainId grainId, Exception exception);

    [LoggerMessage(EventId = 4000, Level = LogLevel.Warning, Message = "Timer callback of grain {GrainId} failed")]
    public static partial void TimerCallbackFailed(ILogger logger, GrainId grainId, Exception exception);

    [LoggerMessage(EventId = 5000, Level = LogLevel.Debug, Message = "Wrote changed state {StateName} of grain {GrainId} on deactivation")]
    public static partial void StateWrittenOnDeactivation(ILogger logger, GrainId grainId, string stateName);

    [LoggerMessage(EventId = 5001, Level = LogLevel.Warning, Message = "Writing state {StateName} of grain {GrainId} on deactivation failed; the stored state was left as it is")]
    public static partial void StateWriteOnDeactivationFailed(ILogger logger, GrainId grainId, string stateName, Exception exception);
}
