using Pulse.GrainInterfaces.RateLimiting;

namespace Pulse.Grains.RateLimiting;

public static partial class RateLimitEvaluator
{
    // Instants are counted in units of 1/limit ms, which makes the emission interval exactly windowMs units.
    private static RateLimitDecision EvaluateGcra(RateLimitWindowState state, RateLimitRule rule, long cost, long nowMs, bool fresh)
    {
        long limit = rule.Limit;
        Int128 interval = rule.WindowMs;
        Int128 tolerance = interval * rule.EffectiveBurst;
        Int128 now = (Int128)nowMs * limit;
        Int128 tat = fresh ? 0 : ReadScaled(state, limit);
        Int128 start = tat > now ? tat : now;
        Int128 newTat = start + cost * interval;
        if (newTat < now)
        {
            // A refund gives back at most what was taken: the key cannot be more than idle.
            newTat = now;
        }

        bool allowed = cost < 0 || newTat - now <= tolerance;
        Int128 after = allowed ? newTat : start;
        if (allowed && cost != 0)
        {
            state.Algorithm = rule.Algorithm;
            WriteScaled(state, after, limit);
            state.TimeMs = 0;
            state.Previous = 0;
        }

        Int128 ttl = after - now;
        long remaining = ttl >= tolerance ? 0 : Saturate((tolerance - ttl) / interval);
        long retryAfter = allowed ? 0 : CeilDiv(newTat - now - tolerance, limit);
        return new RateLimitDecision(allowed, limit, remaining, CeilDiv(ttl, limit), retryAfter);
    }
}
