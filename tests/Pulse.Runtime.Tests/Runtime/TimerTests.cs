using Microsoft.Extensions.DependencyInjection;
using Pulse.Runtime.Testing;

namespace Pulse.Runtime.Tests.Runtime;

public sealed class TimerTests
{
    // Calls in these tests run on a manual clock, so response timeouts never fire: bound them in real time instead.
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(10);

    private static Task<TestSilo> StartSiloAsync(ManualTimeProvider time) =>
        TestSilo.StartAsync(builder => builder.AddMemoryGrainStorage(), services => services.AddSingleton<TimeProvider>(time));

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task TimerTicksNeverOverlapThemselves(bool interleave)
    {
        var time = new ManualTimeProvider();
        await using TestSilo silo = await StartSiloAsync(time);
        string key = Guid.NewGuid().ToString();
        ITimerGrain grain = silo.GrainFactory.GetGrain<ITimerGrain>(key);
        await grain.StartTimerAsync(TimeSpan.FromSeconds(1), interleave).WaitAsync(Bound);

        time.Advance(TimeSpan.FromSeconds(1));
        await TestSilo.WaitUntilAsync(() => GrainEvents.Get(GrainEvents.TimerTicks, key) == 1, "the first tick started");
        for (int i = 0; i < 10; i++)
        {
            time.Advance(TimeSpan.FromSeconds(1));
        }

        GrainEvents.Gate(key).Release();
        // A call is a barrier: a tick queued while the first one ran would run before it (or beside it, raising the max).
        Assert.Equal(1, await grain.GetTicksAsync().WaitAsync(Bound));
        Assert.Equal(1, GrainEvents.TimerMaxConcurrent[key]);
        await silo.WaitUntilQuiescentAsync(grain);

        time.Advance(TimeSpan.FromSeconds(1));
        await TestSilo.WaitUntilAsync(() => GrainEvents.Get(GrainEvents.TimerTicks, key) == 2, "the second tick started a period after the first ended");
        GrainEvents.Gate(key).Release();
        await grain.StopTimerAsync().WaitAsync(Bound);
        Assert.Equal(1, GrainEvents.TimerMaxConcurrent[key]);
    }

    [Fact]
    public async Task ANonInterleavingTickHoldsTheTurnUntilItEnds()
    {
        var time = new ManualTimeProvider();
        await using TestSilo silo = await StartSiloAsync(time);
        string key = Guid.NewGuid().ToString();
        ITimerGrain grain = silo.GrainFactory.GetGrain<ITimerGrain>(key);
        await grain.StartTimerAsync(TimeSpan.FromSeconds(1), interleave: false).WaitAsync(Bound);

        time.Advance(TimeSpan.FromSeconds(1));
        await TestSilo.WaitUntilAsync(() => GrainEvents.Get(GrainEvents.TimerTicks, key) == 1, "the tick started");
        Task<int> queued = grain.GetTicksAsync();
        // An interleaving call gets through while the tick holds the turn; the ordinary call queued before it does not.
        Assert.Equal(1, await grain.PeekTicksAsync().WaitAsync(Bound));

        Assert.False(queued.IsCompleted);
        GrainEvents.Gate(key).Release();
        Assert.Equal(1, await queued.WaitAsync(Bound));
        await grain.StopTimerAsync().WaitAsync(Bound);
    }

    [Fact]
    public async Task ADisposedTimerStopsTicking()
    {
        var time = new ManualTimeProvider();
        await using TestSilo silo = await StartSiloAsync(time);
        string key = Guid.NewGuid().ToString();
        ITimerGrain grain = silo.GrainFactory.GetGrain<ITimerGrain>(key);
        await grain.StartTimerAsync(TimeSpan.FromSeconds(1), interleave: false).WaitAsync(Bound);
        GrainEvents.Gate(key).Release(100);

        time.Advance(TimeSpan.FromSeconds(1));
        await TestSilo.WaitUntilAsync(() => GrainEvents.Get(GrainEvents.TimerTicks, key) == 1, "one tick ran");
        await grain.StopTimerAsync().WaitAsync(Bound);
        for (int i = 0; i < 5; i++)
        {
            time.Advance(TimeSpan.FromSeconds(1));
        }

        Assert.Equal(1, await grain.GetTicksAsync().WaitAsync(Bound));
    }
}
