using Pulse.GrainInterfaces.RateLimiting;
using Pulse.Grains.RateLimiting;
using static Pulse.Grains.Tests.RateLimiting.Check;

namespace Pulse.Grains.Tests.RateLimiting;

public sealed class BucketTests
{
    [Theory]
    [InlineData(RateLimitAlgorithm.TokenBucket)]
    [InlineData(RateLimitAlgorithm.LeakyBucket)]
    public void RefillsContinuouslyAndReportsExactWaits(RateLimitAlgorithm algorithm)
    {
        // Capacity 4, one unit every 500 ms.
        var rule = new RateLimitRule(algorithm, Limit: 2, WindowMs: 1000, Burst: 4);
        var state = new RateLimitWindowState();

        Step(state, rule, T0, 3, true, 1, 1500, 0);
        Step(state, rule, T0, 2, false, 1, 1500, 500);
        Step(state, rule, T0 + 250, 1, true, 0, 1750, 0);
        Step(state, rule, T0 + 250, 1, false, 0, 1750, 250);
        Step(state, rule, T0 + 499, 1, false, 0, 1501, 1);
        Step(state, rule, T0 + 500, 1, true, 0, 2000, 0);
        Step(state, rule, T0 + 2500, 0, true, 4, 0, 0);
    }

    [Theory]
    [InlineData(RateLimitAlgorithm.TokenBucket)]
    [InlineData(RateLimitAlgorithm.LeakyBucket)]
    public void StartsFullAndRejectsACostAboveCapacityWithoutConsuming(RateLimitAlgorithm algorithm)
    {
        var rule = new RateLimitRule(algorithm, Limit: 5, WindowMs: 1000);
        var state = new RateLimitWindowState();

        Step(state, rule, T0, 6, false, 5, 0, 200);
        Step(state, rule, T0, 5, true, 0, 1000, 0);
    }

    [Theory]
    [InlineData(RateLimitAlgorithm.TokenBucket)]
    [InlineData(RateLimitAlgorithm.LeakyBucket)]
    public void RefundRefillsButNeverBeyondFull(RateLimitAlgorithm algorithm)
    {
        var rule = new RateLimitRule(algorithm, Limit: 4, WindowMs: 1000);
        var state = new RateLimitWindowState();

        Step(state, rule, T0, 4, true, 0, 1000, 0);
        Step(state, rule, T0 + 100, -1, true, 1, 650, 0);
        Step(state, rule, T0 + 100, -10, true, 4, 0, 0);
        Assert.True(RateLimitEvaluator.IsIdle(state, rule, T0 + 100));
    }
}
