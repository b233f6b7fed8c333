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

    public static void Step(RateLimitWindowState state, RateLimitRule rule, long at, long cost, bool allowed, long remaining, long resetAfterMs, long retryAfterMs)
    {
        RateLimitDecision decision = RateLimitEvaluator.Evaluate(state, rule, cost, at);
        Assert.Equal(new RateLimitDecision(allowed, rule.Limit, remaining, resetAfterMs, retryAfterMs), decision);
    }

    public static (RateLimitAlgorithm, long, long, long, long, long) Snapshot(RateLimitWindowState state) =>
        (state.Algorithm, state.Value, state.Fraction, state.Scale, state.TimeMs, state.Previous);
}
