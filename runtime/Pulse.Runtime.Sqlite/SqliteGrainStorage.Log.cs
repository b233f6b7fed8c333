using Microsoft.Extensions.Logging;

namespace Pulse.Runtime.Sqlite;

public sealed partial class SqliteGrainStorage
{
    /// <summary>Log messages of <see cref="SqliteGrainStorage"/>; event ids 4100-4199. Payloads are never logged.</summary>
    private static partial class Log
    {
        [LoggerMessage(EventId = 4100, Level = LogLevel.Information, Message = "Grain storage {Provider} ready: data source {DataSource}, journal mode {JournalMode}, busy timeout {BusyTimeout}, service {ServiceId}, schema version {SchemaVersion}")]
        public static partial void Initialized(ILogger logger, string provider, string dataSource, string journalMode, TimeSpan busyTimeout, string serviceId, int schemaVersion);

        [LoggerMessage(EventId = 4101, Level = LogLevel.Information, Message = "Grain storage {Provider} migrated its schema from version {FromVersion} to {ToVersion}")]
        public static partial void SchemaMigrated(ILogger logger, string provider, int fromVersion, int toVersion);

        [LoggerMessage(EventId = 4102, Level = LogLevel.Warning, Message = "Grain storage {Provider} found schema version {StoredVersion}, newer than the {KnownVersion} this silo knows; a newer silo migrated it, continuing")]
        public static partial void SchemaNewerThanKnown(ILogger logger, string provider, int storedVersion, int knownVersion);

        [LoggerMessage(EventId = 4103, Level = LogLevel.Warning, Message = "Grain storage {Provider} could not switch to WAL journal mode (it is {JournalMode}); readers will block writers")]
        public static partial void NotWal(ILogger logger, string provider, string journalMode);

        [LoggerMessage(EventId = 4104, Level = LogLevel.Debug, Message = "Grain storage {Provider} refused to {Operation} state {StateName} of grain {GrainId}: stored ETag {StoredEtag}, writer's ETag {CurrentEtag}")]
        public static partial void EtagConflict(ILogger logger, string provider, string operation, string stateName, GrainId grainId, string? storedEtag, string? currentEtag);
    }
}
