using System.Diagnostics;
using Pulse.Runtime.Membership;
using Pulse.Runtime.Testing;
using Pulse.Runtime.Tests.EndToEnd;
using Pulse.Runtime.Tests.Runtime;

namespace Pulse.Runtime.Tests.Cluster;

/// <summary>Several silos over real loopback TCP: convergence, routing, failover, graceful leave.</summary>
[Collection(ClusterCollection.Name)]
public sealed class ClusterTests
{
    [Fact]
    public async Task ThreeSilosConvergeAndAFourthJoinsWhileCallsKeepSucceeding()
    {
        await using TestCluster cluster = await TestCluster.StartAsync(3);
        Assert.All(cluster.RunningSilos, silo => Assert.Equal(3, silo.ActiveSilos.Count));
        string[] keys = Enumerable.Range(0, 60).Select(i => $"join-{Guid.NewGuid():N}-{i}").ToArray();
        IGrainFactory client = cluster.Silos[0].GrainFactory;
        foreach (string key in keys)
        {
            await client.GetGrain<ICounterGrain>(key).AddAndWriteAsync(1);
        }

        Assert.All(cluster.Silos, silo => Assert.True(silo.ActivationCount > 0, $"{silo} hosts no grain: placement is not spreading them"));
        using var calling = new CancellationTokenSource();
        Task<int> load = CallContinuouslyAsync(client, keys, calling.Token);

        TestClusterSilo fourth = await cluster.StartSiloAsync();
        await cluster.WaitForStableViewAsync();
        await TestSilo.WaitUntilAsync(() => fourth.ActivationCount > 0, "the new silo took over some grains");
        await calling.CancelAsync();
        int calls = await load;

        Assert.True(calls > 0);
        foreach (string key in keys)
        {
            Assert.True(await client.GetGrain<ICounterGrain>(key).GetAsync() >= 1);
        }
    }

    [Fact]
    public async Task WhenASiloJoinsTheGrainsItTakesOverAreHandedOffWithTheirUnwrittenState()
    {
        await using TestCluster cluster = await TestCluster.StartAsync(3);
        IGrainFactory client = cluster.Silos[0].GrainFactory;
        string[] keys = Enumerable.Range(0, 120).Select(i => $"handoff-{Guid.NewGuid():N}-{i}").ToArray();
        GrainId[] grains = keys.Select(key => TestSilo.GetGrainId(client.GetGrain<ICounterGrain>(key))).ToArray();
        var acknowledged = new int[keys.Length];
        for (int i = 0; i < keys.Length; i++)
        {
            await client.GetGrain<ICounterGrain>(keys[i]).AddAndWriteAsync(1);
            // Only in memory: just the hand-off's write on deactivation can persist it.
            acknowledged[i] = await client.GetGrain<ICounterGrain>(keys[i]).AddAsync(i + 10);
        }

        TestClusterSilo[] oldOwners = grains.Select(grain => Assert.Single(cluster.Silos, silo => silo.IsActive(grain))).ToArray();

        TestClusterSilo fourth = await cluster.StartSiloAsync();
        await cluster.WaitForStableViewAsync();
        int[] moved = Enumerable.Range(0, keys.Length).Where(i => fourth.OwnerOf(grains[i]) == fourth.Address).ToArray();
        await TestSilo.WaitUntilAsync(
            () => moved.All(i => !oldOwners[i].IsActive(grains[i])),
            "every grain the new silo owns was deactivated on its old owner");

        Assert.InRange(moved.Length, 1, keys.Length - 1);
        Assert.All(grains, grain => Assert.All(cluster.Silos, silo => Assert.Equal(fourth.OwnerOf(grain), silo.OwnerOf(grain))));
        foreach (int i in Enumerable.Range(0, keys.Length).Except(moved))
        {
            Assert.True(oldOwners[i].IsActive(grains[i]), $"grain {keys[i]} was deactivated on {oldOwners[i]} although it still owns it");
        }

        foreach (int i in moved)
        {
            Assert.Equal(1, GrainEvents.Get(GrainEvents.Deactivations, keys[i]));
            Assert.Equal(DeactivationReasonCode.OwnershipChanged, GrainEvents.LastDeactivationReason[keys[i]]);
            Assert.Equal(acknowledged[i], await client.GetGrain<ICounterGrain>(keys[i]).GetAsync());
            Assert.True(fourth.IsActive(grains[i]), $"grain {keys[i]} was read back elsewhere than on its new owner");
            Assert.Equal(2, GrainEvents.Get(GrainEvents.Activations, keys[i]));
        }
    }

