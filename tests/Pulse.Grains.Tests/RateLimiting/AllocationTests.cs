using Pulse.GrainInterfaces.RateLimiting;
using Pulse.Grains.RateLimiting;
using static Pulse.Grains.Tests.RateLimiting.Check;

namespace Pulse.Grains.Tests.RateLimiting;

public sealed class AllocationTests
{
    public static TheoryData<RateLimitRule> Rules =>
    [
        new RateLimitRule(RateLimitAlgorithm.Gcra, 3, 1000, Burst: 5),
        new RateLimitRule(RateLimitAlgorithm.TokenBucket, 3, 1000, Burst: 5),
        new RateLimitRule(RateLimitAlgorithm.LeakyBucket, 3, 1000, Burst: 5),
        new RateLimitRule(RateLimitAlgorithm.SlidingWindow, 3, 1000),
        new RateLimitRule(RateLimitAlgorithm.FixedWindow, 3, 1000),
        // Within one cached period a calendar window allocates nothing either.
        new RateLimitRule(RateLimitAlgorithm.FixedWindow, 3, 0, Calendar: CalendarUnit.Month, TimeZone: "Europe/Paris"),
    ];

    [Theory]
    [MemberData(nameof(Rules))]
    public void EvaluatingAllocatesNothing(RateLimitRule rule)
    {
        var state = new RateLimitWindowState();
        long now = T0 + 3_600_000;
        Run(state, rule, now);

        long before = GC.GetAllocatedBytesForCurrentThread();
        long admitted = Run(state, rule, now);
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        Assert.Equal(0, allocated);
        Assert.True(admitted > 0);
    }

    private static long Run(RateLimitWindowState state, RateLimitRule rule, long start)
    {
        // Every path once per round: admit, peek, reject (a cost no bucket holds), refund, idle check.
        long admitted = 0;
        for (int i = 0; i < 1000; i++)
        {
            long now = start + i * 7;
            admitted += RateLimitEvaluator.Evaluate(state, rule, 1, now).Allowed ? 1 : 0;
            RateLimitEvaluator.Evaluate(state, rule, 0, now);
            RateLimitEvaluator.Evaluate(state, rule, 100, now);
            RateLimitEvaluator.Evaluate(state, rule, -1, now);
            _ = RateLimitEvaluator.IsIdle(state, rule, now);
        }

        return admitted;
    }
}
