using Pulse.Runtime;
using Pulse.Runtime.Serialization;

namespace Pulse.GrainInterfaces.RateLimiting;

/// <summary>One request to admit against one limit of a client key.</summary>
/// <param name="Window">Which window of the key: <see cref="RateLimiterKeys.AdHocWindow"/> or <see cref="RateLimiterKeys.PolicyWindow"/>.</param>
/// <param name="Rule">The limit; already validated.</param>
/// <param name="Cost">Units to consume; 0 peeks, negative refunds.</param>
/// <param name="Shadow">Count and report, but always allow.</param>
[GenerateSerializer]
[Immutable]
public sealed record RateLimitCheck(
    [property: Id(0)] string Window,
    [property: Id(1)] RateLimitRule Rule,
    [property: Id(2)] long Cost,
    [property: Id(3)] bool Shadow = false);

/// <summary>How a check ended, beyond allowed or not.</summary>
public enum RateLimitOutcome : byte
{
    /// <summary>Admitted.</summary>
    Allowed = 0,

    /// <summary>Admitted, with at least 80% of the limit used.</summary>
    NearLimit = 1,

    /// <summary>Refused by the limit.</summary>
    Rejected = 2,

    /// <summary>Refused because the key is blocked (manually or by a penalty).</summary>
    Blocked = 3,

    /// <summary>Would have been refused, but the check ran in shadow mode and was allowed.</summary>
    ShadowRejected = 4,

    /// <summary>
    /// Within its limit but refused with the rest of an all-or-nothing batch another check sank; it consumed
    /// nothing (or was refunded). Set by the gateway, never by a grain; not counted in statistics.
    /// </summary>
    RolledBack = 5,
}

/// <summary>The decision of one check and how it came about.</summary>
/// <param name="Decision">What the caller is told.</param>
/// <param name="Outcome">For statistics.</param>
/// <param name="BlockReason">Why the key is blocked, when <see cref="Outcome"/> is <see cref="RateLimitOutcome.Blocked"/>.</param>
[GenerateSerializer]
public readonly record struct RateLimitCheckResult(
    [property: Id(0)] RateLimitDecision Decision,
    [property: Id(1)] RateLimitOutcome Outcome,
    [property: Id(2)] string? BlockReason = null);
