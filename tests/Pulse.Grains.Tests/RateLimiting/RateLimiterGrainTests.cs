using Pulse.GrainInterfaces.RateLimiting;
using Microsoft.Extensions.DependencyInjection;
using Pulse.Runtime;
using Pulse.Runtime.Hosting;
using Pulse.Runtime.Persistence;
using Pulse.Runtime.Testing;
using Xunit;

namespace Pulse.Grains.Tests.RateLimiting;

/// <summary>The limiter, policy and statistics grains in a real silo on a controllable clock.</summary>
public sealed class RateLimiterGrainTests : IAsyncLifetime
{
    private static readonly RateLimitRule TenPerMinute = new(RateLimitAlgorithm.FixedWindow, 10, 60_000);

    private readonly ManualTimeProvider _clock = new(new DateTimeOffset(2026, 11, 22, 12, 0, 0, TimeSpan.Zero));
    private readonly MemoryGrainStorageStore _store = new();
    private TestSilo _silo = null!;

    private IGrainFactory Grains => _silo.GrainFactory;

    public async Task InitializeAsync() => _silo = await StartSiloAsync();

    public async Task DisposeAsync() => await _silo.DisposeAsync();

    [Fact]
    public async Task AFixedWindowAdmitsItsLimitThenRefusesUntilTheNextWindow()
    {
        IRateLimiterGrain limiter = Grains.GetGrain<IRateLimiterGrain>(RateLimiterKeys.Limiter("t1", "user:1"));
        var check = new RateLimitCheck(RateLimiterKeys.AdHocWindow(RateLimitAlgorithm.FixedWindow), TenPerMinute, 1);
        for (int i = 0; i < 10; i++)
        {
            RateLimitCheckResult admitted = await limiter.CheckAsync(check);
            Assert.True(admitted.Decision.Allowed);
            Assert.Equal(9 - i, admitted.Decision.Remaining);
            Assert.Equal(i >= 7 ? RateLimitOutcome.NearLimit : RateLimitOutcome.Allowed, admitted.Outcome);
        }

        RateLimitCheckResult refused = await limiter.CheckAsync(check);
        Assert.False(refused.Decision.Allowed);
        Assert.Equal(RateLimitOutcome.Rejected, refused.Outcome);
        Assert.Equal(60_000, refused.Decision.RetryAfterMs);

        _clock.Advance(TimeSpan.FromMinutes(1));
        Assert.True((await limiter.CheckAsync(check)).Decision.Allowed);
    }

    [Fact]
    public async Task ShadowModeAllowsWhatEnforcementWouldRefuse()
    {
        IRateLimiterGrain limiter = Grains.GetGrain<IRateLimiterGrain>(RateLimiterKeys.Limiter("t1", "shadow"));
        var rule = new RateLimitRule(RateLimitAlgorithm.FixedWindow, 1, 60_000);
        var check = new RateLimitCheck("~fixed_window", rule, 1, Shadow: true);
        Assert.Equal(RateLimitOutcome.NearLimit, (await limiter.CheckAsync(check)).Outcome);

        RateLimitCheckResult second = await limiter.CheckAsync(check);
        Assert.True(second.Decision.Allowed);
        Assert.Equal(RateLimitOutcome.ShadowRejected, second.Outcome);
    }

    [Fact]
    public async Task TenantsAndKeysHaveSeparateWindows()
    {
        var check = new RateLimitCheck("~fixed_window", new RateLimitRule(RateLimitAlgorithm.FixedWindow, 1, 60_000), 1);
        Assert.True((await Grains.GetGrain<IRateLimiterGrain>(RateLimiterKeys.Limiter("a", "k")).CheckAsync(check)).Decision.Allowed);
        Assert.True((await Grains.GetGrain<IRateLimiterGrain>(RateLimiterKeys.Limiter("b", "k")).CheckAsync(check)).Decision.Allowed);
        Assert.True((await Grains.GetGrain<IRateLimiterGrain>(RateLimiterKeys.Limiter("a", "k2")).CheckAsync(check)).Decision.Allowed);
        Assert.False((await Grains.GetGrain<IRateLimiterGrain>(RateLimiterKeys.Limiter("a", "k")).CheckAsync(check)).Decision.Allowed);
    }

