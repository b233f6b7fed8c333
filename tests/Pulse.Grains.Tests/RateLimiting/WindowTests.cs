using Pulse.GrainInterfaces.RateLimiting;
using Pulse.Grains.RateLimiting;
using static Pulse.Grains.Tests.RateLimiting.Check;

namespace Pulse.Grains.Tests.RateLimiting;

public sealed class WindowTests
{
    [Fact]
    public void SlidingWindowWeighsThePreviousWindowByItsRemainingOverlap()
    {
        var rule = new RateLimitRule(RateLimitAlgorithm.SlidingWindow, Limit: 10, WindowMs: 1000);
        var state = new RateLimitWindowState();

        Step(state, rule, T0 + 100, 6, true, 4, 1900, 0);

        // 6 + 5 > 10 in this window; next window 6 × (1000 − e)/1000 + 5 ≤ 10 first holds at e = 167.
        Step(state, rule, T0 + 200, 5, false, 4, 1800, 967);
        Step(state, rule, T0 + 999, 4, true, 0, 1001, 0);

        // New window: the previous 10 weigh 10 × (1000 − e)/1000, which leaves room for 1 at e = 100.
        Step(state, rule, T0 + 1000, 1, false, 0, 1000, 100);
        Step(state, rule, T0 + 1100, 1, true, 0, 1900, 0);
        Step(state, rule, T0 + 1250, 0, true, 1, 1750, 0);

        // Two windows on, only the 1 of window T0 + 1000 still weighs in: 1 × 0.5.
        Step(state, rule, T0 + 2500, 0, true, 9, 500, 0);
        Assert.False(RateLimitEvaluator.IsIdle(state, rule, T0 + 2999));
        Assert.True(RateLimitEvaluator.IsIdle(state, rule, T0 + 3000));
        Step(state, rule, T0 + 3000, 0, true, 10, 0, 0);
    }

    [Fact]
    public void SlidingWindowRefundLowersOnlyTheCurrentCountAndNotBelowZero()
    {
        var rule = new RateLimitRule(RateLimitAlgorithm.SlidingWindow, Limit: 10, WindowMs: 1000);
        var state = new RateLimitWindowState();
        Step(state, rule, T0, 8, true, 2, 2000, 0);
        Step(state, rule, T0 + 1000, 2, true, 0, 2000, 0);

        Step(state, rule, T0 + 1500, -1, true, 5, 1500, 0);
        Step(state, rule, T0 + 1500, -5, true, 6, 500, 0);
    }

    [Fact]
    public void FixedWindowCountsPerEpochAlignedWindow()
    {
        var rule = new RateLimitRule(RateLimitAlgorithm.FixedWindow, Limit: 3, WindowMs: 1000);
        var state = new RateLimitWindowState();

        Step(state, rule, T0 + 100, 2, true, 1, 900, 0);
        Step(state, rule, T0 + 100, 2, false, 1, 900, 900);
        Step(state, rule, T0 + 999, 1, true, 0, 1, 0);
        Step(state, rule, T0 + 1000, 3, true, 0, 1000, 0);
        Step(state, rule, T0 + 1001, -1, true, 1, 999, 0);
        Step(state, rule, T0 + 1001, -5, true, 3, 0, 0);
    }

    [Fact]
    public void FixedWindowAlignmentIsToTheEpochNotToTheFirstRequest()
    {
        var rule = new RateLimitRule(RateLimitAlgorithm.FixedWindow, Limit: 1, WindowMs: 11_000);
        var state = new RateLimitWindowState();

        // 1,767,225,600,000 mod 11,000 = 8,000, so a window starts 3 s after T0.
        Step(state, rule, T0, 1, true, 0, 3000, 0);
        Step(state, rule, T0 + 2999, 1, false, 0, 1, 1);
        Step(state, rule, T0 + 3000, 1, true, 0, 11_000, 0);
    }

    [Fact]
    public void FixedCalendarWindowReportsTheEndOfTheLocalDay()
    {
        var rule = new RateLimitRule(RateLimitAlgorithm.FixedWindow, Limit: 2, WindowMs: 0, Calendar: CalendarUnit.Day, TimeZone: "America/New_York");
        var state = new RateLimitWindowState();
        long noon = Utc(2026, 3, 8, 12);

        Step(state, rule, noon, 2, true, 0, Utc(2026, 3, 9, 4) - noon, 0);
        Step(state, rule, Utc(2026, 3, 9, 3, 59), 1, false, 0, 60_000, 60_000);
        Step(state, rule, Utc(2026, 3, 9, 4), 1, true, 1, 24 * 3_600_000, 0);
    }
}
