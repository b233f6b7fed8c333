using Microsoft.Extensions.Logging;
using Pulse.Runtime.Membership;

namespace Pulse.Runtime.Postgres;

public sealed partial class PostgresMembershipTable
{
    /// <summary>Log messages of <see cref="PostgresMembershipTable"/>; event ids 7200-7299. Connection strings and passwords are never logged.</summary>
    private static partial class Log
    {
        [LoggerMessage(EventId = 7200, Level = LogLevel.Information, Message = "PostgreSQL membership table ready: {Host}:{Port} database {Database} user {Username}, schema {Schema}, command timeout {CommandTimeout}, cluster {ClusterId}, schema version {SchemaVersion}")]
        public static partial void Initialized(ILogger logger, string? host, int port, string? database, string? username, string schema, TimeSpan commandTimeout, string clusterId, int schemaVersion);

        [LoggerMessage(EventId = 7201, Level = LogLevel.Information, Message = "PostgreSQL membership table migrated schema {Schema} from version {FromVersion} to {ToVersion}")]
        public static partial void SchemaMigrated(ILogger logger, string schema, int fromVersion, int toVersion);

        [LoggerMessage(EventId = 7202, Level = LogLevel.Warning, Message = "PostgreSQL membership table found schema {Schema} at version {StoredVersion}, newer than the {KnownVersion} this silo knows; a newer silo migrated it, continuing")]
        public static partial void SchemaNewerThanKnown(ILogger logger, string schema, int storedVersion, int knownVersion);

        [LoggerMessage(EventId = 7203, Level = LogLevel.Debug, Message = "PostgreSQL membership table of cluster {ClusterId} refused to {Operation} silo {Silo}: the table version is no longer {ExpectedVersion} or the row ETag {Etag} is stale")]
        public static partial void WriteRefused(ILogger logger, string operation, string clusterId, SiloAddress silo, int expectedVersion, string? etag);

        [LoggerMessage(EventId = 7204, Level = LogLevel.Information, Message = "PostgreSQL membership table of cluster {ClusterId} deleted {Count} Dead rows last alive before {BeforeDate}")]
        public static partial void DefunctRowsDeleted(ILogger logger, string clusterId, int count, DateTimeOffset beforeDate);
    }
}
