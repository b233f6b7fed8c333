using Microsoft.Extensions.Logging;
using Pulse.Runtime.Membership;

namespace Pulse.Runtime.Sqlite;

public sealed partial class SqliteMembershipTable
{
    /// <summary>Log messages of <see cref="SqliteMembershipTable"/>; event ids 7100-7199. Connection strings are never logged.</summary>
    private static partial class Log
    {
        [LoggerMessage(EventId = 7100, Level = LogLevel.Information, Message = "SQLite membership table ready: data source {DataSource}, journal mode {JournalMode}, busy timeout {BusyTimeout}, cluster {ClusterId}, schema version {SchemaVersion}")]
        public static partial void Initialized(ILogger logger, string dataSource, string journalMode, TimeSpan busyTimeout, string clusterId, int schemaVersion);

        [LoggerMessage(EventId = 7101, Level = LogLevel.Information, Message = "SQLite membership table migrated its schema from version {FromVersion} to {ToVersion}")]
        public static partial void SchemaMigrated(ILogger logger, int fromVersion, int toVersion);

        [LoggerMessage(EventId = 7102, Level = LogLevel.Warning, Message = "SQLite membership table found schema version {StoredVersion}, newer than the {KnownVersion} this silo knows; a newer silo migrated it, continuing")]
        public static partial void SchemaNewerThanKnown(ILogger logger, int storedVersion, int knownVersion);

        [LoggerMessage(EventId = 7103, Level = LogLevel.Warning, Message = "SQLite membership table could not switch to WAL journal mode (it is {JournalMode}); readers will block writers")]
        public static partial void NotWal(ILogger logger, string journalMode);

        [LoggerMessage(EventId = 7104, Level = LogLevel.Debug, Message = "SQLite membership table of cluster {ClusterId} refused to {Operation} silo {Silo}: the table version is no longer {ExpectedVersion} or the row ETag {Etag} is stale")]
        public static partial void WriteRefused(ILogger logger, string operation, string clusterId, SiloAddress silo, int expectedVersion, string? etag);

        [LoggerMessage(EventId = 7105, Level = LogLevel.Information, Message = "SQLite membership table of cluster {ClusterId} deleted {Count} Dead rows last alive before {BeforeDate}")]
        public static partial void DefunctRowsDeleted(ILogger logger, string clusterId, int count, DateTimeOffset beforeDate);
    }
}
