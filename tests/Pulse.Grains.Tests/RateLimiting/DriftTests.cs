using Pulse.GrainInterfaces.RateLimiting;
using Pulse.Grains.RateLimiting;
using static Pulse.Grains.Tests.RateLimiting.Check;

namespace Pulse.Grains.Tests.RateLimiting;

public sealed class DriftTests
{
    [Theory]
    [InlineData(RateLimitAlgorithm.Gcra)]
    [InlineData(RateLimitAlgorithm.TokenBucket)]
    [InlineData(RateLimitAlgorithm.LeakyBucket)]
    public void ThreeThousandThirdsOfASecondAddUpToExactlyOneThousandSeconds(RateLimitAlgorithm algorithm)
    {
        // 3 per second is a 333⅓ ms interval: any rounding of the stored state would show after 3,000 requests.
        var rule = new RateLimitRule(algorithm, Limit: 3, WindowMs: 1000, Burst: 2);
        var state = new RateLimitWindowState();
        Step(state, rule, T0, 2, true, 0, 667, 0);

        long now = T0;
        RateLimitDecision last = default;
        for (int i = 0; i < 3000; i++)
        {
            RateLimitDecision decision = RateLimitEvaluator.Evaluate(state, rule, 1, now);
            if (!decision.Allowed)
            {
                now += decision.RetryAfterMs;
                decision = RateLimitEvaluator.Evaluate(state, rule, 1, now);
            }

            Assert.True(decision.Allowed);
            last = decision;
        }

        Assert.Equal(T0 + 1_000_000, now);
        Assert.Equal(667, last.ResetAfterMs);
        Assert.False(RateLimitEvaluator.IsIdle(state, rule, T0 + 1_000_666));
        Assert.True(RateLimitEvaluator.IsIdle(state, rule, T0 + 1_000_667));
    }
}