    [Fact]
    public async Task APenaltyBlocksTheKeyForEveryLimitAndIsListed()
    {
        var penalty = new PenaltyRule(Rejections: 2, WithinMs: 60_000, BlockMs: 10_000, MaxBlockMs: 600_000);
        var rule = new RateLimitRule(RateLimitAlgorithm.FixedWindow, 1, 60_000, Penalty: penalty);
        IRateLimiterGrain limiter = Grains.GetGrain<IRateLimiterGrain>(RateLimiterKeys.Limiter("t2", "abuser"));
        var check = new RateLimitCheck(RateLimiterKeys.PolicyWindow("strict"), rule, 1);
        Assert.True((await limiter.CheckAsync(check)).Decision.Allowed);
        Assert.Equal(RateLimitOutcome.Rejected, (await limiter.CheckAsync(check)).Outcome);
        Assert.Equal(RateLimitOutcome.Rejected, (await limiter.CheckAsync(check)).Outcome);

        // Another limit of the same key is refused too while the block lasts.
        var other = new RateLimitCheck("~gcra", new RateLimitRule(RateLimitAlgorithm.Gcra, 1000, 1000), 1);
        RateLimitCheckResult blocked = await limiter.CheckAsync(other);
        Assert.Equal(RateLimitOutcome.Blocked, blocked.Outcome);
        Assert.False(blocked.Decision.Allowed);
        Assert.Equal(10_000, blocked.Decision.RetryAfterMs);

        IRateLimitPolicyGrain policies = Grains.GetGrain<IRateLimitPolicyGrain>("t2");
        RateLimitBlock listed = Assert.Single(await WaitForBlocksAsync(policies));
        Assert.Equal("abuser", listed.Key);
        Assert.True(listed.Penalty);

        _clock.Advance(TimeSpan.FromSeconds(10));
        Assert.True((await limiter.CheckAsync(other)).Decision.Allowed);
    }

    [Fact]
    public async Task AManualBlockIsEnforcedListedAndLifted()
    {
        IRateLimitPolicyGrain policies = Grains.GetGrain<IRateLimitPolicyGrain>("t3");
        long until = _clock.GetUtcNow().AddMinutes(5).ToUnixTimeMilliseconds();
        await policies.AddBlockAsync("bot", until, "scraping");

        IRateLimiterGrain limiter = Grains.GetGrain<IRateLimiterGrain>(RateLimiterKeys.Limiter("t3", "bot"));
        var check = new RateLimitCheck("~gcra", new RateLimitRule(RateLimitAlgorithm.Gcra, 100, 1000), 1);
        RateLimitCheckResult blocked = await limiter.CheckAsync(check);
        Assert.Equal(RateLimitOutcome.Blocked, blocked.Outcome);
        Assert.Equal("scraping", blocked.BlockReason);
        Assert.Equal("bot", Assert.Single(await policies.GetBlocksAsync()).Key);

        Assert.True(await policies.RemoveBlockAsync("bot"));
        Assert.False(await policies.RemoveBlockAsync("bot"));
        Assert.Empty(await policies.GetBlocksAsync());
        Assert.True((await limiter.CheckAsync(check)).Decision.Allowed);
    }

