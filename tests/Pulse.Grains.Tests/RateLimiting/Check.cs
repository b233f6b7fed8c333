using Pulse.GrainInterfaces.RateLimiting;
using Pulse.Grains.RateLimiting;

namespace Pulse.Grains.Tests.RateLimiting;

/// <summary>Shared instants and a compact way to assert one decision at an exact time.</summary>
internal static class Check
{
    /// <summary>2026-01-01T00:00:00Z, a multiple of every window used in these tests.</summary>
    public const long T0 = 1_767_225_600_000;

    public static long Utc(int year, int month, int day, int hour = 0, int minute = 0) =>
        new DateTimeOffset(year, month, day, hour, minute, 0, TimeSpan.Zero).ToUnixTimeMilliseconds();

    /// <summary>
    /// Asserts one decision. For <c>leaky_bucket</c> the queue delay is left to <see cref="StepQueued"/>: the tests
    /// shared with <c>token_bucket</c> check the admissions, which the two algorithms share; every other
    /// algorithm must answer a delay of 0.
    /// </summary>
    public static void Step(RateLimitWindowState state, RateLimitRule rule, long at, long cost, bool allowed, long remaining, long resetAfterMs, long retryAfterMs)
    {
        RateLimitDecision decision = RateLimitEvaluator.Evaluate(state, rule, cost, at);
        if (rule.Algorithm == RateLimitAlgorithm.LeakyBucket)
        {
            decision = decision with { DelayMs = 0 };
        }

        Assert.Equal(new RateLimitDecision(allowed, rule.Limit, remaining, resetAfterMs, retryAfterMs), decision);
    }

    /// <summary>Asserts one decision including its queue delay.</summary>
    public static void StepQueued(RateLimitWindowState state, RateLimitRule rule, long at, long cost, bool allowed, long remaining, long resetAfterMs, long retryAfterMs, long delayMs)
    {
        RateLimitDecision decision = RateLimitEvaluator.Evaluate(state, rule, cost, at);
        Assert.Equal(new RateLimitDecision(allowed, rule.Limit, remaining, resetAfterMs, retryAfterMs, delayMs), decision);
    }

    public static (RateLimitAlgorithm, long, long, long, long, long) Snapshot(RateLimitWindowState state) =>
        (state.Algorithm, state.Value, state.Fraction, state.Scale, state.TimeMs, state.Previous);
}
