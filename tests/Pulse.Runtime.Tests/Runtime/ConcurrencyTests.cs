using Pulse.Runtime.Testing;

namespace Pulse.Runtime.Tests.Runtime;

public sealed class ConcurrencyTests : IAsyncLifetime
{
    private TestSilo _silo = null!;

    public async Task InitializeAsync() => _silo = await TestSilo.StartAsync(silo => silo.AddMemoryGrainStorage());

    public async Task DisposeAsync() => await _silo.DisposeAsync();

    [Fact]
    public async Task ThousandConcurrentCallsOnANonReentrantGrainNeverOverlap()
    {
        IProbeGrain grain = _silo.GrainFactory.GetGrain<IProbeGrain>(Guid.NewGuid().ToString());

        int[] seen = await Task.WhenAll(Enumerable.Range(0, 1000).Select(_ => Task.Run(() => grain.EnterAsync(3))));

        ProbeStats stats = await grain.GetStatsAsync();
        Assert.All(seen, running => Assert.Equal(1, running));
        Assert.Equal(1, stats.MaxConcurrent);
        Assert.Equal(0, stats.ParallelViolations);
        Assert.Equal(1000, stats.Calls);
    }

    [Fact]
    public async Task ThousandConcurrentCallsOnAReentrantGrainInterleaveButNeverRunInParallel()
    {
        IReentrantProbeGrain grain = _silo.GrainFactory.GetGrain<IReentrantProbeGrain>(Guid.NewGuid().ToString());

        await Task.WhenAll(Enumerable.Range(0, 1000).Select(_ => Task.Run(() => grain.EnterAsync(3))));

        ProbeStats stats = await grain.GetStatsAsync();
        Assert.True(stats.MaxConcurrent > 1, $"expected interleaving, max concurrent was {stats.MaxConcurrent}");
        Assert.Equal(0, stats.ParallelViolations);
        Assert.Equal(1000, stats.Calls);
    }

    [Fact]
    public async Task ReadOnlyCallsInterleaveWithEachOtherOnANonReentrantGrain()
    {
        IProbeGrain grain = _silo.GrainFactory.GetGrain<IProbeGrain>(Guid.NewGuid().ToString());

        await Task.WhenAll(Enumerable.Range(0, 200).Select(_ => Task.Run(() => grain.ReadAsync(3))));

        ProbeStats stats = await grain.GetStatsAsync();
        Assert.True(stats.MaxConcurrent > 1, $"expected read-only calls to interleave, max concurrent was {stats.MaxConcurrent}");
        Assert.Equal(0, stats.ParallelViolations);
    }

    [Fact]
    public async Task ReadOnlyCallsNeverOverlapAWritingCall()
    {
        IProbeGrain grain = _silo.GrainFactory.GetGrain<IProbeGrain>(Guid.NewGuid().ToString());

        Task<int>[] writers = Enumerable.Range(0, 100).Select(_ => Task.Run(() => grain.EnterAsync(3))).ToArray();
        Task<int>[] readers = Enumerable.Range(0, 100).Select(_ => Task.Run(() => grain.ReadAsync(3))).ToArray();
        int[] writerSaw = await Task.WhenAll(writers);
        await Task.WhenAll(readers);

        Assert.All(writerSaw, running => Assert.Equal(1, running));
        Assert.Equal(0, (await grain.GetStatsAsync()).ParallelViolations);
    }

    [Fact]
    public async Task AlwaysInterleaveCallsRunWhileANonReentrantGrainIsBusy()
    {
        string key = Guid.NewGuid().ToString();
        IProbeGrain probe = _silo.GrainFactory.GetGrain<IProbeGrain>(key);

        Task blocked = probe.BlockAsync(key);
        Task<int> queued = probe.EnterAsync(0);
        await probe.InterleaveAsync(1);

        Assert.False(blocked.IsCompleted);
        Assert.False(queued.IsCompleted);
        GrainEvents.Gate(key).Release();
        await blocked;
        Assert.Equal(1, await queued);
    }

    [Fact]
    public async Task ALongQueueOfCallsThatCompleteAtOnceDoesNotOverflowTheStack()
    {
        // Each queued call finishes synchronously; running them must be a loop, not a recursion
        // (before, about a thousand such calls overflowed the stack and killed the process).
        string key = Guid.NewGuid().ToString();
        IProbeGrain probe = _silo.GrainFactory.GetGrain<IProbeGrain>(key);
        Task blocked = probe.BlockAsync(key);
        Task<int>[] queued = [.. Enumerable.Range(0, 50_000).Select(_ => probe.EnterAsync(0))];

        GrainEvents.Gate(key).Release();
        await blocked;
        int[] running = await Task.WhenAll(queued);
        Assert.All(running, count => Assert.Equal(1, count));
        Assert.Equal(50_000, (await probe.GetStatsAsync()).Calls);
    }

    [Fact]
    public async Task ASuspendedAlwaysInterleaveCallDoesNotHoldUpOtherRequests()
    {
        // A long poll waits inside an always-interleave call for a write; the write must be able to start.
        string key = Guid.NewGuid().ToString();
        IProbeGrain probe = _silo.GrainFactory.GetGrain<IProbeGrain>(key);

        Task waiting = probe.BlockInterleavedAsync(key);
        Assert.Equal(1, await probe.EnterAsync(1));
        Assert.Equal(1, await probe.ReadAsync(1));
        Assert.False(waiting.IsCompleted);

        GrainEvents.Gate(key).Release();
        await waiting;
        Assert.Equal(0, (await probe.GetStatsAsync()).ParallelViolations);
    }

    [Fact]
    public async Task CallingAnAmbiguousBaseInterfaceFailsWithAClearError()
    {
        IConcurrencyProbeGrain grain = _silo.GrainFactory.GetGrain<IConcurrencyProbeGrain>("x");

        GrainTypeNotFoundException error = await Assert.ThrowsAsync<GrainTypeNotFoundException>(() => grain.EnterAsync(0));

        Assert.Contains("ProbeGrain", error.Message);
        Assert.Contains("ReentrantProbeGrain", error.Message);
    }
}
