using Pulse.Runtime;
using Pulse.Runtime.Testing;

namespace Pulse.Bench.Scenarios;

/// <summary>
/// Client to silo calls over loopback TCP: one in-process silo, a cluster client, 10,000 ping grains
/// activated up front. Closed loops at 1 / 64 / 1,024 callers, then open loops at half and a
/// quarter of the 1,024-caller rate (the latency a service sees at a sustainable load rather than at saturation).
/// </summary>
internal static class ClientCallsScenario
{
    public static async Task RunAsync(TimeSpan duration, int grainCount)
    {
        await using TestCluster cluster = await TestCluster.StartAsync(1);
        TestClusterClient client = await cluster.CreateClientAsync();
        await TestSilo.WaitUntilAsync(() => client.Client.IsConnected, "the client sees the silo");
        await RunAsync(client.GrainFactory, grainCount, duration, "client-calls: client -> 1 silo over loopback TCP, in one process", siloCpu: null);
    }

    /// <summary>
    /// The measurement itself, through any client's <paramref name="grainFactory"/>; with
    /// <paramref name="siloCpu"/> (a silo in another process) each open-loop run also reports the
    /// silo's CPU.
    /// </summary>
    public static async Task RunAsync(IGrainFactory grainFactory, int grainCount, TimeSpan duration, string title, ProcessCpu? siloCpu)
    {
        IPingGrain[] grains = new IPingGrain[grainCount];
        for (int i = 0; i < grains.Length; i++)
        {
            grains[i] = grainFactory.GetGrain<IPingGrain>("g" + i);
        }

        // Activate everything first: the scenario measures calls, not activations.
        await Task.WhenAll(grains.Select(grain => grain.PingAsync(0).AsTask()));
        Console.WriteLine(
            $"{title}, {grainCount:N0} grains active, {Environment.ProcessorCount} cores visible to the client, " +
            $"server GC={System.Runtime.GCSettings.IsServerGC}");
        double peak = await CallLoad.RunClosedLoopsAsync(grains, [1, 64, 1024], duration);

        // Half of the peak is the goal's operating point; a quarter shows how latency falls with load.
        foreach (double rate in new[] { peak / 2, peak / 4 })
        {
            await CallLoad.OpenLoopAsync(grains, rate, TimeSpan.FromSeconds(1));
            siloCpu?.Restart();
            CallLoad.OpenLoopResult result = await CallLoad.OpenLoopAsync(grains, rate, duration);
            CallLoad.PrintOpenLoop(rate, result);
            if (siloCpu is not null)
            {
                Console.WriteLine($"  silo process: {siloCpu.Summarize(result.Rate)}");
            }
        }
    }
}
