using System.Text.Json;
using Pulse.GrainInterfaces.RateLimiting;
using Pulse.Grains.RateLimiting;
using static Pulse.Grains.Tests.RateLimiting.Check;

namespace Pulse.Grains.Tests.RateLimiting;

public sealed class CommonTests
{
    public static TheoryData<RateLimitAlgorithm> Algorithms =>
        [RateLimitAlgorithm.Gcra, RateLimitAlgorithm.TokenBucket, RateLimitAlgorithm.LeakyBucket, RateLimitAlgorithm.SlidingWindow, RateLimitAlgorithm.FixedWindow];

    private static RateLimitRule Rule(RateLimitAlgorithm algorithm) => new(algorithm, Limit: 4, WindowMs: 1000);

    [Theory]
    [MemberData(nameof(Algorithms))]
    public void PeekNeverChangesTheState(RateLimitAlgorithm algorithm)
    {
        RateLimitRule rule = Rule(algorithm);
        var state = new RateLimitWindowState();
        RateLimitEvaluator.Evaluate(state, rule, 3, T0 + 100);
        var before = Snapshot(state);

        RateLimitDecision first = RateLimitEvaluator.Evaluate(state, rule, 0, T0 + 300);
        RateLimitDecision second = RateLimitEvaluator.Evaluate(state, rule, 0, T0 + 300);

        Assert.Equal(before, Snapshot(state));
        Assert.Equal(first, second);
        Assert.True(first.Allowed);
    }

    [Theory]
    [MemberData(nameof(Algorithms))]
    public void PeekOnAStateOfAnotherAlgorithmLeavesItAlone(RateLimitAlgorithm algorithm)
    {
        var state = new RateLimitWindowState();
        RateLimitRule other = Rule(algorithm == RateLimitAlgorithm.Gcra ? RateLimitAlgorithm.FixedWindow : RateLimitAlgorithm.Gcra);
        RateLimitEvaluator.Evaluate(state, other, 2, T0);
        var before = Snapshot(state);

        Step(state, Rule(algorithm), T0, 0, true, 4, 0, 0);

        Assert.Equal(before, Snapshot(state));
    }

    [Theory]
    [MemberData(nameof(Algorithms))]
    public void RejectedRequestsConsumeNothing(RateLimitAlgorithm algorithm)
    {
        RateLimitRule rule = Rule(algorithm);
        var state = new RateLimitWindowState();
        RateLimitEvaluator.Evaluate(state, rule, 3, T0);
        var before = Snapshot(state);

        Assert.False(RateLimitEvaluator.Evaluate(state, rule, 2, T0).Allowed);
        Assert.Equal(before, Snapshot(state));
        Assert.True(RateLimitEvaluator.Evaluate(state, rule, 1, T0).Allowed);
    }

    [Theory]
    [MemberData(nameof(Algorithms))]
    public void DrainLeavesNothingNowAndResetGivesEverythingBack(RateLimitAlgorithm algorithm)
    {
        RateLimitRule rule = Rule(algorithm);
        var state = new RateLimitWindowState();

        RateLimitEvaluator.Drain(state, rule, T0);
        RateLimitDecision drained = RateLimitEvaluator.Evaluate(state, rule, 1, T0);
        Assert.False(drained.Allowed);
        Assert.Equal(0, drained.Remaining);
        Assert.False(RateLimitEvaluator.IsIdle(state, rule, T0));

        RateLimitEvaluator.Reset(state);
        Assert.True(RateLimitEvaluator.IsIdle(state, rule, T0));
        Step(state, rule, T0, 1, true, 3, ExpectedResetAfterOne(algorithm), 0);
    }

