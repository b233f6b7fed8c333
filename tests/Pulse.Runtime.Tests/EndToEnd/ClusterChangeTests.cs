using Pulse.Runtime.Membership;
using Pulse.Runtime.Tests.Runtime;
using Xunit.Abstractions;

namespace Pulse.Runtime.Tests.EndToEnd;

/// <summary>
/// Planned changes to a cluster of real silo processes on one PostgreSQL membership table, under a
/// client calling persistent grains the whole time: a silo joining, and every silo restarted in turn.
/// Neither may fail a call or lose an acknowledged write.
/// </summary>
[Collection(EndToEndCollection.Name)]
public sealed class ClusterChangeTests(ITestOutputHelper output)
{
    [Fact]
    public async Task AFourthSiloProcessJoinsTakesOverItsShareOfTheKeysAndNoCallFails()
    {
        await using ProcessCluster cluster = await ProcessCluster.CreateAsync("join");
        await cluster.StartSilosAsync(3);
        string[] probes = Enumerable.Range(0, 100).Select(i => $"join-probe-{i}").ToArray();
        int[] before = await HostsAsync(cluster, probes);
        Assert.Equal(3, before.Distinct().Count());
        await using var load = new CounterLoad(cluster.GrainFactory, $"join-{Guid.NewGuid():N}", keyCount: 30, workers: 6);
        await ProcessCluster.WaitUntilAsync(() => load.KeysNotSucceedingSince(0).Count == 0, "every key was written once", TimeSpan.FromSeconds(20));

        PulseProcess fourth = cluster.StartSilo(4);
        await cluster.WaitUntilReadyAsync(4);
        await ProcessCluster.WaitUntilAsync(() => cluster.Client.ActiveSilos.Count == 4, "the client sees 4 silos", TimeSpan.FromSeconds(15));
        long joinedAt = load.Now;
        await ProcessCluster.WaitUntilAsync(() => load.KeysNotSucceedingSince(joinedAt).Count == 0, "every key answered after the join", TimeSpan.FromSeconds(15));
        int[] after = await HostsAsync(cluster, probes);
        await load.StopAsync();
        output.WriteLine($"{after.Count(pid => pid == fourth.Id)} of {probes.Length} probe grains moved to the new silo; {load.Failures} failed and {load.Successes} successful calls");
        foreach (string error in load.Errors)
        {
            output.WriteLine(error);
        }

        // A key either stayed where it was or moved to the new silo: a join never shuffles the others.
        Assert.All(Enumerable.Range(0, probes.Length), i => Assert.True(after[i] == before[i] || after[i] == fourth.Id, $"{probes[i]} moved from {before[i]} to {after[i]}"));
        Assert.Contains(fourth.Id, after);
        Assert.Equal(0, load.Failures);
        Assert.Empty(await load.FindUnexplainedValuesAsync(cluster.GrainFactory));
    }

    [Fact]
    public async Task ARollingRestartOfEverySiloProcessUnderCallsFailsNoCallAndLosesNoWrite()
    {
        await using ProcessCluster cluster = await ProcessCluster.CreateAsync("rolling");
        await cluster.StartSilosAsync(3);
        await using var load = new CounterLoad(cluster.GrainFactory, $"rolling-{Guid.NewGuid():N}", keyCount: 30, workers: 6);
        await ProcessCluster.WaitUntilAsync(() => load.KeysNotSucceedingSince(0).Count == 0, "every key was written once", TimeSpan.FromSeconds(20));

        foreach (int index in new[] { 1, 2, 3 })
        {
            SiloAddress leaving = (await cluster.ReadRowAsync(index))!.Silo;
            cluster.Silos[index].Signal(PulseProcess.SigTerm);
            int exitCode = await cluster.Silos[index].WaitForExitAsync(TimeSpan.FromSeconds(60));
            Assert.True(exitCode == 0, $"silo {index} exited with {exitCode}\n{cluster.DescribeProcesses()}");
            Assert.Equal(SiloStatus.Dead, (await cluster.ReadRowsAsync()).Single(row => row.Silo == leaving).Status);

            // The same ports again, as a restarted pod keeps its name: a new generation of the same silo.
            cluster.StartSilo(index);
            await cluster.WaitUntilReadyAsync(index);
            await ProcessCluster.WaitUntilAsync(() => cluster.Client.ActiveSilos.Count == 3, "the client sees 3 silos again", TimeSpan.FromSeconds(15));
            long restartedAt = load.Now;
            await ProcessCluster.WaitUntilAsync(() => load.KeysNotSucceedingSince(restartedAt).Count == 0, $"every key answered after silo {index} restarted", TimeSpan.FromSeconds(15));
        }

        await load.StopAsync();
        output.WriteLine($"{load.Failures} failed and {load.Successes} successful calls over the rolling restart");
        foreach (string error in load.Errors)
        {
            output.WriteLine(error);
        }

        Assert.Equal(0, load.Failures);
        Assert.Empty(await load.FindUnexplainedValuesAsync(cluster.GrainFactory));
    }

    private static Task<int[]> HostsAsync(ProcessCluster cluster, string[] keys) =>
        Task.WhenAll(keys.Select(key => cluster.GrainFactory.GetGrain<IBehaviourGrain>(key).ProcessIdAsync().AsTask()));
}
