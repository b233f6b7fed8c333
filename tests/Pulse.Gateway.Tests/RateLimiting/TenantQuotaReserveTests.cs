using Pulse.Gateway.Api.RateLimiting;
using Pulse.GrainInterfaces.RateLimiting;
using Pulse.GrainInterfaces.Tenants;
using Pulse.Runtime.Testing;

namespace Pulse.Gateway.Tests.RateLimiting;

/// <summary>
/// The gateway's reserve of a tenant's request quota, against a limiter that holds an exact budget of
/// units (no refill), so every admitted request can be accounted for. The clock stands still unless
/// a test moves it: requests then come faster than any lease target, and no unit lapses.
/// </summary>
public sealed class TenantQuotaReserveTests
{
    private readonly ManualTimeProvider _time = new();

    [Fact]
    public async Task ASmallQuotaAsksTheGrainForEveryRequest()
    {
        var limiter = new BudgetLimiter(budget: 50);
        var reserve = new TenantQuotaReserve(new TenantQuota(50, 60_000), limiter, _time);

        int admitted = 0;
        for (int i = 0; i < 80; i++)
        {
            if (await reserve.AdmitAsync() is not { Decision.Allowed: false })
            {
                admitted++;
            }
        }

        Assert.Equal(1, reserve.MaxLease);
        Assert.Equal(50, admitted);
        Assert.Equal(80, limiter.Calls);
        Assert.All(limiter.Costs, cost => Assert.Equal(1, cost));
    }

    [Fact]
    public async Task ABusyTenantIsAdmittedFromLeasesAndNeverBeyondTheBudget()
    {
        const long budget = 20_000;
        var limiter = new BudgetLimiter(budget);
        var reserve = new TenantQuotaReserve(new TenantQuota(1_000_000, 60_000), limiter, _time);

        int admitted = 0;
        int refused = 0;
        RateLimitCheckResult? lastRefusal = null;
        await Task.WhenAll(Enumerable.Range(0, 8).Select(_ => Task.Run(async () =>
        {
            for (int i = 0; i < 3_000; i++)
            {
                RateLimitCheckResult? result = await reserve.AdmitAsync();
                if (result is { Decision.Allowed: false })
                {
                    Interlocked.Increment(ref refused);
                    lastRefusal = result;
                }
                else
                {
                    Interlocked.Increment(ref admitted);
                }
            }
        })));

        // Every unit the limiter gave out went to exactly one request, and none beyond the budget.
        Assert.Equal(budget, limiter.Granted);
        Assert.Equal(budget, admitted + reserve.Units);
        Assert.Equal(24_000 - admitted, refused);
        Assert.True(reserve.Units <= reserve.MaxLease, $"{reserve.Units} units left over, more than one lease of {reserve.MaxLease}");

        // Leases grew: far fewer grain calls than requests, and none larger than 1% of the limit.
        Assert.True(limiter.Calls < 24_000 / 4, $"{limiter.Calls} grain calls for 24,000 requests");
        Assert.Contains(limiter.Costs, cost => cost > 1);
        Assert.All(limiter.Costs, cost => Assert.InRange(cost, 1, 10_000));

        // Near the limit a refused lease falls back to single checks, and a refusal carries the grain's decision.
        Assert.Equal(1, reserve.LeaseSize);
        Assert.Equal(1_234, lastRefusal!.Value.Decision.RetryAfterMs);
    }

    [Fact]
    public async Task ALeaseRefusedNearTheLimitStillAdmitsTheRequestWithTheLastUnits()
    {
        var limiter = new BudgetLimiter(budget: 10_000);
        var reserve = new TenantQuotaReserve(new TenantQuota(1_000_000, 60_000), limiter, _time);

        // Sequential requests come well within the lease target, so leases grow until one is refused.
        int admitted = 0;
        while (await reserve.AdmitAsync() is not { Decision.Allowed: false })
        {
            admitted++;
        }

        Assert.Equal(10_000, admitted);
        Assert.Contains(limiter.Refusals, cost => cost > 1);
        Assert.Equal(0, reserve.Units);
    }

