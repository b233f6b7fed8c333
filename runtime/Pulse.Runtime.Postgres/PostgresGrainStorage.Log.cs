using Microsoft.Extensions.Logging;

namespace Pulse.Runtime.Postgres;

public sealed partial class PostgresGrainStorage
{
    /// <summary>Log messages of <see cref="PostgresGrainStorage"/>; event ids 4200-4299. Payloads and passwords are never logged.</summary>
    private static partial class Log
    {
        [LoggerMessage(EventId = 4200, Level = LogLevel.Information, Message = "Grain storage {Provider} ready: {Host}:{Port} database {Database} user {Username}, schema {Schema}, command timeout {CommandTimeout}, service {ServiceId}, schema version {SchemaVersion}")]
        public static partial void Initialized(ILogger logger, string provider, string? host, int port, string? database, string? username, string schema, TimeSpan commandTimeout, string serviceId, int schemaVersion);

        [LoggerMessage(EventId = 4201, Level = LogLevel.Information, Message = "Grain storage {Provider} migrated schema {Schema} from version {FromVersion} to {ToVersion}")]
        public static partial void SchemaMigrated(ILogger logger, string provider, string schema, int fromVersion, int toVersion);

        [LoggerMessage(EventId = 4202, Level = LogLevel.Warning, Message = "Grain storage {Provider} found schema {Schema} at version {StoredVersion}, newer than the {KnownVersion} this silo knows; a newer silo migrated it, continuing")]
        public static partial void SchemaNewerThanKnown(ILogger logger, string provider, string schema, int storedVersion, int knownVersion);

        [LoggerMessage(EventId = 4203, Level = LogLevel.Debug, Message = "Grain storage {Provider} refused to {Operation} state {StateName} of grain {GrainId}: stored ETag {StoredEtag}, writer's ETag {CurrentEtag}")]
        public static partial void EtagConflict(ILogger logger, string provider, string operation, string stateName, GrainId grainId, string? storedEtag, string? currentEtag);
    }
}
