using Microsoft.Extensions.DependencyInjection;
using Pulse.Runtime.Testing;

namespace Pulse.Runtime.Tests.Runtime;

public sealed class LifecycleTests
{
    private static Task<TestSilo> StartSiloAsync(ManualTimeProvider time) =>
        TestSilo.StartAsync(
            builder => builder.AddMemoryGrainStorage().ConfigureCollection(options =>
            {
                options.CollectionAge = TimeSpan.FromMinutes(2);
                options.CollectionQuantum = TimeSpan.FromMinutes(1);
            }),
            services => services.AddSingleton<TimeProvider>(time));

    [Fact]
    public async Task AnIdleGrainIsCollectedAndReactivatesWithItsState()
    {
        var time = new ManualTimeProvider();
        await using TestSilo silo = await StartSiloAsync(time);
        string key = Guid.NewGuid().ToString();
        ICounterGrain counter = silo.GrainFactory.GetGrain<ICounterGrain>(key);
        GrainId id = TestSilo.GetGrainId(counter);

        Assert.Equal(5, await counter.AddAndWriteAsync(5));
        await silo.WaitUntilQuiescentAsync(counter);
        time.Advance(TimeSpan.FromMinutes(1));
        Assert.True(silo.IsActive(id), "collected before its collection age");
        time.Advance(TimeSpan.FromMinutes(1));
        await TestSilo.WaitUntilAsync(() => !silo.IsActive(id), "the idle grain was collected");

        Assert.Equal(1, GrainEvents.Get(GrainEvents.Deactivations, key));
        Assert.Equal(DeactivationReasonCode.ActivationIdle, GrainEvents.LastDeactivationReason[key]);
        Assert.Equal(5, await counter.GetAsync());
        Assert.Equal(2, GrainEvents.Get(GrainEvents.Activations, key));
    }

    [Fact]
    public async Task AGrainThatDelaysItsDeactivationIsKeptUntilThenAndCollectedAfter()
    {
        var time = new ManualTimeProvider();
        await using TestSilo silo = await StartSiloAsync(time);
        string key = Guid.NewGuid().ToString();
        ICounterGrain counter = silo.GrainFactory.GetGrain<ICounterGrain>(key);
        GrainId id = TestSilo.GetGrainId(counter);

        await counter.DelayDeactivationAsync(TimeSpan.FromMinutes(4) + TimeSpan.FromMilliseconds(500));
        await silo.WaitUntilQuiescentAsync(counter);
        for (int minute = 1; minute <= 4; minute++)
        {
            // Idle for its 2-minute collection age from the second minute on, but kept alive until 4:00.5.
            time.Advance(TimeSpan.FromMinutes(1));
            Assert.True(silo.IsActive(id), $"collected after {minute} min, before the delay ran out");
        }

        time.Advance(TimeSpan.FromMinutes(1));
        await TestSilo.WaitUntilAsync(() => !silo.IsActive(id), "the grain was collected once its delay ran out");
        Assert.Equal(DeactivationReasonCode.ActivationIdle, GrainEvents.LastDeactivationReason[key]);
    }

    [Fact]
    public async Task TheActivityClockFollowsAManualTimeProviderExactly()
    {
        var time = new ManualTimeProvider();
        await using TestSilo silo = await StartSiloAsync(time);
        var catalog = silo.Services.GetRequiredService<Catalog.ActivationCatalog>();

        long before = catalog.ActivityClockMilliseconds;
        time.Advance(TimeSpan.FromSeconds(90));
        Assert.Equal(90_000, catalog.ActivityClockMilliseconds - before);
        time.Advance(TimeSpan.FromMilliseconds(7));
        Assert.Equal(90_007, catalog.ActivityClockMilliseconds - before);
    }

    [Fact]
    public async Task AnIdleGrainIsCollectedOnTheSystemClockOnlyOnceItsCollectionAgeHasPassed()
    {
        // The system clock takes the coarse path (Environment.TickCount64): the age still holds, to its granularity.
        TimeSpan age = TimeSpan.FromMilliseconds(800);
        await using TestSilo silo = await TestSilo.StartAsync(builder => builder.AddMemoryGrainStorage().ConfigureCollection(options =>
        {
            options.CollectionAge = age;
            options.CollectionQuantum = TimeSpan.FromMilliseconds(50);
        }));
        string key = Guid.NewGuid().ToString();
        ICounterGrain counter = silo.GrainFactory.GetGrain<ICounterGrain>(key);
        GrainId id = TestSilo.GetGrainId(counter);

        await counter.AddAsync(1);
        var sinceLastCall = System.Diagnostics.Stopwatch.StartNew();
        await TestSilo.WaitUntilAsync(() => !silo.IsActive(id), "the idle grain was collected", TimeSpan.FromSeconds(30));

        // The turn ended before the stopwatch started, so the age is a lower bound up to the clock's granularity.
        Assert.True(sinceLastCall.Elapsed >= age - TimeSpan.FromMilliseconds(20), $"collected {sinceLastCall.Elapsed.TotalMilliseconds:F0} ms after its last call");
        Assert.Equal(DeactivationReasonCode.ActivationIdle, GrainEvents.LastDeactivationReason[key]);
    }

