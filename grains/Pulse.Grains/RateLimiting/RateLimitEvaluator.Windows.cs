using Pulse.GrainInterfaces.RateLimiting;

namespace Pulse.Grains.RateLimiting;

public static partial class RateLimitEvaluator
{
    // Estimates are counted in units of 1/windowMs of a request, so the previous window's weight stays exact.
    private static RateLimitDecision EvaluateSliding(RateLimitWindowState state, RateLimitRule rule, long cost, long nowMs, bool fresh)
    {
        long window = rule.WindowMs;
        long limit = rule.Limit;
        SlidingCounts counts = ReadSliding(state, window, nowMs, fresh);
        long elapsed = Math.Max(0, nowMs - counts.Start);
        Int128 previousShare = (Int128)counts.Previous * (window - elapsed);
        Int128 capacity = (Int128)limit * window;
        Int128 next = previousShare + ((Int128)counts.Current + cost) * window;

        bool allowed = cost < 0 || next <= capacity;
        long current = counts.Current;
        if (allowed && cost != 0)
        {
            current = Math.Max(0, current + cost);
            state.Algorithm = rule.Algorithm;
            state.Value = current;
            state.Previous = counts.Previous;
            state.TimeMs = counts.Start;
            state.Fraction = 0;
            state.Scale = 0;
        }

        Int128 estimate = previousShare + (Int128)current * window;
        long remaining = estimate >= capacity ? 0 : Saturate((capacity - estimate) / window);
        long resetAfter = current > 0 ? counts.Start + 2 * window - nowMs
            : counts.Previous > 0 ? counts.Start + window - nowMs
            : 0;
        long retryAfter = allowed ? 0 : SlidingRetryAfter(counts, limit, window, cost, nowMs, elapsed);
        return new RateLimitDecision(allowed, limit, remaining, resetAfter, retryAfter);
    }

    private static long SlidingRetryAfter(SlidingCounts counts, long limit, long window, long cost, long nowMs, long elapsed)
    {
        long room = limit - cost - counts.Current;
        if (room >= 0 && counts.Previous > 0)
        {
            // Still this window: the previous count's weight must shrink until previous × (W − e) ≤ room × W.
            long firstElapsed = window - Saturate((Int128)room * window / counts.Previous);
            return firstElapsed - elapsed;
        }

        long toNextWindow = counts.Start + window - nowMs;
        if (limit - cost >= 0 && counts.Current > 0)
        {
            // Only next window, where today's count becomes the previous one and decays the same way.
            return toNextWindow + window - Saturate((Int128)(limit - cost) * window / counts.Current);
        }

        // The cost can never fit; the next window boundary is as good an answer as any.
        return toNextWindow;
    }

    private static bool IsSlidingIdle(RateLimitWindowState state, RateLimitRule rule, long nowMs)
    {
        SlidingCounts counts = ReadSliding(state, rule.WindowMs, nowMs, fresh: false);
        return counts.Current == 0 && counts.Previous == 0;
    }

    private static SlidingCounts ReadSliding(RateLimitWindowState state, long window, long nowMs, bool fresh)
    {
        long start = AlignedStart(nowMs, window);
        if (fresh)
        {
            return new SlidingCounts(start, 0, 0);
        }

        if (state.TimeMs >= start)
        {
            // A clock that stepped back into the previous window still sees the counts it wrote.
            return new SlidingCounts(state.TimeMs, state.Value, state.Previous);
        }

        return state.TimeMs == start - window ? new SlidingCounts(start, 0, state.Value) : new SlidingCounts(start, 0, 0);
    }

    private static RateLimitDecision EvaluateFixed(RateLimitWindowState state, RateLimitRule rule, long cost, long nowMs, bool fresh)
    {
        long limit = rule.Limit;
        (long start, long end) = FixedPeriod(rule, nowMs);
        long count = FixedCount(state, start, fresh);

        // Compared without adding, so no cost can overflow the count.
        bool allowed = cost < 0 || cost <= limit - count;
        if (allowed && cost != 0)
        {
            count = Math.Max(0, count + cost);
            state.Algorithm = rule.Algorithm;
            state.Value = count;
            state.TimeMs = Math.Max(start, fresh ? start : state.TimeMs);
            state.Previous = 0;
            state.Fraction = 0;
            state.Scale = 0;
        }

        long toEnd = end - nowMs;
        return new RateLimitDecision(allowed, limit, Math.Max(0, limit - count), count > 0 ? toEnd : 0, allowed ? 0 : toEnd);
    }

    private static long FixedCount(RateLimitWindowState state, long start, bool fresh) =>
        !fresh && state.TimeMs >= start ? state.Value : 0;

    private static (long Start, long End) FixedPeriod(RateLimitRule rule, long nowMs)
    {
        if (rule.Calendar != CalendarUnit.None)
        {
            return RateLimitCalendar.GetPeriod(rule.TimeZone, rule.Calendar, nowMs);
        }

        long start = AlignedStart(nowMs, rule.WindowMs);
        return (start, start + rule.WindowMs);
    }

    private readonly record struct SlidingCounts(long Start, long Current, long Previous);
}
