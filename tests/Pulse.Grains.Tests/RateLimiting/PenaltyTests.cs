using Pulse.GrainInterfaces.RateLimiting;
using Pulse.Grains.RateLimiting;
using static Pulse.Grains.Tests.RateLimiting.Check;

namespace Pulse.Grains.Tests.RateLimiting;

public sealed class PenaltyTests
{
    private static readonly PenaltyRule s_rule = new(Rejections: 3, WithinMs: 10_000, BlockMs: 1000, MaxBlockMs: 5000);

    private static void Offend(RateLimitPenaltyState state, PenaltyRule rule, long at)
    {
        for (int i = 0; i < rule.Rejections; i++)
        {
            RateLimitPenalties.RecordRejection(state, rule, at);
        }
    }

    [Fact]
    public void TheRejectionThatReachesTheCountBlocksForBlockMs()
    {
        var state = new RateLimitPenaltyState();

        RateLimitPenalties.RecordRejection(state, s_rule, T0);
        RateLimitPenalties.RecordRejection(state, s_rule, T0 + 1);
        Assert.False(RateLimitPenalties.IsBlocked(state, T0 + 1, out long notBlocked));
        Assert.Equal(0, notBlocked);

        RateLimitPenalties.RecordRejection(state, s_rule, T0 + 2);

        Assert.True(RateLimitPenalties.IsBlocked(state, T0 + 2, out long retryAfter));
        Assert.Equal(1000, retryAfter);
        Assert.True(RateLimitPenalties.IsBlocked(state, T0 + 1001, out retryAfter));
        Assert.Equal(1, retryAfter);
        Assert.False(RateLimitPenalties.IsBlocked(state, T0 + 1002, out _));
        Assert.Equal(1, state.Level);
        Assert.Equal(0, state.Rejections);
        Assert.False(state.Manual);
    }

    [Fact]
    public void RejectionsAreCountedInAWindowStartingAtTheFirstOne()
    {
        var state = new RateLimitPenaltyState();

        RateLimitPenalties.RecordRejection(state, s_rule, T0);
        RateLimitPenalties.RecordRejection(state, s_rule, T0 + 5_000);

        // T0 + WithinMs is outside the window that began at T0: the count starts again at 1.
        RateLimitPenalties.RecordRejection(state, s_rule, T0 + 10_000);
        Assert.False(RateLimitPenalties.IsBlocked(state, T0 + 10_000, out _));
        Assert.Equal(1, state.Rejections);
        Assert.Equal(T0 + 10_000, state.CountStartMs);

        RateLimitPenalties.RecordRejection(state, s_rule, T0 + 19_999);
        RateLimitPenalties.RecordRejection(state, s_rule, T0 + 19_999);
        Assert.True(RateLimitPenalties.IsBlocked(state, T0 + 19_999, out _));
    }

    [Fact]
    public void RejectionsWhileBlockedDoNotCountOrExtendTheBlock()
    {
        var state = new RateLimitPenaltyState();
        Offend(state, s_rule, T0);

        Offend(state, s_rule, T0 + 500);

        Assert.Equal(T0 + 1000, state.BlockedUntilMs);
        Assert.Equal(0, state.Rejections);
        Assert.Equal(1, state.Level);
    }

    [Fact]
    public void RepeatBlocksDoubleUpToTheCap()
    {
        var state = new RateLimitPenaltyState();
        long now = T0;
        var durations = new List<long>();
        for (int i = 0; i < 5; i++)
        {
            Offend(state, s_rule, now);
            RateLimitPenalties.IsBlocked(state, now, out long blockedFor);
            durations.Add(blockedFor);
            now += blockedFor;
        }

        Assert.Equal([1000L, 2000, 4000, 5000, 5000], durations);
        Assert.Equal(5, state.Level);
    }

    [Fact]
    public void BlockDurationNeverOverflowsAtHighLevels()
    {
        var rule = new PenaltyRule(1, 1000, BlockMs: 3, MaxBlockMs: RateLimitRuleValidator.MaxDurationMs);

        Assert.Equal(3, RateLimitPenalties.BlockDuration(rule, 0));
        Assert.Equal(3L << 20, RateLimitPenalties.BlockDuration(rule, 20));
        Assert.Equal(RateLimitRuleValidator.MaxDurationMs, RateLimitPenalties.BlockDuration(rule, 61));
        Assert.Equal(RateLimitRuleValidator.MaxDurationMs, RateLimitPenalties.BlockDuration(rule, 62));
    }