    [Fact]
    public async Task AGrainInUseIsNotCollected()
    {
        var time = new ManualTimeProvider();
        await using TestSilo silo = await StartSiloAsync(time);
        string key = Guid.NewGuid().ToString();
        ICounterGrain counter = silo.GrainFactory.GetGrain<ICounterGrain>(key);

        for (int minute = 0; minute < 5; minute++)
        {
            await counter.AddAsync(1);
            await silo.WaitUntilQuiescentAsync(counter);
            time.Advance(TimeSpan.FromMinutes(1));
        }

        Assert.Equal(5, await counter.GetAsync());
        Assert.Equal(1, GrainEvents.Get(GrainEvents.Activations, key));
        Assert.Equal(0, GrainEvents.Get(GrainEvents.Deactivations, key));
    }

    [Fact]
    public async Task DeactivateOnIdleDeactivatesAfterTheCurrentRequestAndWritesChangedState()
    {
        await using TestSilo silo = await TestSilo.StartAsync(builder => builder.AddMemoryGrainStorage());
        string key = Guid.NewGuid().ToString();
        ICounterGrain counter = silo.GrainFactory.GetGrain<ICounterGrain>(key);

        await counter.AddAsync(3);
        await counter.DeactivateAsync();
        await TestSilo.WaitUntilAsync(() => !silo.IsActive(TestSilo.GetGrainId(counter)), "the grain deactivated");

        Assert.Equal(DeactivationReasonCode.ApplicationRequested, GrainEvents.LastDeactivationReason[key]);
        Assert.Equal(3, await counter.GetAsync());
        Assert.Equal(2, GrainEvents.Get(GrainEvents.Activations, key));
    }

    [Fact]
    public async Task RequestsQueuedDuringDeactivationAreServedByTheNextActivation()
    {
        await using TestSilo silo = await TestSilo.StartAsync(builder => builder.AddMemoryGrainStorage());
        string key = Guid.NewGuid().ToString();
        ICounterGrain counter = silo.GrainFactory.GetGrain<ICounterGrain>(key);

        await counter.AddAndWriteAsync(1);
        Task deactivate = counter.DeactivateAsync();
        int[] results = await Task.WhenAll(Enumerable.Range(0, 50).Select(_ => counter.AddAndWriteAsync(1)));
        await deactivate;

        Assert.Equal(51, results.Max());
        Assert.Equal(51, await counter.GetAsync());
    }

    [Fact]
    public async Task AFailedActivationFailsItsCallsAndTheNextCallActivatesAgain()
    {
        await using TestSilo silo = await TestSilo.StartAsync(builder => builder.AddMemoryGrainStorage());
        IFailingActivationGrain grain = silo.GrainFactory.GetGrain<IFailingActivationGrain>(Guid.NewGuid().ToString());

        GrainActivationException failure = await Assert.ThrowsAsync<GrainActivationException>(() => grain.PingAsync());

        Assert.Contains("activation failed on purpose", failure.Message);
        Assert.IsType<InvalidOperationException>(failure.InnerException);
        Assert.Equal(2, await grain.PingAsync());
    }

    [Fact]
    public async Task ShutdownDeactivatesEveryGrainAndWritesChangedState()
    {
        var storage = new Pulse.Runtime.Persistence.MemoryGrainStorageStore();
        string key = Guid.NewGuid().ToString();
        await using (TestSilo first = await TestSilo.StartAsync(builder => builder.AddMemoryGrainStorage(store: storage)))
        {
            await first.GrainFactory.GetGrain<ICounterGrain>(key).AddAsync(9);
            await first.StopAsync();
            Assert.Equal(0, first.ActivationCount);
        }

        Assert.Equal(DeactivationReasonCode.ShuttingDown, GrainEvents.LastDeactivationReason[key]);
        await using TestSilo second = await TestSilo.StartAsync(builder => builder.AddMemoryGrainStorage(store: storage));
        Assert.Equal(9, await second.GrainFactory.GetGrain<ICounterGrain>(key).GetAsync());
    }

    [Fact]
    public async Task CallsAfterShutdownFailWithSiloUnavailable()
    {
        TestSilo silo = await TestSilo.StartAsync(builder => builder.AddMemoryGrainStorage());
        ICounterGrain counter = silo.GrainFactory.GetGrain<ICounterGrain>(Guid.NewGuid().ToString());
        await silo.StopAsync();

        await Assert.ThrowsAsync<SiloUnavailableException>(() => counter.GetAsync());
        await silo.DisposeAsync();
    }
}