    [Theory]
    [InlineData(RateLimitAlgorithm.Gcra, 1000)]
    [InlineData(RateLimitAlgorithm.TokenBucket, 1000)]
    [InlineData(RateLimitAlgorithm.LeakyBucket, 1000)]
    [InlineData(RateLimitAlgorithm.SlidingWindow, 2000)]
    [InlineData(RateLimitAlgorithm.FixedWindow, 1000)]
    public void ADrainedKeyRefillsNormallyAfterwards(RateLimitAlgorithm algorithm, long fullAfterMs)
    {
        RateLimitRule rule = Rule(algorithm);
        var state = new RateLimitWindowState();

        RateLimitEvaluator.Drain(state, rule, T0);

        Assert.Equal(fullAfterMs, RateLimitEvaluator.Evaluate(state, rule, 0, T0).ResetAfterMs);
        Assert.False(RateLimitEvaluator.IsIdle(state, rule, T0 + fullAfterMs - 1));
        Assert.True(RateLimitEvaluator.IsIdle(state, rule, T0 + fullAfterMs));
    }

    [Theory]
    [MemberData(nameof(Algorithms))]
    public void ChangingTheAlgorithmStartsTheKeyAfresh(RateLimitAlgorithm algorithm)
    {
        var state = new RateLimitWindowState();
        RateLimitRule before = Rule(algorithm == RateLimitAlgorithm.Gcra ? RateLimitAlgorithm.TokenBucket : RateLimitAlgorithm.Gcra);
        RateLimitEvaluator.Drain(state, before, T0);
        RateLimitRule after = Rule(algorithm);

        Assert.True(RateLimitEvaluator.IsIdle(state, after, T0));
        Step(state, after, T0, 1, true, 3, ExpectedResetAfterOne(algorithm), 0);
        Assert.Equal(algorithm, state.Algorithm);
    }

    [Theory]
    [InlineData(RateLimitAlgorithm.Gcra, 250)]
    [InlineData(RateLimitAlgorithm.TokenBucket, 250)]
    [InlineData(RateLimitAlgorithm.LeakyBucket, 250)]
    [InlineData(RateLimitAlgorithm.SlidingWindow, 2000)]
    [InlineData(RateLimitAlgorithm.FixedWindow, 1000)]
    public void AKeyIsIdleExactlyWhenItWouldBehaveLikeANewOne(RateLimitAlgorithm algorithm, long idleAfterMs)
    {
        RateLimitRule rule = Rule(algorithm);
        var state = new RateLimitWindowState();
        Assert.True(RateLimitEvaluator.IsIdle(state, rule, T0));

        RateLimitEvaluator.Evaluate(state, rule, 1, T0);

        Assert.False(RateLimitEvaluator.IsIdle(state, rule, T0));
        Assert.False(RateLimitEvaluator.IsIdle(state, rule, T0 + idleAfterMs - 1));
        Assert.True(RateLimitEvaluator.IsIdle(state, rule, T0 + idleAfterMs));
    }

    [Theory]
    [MemberData(nameof(Algorithms))]
    public void StateRoundTripsThroughJsonInAFewBytes(RateLimitAlgorithm algorithm)
    {
        var options = new JsonSerializerOptions { IncludeFields = true, PropertyNamingPolicy = JsonNamingPolicy.CamelCase };
        RateLimitRule rule = new(algorithm, Limit: 3, WindowMs: 1000);
        var state = new RateLimitWindowState();
        RateLimitEvaluator.Evaluate(state, rule, 1, T0 + 1);

        string json = JsonSerializer.Serialize(state, options);
        RateLimitWindowState copy = JsonSerializer.Deserialize<RateLimitWindowState>(json, options)!;

        Assert.True(json.Length < 200, json);
        Assert.Equal(Snapshot(state), Snapshot(copy));
        Assert.Equal(RateLimitEvaluator.Evaluate(state, rule, 0, T0 + 2), RateLimitEvaluator.Evaluate(copy, rule, 0, T0 + 2));
    }

    private static long ExpectedResetAfterOne(RateLimitAlgorithm algorithm) => algorithm switch
    {
        RateLimitAlgorithm.SlidingWindow => 2000,
        RateLimitAlgorithm.FixedWindow => 1000,
        _ => 250,
    };
}
