using Pulse.Runtime.Membership;
using Pulse.Runtime.Placement;
using Pulse.Runtime.Testing;

namespace Pulse.Bench.Scenarios;

/// <summary>
/// Silo to silo calls over loopback TCP: two in-process silos, calls made through silo A's grain
/// factory to 10,000 ping grains that silo B owns on the ring, so every call is one hop A -> B and
/// back. Closed loops at 1 / 64 / 1,024 callers.
/// </summary>
internal static class ForwardedCallsScenario
{
    public static async Task RunAsync(TimeSpan duration, int grainCount)
    {
        await using TestCluster cluster = await TestCluster.StartAsync(2);
        TestClusterSilo caller = cluster.Silos[0];
        TestClusterSilo owner = cluster.Silos[1];

        // The same ring the silos build from their view, so these keys are B's on both of them.
        var ring = new ConsistentHashRing([caller.Address, owner.Address]);
        IPingGrain[] grains = new IPingGrain[grainCount];
        int found = 0;
        for (int i = 0; found < grains.Length; i++)
        {
            IPingGrain grain = caller.GrainFactory.GetGrain<IPingGrain>("g" + i);
            if (ring.TryGetOwner(TestSilo.GetGrainId(grain), out SiloAddress silo) && silo == owner.Address)
            {
                grains[found++] = grain;
            }
        }

        await Task.WhenAll(grains.Select(grain => grain.PingAsync(0).AsTask()));
        if (owner.ActivationCount < grainCount || caller.ActivationCount > 0)
        {
            throw new InvalidOperationException(
                $"Expected the {grainCount} grains on silo B only; A has {caller.ActivationCount}, B has {owner.ActivationCount} activations.");
        }

        Console.WriteLine(
            $"forwarded-calls: silo A -> silo B over loopback TCP, {owner.ActivationCount:N0} grains active on B, " +
            $"{Environment.ProcessorCount} cores, server GC={System.Runtime.GCSettings.IsServerGC}");
        await CallLoad.RunClosedLoopsAsync(grains, [1, 64, 1024], duration);
    }
}
