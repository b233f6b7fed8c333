using Pulse.Runtime;
using Pulse.Runtime.Serialization;

namespace Pulse.GrainInterfaces.RateLimiting;

/// <summary>
/// The rate-limit state of one client key of one tenant: a window per limit it is checked against
/// (usually one), its manual block and its penalty state. Keyed <c>{tenantId}/{clientKey}</c>
/// (<see cref="RateLimiterKeys"/>), so a block on a key applies to every limit checked on it without
/// a second lookup.
/// </summary>
[GrainType("ratelimit.limiter")]
public interface IRateLimiterGrain : IGrainWithStringKey
{
    /// <summary>Checks (and, when admitted, consumes) one request against one limit.</summary>
    ValueTask<RateLimitCheckResult> CheckAsync(RateLimitCheck check);

    /// <summary>Runs several checks on this key in order, in one turn.</summary>
    ValueTask<RateLimitCheckResult[]> CheckManyAsync(RateLimitCheck[] checks);

    /// <summary>
    /// Answers whether <see cref="CheckAsync"/> would admit <paramref name="check"/> now, consuming nothing: the
    /// first step of an all-or-nothing batch. An admissible check is answered with what the key has now (nothing
    /// taken) and changes nothing, penalty included. A check that would be refused is refused as
    /// <see cref="CheckAsync"/> refuses it: its answer and, for a positive cost outside shadow mode, one rejection
    /// towards the rule's penalty, as a refused check consumes nothing either.
    /// </summary>
    ValueTask<RateLimitCheckResult> PeekAsync(RateLimitCheck check);

    /// <summary>
    /// <see cref="PeekAsync"/> for several checks on this key, in one turn; each check sees the ones before it on
    /// its window as if they had been admitted, so the answers match what <see cref="CheckManyAsync"/> would decide.
    /// </summary>
    ValueTask<RateLimitCheckResult[]> PeekManyAsync(RateLimitCheck[] checks);

    /// <summary>Gives capacity back to a window (undoes an admitted check of an all-or-nothing batch).</summary>
    ValueTask RefundAsync(string window, RateLimitRule rule, long cost);

    /// <summary>Restores full capacity of one window, or of every window when <paramref name="window"/> is null; clears penalties.</summary>
    Task ResetAsync(string? window);

    /// <summary>Uses up the capacity of one window now; it refills normally afterwards.</summary>
    Task DrainAsync(string window, RateLimitRule rule);

    /// <summary>Blocks the key for every limit until <paramref name="untilUnixMs"/>.</summary>
    Task BlockAsync(long untilUnixMs, string reason);

    /// <summary>Lifts a manual or penalty block; returns whether there was one.</summary>
    Task<bool> UnblockAsync();
}

/// <summary>Grain keys of the rate-limit grains.</summary>
public static class RateLimiterKeys
{
    /// <summary>Window name of ad-hoc checks (no policy), per algorithm.</summary>
    public static string AdHocWindow(RateLimitAlgorithm algorithm) => algorithm switch
    {
        RateLimitAlgorithm.Gcra => "~gcra",
        RateLimitAlgorithm.TokenBucket => "~token_bucket",
        RateLimitAlgorithm.LeakyBucket => "~leaky_bucket",
        RateLimitAlgorithm.SlidingWindow => "~sliding_window",
        RateLimitAlgorithm.FixedWindow => "~fixed_window",
        _ => "~" + algorithm,
    };

    private const string PolicyWindowPrefix = "p:";

    /// <summary>Window name of checks that name a server-side policy.</summary>
    public static string PolicyWindow(string policyName) => PolicyWindowPrefix + policyName;

    /// <summary>Whether <paramref name="window"/> is <see cref="PolicyWindow"/> of <paramref name="policyName"/>, without building that name.</summary>
    public static bool IsPolicyWindow(string window, string policyName) =>
        window.Length == PolicyWindowPrefix.Length + policyName.Length
        && window.StartsWith(PolicyWindowPrefix, StringComparison.Ordinal)
        && window.EndsWith(policyName, StringComparison.Ordinal);

    /// <summary>The <see cref="IRateLimiterGrain"/> key of a tenant's client key.</summary>
    public static string Limiter(string tenantId, string clientKey) => string.Concat(tenantId, "/", clientKey);
}