    [Fact]
    public async Task AManualBlockSurvivesASiloRestartButRefilledWindowsAreNotStored()
    {
        long until = _clock.GetUtcNow().AddHours(1).ToUnixTimeMilliseconds();
        await Grains.GetGrain<IRateLimitPolicyGrain>("t4").AddBlockAsync("blocked", until, "fraud");
        var check = new RateLimitCheck("~fixed_window", TenPerMinute, 1);
        await Grains.GetGrain<IRateLimiterGrain>(RateLimiterKeys.Limiter("t4", "busy")).CheckAsync(check);
        await Grains.GetGrain<IRateLimiterGrain>(RateLimiterKeys.Limiter("t4", "idle")).CheckAsync(check);

        // "idle" has refilled by the time the silo stops; "busy" is used again just before.
        _clock.Advance(TimeSpan.FromMinutes(2));
        await Grains.GetGrain<IRateLimiterGrain>(RateLimiterKeys.Limiter("t4", "busy")).CheckAsync(check);
        await _silo.DisposeAsync();
        int stored = _store.Count;
        _silo = await StartSiloAsync();

        Assert.Equal(RateLimitOutcome.Blocked, (await Grains.GetGrain<IRateLimiterGrain>(RateLimiterKeys.Limiter("t4", "blocked")).CheckAsync(check)).Outcome);
        Assert.Equal(8, (await Grains.GetGrain<IRateLimiterGrain>(RateLimiterKeys.Limiter("t4", "busy")).CheckAsync(check)).Decision.Remaining);

        // The block's limiter, the busy key's limiter and the policy grain; nothing for the idle key.
        Assert.Equal(3, stored);
    }

    [Fact]
    public async Task ResetRestoresCapacityAndDrainRemovesIt()
    {
        IRateLimiterGrain limiter = Grains.GetGrain<IRateLimiterGrain>(RateLimiterKeys.Limiter("t5", "k"));
        var check = new RateLimitCheck("~fixed_window", TenPerMinute, 4);
        await limiter.CheckAsync(check);
        await limiter.ResetAsync(null);
        Assert.Equal(6, (await limiter.CheckAsync(check)).Decision.Remaining);

        await limiter.DrainAsync("~fixed_window", TenPerMinute);
        Assert.False((await limiter.CheckAsync(check with { Cost = 1 })).Decision.Allowed);

        await limiter.ResetAsync("~fixed_window");
        Assert.Equal(9, (await limiter.CheckAsync(check with { Cost = 1 })).Decision.Remaining);
    }

    [Fact]
    public async Task CheckManyRunsInOrderInOneTurn()
    {
        IRateLimiterGrain limiter = Grains.GetGrain<IRateLimiterGrain>(RateLimiterKeys.Limiter("t6", "k"));
        var rule = new RateLimitRule(RateLimitAlgorithm.FixedWindow, 3, 60_000);
        RateLimitCheckResult[] results = await limiter.CheckManyAsync(
            [new("~fixed_window", rule, 2), new("~fixed_window", rule, 2), new("~fixed_window", rule, 1)]);
        Assert.Equal([true, false, true], results.Select(r => r.Decision.Allowed));
        Assert.Equal(0, results[2].Decision.Remaining);
    }

    [Fact]
    public async Task PeekManyDecidesLikeCheckManyButConsumesNothing()
    {
        IRateLimiterGrain limiter = Grains.GetGrain<IRateLimiterGrain>(RateLimiterKeys.Limiter("t8", "k"));
        var rule = new RateLimitRule(RateLimitAlgorithm.SlidingWindow, 5, 60_000);
        Assert.True((await limiter.CheckAsync(new("~sliding_window", rule, 1))).Decision.Allowed);

        // Each peek sees the ones before it: 2 + 2 fit in the 4 left, a third 2 does not; the refund is always fine.
        RateLimitCheckResult[] peeks = await limiter.PeekManyAsync(
            [new("~sliding_window", rule, 2), new("~sliding_window", rule, 2), new("~sliding_window", rule, 2), new("~sliding_window", rule, -1)]);
        Assert.Equal([true, true, false, true], peeks.Select(r => r.Decision.Allowed));
        Assert.Equal([4L, 4L, 0L, 4L], peeks.Select(r => r.Decision.Remaining));
        Assert.Equal(RateLimitOutcome.Rejected, peeks[2].Outcome);
        Assert.True(peeks[2].Decision.RetryAfterMs > 0);

        Assert.Equal(4, (await limiter.PeekAsync(new("~sliding_window", rule, 4))).Decision.Remaining);
        Assert.Equal(4, (await limiter.CheckAsync(new("~sliding_window", rule, 0))).Decision.Remaining);
    }