    [Fact]
    public async Task EachGrainHasOneActivationInTheClusterWhicheverSiloIsCalled()
    {
        await using TestCluster cluster = await TestCluster.StartAsync(3);
        string key = Guid.NewGuid().ToString("N");

        int[] values = await Task.WhenAll(Enumerable.Range(0, 90).Select(i =>
            cluster.Silos[i % 3].GrainFactory.GetGrain<ICounterGrain>(key).AddAsync(1)));

        Assert.Equal(Enumerable.Range(1, 90), values.Order());
        Assert.Equal(1, GrainEvents.Get(GrainEvents.Activations, key));
    }

    [Fact]
    public async Task AKilledSiloIsDeclaredDeadWithinTenSecondsAndNoAcknowledgedWriteIsLost()
    {
        await using TestCluster cluster = await TestCluster.StartAsync(3);
        TestClusterSilo victim = cluster.Silos[2];
        IGrainFactory client = cluster.Silos[0].GrainFactory;
        // Calls to the dead silo's grains fail until it is declared dead; the test checks recovery and that
        // every counter holds exactly the acknowledged increments, give or take the calls that failed.
        await using var load = new CounterLoad(client, $"kill-{Guid.NewGuid():N}", keyCount: 30, workers: 3);
        await TestSilo.WaitUntilAsync(() => load.KeysNotSucceedingSince(0).Count == 0, "every grain was written once");

        var killedAt = Stopwatch.StartNew();
        await cluster.KillSiloAsync(victim);
        await TestSilo.WaitUntilAsync(
            () => cluster.RunningSilos.All(silo => silo.StatusOf(victim.Address) == SiloStatus.Dead),
            "the survivors see the killed silo Dead", TimeSpan.FromSeconds(10));
        TimeSpan declaredDead = killedAt.Elapsed;
        await TestSilo.WaitUntilAsync(
            () => AllAnswerAsync(client, load.Keys).GetAwaiter().GetResult(),
            "calls to every grain succeed again", TimeSpan.FromSeconds(15) - killedAt.Elapsed);
        await load.StopAsync();

        Assert.True(declaredDead < TimeSpan.FromSeconds(10), $"declared dead after {declaredDead}");
        Assert.Empty(await load.FindUnexplainedValuesAsync(client));
    }

    [Fact]
    public async Task AGracefulStopAndARollingRestartLoseNoCallAndNoWrite()
    {
        await using TestCluster cluster = await TestCluster.StartAsync(3);
        string[] keys = Enumerable.Range(0, 30).Select(i => $"roll-{Guid.NewGuid():N}-{i}").ToArray();
        var acknowledged = new int[keys.Length];
        int failures = 0;
        string? firstFailure = null;
        using var calling = new CancellationTokenSource();
        TestClusterSilo caller = await cluster.StartSiloAsync();
        await cluster.WaitForStableViewAsync();
        Task writer = Task.Run(async () =>
        {
            while (!calling.IsCancellationRequested)
            {
                for (int i = 0; i < keys.Length && !calling.IsCancellationRequested; i++)
                {
                    try
                    {
                        acknowledged[i] = await caller.GrainFactory.GetGrain<ICounterGrain>(keys[i]).AddAndWriteAsync(1);
                    }
                    catch (Exception exception)
                    {
                        Interlocked.Increment(ref failures);
                        Interlocked.CompareExchange(ref firstFailure, exception.ToString(), null);
                    }
                }
            }
        });
        await TestSilo.WaitUntilAsync(() => acknowledged.All(value => value > 0), "every grain was written once");

        foreach (TestClusterSilo silo in cluster.Silos.Take(3).ToArray())
        {
            await cluster.StopSiloAsync(silo);
            await cluster.StartSiloAsync();
            await cluster.WaitForStableViewAsync();
        }

        await calling.CancelAsync();
        await writer;

        Assert.True(failures == 0, $"{failures} calls failed; the first: {firstFailure}");
        for (int i = 0; i < keys.Length; i++)
        {
            Assert.Equal(acknowledged[i], await caller.GrainFactory.GetGrain<ICounterGrain>(keys[i]).GetAsync());
        }
    }

