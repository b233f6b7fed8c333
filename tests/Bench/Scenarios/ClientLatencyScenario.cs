using Pulse.Runtime.Testing;

namespace Pulse.Bench.Scenarios;

/// <summary>
/// Client to silo latency at a fixed offered load: the client-calls setup, driven only by the open
/// loop at a rate given on the command line, so the figure does not depend on how fast this run's
/// closed loop happened to be. Latency is measured from each call's scheduled send time (no
/// coordinated omission); the 5 s warm-up at the same rate lets tiered compilation settle first (after 2 s the first run still showed it).
/// </summary>
internal static class ClientLatencyScenario
{
    public static async Task RunAsync(double callsPerSecond, TimeSpan duration, int grainCount, int runs)
    {
        await using TestCluster cluster = await TestCluster.StartAsync(1);
        TestClusterClient client = await cluster.CreateClientAsync();
        await TestSilo.WaitUntilAsync(() => client.Client.IsConnected, "the client sees the silo");
        IPingGrain[] grains = new IPingGrain[grainCount];
        for (int i = 0; i < grains.Length; i++)
        {
            grains[i] = client.GrainFactory.GetGrain<IPingGrain>("g" + i);
        }

        await Task.WhenAll(grains.Select(grain => grain.PingAsync(0).AsTask()));
        Console.WriteLine(
            $"client-latency: client -> 1 silo over loopback TCP, {cluster.Silos[0].ActivationCount:N0} grains active, " +
            $"{Environment.ProcessorCount} cores, server GC={System.Runtime.GCSettings.IsServerGC}, " +
            $"concurrent GC={System.Runtime.GCSettings.LatencyMode != System.Runtime.GCLatencyMode.Batch}");
        await CallLoad.OpenLoopAsync(grains, callsPerSecond, TimeSpan.FromSeconds(5));
        for (int run = 0; run < runs; run++)
        {
            using AllocationSampler? sampler = AllocationSampler.StartIfRequested();
            CallLoad.PrintOpenLoop(callsPerSecond, await CallLoad.OpenLoopAsync(grains, callsPerSecond, duration));
            sampler?.Print((long)(callsPerSecond * duration.TotalSeconds));
        }
    }
}
