using Pulse.Runtime.Serialization;

namespace Pulse.GrainInterfaces.RateLimiting;

/// <summary>
/// One limit: what is counted and how much is allowed. Validated at the gateway by
/// <c>RateLimitRuleValidator</c> before it reaches a grain.
/// </summary>
/// <param name="Algorithm">How requests are counted.</param>
/// <param name="Limit">Requests (cost units) allowed per window; at least 1.</param>
/// <param name="WindowMs">Window length in milliseconds, 1 ms to 1 year. Ignored by calendar windows.</param>
/// <param name="Burst">Most cost units admitted at once (bucket capacity); 0 means equal to <paramref name="Limit"/>.</param>
/// <param name="Calendar">Calendar period of a <see cref="RateLimitAlgorithm.FixedWindow"/>; <see cref="CalendarUnit.None"/> otherwise.</param>
/// <param name="TimeZone">IANA time zone of a calendar window; null means UTC.</param>
/// <param name="Penalty">Block the key after repeated rejections; null for none.</param>
[GenerateSerializer]
[Immutable]
public sealed record RateLimitRule(
    [property: Id(0)] RateLimitAlgorithm Algorithm,
    [property: Id(1)] long Limit,
    [property: Id(2)] long WindowMs,
    [property: Id(3)] long Burst = 0,
    [property: Id(4)] CalendarUnit Calendar = CalendarUnit.None,
    [property: Id(5)] string? TimeZone = null,
    [property: Id(6)] PenaltyRule? Penalty = null)
{
    /// <summary>The capacity actually used: <see cref="Burst"/>, or <see cref="Limit"/> when it is 0.</summary>
    public long EffectiveBurst => Burst > 0 ? Burst : Limit;
}

/// <summary>
/// After <paramref name="Rejections"/> rejections within <paramref name="WithinMs"/>, the key is blocked for
/// <paramref name="BlockMs"/>; each further block while the key keeps offending doubles the duration, up to
/// <paramref name="MaxBlockMs"/>.
/// </summary>
[GenerateSerializer]
[Immutable]
public sealed record PenaltyRule(
    [property: Id(0)] int Rejections,
    [property: Id(1)] long WithinMs,
    [property: Id(2)] long BlockMs,
    [property: Id(3)] long MaxBlockMs);

/// <summary>The answer to one check.</summary>
/// <param name="Allowed">Whether the request may proceed (always true in shadow mode).</param>
/// <param name="Limit">The limit that applied.</param>
/// <param name="Remaining">Cost units still available right after this check.</param>
/// <param name="ResetAfterMs">Milliseconds until the limit is fully available again.</param>
/// <param name="RetryAfterMs">When rejected, milliseconds until the same request would be admitted; 0 when allowed.</param>
/// <param name="DelayMs">
/// <c>leaky_bucket</c> only: milliseconds the admitted request should wait before it proceeds, the time the queue
/// ahead of it takes to leak out, so requests that wait it out leave evenly spaced at the limit's rate; 0 otherwise.
/// </param>
[GenerateSerializer]
public readonly record struct RateLimitDecision(
    [property: Id(0)] bool Allowed,
    [property: Id(1)] long Limit,
    [property: Id(2)] long Remaining,
    [property: Id(3)] long ResetAfterMs,
    [property: Id(4)] long RetryAfterMs,
    [property: Id(5)] long DelayMs = 0);
