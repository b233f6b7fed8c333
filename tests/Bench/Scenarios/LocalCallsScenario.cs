using Pulse.Runtime.Hosting;
using Pulse.Runtime.Testing;

namespace Pulse.Bench.Scenarios;

/// <summary>
/// Local grain call throughput and latency: 10,000 grains, 1 / 100 / 1,000 concurrent callers, each
/// caller calling random grains back to back for a fixed time.
/// </summary>
internal static class LocalCallsScenario
{
    public static async Task RunAsync(TimeSpan duration, int grainCount)
    {
        await using TestSilo silo = await TestSilo.StartAsync(builder => builder.AddMemoryGrainStorage());
        IPingGrain[] grains = new IPingGrain[grainCount];
        for (int i = 0; i < grains.Length; i++)
        {
            grains[i] = silo.GrainFactory.GetGrain<IPingGrain>("g" + i);
        }

        // Activate everything first: the scenario measures calls, not activations.
        await Task.WhenAll(grains.Select(grain => grain.PingAsync(0).AsTask()));
        Console.WriteLine($"local-calls: {grainCount:N0} grains active, {Environment.ProcessorCount} cores, server GC={System.Runtime.GCSettings.IsServerGC}");
        await CallLoad.RunClosedLoopsAsync(grains, [1, 100, 1000], duration);
    }
}
