using Pulse.Runtime.Hosting;
using Pulse.Runtime.Testing;

namespace Pulse.Bench.Scenarios;

/// <summary>Managed memory per idle activation of a grain without state (catalog entry, activation, grain).</summary>
internal static class ActivationMemoryScenario
{
    public static async Task RunAsync(int count)
    {
        await using TestSilo silo = await TestSilo.StartAsync(builder => builder.AddMemoryGrainStorage());
        string[] keys = Enumerable.Range(0, count).Select(i => "k" + i.ToString("D7")).ToArray();
        // Warm up code paths and the catalog's first growth before measuring.
        await silo.GrainFactory.GetGrain<IEmptyGrain>("warm").TouchAsync();

        long before = SettledMemory();
        const int batch = 10_000;
        for (int start = 0; start < keys.Length; start += batch)
        {
            await Task.WhenAll(keys.Skip(start).Take(batch).Select(key => silo.GrainFactory.GetGrain<IEmptyGrain>(key).TouchAsync().AsTask()));
        }

        long after = SettledMemory();
        double perActivation = (after - before) / (double)count;
        Console.WriteLine($"activation-memory: {silo.ActivationCount:N0} activations");
        Console.WriteLine($"  {perActivation:N0} bytes per idle activation (key strings were allocated before measuring and are not counted)");
        GC.KeepAlive(keys);
    }

    private static long SettledMemory()
    {
        for (int i = 0; i < 3; i++)
        {
            GC.Collect(2, GCCollectionMode.Forced, blocking: true, compacting: true);
            GC.WaitForPendingFinalizers();
        }

        return GC.GetTotalMemory(forceFullCollection: true);
    }
}
