using Pulse.GrainInterfaces.RateLimiting;
using Pulse.Grains.RateLimiting;
using static Pulse.Grains.Tests.RateLimiting.Check;

namespace Pulse.Grains.Tests.RateLimiting;

public sealed class GcraTests
{
    [Fact]
    public void ReproducesRedisCellsOwnTestSequence()
    {
        // redis-cell's it_rate_limits: max_burst 4 (our burst 5), 1 per second. redis-cell reports limit as
        // max_burst + 1 and whole seconds with -1 for "no retry"; we report the rule's limit and milliseconds.
        var rule = new RateLimitRule(RateLimitAlgorithm.Gcra, Limit: 1, WindowMs: 1000, Burst: 5);
        var state = new RateLimitWindowState();

        // redis-cell answers retry -1 ("never") for a cost over the burst; the formula still gives (newTat − now) − τ.
        Step(state, rule, T0, 6, false, 5, 0, 1000);
        Step(state, rule, T0, 1, true, 4, 1000, 0);
        Step(state, rule, T0, 1, true, 3, 2000, 0);
        Step(state, rule, T0, 1, true, 2, 3000, 0);
        Step(state, rule, T0, 1, true, 1, 4000, 0);
        Step(state, rule, T0, 1, true, 0, 5000, 0);
        Step(state, rule, T0, 1, false, 0, 5000, 1000);
        Step(state, rule, T0 + 3000, 1, true, 2, 3000, 0);
        Step(state, rule, T0 + 3100, 1, true, 1, 3900, 0);
        Step(state, rule, T0 + 4000, 1, true, 1, 4000, 0);
        Step(state, rule, T0 + 8000, 1, true, 4, 1000, 0);
        Step(state, rule, T0 + 9500, 1, true, 4, 1000, 0);
        Step(state, rule, T0 + 9500, 0, true, 4, 1000, 0);
        Step(state, rule, T0 + 9500, 2, true, 2, 3000, 0);
        Step(state, rule, T0 + 9500, 5, false, 2, 3000, 3000);
    }

    [Fact]
    public void MatchesTheRedisCellReadmeExample()
    {
        // CL.THROTTLE user123 15 30 60 1 → 0, 16, 15, -1, 2: max_burst 15 is our burst 16.
        var rule = new RateLimitRule(RateLimitAlgorithm.Gcra, Limit: 30, WindowMs: 60_000, Burst: 16);

        Step(new RateLimitWindowState(), rule, T0, 1, true, 15, 2000, 0);
    }

    [Fact]
    public void ExactlyBurstRequestsPassAtOnceThenOneEveryEmissionInterval()
    {
        var rule = new RateLimitRule(RateLimitAlgorithm.Gcra, Limit: 10, WindowMs: 1000, Burst: 3);
        var state = new RateLimitWindowState();

        Step(state, rule, T0, 1, true, 2, 100, 0);
        Step(state, rule, T0, 1, true, 1, 200, 0);
        Step(state, rule, T0, 1, true, 0, 300, 0);
        Step(state, rule, T0, 1, false, 0, 300, 100);
        Step(state, rule, T0 + 99, 1, false, 0, 201, 1);
        Step(state, rule, T0 + 100, 1, true, 0, 300, 0);
    }

    [Fact]
    public void FractionalEmissionIntervalsRoundRetryUpToTheFirstAdmittingMillisecond()
    {
        // T = 333⅓ ms, burst 1.
        var rule = new RateLimitRule(RateLimitAlgorithm.Gcra, Limit: 3, WindowMs: 1000, Burst: 1);
        var state = new RateLimitWindowState();

        Step(state, rule, T0, 1, true, 0, 334, 0);
        Step(state, rule, T0 + 333, 1, false, 0, 1, 1);
        Step(state, rule, T0 + 334, 1, true, 0, 334, 0);
    }

    [Fact]
    public void RefundGivesBackEmissionIntervalsButNeverMoreThanFull()
    {
        var rule = new RateLimitRule(RateLimitAlgorithm.Gcra, Limit: 3, WindowMs: 3000);
        var state = new RateLimitWindowState();

        Step(state, rule, T0, 3, true, 0, 3000, 0);
        Step(state, rule, T0, -2, true, 2, 1000, 0);
        Step(state, rule, T0, -5, true, 3, 0, 0);
        Assert.True(RateLimitEvaluator.IsIdle(state, rule, T0));
    }
}
