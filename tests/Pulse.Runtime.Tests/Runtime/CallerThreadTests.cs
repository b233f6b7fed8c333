using Microsoft.Extensions.DependencyInjection;
using Pulse.Runtime.Invocation;
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

    [Fact]
    public async Task NoFinishedCallLeavesAnEntryInThePendingCallTable()
    {
        PendingCallTable table = _silo.Services.GetRequiredService<PendingCallTable>();
        IProbeGrain grain = _silo.GrainFactory.GetGrain<IProbeGrain>(Guid.NewGuid().ToString());
        await grain.GetStatsAsync();

        // Calls answered on their caller's thread never enter the table; calls that yield (and queued
        // ones, from many threads at once) enter it and must leave it when they finish, however the
        // finish races the entry.
        await Task.WhenAll(Enumerable.Range(0, 3000).Select(i => Task.Run(() => grain.EnterAsync(i % 3))));

        Assert.Equal(3000, (await grain.GetStatsAsync()).Calls);
        Assert.Equal(0, table.Count);
    }

    [Fact]
    public async Task ACallerThreadAnswerIsTheCallersOwnCopy()
    {
        IBehaviourGrain grain = _silo.GrainFactory.GetGrain<IBehaviourGrain>(Guid.NewGuid().ToString());
        Assert.Equal(1, await grain.EchoAsync(1));
        await _silo.WaitUntilQuiescentAsync(grain);

        Task<List<int>> call = grain.StoreAsync([1, 2, 3]);
        Assert.True(call.IsCompletedSuccessfully, "the call did not complete on the caller's thread");
        (await call).Add(4);

        Assert.Equal([1, 2, 3], await grain.GetStoredAsync());
    }

    [Fact]
    public async Task CallerThreadCallsOnOneThreadEachGetTheirOwnOutcome()
    {
        IBehaviourGrain grain = _silo.GrainFactory.GetGrain<IBehaviourGrain>(Guid.NewGuid().ToString());
        Assert.Equal(1, await grain.EchoAsync(1));
        await _silo.WaitUntilQuiescentAsync(grain);

        // Answered one after another on this thread, failures and results of one result type alternating.
        Task<int> failed = grain.ThrowArgumentNowAsync("first").AsTask();
        Task<int> seven = grain.EchoAsync(7).AsTask();
        Task<int> failedAgain = grain.ThrowArgumentNowAsync("second").AsTask();
        Task<int> eight = grain.EchoAsync(8).AsTask();
        Task thrown = grain.ThrowAsync("boom");

        Assert.All([failed, seven, failedAgain, eight, thrown], call => Assert.True(call.IsCompleted));
        Assert.Equal("first", (await Assert.ThrowsAsync<ArgumentException>(() => failed)).ParamName);
        Assert.Equal(7, await seven);
        Assert.Equal("second", (await Assert.ThrowsAsync<ArgumentException>(() => failedAgain)).ParamName);
        Assert.Equal(8, await eight);
        Assert.Equal("boom", (await Assert.ThrowsAsync<InvalidOperationException>(() => thrown)).Message);

        // A method that fails after awaiting is answered through a handed-off completion; the next call is clean.
        Assert.Equal("late", (await Assert.ThrowsAsync<ArgumentException>(() => grain.ThrowArgumentAsync("late"))).ParamName);
        await _silo.WaitUntilQuiescentAsync(grain);
        Assert.Equal(9, await grain.EchoAsync(9));
    }

    [Fact]
    public async Task ACallerThreadCallWhoseMethodAwaitsStillTimesOut()
    {
        var time = new ManualTimeProvider();
        await using TestSilo silo = await TestSilo.StartAsync(
            builder => builder.AddMemoryGrainStorage().ConfigureMessaging(options => options.ResponseTimeout = TimeSpan.FromSeconds(5)),
            services => services.AddSingleton<TimeProvider>(time));
        string key = Guid.NewGuid().ToString();
        IBehaviourGrain grain = silo.GrainFactory.GetGrain<IBehaviourGrain>(key);
        Assert.Equal(1, await grain.EchoAsync(1));
        await silo.WaitUntilQuiescentAsync(grain);

        // Starts on this thread (the activation is idle), then awaits a gate nobody opens.
        Task hang = grain.HangAsync();
        Assert.False(hang.IsCompleted);
        time.Advance(TimeSpan.FromSeconds(6));

        // Untracked, the call would never end: wait a bounded real time for it before reading its outcome.
        Assert.Same(hang, await Task.WhenAny(hang, Task.Delay(TimeSpan.FromSeconds(10))));
        await Assert.ThrowsAsync<TimeoutException>(() => hang);
        GrainEvents.Gate(key).Release();
    }

    [Fact]
    public async Task ACallerThreadCallWhoseMethodAwaitsCanStillBeCancelled()
    {
        string key = Guid.NewGuid().ToString();
        IBehaviourGrain grain = _silo.GrainFactory.GetGrain<IBehaviourGrain>(key);
        Assert.Equal(1, await grain.EchoAsync(1));
        await _silo.WaitUntilQuiescentAsync(grain);
        using var cancellation = new CancellationTokenSource();

        Task<bool> call = grain.WaitForCancellationAsync(cancellation.Token);
        Assert.True(GrainEvents.Started.ContainsKey(key), "the call did not start on the caller's thread");
        cancellation.Cancel();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => call);
        await TestSilo.WaitUntilAsync(() => GrainEvents.Cancelled.ContainsKey(key), "the grain saw the cancellation");
    }
}
