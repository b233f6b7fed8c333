using Pulse.GrainInterfaces.RateLimiting;

namespace Pulse.Grains.RateLimiting;

public static partial class RateLimitEvaluator
{
    // Levels are counted in units of 1/windowMs of a cost unit, so one millisecond drains exactly `limit` units.
    private static RateLimitDecision EvaluateBucket(RateLimitWindowState state, RateLimitRule rule, long cost, long nowMs, bool fresh)
    {
        long window = rule.WindowMs;
        Int128 capacity = (Int128)rule.EffectiveBurst * window;
        Int128 level = BucketLevel(state, rule, nowMs, fresh);
        Int128 next = level + (Int128)cost * window;
        if (next < 0)
        {
            next = 0;
        }

        bool allowed = cost < 0 || next <= capacity;
        Int128 after = allowed ? next : level;
        if (allowed && cost != 0)
        {
            // The stored time never moves back, or a clock stepping back would drain the same interval twice.
            long updated = fresh || nowMs > state.TimeMs ? nowMs : state.TimeMs;
            state.Algorithm = rule.Algorithm;
            WriteScaled(state, after, window);
            state.TimeMs = updated;
            state.Previous = 0;
        }

        long remaining = after >= capacity ? 0 : Saturate((capacity - after) / window);
        long retryAfter = allowed ? 0 : CeilDiv(next - capacity, rule.Limit);

        // The same level read as a queue: what is already in it leaks out at `limit` per window before this
        // request's turn. A token bucket admits the same requests at once; the leaky bucket spaces them.
        long delay = allowed && cost > 0 && rule.Algorithm == RateLimitAlgorithm.LeakyBucket ? CeilDiv(level, rule.Limit) : 0;
        return new RateLimitDecision(allowed, rule.Limit, remaining, CeilDiv(after, rule.Limit), retryAfter, delay);
    }

    /// <summary>The level at <paramref name="nowMs"/>, in 1/windowMs units, after draining since the last update.</summary>
    private static Int128 BucketLevel(RateLimitWindowState state, RateLimitRule rule, long nowMs, bool fresh)
    {
        if (fresh)
        {
            return 0;
        }

        Int128 level = ReadScaled(state, rule.WindowMs);
        if (nowMs > state.TimeMs)
        {
            level -= (Int128)(nowMs - state.TimeMs) * rule.Limit;
        }

        return level < 0 ? 0 : level;
    }
}