    [Fact]
    public void TheLevelDecaysAfterWithinMsOfGoodBehaviourPastTheBlock()
    {
        // Block 1000 ms ends at T0 + 1000; quiet time = max(WithinMs 10,000, 1,000) = 10,000.
        var state = new RateLimitPenaltyState();
        Offend(state, s_rule, T0);
        long decayAt = T0 + 1000 + 10_000;

        Assert.Equal(1, RateLimitPenalties.CurrentLevel(state, s_rule, decayAt - 1));
        Assert.Equal(0, RateLimitPenalties.CurrentLevel(state, s_rule, decayAt));

        var early = Clone(state);
        Offend(early, s_rule, decayAt - 1);
        Assert.Equal(decayAt - 1 + 2000, early.BlockedUntilMs);

        Offend(state, s_rule, decayAt);
        Assert.Equal(decayAt + 1000, state.BlockedUntilMs);
        Assert.Equal(1, state.Level);
    }

    [Fact]
    public void AfterABlockLongerThanWithinMsTheLevelDecaysAfterThatBlocksLength()
    {
        var rule = new PenaltyRule(Rejections: 1, WithinMs: 1000, BlockMs: 4000, MaxBlockMs: 60_000);
        var state = new RateLimitPenaltyState();
        RateLimitPenalties.RecordRejection(state, rule, T0);

        // Block ends at T0 + 4000 and lasted 4000 ms, which outweighs WithinMs.
        Assert.Equal(1, RateLimitPenalties.CurrentLevel(state, rule, T0 + 7999));
        Assert.Equal(0, RateLimitPenalties.CurrentLevel(state, rule, T0 + 8000));
        Assert.False(RateLimitPenalties.IsIdle(state, rule, T0 + 7999));
        Assert.True(RateLimitPenalties.IsIdle(state, rule, T0 + 8000));
    }

    [Fact]
    public void AManualBlockKeepsItsReasonAndUnblockPardonsEverything()
    {
        var state = new RateLimitPenaltyState();
        Offend(state, s_rule, T0);

        RateLimitPenalties.Block(state, T0 + 60_000, "abuse report 42");

        Assert.True(RateLimitPenalties.IsBlocked(state, T0 + 30_000, out long retryAfter));
        Assert.Equal(30_000, retryAfter);
        Assert.True(state.Manual);
        Assert.Equal("abuse report 42", state.Reason);
        Assert.Equal(1, state.Level);

        RateLimitPenalties.Unblock(state);

        Assert.False(RateLimitPenalties.IsBlocked(state, T0 + 30_000, out _));
        Assert.Null(state.Reason);
        Assert.False(state.Manual);
        Assert.Equal(0, state.Level);
        Assert.True(RateLimitPenalties.IsIdle(state, s_rule, T0 + 30_000));
    }

    [Fact]
    public void AnAutomaticBlockAfterAManualOneClearsTheReason()
    {
        var state = new RateLimitPenaltyState();
        RateLimitPenalties.Block(state, T0 + 1000, "maintenance");

        Offend(state, s_rule, T0 + 1000);

        Assert.False(state.Manual);
        Assert.Null(state.Reason);
        Assert.Equal(T0 + 2000, state.BlockedUntilMs);
    }

    [Fact]
    public void IsIdleOnlyWhenNothingWouldCarryOver()
    {
        var state = new RateLimitPenaltyState();
        Assert.True(RateLimitPenalties.IsIdle(state, s_rule, T0));

        RateLimitPenalties.RecordRejection(state, s_rule, T0);

        Assert.False(RateLimitPenalties.IsIdle(state, s_rule, T0 + 9_999));
        Assert.True(RateLimitPenalties.IsIdle(state, s_rule, T0 + 10_000));
        Assert.True(RateLimitPenalties.IsIdle(state, rule: null, T0));
    }

    private static RateLimitPenaltyState Clone(RateLimitPenaltyState state) => new()
    {
        Rejections = state.Rejections,
        CountStartMs = state.CountStartMs,
        BlockedUntilMs = state.BlockedUntilMs,
        LastBlockMs = state.LastBlockMs,
        Level = state.Level,
        Manual = state.Manual,
        Reason = state.Reason,
    };
}