    [Fact]
    public async Task APeekCountsOnlyARefusalOfARealCostTowardsAPenaltyAndSeesBlocks()
    {
        var penalty = new PenaltyRule(Rejections: 1, WithinMs: 60_000, BlockMs: 10_000, MaxBlockMs: 600_000);
        var rule = new RateLimitRule(RateLimitAlgorithm.FixedWindow, 1, 60_000, Penalty: penalty);
        IRateLimiterGrain limiter = Grains.GetGrain<IRateLimiterGrain>(RateLimiterKeys.Limiter("t9", "k"));
        const string window = "p:strict";

        // Admissible peeks, shadow refusals and peeks of cost 0 leave no trace.
        Assert.Equal(RateLimitOutcome.Allowed, (await limiter.PeekAsync(new(window, rule, 1))).Outcome);
        Assert.True((await limiter.CheckAsync(new(window, rule, 1))).Decision.Allowed);
        Assert.Equal(RateLimitOutcome.ShadowRejected, (await limiter.PeekAsync(new(window, rule, 1, Shadow: true))).Outcome);
        Assert.True((await limiter.PeekAsync(new(window, rule, 0))).Decision.Allowed);

        // Not blocked: refused by the limit (checked without the penalty, so this refusal counts for nothing).
        Assert.Equal(RateLimitOutcome.Rejected, (await limiter.CheckAsync(new(window, rule with { Penalty = null }, 1))).Outcome);

        // A refused peek of a real cost is a refusal like any other: with rejections 1 it blocks the key.
        Assert.Equal(RateLimitOutcome.Rejected, (await limiter.PeekAsync(new(window, rule, 1))).Outcome);
        RateLimitCheckResult blocked = await limiter.PeekAsync(new(window, rule, 1));
        Assert.Equal(RateLimitOutcome.Blocked, blocked.Outcome);
        Assert.Equal(10_000, blocked.Decision.RetryAfterMs);
    }

    [Fact]
    public async Task PoliciesAreVersionedAndStatisticsAccumulate()
    {
        IRateLimitPolicyGrain policies = Grains.GetGrain<IRateLimitPolicyGrain>("t7");
        var policy = new RateLimitPolicy("api", TenPerMinute, Shadow: false, UpdatedUnixMs: 1);
        Assert.True(await policies.PutPolicyAsync(policy));
        Assert.False(await policies.PutPolicyAsync(policy with { Shadow = true }));
        RateLimitPolicySet set = await policies.GetPoliciesAsync();
        Assert.Equal(2, set.Version);
        Assert.True(Assert.Single(set.Policies).Shadow);
        Assert.True(await policies.DeletePolicyAsync("api"));
        Assert.False(await policies.DeletePolicyAsync("api"));
        Assert.Empty((await policies.GetPoliciesAsync()).Policies);

        IRateLimitStatsGrain stats = Grains.GetGrain<IRateLimitStatsGrain>("t7");
        await stats.AddAsync(new RateLimitStatsDelta { Checks = 5, Allowed = 3, Rejected = 2, RejectedByKey = { ["a"] = 2 } });
        await stats.AddAsync(new RateLimitStatsDelta { Checks = 4, Allowed = 1, Rejected = 3, RejectedByKey = { ["b"] = 3 } });
        RateLimitStats totals = await stats.GetAsync();
        Assert.Equal((9, 4, 5), (totals.Checks, totals.Allowed, totals.Rejected));
        Assert.Equal(["b", "a"], totals.TopLimitedKeys.Select(k => k.Key));
    }

    private static async Task<RateLimitBlock[]> WaitForBlocksAsync(IRateLimitPolicyGrain policies)
    {
        // The limiter reports penalty blocks one-way; wait for the index to catch up.
        RateLimitBlock[] blocks = [];
        await TestSilo.WaitUntilAsync(() => (blocks = policies.GetBlocksAsync().GetAwaiter().GetResult()).Length > 0, "the penalty block to be listed");
        return blocks;
    }

    private Task<TestSilo> StartSiloAsync() => TestSilo.StartAsync(
        silo => silo.AddGrainAssembly(typeof(GrainsAssembly).Assembly).AddMemoryGrainStorage(store: _store),
        services => services.AddSingleton<TimeProvider>(_clock));
}
