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

    [Fact]
    public void ALeakyBucketQueuesABurstAndSpacesItAtTheLimitsRate()
    {
        // One request every 100 ms, a queue of 5: as nginx's limit_req with burst, each admitted request is told
        // to wait until the ones ahead of it have leaked out.
        var rule = new RateLimitRule(RateLimitAlgorithm.LeakyBucket, Limit: 10, WindowMs: 1000, Burst: 5);
        var state = new RateLimitWindowState();

        StepQueued(state, rule, T0, 1, true, 4, 100, 0, 0);
        StepQueued(state, rule, T0, 1, true, 3, 200, 0, 100);
        StepQueued(state, rule, T0, 1, true, 2, 300, 0, 200);
        StepQueued(state, rule, T0, 1, true, 1, 400, 0, 300);
        StepQueued(state, rule, T0, 1, true, 0, 500, 0, 400);

        // Full: refused until one leaks out; a refusal waits for nothing.
        StepQueued(state, rule, T0 + 50, 1, false, 0, 450, 50, 0);
        StepQueued(state, rule, T0 + 100, 1, true, 0, 500, 0, 400);

        // A cost of 2 waits for the whole queue ahead of it; a peek and a refund are answered at once.
        StepQueued(state, rule, T0 + 350, 2, true, 0, 450, 0, 250);
        StepQueued(state, rule, T0 + 350, 0, true, 0, 450, 0, 0);
        StepQueued(state, rule, T0 + 350, -1, true, 1, 350, 0, 0);

        // Drained: the next request goes at once.
        StepQueued(state, rule, T0 + 700, 1, true, 4, 100, 0, 0);
    }

    [Fact]
    public void ATokenBucketAdmitsTheSameBurstAtOnce()
    {
        var rule = new RateLimitRule(RateLimitAlgorithm.TokenBucket, Limit: 10, WindowMs: 1000, Burst: 5);
        var state = new RateLimitWindowState();
        for (int i = 0; i < 5; i++)
        {
            StepQueued(state, rule, T0, 1, true, 4 - i, 100 * (i + 1), 0, 0);
        }

        StepQueued(state, rule, T0, 1, false, 0, 500, 100, 0);
    }
}