    [Fact]
    public async Task ASiloCutOffFromItsPeersIsDeclaredDeadAndStops()
    {
        await using TestCluster cluster = await TestCluster.StartAsync(3);
        TestClusterSilo isolated = cluster.Silos[1];

        cluster.Network.Isolate(isolated.Address);

        await TestSilo.WaitUntilAsync(() => !isolated.IsRunning, "the isolated silo read itself Dead and stopped", TimeSpan.FromSeconds(30));
        Assert.All(cluster.RunningSilos, silo => Assert.Equal(SiloStatus.Dead, silo.StatusOf(isolated.Address)));
        cluster.Network.HealAll();
    }

    [Fact]
    public async Task AFullClusterKillThenStartFormsAtOnceAndTheStaleRowsBecomeDead()
    {
        await using TestCluster cluster = await TestCluster.StartAsync(3);
        TestClusterSilo[] old = cluster.Silos.ToArray();
        foreach (TestClusterSilo silo in old)
        {
            await cluster.KillSiloAsync(silo);
        }

        var restarting = Stopwatch.StartNew();
        TestClusterSilo fresh = await cluster.StartSiloAsync();
        TimeSpan joinTime = restarting.Elapsed;
        string[] keys = Enumerable.Range(0, 20).Select(i => $"restart-{Guid.NewGuid():N}-{i}").ToArray();

        Assert.True(joinTime < TimeSpan.FromSeconds(5), $"joining took {joinTime}: it waited on the stale rows");
        Assert.Equal(SiloStatus.Active, fresh.StatusOf(fresh.Address));
        await TestSilo.WaitUntilAsync(
            () => old.All(silo => fresh.StatusOf(silo.Address) == SiloStatus.Dead),
            "the killed silos' rows became Dead", TimeSpan.FromSeconds(20));
        await TestSilo.WaitUntilAsync(() => AllAnswerAsync(fresh.GrainFactory, keys).GetAwaiter().GetResult(), "every grain answers on the new cluster");
        Assert.True(restarting.Elapsed < TimeSpan.FromSeconds(20), $"the restarted cluster served every grain only after {restarting.Elapsed}");
    }

    private static async Task<int> CallContinuouslyAsync(IGrainFactory client, string[] keys, CancellationToken cancellationToken)
    {
        int calls = 0;
        while (!cancellationToken.IsCancellationRequested)
        {
            foreach (string key in keys)
            {
                await client.GetGrain<ICounterGrain>(key).AddAndWriteAsync(1);
                calls++;
            }
        }

        return calls;
    }

    private static async Task<bool> AllAnswerAsync(IGrainFactory client, IEnumerable<string> keys)
    {
        try
        {
            await Task.WhenAll(keys.Select(key => client.GetGrain<ICounterGrain>(key).GetAsync()));
            return true;
        }
        catch (Exception)
        {
            return false;
        }
    }
}

/// <summary>Cluster tests run one at a time: each starts several silos and probes real time.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class ClusterCollection
{
    public const string Name = "cluster";
}