    [Fact]
    public async Task AFailedLeaseFailsItsRequestAndLeavesNobodyWaiting()
    {
        var limiter = new BudgetLimiter(budget: 1_000);
        var reserve = new TenantQuotaReserve(new TenantQuota(1_000_000, 60_000), limiter, _time);
        Assert.Null(await reserve.AdmitAsync() is { Decision.Allowed: false } ? "refused" : null);
        Assert.Null(await reserve.AdmitAsync() is { Decision.Allowed: false } ? "refused" : null);
        Assert.Equal(2, reserve.LeaseSize);

        limiter.FailNext = true;
        await Assert.ThrowsAsync<InvalidOperationException>(async () => await reserve.AdmitAsync());

        // The next request neither waits on the failed lease nor leases again before the grain answers singly.
        Task<RateLimitCheckResult?> next = reserve.AdmitAsync().AsTask();
        Assert.Same(next, await Task.WhenAny(next, Task.Delay(TimeSpan.FromSeconds(10))));
        Assert.True((await next)?.Decision.Allowed ?? true);
        Assert.Equal([1L, 1L, 2L, 1L], limiter.Costs);
        Assert.Equal(3, limiter.Granted);
    }

    [Fact]
    public async Task UnitsLapseAfterTheQuotaWindowAndASlowTenantGoesBackToSingleChecks()
    {
        var limiter = new BudgetLimiter(budget: 1_000_000);
        var reserve = new TenantQuotaReserve(new TenantQuota(1_000_000, 500), limiter, _time);
        for (int i = 0; i < 100; i++)
        {
            await reserve.AdmitAsync();
        }

        long held = reserve.Units;
        Assert.True(held > 0, "a busy tenant holds leased units");
        int callsBefore = limiter.Calls;
        long sizeBefore = reserve.LeaseSize;

        // Past the 500 ms window the held units no longer count: the next request asks the grain again.
        _time.Advance(TimeSpan.FromMilliseconds(501));
        await reserve.AdmitAsync();
        Assert.Equal(callsBefore + 1, limiter.Calls);

        // That lease came a long time after the previous one: the next is sized down to the slow pace.
        Assert.True(reserve.LeaseSize <= sizeBefore / 10, $"lease {sizeBefore} -> {reserve.LeaseSize}");
    }

    /// <summary>Grants units from a fixed budget; records every call's cost.</summary>
    private sealed class BudgetLimiter(long budget) : IRateLimiterGrain
    {
        private readonly Lock _lock = new();
        private long _left = budget;

        public List<long> Costs { get; } = [];

        public List<long> Refusals { get; } = [];

        public long Granted { get; private set; }

        public int Calls
        {
            get
            {
                lock (_lock)
                {
                    return Costs.Count;
                }
            }
        }

        public bool FailNext { get; set; }

        public async ValueTask<RateLimitCheckResult> CheckAsync(RateLimitCheck check)
        {
            // Answer asynchronously, as a grain on another thread or silo would, so requests overlap a lease.
            await Task.Yield();
            lock (_lock)
            {
                Costs.Add(check.Cost);
                if (FailNext)
                {
                    FailNext = false;
                    throw new InvalidOperationException("The grain failed.");
                }

                if (check.Cost > _left)
                {
                    Refusals.Add(check.Cost);
                    return new RateLimitCheckResult(new RateLimitDecision(false, check.Rule.Limit, _left, 1_234, 1_234), RateLimitOutcome.Rejected);
                }

                _left -= check.Cost;
                Granted += check.Cost;
                return new RateLimitCheckResult(new RateLimitDecision(true, check.Rule.Limit, _left, 0, 0), RateLimitOutcome.Allowed);
            }
        }

        public ValueTask<RateLimitCheckResult[]> CheckManyAsync(RateLimitCheck[] checks) => throw new NotSupportedException();

        public ValueTask<RateLimitCheckResult> PeekAsync(RateLimitCheck check) => throw new NotSupportedException();

        public ValueTask<RateLimitCheckResult[]> PeekManyAsync(RateLimitCheck[] checks) => throw new NotSupportedException();

        public ValueTask RefundAsync(string window, RateLimitRule rule, long cost) => throw new NotSupportedException();

        public Task ResetAsync(string? window) => throw new NotSupportedException();

        public Task DrainAsync(string window, RateLimitRule rule) => throw new NotSupportedException();

        public Task BlockAsync(long untilUnixMs, string reason) => throw new NotSupportedException();

        public Task<bool> UnblockAsync() => throw new NotSupportedException();
    }
}
