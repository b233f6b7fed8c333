using System.Diagnostics;
using Microsoft.Extensions.DependencyInjection;
using Pulse.Runtime.Configuration;
using Pulse.Runtime.Testing;
using Pulse.Runtime.Tests.Runtime;

namespace Pulse.Runtime.Tests.Cluster;

[Collection(ClusterCollection.Name)]
public sealed class ClusterClientTests
{
    [Fact]
    public async Task AClientCallsGrainsOnEverySiloWithOneActivationEach()
    {
        await using TestCluster cluster = await TestCluster.StartAsync(3);
        TestClusterClient client = await cluster.CreateClientAsync();
        await TestSilo.WaitUntilAsync(() => client.Client.ActiveSilos.Count == 3, "the client sees three silos");
        string[] keys = Enumerable.Range(0, 60).Select(i => $"client-{Guid.NewGuid():N}-{i}").ToArray();

        int[] values = await Task.WhenAll(keys.Select(key => client.GrainFactory.GetGrain<ICounterGrain>(key).AddAndWriteAsync(3)));

        Assert.All(values, value => Assert.Equal(3, value));
        Assert.All(cluster.Silos, silo => Assert.True(silo.ActivationCount > 0, $"{silo} got no grain"));
        Assert.All(keys, key => Assert.Equal(1, GrainEvents.Get(GrainEvents.Activations, key)));
        Assert.Equal("bad", (await Assert.ThrowsAsync<InvalidOperationException>(
            () => client.GrainFactory.GetGrain<IBehaviourGrain>("x").ThrowAsync("bad"))).Message);
    }

    [Fact]
    public async Task AClientFollowsASiloKillAndCallsSucceedAgain()
    {
        await using TestCluster cluster = await TestCluster.StartAsync(3);
        TestClusterClient client = await cluster.CreateClientAsync();
        await TestSilo.WaitUntilAsync(() => client.Client.ActiveSilos.Count == 3, "the client sees three silos");
        string[] keys = Enumerable.Range(0, 30).Select(i => $"follow-{Guid.NewGuid():N}-{i}").ToArray();
        await Task.WhenAll(keys.Select(key => client.GrainFactory.GetGrain<ICounterGrain>(key).AddAndWriteAsync(1)));

        await cluster.KillSiloAsync(cluster.Silos[1]);

        await TestSilo.WaitUntilAsync(() => client.Client.ActiveSilos.Count == 2, "the client dropped the dead silo", TimeSpan.FromSeconds(15));
        int[] values = await Task.WhenAll(keys.Select(key => client.GrainFactory.GetGrain<ICounterGrain>(key).AddAndWriteAsync(1)));
        Assert.All(values, value => Assert.Equal(2, value));
    }

    [Fact]
    public async Task AClientWithNoSiloFailsCallsAtOnceWithAClearError()
    {
        await using TestCluster cluster = await TestCluster.StartAsync(0);
        TestClusterClient client = await cluster.CreateClientAsync();

        SiloUnavailableException error = await Assert.ThrowsAsync<SiloUnavailableException>(
            () => client.GrainFactory.GetGrain<ICounterGrain>("nobody").GetAsync());

        Assert.Contains("no active silo", error.Message);
        Assert.False(client.Client.IsConnected);
    }

    [Fact]
    public async Task AClientWhoseSilosAllDiedWithoutAGoodbyeFailsCallsWithAClearErrorInsteadOfHanging()
    {
        await using TestCluster cluster = await TestCluster.StartAsync(2);
        var responseTimeout = TimeSpan.FromSeconds(10);
        TestClusterClient client = await cluster.CreateClientAsync(services => services.Configure<MessagingOptions>(options => options.ResponseTimeout = responseTimeout));
        await TestSilo.WaitUntilAsync(() => client.Client.ActiveSilos.Count == 2, "the client sees two silos");
        foreach (TestClusterSilo silo in cluster.Silos)
        {
            await cluster.KillSiloAsync(silo);
        }

        var calling = Stopwatch.StartNew();
        SiloUnavailableException error = await Assert.ThrowsAsync<SiloUnavailableException>(
            () => client.GrainFactory.GetGrain<ICounterGrain>($"orphan-{Guid.NewGuid():N}").GetAsync().WaitAsync(TimeSpan.FromSeconds(60)));
        TimeSpan failedAfter = calling.Elapsed;

        // Nobody is left to declare the silos dead: the client's view still lists them as Active.
        Assert.Equal(2, client.Client.ActiveSilos.Count);
        Assert.Contains("could not reach silo", error.Message);
        Assert.Contains("still Active", error.Message);
        Assert.True(failedAfter < responseTimeout, $"the call failed only after {failedAfter}");

        // It gave the failure detector its chance first: the error comes about a second before the deadline.
        Assert.True(failedAfter >= responseTimeout - TimeSpan.FromSeconds(2), $"the call gave up after only {failedAfter}");
    }
}
