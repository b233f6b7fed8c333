using Pulse.Runtime;
using Pulse.Runtime.Serialization;

namespace Pulse.GrainInterfaces.RateLimiting;

/// <summary>
/// A tenant's rate-limit statistics. Gateways count checks locally and send deltas, so this grain sees
/// one message per gateway per flush, not one per check. Keyed by tenant id.
/// </summary>
[GrainType("ratelimit.stats")]
public interface IRateLimitStatsGrain : IGrainWithStringKey
{
    /// <summary>Adds a gateway's counts since its previous flush.</summary>
    Task AddAsync(RateLimitStatsDelta delta);

    /// <summary>Totals since the tenant's first check.</summary>
    [ReadOnly]
    Task<RateLimitStats> GetAsync();
}

/// <summary>Counts of one interval.</summary>
[GenerateSerializer]
public sealed class RateLimitStatsDelta
{
    /// <summary>Checks made.</summary>
    [Id(0)] public long Checks { get; set; }

    /// <summary>Checks admitted (shadow rejections included).</summary>
    [Id(1)] public long Allowed { get; set; }

    /// <summary>Checks refused, blocked ones included.</summary>
    [Id(2)] public long Rejected { get; set; }

    /// <summary>Admitted with at least 80% of the limit used.</summary>
    [Id(3)] public long NearLimit { get; set; }

    /// <summary>Would have been refused but ran in shadow mode.</summary>
    [Id(4)] public long ShadowRejected { get; set; }

    /// <summary>Refused because the key was blocked.</summary>
    [Id(5)] public long Blocked { get; set; }

    /// <summary>Refusals per client key, for the most refused keys of the interval.</summary>
    [Id(6)] public Dictionary<string, long> RejectedByKey { get; set; } = new(StringComparer.Ordinal);
}

/// <summary>A tenant's totals.</summary>
[GenerateSerializer]
public sealed record RateLimitStats(
    [property: Id(0)] long Checks,
    [property: Id(1)] long Allowed,
    [property: Id(2)] long Rejected,
    [property: Id(3)] long NearLimit,
    [property: Id(4)] long ShadowRejected,
    [property: Id(5)] long Blocked,
    [property: Id(6)] RateLimitKeyCount[] TopLimitedKeys,
    [property: Id(7)] long SinceUnixMs);

/// <summary>A client key and how often it was refused.</summary>
[GenerateSerializer]
[Immutable]
public sealed record RateLimitKeyCount([property: Id(0)] string Key, [property: Id(1)] long Rejected);
