using System.Diagnostics;
using Pulse.Runtime.Membership;
using Pulse.Runtime.Tests.Runtime;
using Xunit.Abstractions;

namespace Pulse.Runtime.Tests.EndToEnd;

/// <summary>
/// Failures of real silo processes on one PostgreSQL membership table: SIGKILL, SIGSTOP and a whole
/// cluster killed at once, observed through the table and through a client calling persistent grains.
/// </summary>
[Collection(EndToEndCollection.Name)]
public sealed class ClusterFailureTests(ITestOutputHelper output)
{
    [Fact]
    public async Task AKilledSiloIsDeclaredDeadWithinTenSecondsItsGrainsRecoverWithinFifteenAndNoAcknowledgedWriteIsLost()
    {
        await using ProcessCluster cluster = await ProcessCluster.CreateAsync("kill");
        await cluster.StartSilosAsync(3);
        await using var load = new CounterLoad(cluster.GrainFactory, $"kill-{Guid.NewGuid():N}", keyCount: 30, workers: 6);
        await ProcessCluster.WaitUntilAsync(() => load.KeysNotSucceedingSince(0).Count == 0, "every key was written once", TimeSpan.FromSeconds(20));

        long killedAt = load.Now;
        var sinceKill = Stopwatch.StartNew();
        cluster.Silos[2].Signal(PulseProcess.SigKill);

        TimeSpan dead = await ProcessCluster.WaitUntilAsync(
            async () => (await cluster.ReadRowAsync(2))?.Status == SiloStatus.Dead, "the killed silo's row is Dead", TimeSpan.FromSeconds(10));
        await ProcessCluster.WaitUntilAsync(
            () => load.KeysNotSucceedingSince(killedAt).Count == 0, "calls to every key succeed again", TimeSpan.FromSeconds(15) - sinceKill.Elapsed);
        TimeSpan recovered = sinceKill.Elapsed;

        // Calls keep succeeding once recovered: nothing flaps back.
        long recoveredAt = load.Now;
        long successesBefore = load.Successes;
        await ProcessCluster.WaitUntilAsync(() => load.Successes > successesBefore + 100, "100 more calls succeed", TimeSpan.FromSeconds(10));
        await load.StopAsync();
        IReadOnlyList<string> failedAfterRecovery = load.KeysFailedSince(recoveredAt);

        output.WriteLine($"killed silo declared Dead after {dead.TotalMilliseconds:F0} ms; every key answering again after {recovered.TotalMilliseconds:F0} ms; " +
            $"{load.KeysFailedSince(killedAt).Count} keys saw failures; {load.Failures} failed and {load.Successes} successful calls");
        foreach (string error in load.Errors)
        {
            output.WriteLine(error);
        }

        Assert.Empty(failedAfterRecovery);
        Assert.Empty(await load.FindUnexplainedValuesAsync(cluster.GrainFactory));
    }

    [Fact]
    public async Task ASiloStoppedForTwoSecondsIsNeverDeclaredDeadAndCallsKeepWorking()
    {
        await using ProcessCluster cluster = await ProcessCluster.CreateAsync("stall");
        await cluster.StartSilosAsync(3);
        await using var load = new CounterLoad(cluster.GrainFactory, $"stall-{Guid.NewGuid():N}", keyCount: 30, workers: 6);
        await ProcessCluster.WaitUntilAsync(() => load.KeysNotSucceedingSince(0).Count == 0, "every key was written once", TimeSpan.FromSeconds(20));
        MembershipEntry before = (await cluster.ReadRowAsync(3))!;

        cluster.Silos[3].Signal(PulseProcess.SigStop);
        try
        {
            // The deliberate stall: the silo is frozen for exactly this long.
            await Task.Delay(TimeSpan.FromSeconds(2));
        }
        finally
        {
            cluster.Silos[3].Signal(PulseProcess.SigCont);
        }

        long resumedAt = load.Now;
        var watch = Stopwatch.StartNew();
        var statuses = new HashSet<SiloStatus>();
        while (watch.Elapsed < TimeSpan.FromSeconds(10))
        {
            MembershipEntry row = (await cluster.ReadRowAsync(3))!;
            Assert.Equal(before.Silo, row.Silo);
            statuses.Add(row.Status);
            await Task.Delay(200);
        }

        await ProcessCluster.WaitUntilAsync(() => load.KeysNotSucceedingSince(resumedAt).Count == 0, "every key answered after the stall", TimeSpan.FromSeconds(5));
        await load.StopAsync();
        output.WriteLine($"statuses of the stalled silo's row over 10 s: {string.Join(", ", statuses)}; {load.Failures} failed and {load.Successes} successful calls");
        foreach (string error in load.Errors)
        {
            output.WriteLine(error);
        }

        Assert.Equal([SiloStatus.Active], statuses);
        Assert.Equal(0, load.Failures);
        Assert.False(cluster.Silos[3].HasExited, "the stalled silo kept running");
    }

    [Fact]
    public async Task AfterTheWholeClusterIsKilledOneNewSiloBecomesActiveMarksTheStaleRowsDeadAndServesTheState()
    {
        await using ProcessCluster cluster = await ProcessCluster.CreateAsync("restart");
        await cluster.StartSilosAsync(3);
        string[] keys = Enumerable.Range(0, 20).Select(i => $"restart-{Guid.NewGuid():N}-{i}").ToArray();
        await Task.WhenAll(keys.Select(key => cluster.GrainFactory.GetGrain<ICounterGrain>(key).AddAndWriteAsync(5)));
        IReadOnlyList<SiloAddress> stale = (await cluster.ReadRowsAsync()).Where(row => row.Status == SiloStatus.Active).Select(row => row.Silo).ToList();
        Assert.Equal(3, stale.Count);

        foreach (int index in new[] { 1, 2, 3 })
        {
            cluster.Silos[index].Signal(PulseProcess.SigKill);
        }

        foreach (int index in new[] { 1, 2, 3 })
        {
            await cluster.Silos[index].WaitForExitAsync(TimeSpan.FromSeconds(10));
        }

        // The same endpoint as the killed silo 1: a new generation must not be confused with the stale row.
        var clock = Stopwatch.StartNew();
        cluster.StartSilo(1);
        await cluster.WaitUntilReadyAsync(1, TimeSpan.FromSeconds(30));
        TimeSpan active = clock.Elapsed;
        TimeSpan staleDead = await ProcessCluster.WaitUntilAsync(
            async () => (await cluster.ReadRowsAsync()).Where(row => stale.Contains(row.Silo)).All(row => row.Status == SiloStatus.Dead),
            "every stale row is Dead",
            TimeSpan.FromSeconds(30));
        await ProcessCluster.WaitUntilAsync(() => cluster.Client.ActiveSilos.Count == 1, "the client routes to the new silo only", TimeSpan.FromSeconds(10));
        int[] values = await Task.WhenAll(keys.Select(key => cluster.GrainFactory.GetGrain<ICounterGrain>(key).AddAndWriteAsync(1)));

        output.WriteLine($"new silo Active {active.TotalMilliseconds:F0} ms after its process started; stale rows Dead {staleDead.TotalMilliseconds:F0} ms after that");
        Assert.All(values, value => Assert.Equal(6, value));
        Assert.True(active < TimeSpan.FromSeconds(20), $"the new silo took {active} to become Active");
    }
}
