using System.Text;

namespace Pulse.Runtime.Postgres;

/// <summary>
/// The advisory lock that serialises schema changes in one Pulse schema. Every component that
/// creates tables in the schema (grain storage, membership) takes the same lock, because concurrent
/// <c>CREATE ... IF NOT EXISTS</c> of the same object can still fail with a unique violation.
/// </summary>
internal static class PostgresSchemaLock
{
    // "puls" in the high half keeps Pulse's keys apart from advisory locks other applications take.
    private const long Prefix = 0x70756C73L << 32;

    /// <summary>The lock key of <paramref name="schemaName"/>; stable across processes and versions.</summary>
    public static long KeyFor(string schemaName) => Prefix | StableHash.Compute(Encoding.UTF8.GetBytes(schemaName));
}
