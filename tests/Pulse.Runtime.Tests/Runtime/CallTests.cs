using Pulse.Runtime.Testing;

namespace Pulse.Runtime.Tests.Runtime;

public sealed class CallTests : IAsyncLifetime
{
    private TestSilo _silo = null!;

    public async Task InitializeAsync() => _silo = await TestSilo.StartAsync(silo => silo.AddMemoryGrainStorage());

    public async Task DisposeAsync() => await _silo.DisposeAsync();

    private IBehaviourGrain Grain(string? key = null) => _silo.GrainFactory.GetGrain<IBehaviourGrain>(key ?? Guid.NewGuid().ToString());

    [Fact]
    public async Task ExceptionsReachTheCallerWithTypeAndMessage()
    {
        IBehaviourGrain grain = Grain();

        InvalidOperationException sync = await Assert.ThrowsAsync<InvalidOperationException>(() => grain.ThrowAsync("boom"));
        ArgumentException async = await Assert.ThrowsAsync<ArgumentException>(() => grain.ThrowArgumentAsync("limit"));

        Assert.Equal("boom", sync.Message);
        Assert.Equal("limit", async.ParamName);
    }

    [Fact]
    public async Task AGrainKeepsServingAfterAMethodThrew()
    {
        IBehaviourGrain grain = Grain();
        await Assert.ThrowsAsync<InvalidOperationException>(() => grain.ThrowAsync("first"));

        Assert.Equal(42, await grain.EchoAsync(42));
    }

    [Fact]
    public async Task ACallThatGetsNoResponseTimesOutForTheCaller()
    {
        var time = new ManualTimeProvider();
        await using TestSilo silo = await TestSilo.StartAsync(
            builder => builder.AddMemoryGrainStorage().ConfigureMessaging(options => options.ResponseTimeout = TimeSpan.FromSeconds(5)),
            services => services.AddSingleton<TimeProvider>(time));
        string key = Guid.NewGuid().ToString();
        IBehaviourGrain grain = silo.GrainFactory.GetGrain<IBehaviourGrain>(key);

        Task hang = grain.HangAsync();
        time.Advance(TimeSpan.FromSeconds(4));
        Assert.False(hang.IsCompleted);
        time.Advance(TimeSpan.FromSeconds(2));

        TimeoutException timeout = await Assert.ThrowsAsync<TimeoutException>(() => hang);
        Assert.Contains("HangAsync", timeout.Message);
        GrainEvents.Gate(key).Release();
    }

    [Fact]
    public async Task CancellingACallStopsItInTheGrainAndFailsTheCaller()
    {
        string key = Guid.NewGuid().ToString();
        IBehaviourGrain grain = Grain(key);
        using var cancellation = new CancellationTokenSource();

        Task<bool> call = grain.WaitForCancellationAsync(cancellation.Token);
        await TestSilo.WaitUntilAsync(() => GrainEvents.Started.ContainsKey(key), "the call started in the grain");
        cancellation.Cancel();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => call);
        await TestSilo.WaitUntilAsync(() => GrainEvents.Cancelled.ContainsKey(key), "the grain saw the cancellation");
        Assert.Equal(7, await grain.EchoAsync(7));
    }

    [Fact]
    public async Task ACallWithAnAlreadyCancelledTokenFailsWithoutRunning()
    {
        string key = Guid.NewGuid().ToString();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => Grain(key).WaitForCancellationAsync(new CancellationToken(canceled: true)));

        Assert.False(GrainEvents.Cancelled.ContainsKey(key));
    }

    [Fact]
    public async Task ArgumentsAndResultsAreCopiedAcrossTheGrainBoundary()
    {
        IBehaviourGrain grain = Grain();
        var values = new List<int> { 1, 2, 3 };

        List<int> returned = await grain.StoreAsync(values);
        values.Add(4);
        returned.Add(5);

        Assert.Equal([1, 2, 3], await grain.GetStoredAsync());
        Assert.NotSame(values, returned);
    }

    [Fact]
    public async Task OneWayCallsRunWithoutTheCallerWaiting()
    {
        string key = Guid.NewGuid().ToString();

        await Grain(key).RecordOneWayAsync("hello");

        await TestSilo.WaitUntilAsync(() => GrainEvents.OneWay.TryGetValue(key, out string? marker) && marker == "hello", "the one-way call ran");
    }

    [Fact]
    public async Task GrainCodeResumesInItsOwnActivationContextAfterAwait()
    {
        IBehaviourGrain grain = Grain("context-key");

        string description = await grain.DescribeContextAsync();

        Assert.Equal("test.behaviour/context-key|True", description);
        Assert.Null(SynchronizationContext.Current);
        Assert.Null(RuntimeContext.Current);
    }

    [Fact]
    public async Task GrainsCallOtherGrains()
    {
        Assert.Equal(11, await Grain().CallOtherAsync(Guid.NewGuid().ToString(), 10));
    }

    [Fact]
    public async Task ManyGrainsServeConcurrentCallers()
    {
        IBehaviourGrain[] grains = Enumerable.Range(0, 500).Select(i => Grain($"many-{i}")).ToArray();

        int[] results = await Task.WhenAll(Enumerable.Range(0, 5000).Select(i => grains[i % grains.Length].EchoAsync(i).AsTask()));

        Assert.Equal(Enumerable.Range(0, 5000), results);
    }
}
