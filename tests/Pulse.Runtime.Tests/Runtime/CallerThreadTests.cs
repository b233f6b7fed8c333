using Pulse.Runtime.Testing;

namespace Pulse.Runtime.Tests.Runtime;

/// <summary>
/// A call from outside any grain to an idle activation runs on the caller's thread (no thread-pool
/// hand-off); calls from grains never do, and turns stay exclusive when both paths mix.
/// </summary>
public sealed class CallerThreadTests : IAsyncLifetime
{
    private TestSilo _silo = null!;

    public async Task InitializeAsync() => _silo = await TestSilo.StartAsync(silo => silo.AddMemoryGrainStorage());

    public async Task DisposeAsync() => await _silo.DisposeAsync();

    [Fact]
    public async Task ACallFromOutsideToAnIdleActivationCompletesOnTheCallersThreadBeforeItReturns()
    {
        ICallerThreadGrain grain = _silo.GrainFactory.GetGrain<ICallerThreadGrain>(Guid.NewGuid().ToString());
        await grain.ThreadAsync();
        await _silo.WaitUntilQuiescentAsync(grain);

        int caller = Environment.CurrentManagedThreadId;
        ValueTask<int> call = grain.ThreadAsync();

        Assert.True(call.IsCompletedSuccessfully, "the call to an idle activation did not complete on the caller's thread");
        Assert.Equal(caller, await call);
    }

    [Fact]
    public async Task ACallFromAGrainIsQueuedNotRunInsideTheCallersTurn()
    {
        ICallerThreadGrain caller = _silo.GrainFactory.GetGrain<ICallerThreadGrain>(Guid.NewGuid().ToString());
        string calleeKey = Guid.NewGuid().ToString();
        ICallerThreadGrain callee = _silo.GrainFactory.GetGrain<ICallerThreadGrain>(calleeKey);
        await callee.ThreadAsync();
        await _silo.WaitUntilQuiescentAsync(callee);

        Assert.False(await caller.CallRanInsideCallerAsync(calleeKey));
    }

    [Fact]
    public async Task SynchronousCallsFromManyThreadsNeverOverlapInOneActivation()
    {
        IProbeGrain grain = _silo.GrainFactory.GetGrain<IProbeGrain>(Guid.NewGuid().ToString());
        await grain.GetStatsAsync();

        // No yields: every call completes synchronously, so idle moments run on callers' threads and
        // busy ones queue; both must keep one request at a time.
        int[] seen = await Task.WhenAll(Enumerable.Range(0, 2000).Select(_ => Task.Run(() => grain.EnterAsync(0))));

        ProbeStats stats = await grain.GetStatsAsync();
        Assert.All(seen, running => Assert.Equal(1, running));
        Assert.Equal((1, 0, 2000), (stats.MaxConcurrent, stats.ParallelViolations, stats.Calls));
    }
}
